"""Migration 0010 (issue 17): a database with data upgrades to the stored worklist, which starts
empty and is worked out on the first view, equal to the due rules worked out live."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, _script_directory
from webapp.extensions import db

pytestmark = pytest.mark.db_independent


def _before_worklist() -> str:
    return _script_directory().get_revision("0010").down_revision


def _upgrade_with_data(url: str) -> None:
    from tests.test_worklist_store import live, stored
    from webapp.models import User, WorklistEntry, utcnow
    from webapp.timeutil import local_today

    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade(revision=_before_worklist())
        assert "worklist_entries" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "worklist_entries" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(db.func.count()).select_from(WorklistEntry)) == 0
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        day, now = local_today(), utcnow()
        expected = live(admin, admin.organisation, day, now)
        assert expected, "the old participant has something due"
        assert stored(admin, admin.organisation, day, now) == expected
        db.session.expire_all()
        assert db.session.get(WorklistEntry, 1).day == day


def test_0010_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-worklist.sqlite'}")


@pytest.mark.postgres
def test_0010_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_wl") as url:
        _upgrade_with_data(url)
