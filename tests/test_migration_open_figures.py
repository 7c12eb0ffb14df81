"""Migration 0011 (the open month's figures stored as of a day, issue 17) on a database with
data in it: the stored closed months are kept and used as they are, the open months are then
stored as of today, and the downgrade drops those rows and the columns again."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, text

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import ROWS
from tests.test_migration_stored_figures import _count, _extra_rows
from webapp.admin.figure_facts import figure_facts
from webapp.admin.stored_figures import encode, figure_months, open_months, rule_key, rule_of
from webapp.domain import figures as fig
from webapp.domain.tenancy import add_months
from webapp.extensions import db
from webapp.timeutil import local_today

pytestmark = pytest.mark.db_independent

PREVIOUS = "0010"


def _live(org, today):
    rule = rule_of(org)
    facts = figure_facts(org.id, rule.period, today)
    return [(m, values, fig.ends_by_reason(facts, m, fig.month_end(m)))
            for m, values in fig.figure_series(facts, rule, today, today)]


def _upgrade_with_data(url: str) -> None:
    with scratch_app(url):
        today = local_today()
        month, extra = _extra_rows(today)
        rows = ROWS + extra
        previous = fill_at(PREVIOUS, rows)
        assert "as_of" not in previous.tables["stored_figures"].c
        from webapp.models import Organisation

        org = db.session.get(Organisation, 1)
        live = _live(org, today)
        by_month = {m: (values, ends) for m, values, ends in live}
        older = add_months(month, -1)  # a closed month with no data: stored as 0009 did
        with db.engine.begin() as conn:
            for stored in (month, older):
                conn.execute(previous.tables["stored_figures"].insert().values(
                    organisation_id=1, month=stored, rule=rule_key(rule_of(org)),
                    figures=encode(by_month[stored]), computed_at=datetime(2026, 11, 1)))
            ids = dict(conn.execute(text("SELECT month, id FROM stored_figures")).all())
        counts = {t: _count(t) for t, _ in rows}
        db.session.remove()

        upgrade()
        assert {t: _count(t) for t, _ in rows} == counts
        with db.engine.connect() as conn:
            kept = conn.execute(text(
                "SELECT id, as_of, stale, version FROM stored_figures ORDER BY id")).all()
        assert [tuple(r) for r in kept] == [(ident, None, False, 0)
                                            for ident in sorted(ids.values())]
        org = db.session.get(Organisation, 1)
        assert figure_months(org, today, today) == live
        assert by_month[month][0]["visits"].numerator >= 1
        with db.engine.connect() as conn:
            stored = dict(conn.execute(text(
                "SELECT month, id FROM stored_figures WHERE as_of IS NULL")).all())
            opened = conn.execute(text(
                "SELECT month FROM stored_figures WHERE as_of IS NOT NULL")).scalars().all()
        # The old rows were used as they were, not computed again.
        assert {m: stored[m] for m in ids} == ids
        assert sorted(map(str, opened)) == sorted(map(str, open_months(rule_of(org).period, today)))
        assert figure_months(org, today, today) == live  # read back
        db.session.remove()

        downgrade(revision=PREVIOUS)
        after = MetaData()
        after.reflect(db.engine)
        assert "as_of" not in after.tables["stored_figures"].c
        assert not after.tables["stored_figures"].c.figures.nullable
        assert _count("stored_figures") == len(stored)  # the closed months stay
        assert {t: _count(t) for t, _ in rows} == counts


def test_0011_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'previous.sqlite'}")


@pytest.mark.postgres
def test_0011_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_of") as url:
        _upgrade_with_data(url)
