"""The audit log is append-only: the database refuses UPDATE and DELETE on audit_events.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

from webapp.models.audit import APPEND_ONLY_POSTGRESQL, APPEND_ONLY_SQLITE

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    statements = {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRESQL}
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
