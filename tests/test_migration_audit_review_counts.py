"""Migration 0017 (issue 17): a database with a stored log review upgrades to the stored
flagged counts, counted from the flags already stored, and the page reads them; the flags get
their index in page order."""
from __future__ import annotations

from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import RELEASED, ROWS, T0
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

INDEX = "ix_audit_review_flags_month_at_local"


def _index_names() -> set[str]:
    return {index["name"] for index in inspect(db.engine).get_indexes("audit_review_flags")}


def _upgrade_with_data(url: str) -> None:
    from webapp.admin.audit_review_store import RULES, review_page
    from webapp.models import AuditReviewMonth
    from webapp.timeutil import to_local

    month = to_local(T0).date().replace(day=1)
    other = date(month.year - 1, 12, 1)
    with scratch_app(url) as app:
        fill_at(RELEASED, ROWS)
        upgrade(revision="0016")
        tables = MetaData()
        tables.reflect(db.engine)
        # Stored under today's rules: a view takes it as it is (no event after `upto_id`).
        # Its pool of unflagged events by a user is empty, so no sample is drawn.
        state = dict(organisation_id=1, rules=RULES, upto_id=2, events=2, with_user=1,
                     seen_id=2, seen_count=0)
        with db.engine.begin() as conn:
            conn.execute(tables.tables["audit_review_months"].insert(), [
                dict(state, month=month), dict(state, month=other, events=0, with_user=0)])
            conn.execute(tables.tables["audit_review_flags"].insert(), [
                dict(organisation_id=1, month=month, audit_event_id=1, at_local=T0,
                     user_id=2, flags="night"),
                dict(organisation_id=1, month=month, audit_event_id=2, at_local=T0,
                     user_id=None, flags="night")])
        assert INDEX not in _index_names()
        upgrade()
        assert INDEX in _index_names()
        counts = {row.month: (row.flagged, row.flagged_with_user) for row in db.session.scalars(
            select(AuditReviewMonth))}
        assert counts == {month: (2, 1), other: (0, 0)}
        # The page reads the counts the upgrade stored, and the flags' rows.
        with app.test_request_context():
            page = review_page(1, month, 30)
        assert (page.total, page.flagged_total, page.unreviewed_flagged) == (2, 2, 2)
        assert page.flagged == [1, 2] and page.flags == {1: ["night"], 2: ["night"]}
        db.session.remove()
        downgrade(revision="0016")
        assert INDEX not in _index_names()
        assert not {"flagged", "flagged_with_user"} & {
            column["name"] for column in inspect(db.engine).get_columns("audit_review_months")}
        upgrade()


def test_0017_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'before-review-counts.sqlite'}")


@pytest.mark.postgres
def test_0017_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_arc") as url:
        _upgrade_with_data(url)
