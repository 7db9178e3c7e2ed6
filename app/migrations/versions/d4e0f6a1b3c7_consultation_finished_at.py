"""consultation: when it was finished

Revision ID: d4e0f6a1b3c7
Revises: c3d9e5f1a2b6
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.database

# revision identifiers, used by Alembic.
revision = "d4e0f6a1b3c7"
down_revision = "c3d9e5f1a2b6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("finished_at", app.database.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
