"""The stored log review's counts and page order (issue 17): each stored month keeps how many
events it flags (and how many of them by a user), counted up as flags are stored, and the flags
get an index in the page's order (organisation, month, local time, id), so a view of
/admin/audit/review neither counts nor sorts every flag of the month. The counts of months
stored before the upgrade are counted here from their flags.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 01:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_review_months", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flagged", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("flagged_with_user", sa.Integer(), nullable=False,
                                      server_default="0"))
    months = sa.table("audit_review_months", sa.column("organisation_id"), sa.column("month"),
                      sa.column("flagged"), sa.column("flagged_with_user"))
    flags = sa.table("audit_review_flags", sa.column("organisation_id"), sa.column("month"),
                     sa.column("user_id"))
    of_month = sa.and_(flags.c.organisation_id == months.c.organisation_id,
                       flags.c.month == months.c.month)
    op.execute(months.update().values(
        flagged=sa.select(sa.func.count()).where(of_month).scalar_subquery(),
        flagged_with_user=sa.select(sa.func.count(flags.c.user_id)).where(of_month)
        .scalar_subquery()))
    with op.batch_alter_table("audit_review_flags", schema=None) as batch_op:
        batch_op.create_index("ix_audit_review_flags_month_at_local",
                              ["organisation_id", "month", "at_local", "audit_event_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("audit_review_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_review_flags_month_at_local")
    with op.batch_alter_table("audit_review_months", schema=None) as batch_op:
        batch_op.drop_column("flagged_with_user")
        batch_op.drop_column("flagged")
