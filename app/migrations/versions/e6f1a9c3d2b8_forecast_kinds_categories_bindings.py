"""forecasts: dataset kind, caveats, classifications and row count; categorical values, labels
in a second language, level, flags and notes; bindings of forecast series to consultations

Revision ID: e6f1a9c3d2b8
Revises: e5f7a9b1c2d3
Create Date: 2026-12-03 19:00:00

"""

from alembic import op
import sqlalchemy as sa

import app.database

# revision identifiers, used by Alembic.
revision = "e6f1a9c3d2b8"
down_revision = "e5f7a9b1c2d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forecast_dataset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "projection",
                    "statistics",
                    "job_ads",
                    name="datasetkind",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="projection",
            )
        )
        batch_op.add_column(sa.Column("caveats", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("sector_classification", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("occupation_classification", sa.String(length=60), nullable=True)
        )
        batch_op.add_column(
            sa.Column("row_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
    # the defaults were for the rows already there; the application always sets them
    with op.batch_alter_table("forecast_dataset", schema=None) as batch_op:
        for name in ("kind", "caveats", "row_count", "description"):
            batch_op.alter_column(name, server_default=None)

    with op.batch_alter_table("forecast_value", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=True)
        batch_op.add_column(sa.Column("category", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("label_alt", sa.String(length=400), nullable=True))
        batch_op.add_column(
            sa.Column(
                "level",
                sa.Enum("aggregate", "detail", name="level", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("flags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("notes", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_forecast_value_occupation",
            ["dataset_id", "indicator", "occupation_code", "year"],
            unique=False,
        )

    op.create_table(
        "forecast_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("sector_codes", sa.JSON(), nullable=False),
        sa.Column("occupation_codes", sa.JSON(), nullable=False),
        sa.Column("crosswalk", sa.JSON(), nullable=False),
        sa.Column("crosswalk_filename", sa.String(length=255), nullable=True),
        sa.Column("total_code", sa.String(length=32), nullable=True),
        sa.Column("geography", sa.String(length=16), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_forecast_binding_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_forecast_binding_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["forecast_dataset.id"],
            name=op.f("fk_forecast_binding_dataset_id_forecast_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_binding")),
        sa.UniqueConstraint(
            "consultation_id",
            "dataset_id",
            name=op.f("uq_forecast_binding_consultation_id_dataset_id"),
        ),
    )
    with op.batch_alter_table("forecast_binding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forecast_binding_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_forecast_binding_dataset_id"), ["dataset_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("forecast_binding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_binding_dataset_id"))
        batch_op.drop_index(batch_op.f("ix_forecast_binding_consultation_id"))
    op.drop_table("forecast_binding")
    with op.batch_alter_table("forecast_value", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_value_occupation")
        batch_op.drop_column("notes")
        batch_op.drop_column("flags")
        batch_op.drop_column("level")
        batch_op.drop_column("label_alt")
        batch_op.drop_column("category")
    op.execute("DELETE FROM forecast_value WHERE value IS NULL")
    with op.batch_alter_table("forecast_value", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("forecast_dataset", schema=None) as batch_op:
        for name in (
            "description",
            "row_count",
            "occupation_classification",
            "sector_classification",
            "caveats",
            "kind",
        ):
            batch_op.drop_column(name)
