"""Migration 0012 (issue 17): a database with data upgrades to housing's stored facts, which
start empty and are worked out on the first view, equal to the facts worked out live."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, _script_directory
from webapp.extensions import db

pytestmark = pytest.mark.db_independent


def _before_facts() -> str:
    return _script_directory().get_revision("0012").down_revision


def _upgrade_with_data(url: str) -> None:
    from webapp.housing import facts_store
    from webapp.models import HousingFacts, Organisation, Participant
    from webapp.timeutil import local_today

    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade(revision=_before_facts())
        assert "housing_facts" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "housing_facts" in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(db.func.count()).select_from(HousingFacts)) == 0
        day, org = local_today(), db.session.get(Organisation, 1)
        ids = sorted(db.session.scalars(select(Participant.id)))
        assert ids, "the old database has a participant"
        expected = facts_store.compute(ids, org, day)
        rows = db.session.execute(facts_store.with_facts(select(Participant.id), day)).all()
        assert facts_store.complete(rows, org, day) == expected
        rows = db.session.execute(facts_store.with_facts(select(Participant.id), day)).all()
        assert all(row[-len(facts_store.FACT_COLUMNS) - 1] for row in rows), "stored, valid"


def test_0012_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-housing-facts.sqlite'}")


@pytest.mark.postgres
def test_0012_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_hf") as url:
        _upgrade_with_data(url)
