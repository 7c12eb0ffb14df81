"""Figures from SQL aggregates (issue 17): the database counts home visits per participant and
visit period, and the figures are the same as from every visit loaded one by one."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_appointment, make_outcome, make_participant
from webapp.admin.figure_facts import figure_facts
from webapp.domain import figures as fig
from webapp.domain.visits import VisitRule, period_bounds
from webapp.extensions import db as _db
from webapp.models import Appointment, PhaseChange, VisitOutcome
from webapp.timeutil import to_local, to_utc

LAST = date(2026, 3, 1)
TODAY = date(2026, 3, 20)


def _visit(participant, staff, local: datetime, with_soc=False, outcome="done",
           kind="home_visit"):
    appointment = make_appointment(participant, staff, to_utc(local), kind=kind,
                                   with_social_services=with_soc)
    make_outcome(appointment, staff, outcome=outcome)


def _every_visit(facts):
    """The facts as the old loader built them: every done home visit, converted one by one."""
    rows = _db.session.execute(
        select(Appointment.participant_id, Appointment.starts_at,
               Appointment.with_social_services)
        .join(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
        .where(Appointment.kind == "home_visit", VisitOutcome.outcome == "done")).all()
    visits = {}
    for pid, starts_at, with_soc in rows:
        visits.setdefault(pid, []).append((to_local(starts_at).date(), with_soc))
    return [fig.ParticipantFacts(
        id=f.id, decision_date=f.decision_date, phases=f.phases, contracts=f.contracts,
        visits=tuple(visits.get(f.id, ())), checklist_months=f.checklist_months,
        disturbances=f.disturbances, offers=f.offers, transfers=f.transfers, ends=f.ends)
        for f in facts]


@pytest.mark.parametrize("rule", [VisitRule(1, "week"), VisitRule(2, "week", 1),
                                  VisitRule(4, "month", 1)], ids=["week", "week-soc", "month"])
def test_counted_visits_give_the_figures_of_every_visit(app, db, world, rule):
    staff, person = world.users["staff"], world.participant
    second = make_participant(world.org, world.team, "Andra", "Person")
    for who in (person, second):
        db.session.add(PhaseChange(participant_id=who.id, phase=2, started_on=date(2025, 1, 1)))
    # Local midnight and the hour before it, around both daylight-saving changes and the
    # ends of weeks and months: the database must put each visit in its local period.
    edges = [datetime(2025, 3, 30, 0, 30), datetime(2025, 3, 30, 23, 59),
             datetime(2025, 3, 31, 0, 0), datetime(2025, 10, 26, 2, 30),
             datetime(2025, 10, 26, 23, 30), datetime(2025, 10, 27, 0, 15),
             datetime(2025, 12, 31, 23, 45), datetime(2026, 1, 1, 0, 5),
             datetime(2026, 2, 1, 0, 0), datetime(2026, 2, 28, 23, 59),
             datetime(2026, 3, 1, 0, 1), datetime(2026, 3, 15, 23, 59)]
    for n, local in enumerate(edges):
        _visit(person, staff, local, with_soc=n % 3 == 0)
        _visit(second, staff, local + timedelta(days=n % 2))
    day = datetime(2025, 4, 1, 9, 0)
    while day < datetime(2026, 3, 20):
        _visit(person, staff, day, with_soc=day.day < 8)
        day += timedelta(days=5)
    _visit(person, staff, datetime(2026, 2, 3, 9), outcome="not_met")  # not done: not counted
    _visit(person, staff, datetime(2026, 2, 4, 9), kind="meeting")  # not a home visit
    _visit(person, staff, datetime(2024, 12, 30, 9))  # before the twelve months
    db.session.commit()

    facts = figure_facts(world.org.id, rule.period, LAST)
    every = _every_visit(facts)
    periods = fig.period_starts(date(2025, 4, 1), fig.month_end(LAST), rule.period)
    for start in periods:
        end = period_bounds(start, rule.period)[1]
        assert ([f.visits_in(start, end) for f in facts]
                == [f.visits_in(start, end) for f in every]), start
    counted = fig.figure_series(facts, rule, LAST, TODAY)
    assert counted == fig.figure_series(every, rule, LAST, TODAY)
    assert any(values["visits"].denominator for _month, values in counted)


def test_participants_without_visits_count_as_none_done(app, db, world):
    db.session.add(PhaseChange(participant_id=world.participant.id, phase=2,
                               started_on=date(2025, 1, 1)))
    db.session.commit()
    facts = figure_facts(world.org.id, "week", LAST)
    value = fig.visit_share(facts, VisitRule(1, "week"), date(2026, 2, 1), TODAY)
    assert value.value == 0 and value.denominator >= 4
