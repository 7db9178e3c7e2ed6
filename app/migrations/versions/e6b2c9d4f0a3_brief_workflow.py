"""brief workflow: approval, narrative and annotations, change class and note, correction
notices, contact, render status; review comments and stored artefacts

Revision ID: e6b2c9d4f0a3
Revises: e6f1a9c3d2b8
Create Date: 2026-12-03 19:00:00

"""

from alembic import op
import sqlalchemy as sa

import app.database


# revision identifiers, used by Alembic.
revision = "e6b2c9d4f0a3"
down_revision = "e6f1a9c3d2b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("brief_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("narrative", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("annotations", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("contact", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "change_class",
                sa.Enum(
                    "update",
                    "improvement",
                    "correction",
                    name="changeclass",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("change_note", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("correction_notice", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("corrected_at", app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("approved_at", app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "render_status",
                sa.Enum(
                    "none",
                    "pending",
                    "rendering",
                    "ready",
                    "failed",
                    name="renderstatus",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="none",
            )
        )
        batch_op.add_column(
            sa.Column("render_note", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("render_started_at", app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rendered_at", app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_brief_version_approved_by_id_user"), "user", ["approved_by_id"], ["id"]
        )
    # the defaults served the rows already there; the application always writes the values
    with op.batch_alter_table("brief_version", schema=None) as batch_op:
        for name in ("narrative", "annotations", "contact", "render_status", "render_note"):
            batch_op.alter_column(name, server_default=None)

    op.create_table(
        "brief_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_brief_comment_author_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["brief_version.id"],
            name=op.f("fk_brief_comment_version_id_brief_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_comment")),
    )
    with op.batch_alter_table("brief_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brief_comment_version_id"), ["version_id"])

    op.create_table(
        "brief_artefact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["brief_version.id"],
            name=op.f("fk_brief_artefact_version_id_brief_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_artefact")),
        sa.UniqueConstraint("version_id", "name", name=op.f("uq_brief_artefact_version_id_name")),
    )
    with op.batch_alter_table("brief_artefact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_brief_artefact_version_id"), ["version_id"])


def downgrade():
    with op.batch_alter_table("brief_artefact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brief_artefact_version_id"))
    op.drop_table("brief_artefact")
    with op.batch_alter_table("brief_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_brief_comment_version_id"))
    op.drop_table("brief_comment")
    with op.batch_alter_table("brief_version", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_brief_version_approved_by_id_user"), type_="foreignkey"
        )
        for name in (
            "rendered_at",
            "render_started_at",
            "render_note",
            "render_status",
            "approved_at",
            "approved_by_id",
            "corrected_at",
            "correction_notice",
            "change_note",
            "change_class",
            "contact",
            "annotations",
            "narrative",
        ):
            batch_op.drop_column(name)
