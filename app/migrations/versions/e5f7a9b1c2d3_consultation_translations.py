"""consultation: title and description in the questionnaire's other languages

Revision ID: e5f7a9b1c2d3
Revises: a5c8e2f4b9d1
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "e5f7a9b1c2d3"
down_revision = "a5c8e2f4b9d1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade():
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("translations")
