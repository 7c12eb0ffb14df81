"""Migration 0009 (stored figures, issue 17) on a database with data in it: the upgrade adds
the table and keeps every row, the figures of the old data are then stored exactly as computed
live, and the downgrade removes the table again."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, func, select, text

from tests.conftest import fill_at, scratch_app, scratch_postgres
from tests.test_migration_history import ROWS
from webapp.admin.figure_facts import figure_facts
from webapp.admin.stored_figures import figure_months, is_final, open_months, rule_of
from webapp.domain import figures as fig
from webapp.domain.tenancy import add_months
from webapp.extensions import db
from webapp.timeutil import local_today, to_utc

pytestmark = pytest.mark.db_independent

PREVIOUS = "0008"


def _extra_rows(today):
    """Rows dated inside the figures' window (ROWS are dated January 2026)."""
    month = add_months(fig.month_start(today), -2)
    visit_at = to_utc(datetime.combine(month + timedelta(days=9), time(10)))
    now = datetime(2026, 1, 5, 9, 0)
    return month, [
        ("phase_changes", dict(id=1, participant_id=1, phase=2, note="",
                               started_on=today - timedelta(days=400), created_at=now)),
        ("appointments", dict(
            id=2, participant_id=1, staff_id=2, kind="home_visit", starts_at=visit_at,
            duration_minutes=60, location="Hemma", visible_to_participant=True,
            with_social_services=False, status="booked", cancelled_at=None, note="",
            created_by_id=2, created_at=now, updated_at=now)),
        ("visit_outcomes", dict(id=2, appointment_id=2, participant_id=1, outcome="done",
                                note="", recorded_by_id=2, recorded_at=now,
                                idempotency_key="visit-key-2")),
        ("checklist_submissions", dict(
            id=2, participant_id=1, apartment_id=1, template_id=1, month=f"{month:%Y-%m}",
            held_on=month, present="", general_comment="", tenant_agrees=True,
            tenant_comment="", submitted_by_id=2, submitted_at=now, idempotency_key="c-2",
            supersedes_id=None, version_no=1)),
    ]


def _upgrade_with_data(url: str) -> None:
    with scratch_app(url):
        today = local_today()
        month, extra = _extra_rows(today)
        rows = ROWS + extra
        previous = fill_at(PREVIOUS, rows)
        assert "stored_figures" not in previous.tables
        counts = {t: _count(t) for t, _ in rows}

        upgrade()
        assert {t: _count(t) for t, _ in rows} == counts
        assert _count("stored_figures") == 0  # filled by the scheduler or the first view
        from webapp.models import Organisation

        org = db.session.get(Organisation, 1)
        rule = rule_of(org)
        facts = figure_facts(org.id, rule.period, today)
        live = [(m, values, fig.ends_by_reason(facts, m, fig.month_end(m)))
                for m, values in fig.figure_series(facts, rule, today, today)]
        assert figure_months(org, today, today) == live
        by_month = {m: values for m, values, _ends in live}
        assert by_month[month]["checklists"] == fig.FigureValue(1.0, 1, 1)
        assert by_month[month]["visits"].numerator >= 1
        closed = [m for m in fig.last_months(today) if is_final(m, rule.period, today)]
        assert _count("stored_figures", "as_of IS NULL") == len(closed)
        # The open months are stored too, as of today (revision 0011).
        assert _count("stored_figures", "as_of IS NOT NULL") == len(
            open_months(rule.period, today))
        assert figure_months(org, today, today) == live  # read back from the table
        db.session.remove()

        downgrade(revision=PREVIOUS)
        after = MetaData()
        after.reflect(db.engine)
        assert "stored_figures" not in after.tables
        assert {t: _count(t) for t, _ in rows} == counts


def _count(table: str, where: str = "") -> int:
    query = select(func.count()).select_from(text(table))
    if where:
        query = query.where(text(where))
    with db.engine.connect() as conn:
        return conn.scalar(query)


def test_0009_upgrades_a_sqlite_database_with_data(tmp_path):
    _upgrade_with_data(f"sqlite:///{tmp_path / 'previous.sqlite'}")


@pytest.mark.postgres
def test_0009_upgrades_a_postgresql_database_with_data():
    with scratch_postgres("bofast_sf") as url:
        _upgrade_with_data(url)
