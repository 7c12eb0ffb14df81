"""Migration 0018 (issue 17): a database with audit events upgrades to the index on (participant,
at, id) in place of the one on the participant alone; the log stays append-only, its rows stay,
"Vem har tittat" shows the same groups, and on PostgreSQL its prepared statement reads the
participant's newest events from the new index."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, T0
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

NEW, OLD = "ix_audit_events_participant_at", "ix_audit_events_participant_id"


def _indexes() -> set[str]:
    return {ix["name"] for ix in inspect(db.engine).get_indexes("audit_events")}


def _events() -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, at, user_id, action, object_type, participant_id FROM audit_events "
            "ORDER BY id"))]


def _groups(app) -> list[tuple]:
    """The access log's groups of participant 1 as its user (3) reads them, every page."""
    from webapp.i18n import pinned_translations
    from webapp.me.routes import _access_log_groups

    with app.test_request_context(), pinned_translations():
        groups = _access_log_groups(1, 3, 10_000)
    db.session.remove()
    return [tuple(group) for group in groups]


def _generic_plan() -> str:
    """The plan PostgreSQL keeps for the access log's statement once it is prepared."""
    from sqlalchemy.dialects import postgresql

    from webapp.me.routes import _access_log_statement

    compiled = _access_log_statement("postgresql").compile(dialect=postgresql.dialect())
    names = list(compiled.params)
    sql = str(compiled)
    for number, name in enumerate(names, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    values = dict(compiled.params, participant=1, reader=3, until="9999-01-01", window=5000)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE audit_events"))
        conn.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        conn.execute(text(f"PREPARE access_log AS {sql}"))
        arguments = ", ".join(f"'{values[name]}'" for name in names)
        plan = "\n".join(conn.execute(text(
            f"EXPLAIN EXECUTE access_log({arguments})")).scalars())
        conn.execute(text("DEALLOCATE access_log"))
    return plan


def _upgrade_with_data(url: str) -> None:
    with scratch_app(url) as app:
        fill_at(RELEASED, ROWS)
        upgrade(revision="0017")
        tables = MetaData()
        tables.reflect(db.engine)
        # Participant 1's log: reads and changes by three people over a month, some of them
        # within one hour, some by the participant (not shown to them), some prefetches.
        kinds = [(2, "staff", "read", "plan"), (1, "admin", "read", "participant"),
                 (None, "", "update", "plan"), (3, "participant", "update", "step"),
                 (2, "staff", "prefetch", "plan"), (2, "staff", "update", "goal")]
        with db.engine.begin() as conn:
            conn.execute(tables.tables["audit_events"].insert(), [
                dict(id=100 + i, at=T0 + timedelta(hours=3 * i, minutes=i % 50),
                     user_id=kinds[i % 6][0], role=kinds[i % 6][1], action=kinds[i % 6][2],
                     object_type=kinds[i % 6][3], object_id=1, participant_id=1,
                     path="/participants/1", detail="", ip="192.0.2.1")
                for i in range(400)])
            # And the rest of the log, about no participant, in between.
            conn.execute(tables.tables["audit_events"].insert(), [
                dict(id=1000 + i, at=T0 + timedelta(minutes=23 * i), user_id=1, role="admin",
                     action="read", object_type="users", object_id=None, participant_id=None,
                     path="/admin/users", detail="", ip="192.0.2.2")
                for i in range(4000)])
        before, groups = _events(), _groups(app)
        assert len(groups) > 100 and OLD in _indexes() and NEW not in _indexes()
        upgrade()
        assert NEW in _indexes() and OLD not in _indexes()
        assert _events() == before
        assert _groups(app) == groups
        # Still append-only (the index was added without rebuilding the table and triggers).
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET detail = 'x'"))
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_events"))
        if db.engine.dialect.name == "postgresql":
            assert NEW in _generic_plan()
        downgrade(revision="0017")
        assert OLD in _indexes() and NEW not in _indexes()
        assert _events() == before and _groups(app) == groups
        upgrade()
        assert NEW in _indexes() and OLD not in _indexes()


def test_0018_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-audit-participant-index.sqlite'}")


@pytest.mark.postgres
def test_0018_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_apix") as url:
        _upgrade_with_data(url)
