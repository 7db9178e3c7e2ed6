"""forecast_import: web imports run after the request, with their progress; the occupation
index of forecast_value holds only the values of occupations

Revision ID: a7c4e2f9b1d3
Revises: f1a2b3c4d5e6
Create Date: 2026-12-04 01:45:00

"""

import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = "a7c4e2f9b1d3"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None

_WHERE = sa.text("occupation_code IS NOT NULL")
_COLUMNS = ["dataset_id", "indicator", "occupation_code", "year"]


def upgrade():
    op.create_table(
        "forecast_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("already_imported", sa.Boolean(), nullable=False),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_forecast_import_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["forecast_dataset.id"],
            name=op.f("fk_forecast_import_dataset_id_forecast_dataset"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_import")),
    )
    with op.batch_alter_table("forecast_value", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_value_occupation")
        batch_op.create_index(
            "ix_forecast_value_occupation",
            _COLUMNS,
            unique=False,
            postgresql_where=_WHERE,
            sqlite_where=_WHERE,
        )


def downgrade():
    with op.batch_alter_table("forecast_value", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_value_occupation")
        batch_op.create_index("ix_forecast_value_occupation", _COLUMNS, unique=False)
    op.drop_table("forecast_import")
