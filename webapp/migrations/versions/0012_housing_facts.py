"""Housing's stored facts (issue 17): per tenant and day, the checklist owed and sent, the visit
rule met this and last period, the expected first-hand contract; kept up to date on write
instead of worked out over the whole scope on every view. Starts empty: rows are worked out on
the first view.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "housing_facts",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("basis", sa.Integer(), nullable=False),
        sa.Column("checklist_owed", sa.Boolean(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=True),
        sa.Column("checklist_apartment_id", sa.Integer(), nullable=True),
        sa.Column("visits_met", sa.Boolean(), nullable=False),
        sa.Column("visits_met_before", sa.Boolean(), nullable=False),
        sa.Column("expected_transfer", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("participant_id"),
    )


def downgrade():
    op.drop_table("housing_facts")
