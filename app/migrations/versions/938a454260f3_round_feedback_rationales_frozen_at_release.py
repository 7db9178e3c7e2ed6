"""round: the reasons shown as feedback, frozen when the results are released

Moderating a reason after the release no longer changes the feedback of the open next round.
Rounds released before keep NULL: their feedback reads the reasons as they stand until the
first moderation, which freezes them first.

Revision ID: 938a454260f3
Revises: d4e0f6a1b3c7
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "938a454260f3"
down_revision = "d4e0f6a1b3c7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feedback_rationales", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("feedback_rationales")
