"""`flask db upgrade` builds the schema of the models, on SQLite and on PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from tests.conftest import scratch_app, scratch_postgres
from webapp.extensions import db


def _upgrade_and_compare(url):
    with scratch_app(url):
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            tables = set(inspect(conn).get_table_names())
    assert not diff, f"models and migrations differ: {diff}"
    assert {"participants", "audit_events", "checklist_submissions", "reminders"} <= tables


@pytest.mark.db_independent
def test_upgrade_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    _upgrade_and_compare(url)
    with scratch_app(url), db.engine.connect() as conn:
        triggers = conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='trigger'")).scalars().all()
    assert "audit_events_no_update" in triggers


@pytest.mark.postgres
@pytest.mark.db_independent
def test_upgrade_postgresql():
    with scratch_postgres("bofast_migr") as url:
        _upgrade_and_compare(url)


def test_seed_demo_is_idempotent(app, db):
    from webapp.demo import seed_demo
    from webapp.models import Participant, User

    assert seed_demo() is True
    assert seed_demo() is False
    # Twelve, plus one in the Stockholm-rules team of the social-services demo (issue 15).
    assert db.session.query(Participant).count() == 13
    assert {u.username for u in db.session.query(User)} >= {"admin", "anna", "soc", "bostad",
                                                            "kalle"}
