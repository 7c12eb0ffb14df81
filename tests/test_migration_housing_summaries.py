"""Migration 0015 (issue 17): a database with data upgrades to housing's stored summaries:
every organisation's generation at 0, no summary yet (worked out by the first view); a summary
stored at the generation is read, and a write of the scope afterwards makes it stale."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, select

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, _script_directory
from webapp.extensions import db

pytestmark = pytest.mark.db_independent


def _before_summaries() -> str:
    return _script_directory().get_revision("0015").down_revision


def _upgrade_with_data(url: str) -> None:
    from webapp.housing import summaries
    from webapp.models import (
        HousingGeneration,
        HousingSummary,
        Organisation,
        Participant,
    )
    from webapp.timeutil import local_today

    with scratch_app(url):
        fill_at(RELEASED, ROWS)
        upgrade(revision=_before_summaries())
        tables = inspect(db.engine).get_table_names()
        assert "housing_summaries" not in tables and "housing_generations" not in tables
        upgrade()
        orgs = sorted(db.session.scalars(select(Organisation.id)))
        assert orgs, "the old database has an organisation"
        assert db.session.execute(select(
            HousingGeneration.organisation_id, HousingGeneration.generation)
            .order_by(HousingGeneration.organisation_id)).all() == [(org, 0) for org in orgs]
        assert db.session.scalar(select(db.func.count()).select_from(HousingSummary)) == 0

        org, day = orgs[0], local_today()
        summaries.store("home:test", org, day, 0, {"submitted": 1}, "1,2")
        assert db.session.execute(summaries.stored("home:test", org, day)).all() == [
            ('{"submitted":1}', "1,2")]
        person = db.session.scalar(select(Participant).where(Participant.organisation_id == org))
        person.first_name = person.first_name + "x"  # a write of the scope
        db.session.commit()
        assert db.session.scalar(select(HousingGeneration.generation).where(
            HousingGeneration.organisation_id == org)) >= 1
        assert db.session.execute(summaries.stored("home:test", org, day)).all() == []


def test_0015_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-housing-summaries.sqlite'}")


@pytest.mark.postgres
def test_0015_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_hsum") as url:
        _upgrade_with_data(url)
