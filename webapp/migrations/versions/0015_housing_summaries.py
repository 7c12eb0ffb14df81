"""Housing's stored summaries (issue 17): what /housing works out over a user's whole scope
(the overview's counts and the scope's ids) kept per scope and day, valid while the
organisation's housing generation is unchanged; every write that can change them counts that
generation up in its own transaction. Summaries start empty (worked out by the first view);
each organisation's generation starts at 0.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 22:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "housing_generations",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    # Every organisation there is, at 0 (a missing row reads as 0 too).
    op.execute("INSERT INTO housing_generations (organisation_id, generation) "
               "SELECT id, 0 FROM organisations")
    op.create_table(
        "housing_summaries",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("ids", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_housing_summaries_organisation_id", "housing_summaries",
                    ["organisation_id"])


def downgrade():
    op.drop_index("ix_housing_summaries_organisation_id", table_name="housing_summaries")
    op.drop_table("housing_summaries")
    op.drop_table("housing_generations")
