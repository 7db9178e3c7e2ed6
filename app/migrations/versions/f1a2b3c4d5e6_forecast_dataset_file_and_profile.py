"""forecast_dataset: one dataset per file and profile (a workbook holds several tables)

Revision ID: f1a2b3c4d5e6
Revises: e6b2c9d4f0a3
Create Date: 2026-12-03 20:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "e6b2c9d4f0a3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forecast_dataset", schema=None) as batch_op:
        batch_op.drop_constraint("uq_forecast_dataset_source_hash", type_="unique")
        batch_op.create_unique_constraint(
            "uq_forecast_dataset_file_profile", ["source_hash", "profile"]
        )
        batch_op.create_index("ix_forecast_dataset_source_hash", ["source_hash"], unique=False)


def downgrade():
    with op.batch_alter_table("forecast_dataset", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_dataset_source_hash")
        batch_op.drop_constraint("uq_forecast_dataset_file_profile", type_="unique")
        batch_op.create_unique_constraint("uq_forecast_dataset_source_hash", ["source_hash"])
