"""Stored figures of closed months (issue 17): what the figures page shows from the table is
what the live computation gives, before and after entries dated back in a closed month, under
every visit rule; the scheduler stores missing months; organisations never mix."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from tests.factories import (
    make_appointment,
    make_checklist_submission,
    make_disturbance,
    make_org,
    make_outcome,
    make_participant,
    make_team,
    make_user,
)
from webapp.admin.figure_facts import figure_facts
from webapp.admin.stored_figures import (
    encode,
    figure_months,
    fill,
    fill_closed_months,
    is_closed,
    rule_key,
    rule_of,
    settled_on,
)
from webapp.domain import figures as fig
from webapp.domain.tenancy import add_months
from webapp.extensions import db as _db
from webapp.models import (
    Apartment,
    Contract,
    Offer,
    Organisation,
    PhaseChange,
    StoredFigures,
    VisitOutcome,
)
from webapp.timeutil import local_today, to_utc


def _live(org, last: date, today: date):
    """The figures as the page computed them before they were stored: twelve months of facts,
    every month computed."""
    rule = rule_of(org)
    facts = figure_facts(org.id, rule.period, last)
    return [(month, values, fig.ends_by_reason(facts, month, fig.month_end(month)))
            for month, values in fig.figure_series(facts, rule, last, today)]


def _rows(org) -> dict[date, int]:
    """Stored months of the organisation -> row id (a recomputed month gets a new row)."""
    _db.session.commit()
    return dict(_db.session.execute(select(StoredFigures.month, StoredFigures.id)
                                    .where(StoredFigures.organisation_id == org.id)).all())


def _closed(org, last: date, today: date) -> list[date]:
    return [m for m in fig.last_months(last) if is_closed(m, org.visit_period, today)]


def test_a_month_closes_when_its_last_visit_period_is_over():
    # November 2026 ends on a Monday; its last week starts on the 30th and ends 6 December.
    november = date(2026, 11, 1)
    assert settled_on(november, "week") == date(2026, 12, 7)
    assert not is_closed(november, "week", date(2026, 12, 6))
    assert is_closed(november, "week", date(2026, 12, 7))
    assert settled_on(november, "month") == date(2026, 12, 1)
    # February 2026 ends on a Saturday: its last week (from the 23rd) ends on 2 March.
    assert settled_on(date(2026, 2, 1), "week") == date(2026, 3, 2)


@pytest.mark.parametrize("rule", [(1, "week", 0), (2, "week", 1), (4, "month", 1)],
                         ids=["week", "week-soc", "month"])
def test_stored_months_are_the_live_figures_of_the_demo(app, db, rule):
    from webapp.demo import DEMO_ORG, seed_demo

    seed_demo()
    org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORG))
    org.min_visits, org.visit_period, org.visits_with_social_services = rule
    db.session.commit()
    today = local_today()
    for last in (today, add_months(today, -5), add_months(today, -14)):
        live = _live(org, last, today)
        assert any(v.value is not None for _m, values, _e in live for v in values.values())
        assert figure_months(org, last, today) == live  # computed and stored
        assert set(_rows(org)) >= set(_closed(org, last, today))
        assert figure_months(org, last, today) == live  # read back
    # Only closed months are ever stored.
    assert all(is_closed(month, org.visit_period, today) for month in _rows(org))


def test_the_page_shows_the_stored_month(client, login_as, db, world):
    """The stored row is what the page reads (not a recomputation)."""
    login_as("admin")
    today = local_today()
    month = add_months(fig.month_start(today), -2)
    assert client.get(f"/admin/figures.csv?month={month:%Y-%m}").status_code == 200
    row = db.session.scalar(select(StoredFigures).where(
        StoredFigures.organisation_id == world.org.id, StoredFigures.month == month))
    values, ends = figure_months(world.org, month, today)[-1][1:]
    values["checklists"] = fig.FigureValue(0.25, 1, 4)
    row.figures = encode((values, ends))
    db.session.commit()
    csv = client.get(f"/admin/figures.csv?month={month:%Y-%m}").get_data(as_text=True)
    assert f"{month:%Y-%m};Genomgångar i tid;25,0;1;4" in csv


# --- entries dated back in a closed month ---------------------------------------------------

def _at(day: date, hour: int = 10) -> datetime:
    return to_utc(datetime.combine(day, clock(hour)))


def _apartment(org) -> Apartment:
    apartment = Apartment(organisation_id=org.id, address="Extragatan 2", city="Göteborg")
    _db.session.add(apartment)
    _db.session.flush()
    return apartment


def _done_visit(ctx, day):
    appointment = make_appointment(ctx["person"], ctx["staff"], _at(day))
    ctx["appointment"], ctx["outcome"] = appointment, make_outcome(appointment, ctx["staff"])


def _setup_nothing(ctx):
    pass


def _setup_visit(ctx):
    _done_visit(ctx, ctx["month"] + timedelta(days=9))


def _setup_ended_contract(ctx):
    ctx["contract"].ended_on = add_months(ctx["month"], -1) + timedelta(days=4)
    ctx["contract"].end_reason = "moved_by_choice"


def _setup_newcomer(ctx):
    ctx["newcomer"] = make_participant(ctx["org"], ctx["team"], "Ny", "Inflyttad",
                                       move_in=ctx["month"] + timedelta(days=4),
                                       decision_date=ctx["month"] - timedelta(days=40))


def _outcome_not_done(ctx):
    ctx["outcome"].outcome = "not_met"


def _outcome_deleted(ctx):
    _db.session.delete(ctx["outcome"])


def _visit_moved_to_today(ctx):
    ctx["appointment"].starts_at = _at(local_today(), 7)


def _checklist(ctx):
    make_checklist_submission(ctx["person"], ctx["staff"], f"{ctx['month']:%Y-%m}")


def _disturbance(ctx):
    make_disturbance(ctx["person"]).occurred_on = ctx["month"] + timedelta(days=3)


def _phase_change(ctx):
    _db.session.add(PhaseChange(participant_id=ctx["person"].id, phase=3,
                               started_on=ctx["month"] + timedelta(days=1)))


def _contract_ended(ctx):
    ctx["contract"].ended_on = ctx["month"] + timedelta(days=5)
    ctx["contract"].end_reason = "other_housing"


def _contract_end_moved_to_today(ctx):
    ctx["contract"].ended_on = local_today()


def _offer(ctx):
    _db.session.add(Offer(participant_id=ctx["person"].id,
                         offered_on=ctx["month"] + timedelta(days=2),
                         first_apartment_id=ctx["contract"].apartment_id,
                         second_apartment_id=_apartment(ctx["org"]).id))


def _decision_date(ctx):
    ctx["newcomer"].decision_date = ctx["month"] - timedelta(days=90)


CHANGES = {
    "done visit": (_setup_nothing, _setup_visit),
    "outcome no longer done": (_setup_visit, _outcome_not_done),
    "outcome deleted": (_setup_visit, _outcome_deleted),
    "visit moved to the open month": (_setup_visit, _visit_moved_to_today),
    "checklist": (_setup_nothing, _checklist),
    "disturbance": (_setup_nothing, _disturbance),
    "phase change": (_setup_nothing, _phase_change),
    "contract ended": (_setup_nothing, _contract_ended),
    "contract end moved to the open month": (_setup_ended_contract,
                                             _contract_end_moved_to_today),
    "offer of two": (_setup_nothing, _offer),
    "decision date": (_setup_newcomer, _decision_date),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_an_entry_dated_in_a_closed_month_changes_its_stored_figures(app, db, world, name):
    setup, change = CHANGES[name]
    today = local_today()
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    ctx = {"org": world.org, "team": world.team, "person": person,
           "staff": world.users["staff"], "month": add_months(fig.month_start(today), -2),
           "contract": db.session.scalar(select(Contract).where(
               Contract.participant_id == person.id))}
    setup(ctx)
    db.session.commit()
    before = figure_months(world.org, today, today)
    assert before == _live(world.org, today, today)
    stored = _rows(world.org)
    assert ctx["month"] in stored

    change(ctx)
    db.session.commit()
    left = _rows(world.org)
    assert ctx["month"] not in left  # deleted by the commit
    # Months the entry cannot reach keep their rows (recomputing them would also be right,
    # but slow): the oldest month of the window is before every date these entries carry.
    if name != "decision date":
        assert fig.last_months(today)[0] in left
    after = _live(world.org, today, today)
    assert after != before  # the change moves a figure of a closed month
    assert figure_months(world.org, today, today) == after


def test_an_entry_in_the_open_month_leaves_the_stored_months_alone(app, db, world):
    today = local_today()
    figure_months(world.org, today, today)
    stored = _rows(world.org)
    appointment = make_appointment(world.participant, world.users["staff"],
                                   _at(today, 0) + timedelta(minutes=1))
    make_outcome(appointment, world.users["staff"])
    make_disturbance(world.participant)
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    # Neither the organisation's lock nor a delete: the open month is never stored.
    assert not [s for s in seen if "stored_figures" in s or "FOR NO KEY UPDATE" in s]
    assert _rows(world.org) == stored
    assert figure_months(world.org, today, today) == _live(world.org, today, today)


def test_a_new_visit_rule_is_computed_anew(app, db, world):
    today = local_today()
    figure_months(world.org, today, today)
    world.org.min_visits, world.org.visit_period = 3, "month"
    db.session.commit()
    assert _rows(world.org) == {}  # the rule change deleted them
    assert figure_months(world.org, today, today) == _live(world.org, today, today)
    keys = set(db.session.scalars(select(StoredFigures.rule).where(
        StoredFigures.organisation_id == world.org.id)))
    assert keys == {rule_key(rule_of(world.org))}


def test_a_past_visit_recorded_through_the_page_shows_on_the_next_view(client, login_as, db,
                                                                       world):
    login_as("admin")
    today = local_today()
    month = add_months(fig.month_start(today), -2)
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500),
                              assigned=[world.users["staff"]])
    db.session.commit()
    title = "Veckor med hembesök enligt kravet"

    def visits_line():
        csv = client.get(f"/admin/figures.csv?month={month:%Y-%m}").get_data(as_text=True)
        return next(line for line in csv.splitlines()
                    if line.startswith(f"{month:%Y-%m};{title};"))

    first = visits_line()
    assert month in _rows(world.org)
    appointment = make_appointment(person, world.users["staff"],
                                   _at(month + timedelta(days=10)))
    db.session.commit()
    login_as("staff")
    response = client.post(f"/participants/{person.id}/appointments/{appointment.id}/outcome",
                           data={"outcome": "done"})
    assert response.status_code in (200, 302, 303)
    assert db.session.scalar(select(VisitOutcome.outcome).where(
        VisitOutcome.appointment_id == appointment.id)) == "done"
    login_as("admin")
    second = visits_line()
    assert first != second
    assert int(second.split(";")[3]) == int(first.split(";")[3]) + 1


# --- the scheduler --------------------------------------------------------------------------

def test_the_scheduler_pass_stores_the_missing_closed_months(app, db, world):
    from webapp.push.cli import run_pass

    other = make_org("Annanstad", preset="stockholm")
    make_participant(other, make_team(other, "Team Ö"), "Öst", "Person")
    db.session.commit()
    today = local_today()
    run_pass()
    for org in (world.org, other):
        assert set(_rows(org)) == set(_closed(org, today, today))
    db.session.execute(StoredFigures.__table__.delete().where(
        StoredFigures.organisation_id == world.org.id,
        StoredFigures.month == fig.last_months(today)[0]))
    db.session.commit()
    assert fill_closed_months() == 1
    assert fill_closed_months() == 0
    assert set(_rows(world.org)) == set(_closed(world.org, today, today))
    assert figure_months(world.org, today, today) == _live(world.org, today, today)


# --- organisations --------------------------------------------------------------------------

def test_organisations_have_their_own_stored_months(app, db, world):
    today = local_today()
    month = add_months(fig.month_start(today), -2)
    other = make_org("Annanstad")  # the same rule as world's: the same rule key
    team = make_team(other, "Team Ö")
    staff = make_user(other, "staff", "annan-staff", teams=[team])
    people = [make_participant(other, team, f"Ö{n}", "Person",
                               move_in=today - timedelta(days=500)) for n in range(3)]
    for person in people[:2]:
        make_outcome(make_appointment(person, staff, _at(month + timedelta(days=8))), staff)
    db.session.commit()
    ours, theirs = (figure_months(org, today, today) for org in (world.org, other))
    assert ours != theirs
    assert ours == _live(world.org, today, today) and theirs == _live(other, today, today)
    kept = _rows(world.org)
    make_outcome(make_appointment(people[2], staff, _at(month + timedelta(days=9))), staff)
    db.session.commit()
    assert _rows(world.org) == kept  # the other organisation's entry deletes only its rows
    assert month not in _rows(other)
    assert figure_months(world.org, today, today) == ours
    assert figure_months(other, today, today) == _live(other, today, today) != theirs


# --- concurrency ----------------------------------------------------------------------------

def test_a_fill_waits_for_an_entry_being_committed(app, db, world):
    """A view fills a month while a past-dated visit in it is being committed: the fill waits
    for the organisation's lock the entry holds, then reads the visit (PostgreSQL reads the
    committed data of other transactions; without the lock the fill would store the month
    without the visit after the entry had deleted the month's row)."""
    today = local_today()
    month = add_months(fig.month_start(today), -2)
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    db.session.commit()
    rule = rule_of(world.org)
    staff = world.users["staff"]
    make_outcome(make_appointment(person, staff, _at(month + timedelta(days=9))), staff)
    result = {}

    def view():
        with app.app_context():
            result.update(fill(world.org.id, rule, [month], today))

    other = threading.Thread(target=view)

    def hold(_session):  # runs after the stored-figures hook took the lock
        other.start()
        time.sleep(0.5)

    sa_event.listen(db.session, "before_commit", hold)
    try:
        db.session.commit()
    finally:
        sa_event.remove(db.session, "before_commit", hold)
    other.join()
    live = {m: (values, ends) for m, values, ends in _live(world.org, today, today)}
    assert result[month] == live[month]
    assert live[month][0]["visits"].numerator >= 1
    assert figure_months(world.org, today, today) == _live(world.org, today, today)
