"""An index on the audit log by participant and time (issue 17): "Vem har tittat" reads a
participant's newest events. With an index on the participant alone, PostgreSQL read and sorted
all of the participant's events, or (its generic plan, once prepared) scanned the whole log's
index on time backwards filtering for the participant: both grow with the log, which only grows
(append-only). The index on (participant, at, id) gives the newest events in the page's order
and serves every look-up by participant, so the one on the participant alone goes.

On PostgreSQL the index is built CONCURRENTLY, outside the migration's transaction, so a large
log is not locked against the audit writes of every request while it is built; a build that
failed part way leaves an invalid index of the same name, which is dropped first.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 04:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

NEW, OLD = "ix_audit_events_participant_at", "ix_audit_events_participant_id"


# Not in batch mode: on SQLite a batch that recreated the table would lose the triggers that
# keep the log append-only; a plain CREATE INDEX leaves the table as it is.
def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(NEW, "audit_events", ["participant_id", "at", "id"], unique=False)
        op.drop_index(OLD, table_name="audit_events")
        return
    with op.get_context().autocommit_block():
        invalid = op.get_bind().execute(sa.text(
            "SELECT 1 FROM pg_index JOIN pg_class ON pg_class.oid = pg_index.indexrelid "
            "WHERE pg_class.relname = :name AND NOT pg_index.indisvalid"), {"name": NEW}).first()
        if invalid:
            op.drop_index(NEW, table_name="audit_events", postgresql_concurrently=True)
        op.create_index(NEW, "audit_events", ["participant_id", "at", "id"], unique=False,
                        postgresql_concurrently=True)
        op.drop_index(OLD, table_name="audit_events", postgresql_concurrently=True)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(OLD, "audit_events", ["participant_id"], unique=False)
        op.drop_index(NEW, table_name="audit_events")
        return
    with op.get_context().autocommit_block():
        op.create_index(OLD, "audit_events", ["participant_id"], unique=False,
                        postgresql_concurrently=True)
        op.drop_index(NEW, table_name="audit_events", postgresql_concurrently=True)
