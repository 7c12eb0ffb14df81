"""Migration 0016 (issue 17) on a database with data: the appointments stay, the redundant
index on their participant goes, and look-ups by participant use the index on (participant,
start) on PostgreSQL."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

DROPPED, KEPT = "ix_appointments_participant_id", "ix_appointments_participant_starts"


def _indexes() -> set[str]:
    return {ix["name"] for ix in inspect(db.engine).get_indexes("appointments")}


def _appointments() -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, participant_id, starts_at, status FROM appointments ORDER BY id"))]


def _upgrade_with_data(url: str) -> None:
    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade(revision="0015")
        before = _appointments()
        assert before and {DROPPED, KEPT} <= _indexes()
        upgrade()
        assert DROPPED not in _indexes() and KEPT in _indexes()
        assert _appointments() == before
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("SET LOCAL enable_seqscan = off"))
                plan = "\n".join(conn.execute(text(
                    "EXPLAIN SELECT id FROM appointments WHERE participant_id = ANY('{1,2}')"
                    )).scalars())
            assert KEPT in plan  # look-ups by participant alone use the index on both
        db.session.remove()
        downgrade(revision="0015")
        assert {DROPPED, KEPT} <= _indexes()
        assert _appointments() == before
        upgrade()
        assert DROPPED not in _indexes()


def test_0016_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-appointments-index.sqlite'}")


@pytest.mark.postgres
def test_0016_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_appointments_index") as url:
        _upgrade_with_data(url)
