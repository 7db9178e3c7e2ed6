"""panellist: one address once per panel whatever its case; the language a panellist gave
when the questionnaire does not offer it

Revision ID: a5c8e2f4b9d1
Revises: 938a454260f3
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a5c8e2f4b9d1"
down_revision = "938a454260f3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("panellist", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("stated_language", sa.String(length=8), nullable=True))
    # addresses were stored in lower case until now: the key is the address
    op.execute("UPDATE panellist SET email_key = lower(email)")
    with op.batch_alter_table("panellist", schema=None) as batch_op:
        batch_op.alter_column("email_key", existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_constraint("uq_panellist_consultation_id_email", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_panellist_consultation_id_email_key"), ["consultation_id", "email_key"]
        )


def downgrade():
    with op.batch_alter_table("panellist", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_panellist_consultation_id_email_key"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_panellist_consultation_id_email", ["consultation_id", "email"]
        )
        batch_op.drop_column("stated_language")
        batch_op.drop_column("email_key")
