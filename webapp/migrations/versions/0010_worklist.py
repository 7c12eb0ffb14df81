"""The stored worklist of Idag (issue 17): each participant's due items, kept up to date on
write instead of worked out for the whole caseload on every view. Starts empty: rows are
worked out on the first view.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worklist_entries",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("sort_key", sa.String(length=64), nullable=True),
        sa.Column("items", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    with op.batch_alter_table("worklist_entries", schema=None) as batch_op:
        batch_op.create_index("ix_worklist_entries_organisation_id", ["organisation_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("worklist_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_worklist_entries_organisation_id")
    op.drop_table("worklist_entries")
