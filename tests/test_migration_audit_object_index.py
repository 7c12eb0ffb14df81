"""Migration 0013 (issue 17): a database with audit events upgrades to the index on the log's
object; the log stays append-only, its rows stay, and the look-ups by object use the index."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, _script_directory
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

INDEX = "ix_audit_events_object"


def _indexes() -> set[str]:
    return {ix["name"] for ix in inspect(db.engine).get_indexes("audit_events")}


def _upgrade_with_data(url: str) -> None:
    from webapp.models import AuditEvent

    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade(revision=_script_directory().get_revision("0013").down_revision)
        assert INDEX not in _indexes()
        upgrade()
        assert INDEX in _indexes()
        events = [(table, row) for table, row in ROWS if table == "audit_events"]
        stored = db.session.execute(select(AuditEvent.id, AuditEvent.object_type,
                                           AuditEvent.object_id).order_by(AuditEvent.id)).all()
        assert [tuple(r) for r in stored] == [
            (row["id"], row["object_type"], row["object_id"]) for _t, row in events]
        assert db.session.scalar(select(AuditEvent.id).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == 3)) == 2
        db.session.remove()
        # Still append-only (the index was added without rebuilding the table and triggers).
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET detail = 'x'"))
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                plan = "\n".join(conn.execute(text(
                    "EXPLAIN SELECT id FROM audit_events WHERE object_type = 'organisation' "
                    "AND object_id = 1 AND action = 'update'")).scalars())
            assert INDEX in plan
        downgrade(revision=_script_directory().get_revision("0013").down_revision)
        assert INDEX not in _indexes()
        upgrade()


def test_0013_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-audit-index.sqlite'}")


@pytest.mark.postgres
def test_0013_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_aix") as url:
        _upgrade_with_data(url)
