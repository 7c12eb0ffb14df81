"""Drop the single-column index on appointments' participant (issue 17): the index on
(participant, start) of 0008 serves every look-up by participant too, and with both the planner
took the narrower one for "these participants, this week" and filtered all their appointments
(the caseload list at 1,000: 5,000 rows read for 82, 2.5 ms against 0.4 ms).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 23:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_participant_id")


def downgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_participant_id", ["participant_id"], unique=False)
