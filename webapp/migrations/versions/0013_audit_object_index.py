"""An index on the audit log's object (issue 17): the log review's sign-off and the admin's
first-day guide look events up by what they are about; without it each view read the whole
log, which only grows (append-only).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 10:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


# Not in batch mode: on SQLite a batch that recreated the table would lose the triggers that
# keep the log append-only; a plain CREATE INDEX leaves the table as it is.
def upgrade():
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id"],
                    unique=False)


def downgrade():
    op.drop_index("ix_audit_events_object", table_name="audit_events")
