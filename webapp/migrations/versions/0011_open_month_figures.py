"""Stored figures of the open month (issue 17): a month that is not closed yet is stored "as
of" a local day, marked stale by entries that reach it. Existing rows are closed months.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stored_figures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("stale", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.alter_column("figures", existing_type=sa.Text(), nullable=True)


def downgrade():
    # Rows of months not closed (and any being computed) are recomputed on the next view.
    op.execute("DELETE FROM stored_figures WHERE as_of IS NOT NULL OR figures IS NULL")
    with op.batch_alter_table("stored_figures", schema=None) as batch_op:
        batch_op.alter_column("figures", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("version")
        batch_op.drop_column("stale")
        batch_op.drop_column("as_of")
