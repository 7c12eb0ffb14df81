"""Indexes for the caseload queries (issue 17): appointments by participant and time, and the
few checklist answers that carry a follow-up.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_participant_starts",
                              ["participant_id", "starts_at"], unique=False)
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.create_index("ix_checklist_answers_followup", ["submission_id"], unique=False,
                              postgresql_where=sa.text("followup_action <> ''"),
                              sqlite_where=sa.text("followup_action <> ''"))


def downgrade():
    with op.batch_alter_table("checklist_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_answers_followup")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_participant_starts")
