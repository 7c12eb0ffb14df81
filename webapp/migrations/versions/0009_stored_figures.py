"""Stored programme figures of closed months (issue 17): the figures page reads them instead
of recomputing twelve months on every view.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # Empty on upgrade: the scheduler's next pass (or the first view) computes the months from
    # the data already there.
    op.create_table('stored_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_stored_figures_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_figures')),
    sa.UniqueConstraint('organisation_id', 'month', name=op.f('uq_stored_figures_organisation_id'))
    )


def downgrade():
    op.drop_table('stored_figures')
