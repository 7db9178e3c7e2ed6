"""participation: started/completed flags written at round close, no completion dates

Dates of starting and completing a round, written at each save, could be lined up with the
order of the anonymous response rows; the flags are now written once, when a round closes.

Revision ID: c3d9e5f1a2b6
Revises: b7e1a0d2c3f4
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c3d9e5f1a2b6"
down_revision = "b7e1a0d2c3f4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("started", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("completed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # One statement rewrites every row: the old per-save write times go with the old rows.
    op.execute(
        "UPDATE participation SET started = (started_on IS NOT NULL), "
        "completed = (completed_on IS NOT NULL)"
    )
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.drop_column("started_on")
        batch_op.drop_column("completed_on")
        batch_op.alter_column("started", server_default=None)
        batch_op.alter_column("completed", server_default=None)


def downgrade():
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        batch_op.drop_column("completed")
        batch_op.drop_column("started")
