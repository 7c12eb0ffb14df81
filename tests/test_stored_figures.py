"""Stored figures (issue 17): what the figures page shows from the table is what the live
computation gives, before and after entries dated back in a closed month or in the open month,
after the day rolls over, under every visit rule; the scheduler stores missing months;
organisations never mix; a fill never stores figures an entry made stale meanwhile."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from tests.conftest import sent_statements
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
    fill_open,
    fill_open_months,
    is_closed,
    is_final,
    open_months,
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


def _live_by_month(org, today: date) -> dict:
    """`_live` as of today by month: (values, ends), as a fill returns them."""
    return {month: (values, ends) for month, values, ends in _live(org, today, today)}


def _rows(org) -> dict[date, int]:
    """Stored months of the organisation -> row id (a recomputed month gets a new row)."""
    _db.session.commit()
    return dict(_db.session.execute(select(StoredFigures.month, StoredFigures.id)
                                    .where(StoredFigures.organisation_id == org.id)).all())


def _closed_rows(org) -> dict[date, int]:
    """Stored closed months (final rows, not "as of" a day) -> row id."""
    _db.session.commit()
    return dict(_db.session.execute(
        select(StoredFigures.month, StoredFigures.id)
        .where(StoredFigures.organisation_id == org.id, StoredFigures.as_of.is_(None))).all())


def _open_row(org, month: date) -> StoredFigures | None:
    _db.session.commit()
    return _db.session.scalar(select(StoredFigures).where(
        StoredFigures.organisation_id == org.id, StoredFigures.month == month))


def _closed(org, last: date, today: date) -> list[date]:
    return [m for m in fig.last_months(last) if is_final(m, org.visit_period, today)]


def test_a_month_closes_when_its_last_visit_period_is_over():
    # November 2026 ends on a Monday; its last week starts on the 30th and ends 6 December.
    november = date(2026, 11, 1)
    assert settled_on(november, "week") == date(2026, 12, 7)
    assert not is_closed(november, "week", date(2026, 12, 6))
    assert is_closed(november, "week", date(2026, 12, 7))
    assert settled_on(november, "month") == date(2026, 12, 1)
    # February 2026 ends on a Saturday: its last week (from the 23rd) ends on 2 March.
    assert settled_on(date(2026, 2, 1), "week") == date(2026, 3, 2)


def test_a_closed_month_is_stored_for_good_from_the_next_day():
    """On the day it closes a month is still stored as of the day: a commit that read the clock
    the evening before still treats it as open, and the open month's locks order the two."""
    november = date(2026, 11, 1)
    assert not is_final(november, "week", date(2026, 12, 7))
    assert open_months("week", date(2026, 12, 7)) == [november, date(2026, 12, 1)]
    assert is_final(november, "week", date(2026, 12, 8))
    assert open_months("week", date(2026, 12, 8)) == [date(2026, 12, 1)]
    assert open_months("month", date(2026, 12, 1)) == [november, date(2026, 12, 1)]
    assert open_months("month", date(2026, 12, 2)) == [date(2026, 12, 1)]


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
        assert set(_closed_rows(org)) >= set(_closed(org, last, today))
        assert figure_months(org, last, today) == live  # read back
    # Closed months are stored for good, the open ones as of today.
    rows = db.session.execute(select(StoredFigures.month, StoredFigures.as_of).where(
        StoredFigures.organisation_id == org.id)).all()
    assert {month for month, as_of in rows if as_of is not None} == set(
        open_months(org.visit_period, today))
    assert all(is_final(month, org.visit_period, today) if as_of is None else as_of == today
               for month, as_of in rows)


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


def _entry_ctx(world, today: date, month: date, **more) -> dict:
    """What the kinds of entry (CHANGES, OPEN_CHANGES) read: a tenant who moved in long before
    the window, with their contract, world's staff, and the month the entry is dated in."""
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    return {"org": world.org, "team": world.team, "person": person,
            "staff": world.users["staff"], "month": month,
            "contract": _db.session.scalar(select(Contract).where(
                Contract.participant_id == person.id)), **more}


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
    ctx = _entry_ctx(world, today, add_months(fig.month_start(today), -2))
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


def _statements(db):
    with sent_statements() as seen:
        db.session.commit()
    return seen


def test_an_entry_in_the_open_month_leaves_the_closed_months_alone(app, db, world):
    today = local_today()
    figure_months(world.org, today, today)
    closed = _closed_rows(world.org)
    appointment = make_appointment(world.participant, world.users["staff"],
                                   _at(today, 0) + timedelta(minutes=1))
    make_outcome(appointment, world.users["staff"])
    make_disturbance(world.participant)
    seen = _statements(db)
    # Neither the organisation's row lock nor a delete: ordinary writes are not serialised.
    assert not [s for s in seen if "FOR NO KEY UPDATE" in s or "DELETE FROM stored_figures" in s]
    # One statement marks the open month (after the organisation's lookup with its shared lock).
    assert len([s for s in seen if "stored_figures" in s]) == 1
    assert _closed_rows(world.org) == closed
    # The open month's row is marked stale instead (the disturbance is today).
    assert _open_row(world.org, fig.month_start(today)).stale
    assert figure_months(world.org, today, today) == _live(world.org, today, today)
    assert not _open_row(world.org, fig.month_start(today)).stale  # stored again


def test_a_visit_whose_period_is_not_over_marks_nothing(app, db, world):
    """Most writes are visits booked or recorded in a visit period still running: the figures
    as of today do not count that period, so the stored open month stays valid, without a
    single statement on its behalf."""
    today = local_today()
    figure_months(world.org, today, today)
    row = _open_row(world.org, fig.month_start(today))
    version = row.version
    appointment = make_appointment(world.participant, world.users["staff"],
                                   _at(today + timedelta(days=8)))
    make_outcome(appointment, world.users["staff"])
    seen = _statements(db)
    assert not [s for s in seen if "stored_figures" in s or "advisory" in s]
    row = _open_row(world.org, fig.month_start(today))
    assert not row.stale and row.version == version and row.figures is not None
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
        assert set(_closed_rows(org)) == set(_closed(org, today, today))
        for month in open_months(org.visit_period, today):  # the open months as of today
            row = _open_row(org, month)
            assert row.as_of == today and not row.stale and row.figures is not None
    db.session.execute(StoredFigures.__table__.delete().where(
        StoredFigures.organisation_id == world.org.id,
        StoredFigures.month == fig.last_months(today)[0]))
    db.session.commit()
    assert fill_closed_months() == 1
    assert fill_closed_months() == 0
    assert fill_open_months() == 0
    assert set(_closed_rows(world.org)) == set(_closed(world.org, today, today))
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

def _filled_while_committing(app, db, fill_months) -> dict:
    """Commit the session's pending entry while a view runs `fill_months` in another thread:
    the view starts once the stored-figures hook took its locks (in the entry's before_commit)
    and the commit waits half a second for it. Returns what the view's fill gave."""
    result = {}

    def view():
        with app.app_context():
            result.update(fill_months())

    other = threading.Thread(target=view)

    def hold(_session):  # runs after the stored-figures hook took its locks
        other.start()
        time.sleep(0.5)

    sa_event.listen(db.session, "before_commit", hold)
    try:
        db.session.commit()
    finally:
        sa_event.remove(db.session, "before_commit", hold)
    other.join()
    return result


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
    result = _filled_while_committing(app, db, lambda: fill(world.org.id, rule, [month], today))
    live = _live_by_month(world.org, today)
    assert result[month] == live[month]
    assert live[month][0]["visits"].numerator >= 1
    assert figure_months(world.org, today, today) == _live(world.org, today, today)


# --- the open month, stored as of today ------------------------------------------------------

def _over_visit_day(period: str, today: date) -> date | None:
    """A Monday whose week is over by today and starts in a month still open: a done visit
    that day is in the figures as of today."""
    day = today - timedelta(days=today.weekday() + 7)
    for _ in range(6):
        if fig.month_start(day) in open_months(period, today):
            return day
        day -= timedelta(days=7)
    return None


def _open_visit(ctx):
    if ctx["visit_day"] is None:
        pytest.skip("no visit period of an open month is over yet today")
    _done_visit(ctx, ctx["visit_day"])


def _open_checklist(ctx):
    make_checklist_submission(ctx["person"], ctx["staff"], f"{ctx['month']:%Y-%m}")


def _open_disturbance(ctx):
    make_disturbance(ctx["person"]).occurred_on = ctx["month"]


def _open_phase_change(ctx):
    _db.session.add(PhaseChange(participant_id=ctx["person"].id, phase=3,
                               started_on=ctx["month"]))


def _open_contract_ended(ctx):
    ctx["contract"].ended_on = ctx["month"]
    ctx["contract"].end_reason = "other_housing"


def _open_offer(ctx):
    _db.session.add(Offer(participant_id=ctx["person"].id, offered_on=ctx["month"],
                         first_apartment_id=ctx["contract"].apartment_id,
                         second_apartment_id=_apartment(ctx["org"]).id))


def _open_newcomer(ctx):
    ctx["newcomer"] = make_participant(ctx["org"], ctx["team"], "Ny", "Inflyttad",
                                       move_in=ctx["month"],
                                       decision_date=ctx["month"] - timedelta(days=40))


OPEN_CHANGES = {
    "done visit": (_setup_nothing, _open_visit),
    "outcome no longer done": (_open_visit, _outcome_not_done),
    "outcome deleted": (_open_visit, _outcome_deleted),
    "checklist": (_setup_nothing, _open_checklist),
    "disturbance": (_setup_nothing, _open_disturbance),
    "phase change": (_setup_nothing, _open_phase_change),
    "contract ended": (_setup_nothing, _open_contract_ended),
    "offer of two": (_setup_nothing, _open_offer),
    "decision date": (_open_newcomer, _decision_date),
}


@pytest.mark.parametrize("name", list(OPEN_CHANGES))
def test_an_entry_in_the_open_month_changes_its_stored_figures(app, db, world, name):
    setup, change = OPEN_CHANGES[name]
    today = local_today()
    ctx = _entry_ctx(world, today, fig.month_start(today),
                     visit_day=_over_visit_day(world.org.visit_period, today))
    setup(ctx)
    db.session.commit()
    before = figure_months(world.org, today, today)
    assert before == _live(world.org, today, today)
    for month in open_months(world.org.visit_period, today):
        row = _open_row(world.org, month)
        assert row.as_of == today and not row.stale and row.figures is not None

    change(ctx)
    db.session.commit()
    after = _live(world.org, today, today)
    assert after != before  # the change moves a figure of an open month as of today
    assert figure_months(world.org, today, today) == after


def test_the_open_month_is_computed_anew_when_the_day_rolls_over(app, db, world):
    today = local_today()
    day = date(today.year, today.month, 14)
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    make_disturbance(person).occurred_on = fig.month_start(today) + timedelta(days=1)
    db.session.commit()
    first = figure_months(world.org, day, day)
    assert first == _live(world.org, day, day)
    assert _open_row(world.org, fig.month_start(day)).as_of == day
    # The next day: no write in between, and yet the apartment-days (and more) grew.
    then = day + timedelta(days=1)
    second = figure_months(world.org, then, then)
    assert second == _live(world.org, then, then) != first
    assert _open_row(world.org, fig.month_start(day)).as_of == then
    assert figure_months(world.org, then, then) == second  # read back


def test_the_page_shows_the_stored_open_month(client, login_as, db, world):
    login_as("admin")
    today = local_today()
    month = fig.month_start(today)
    assert client.get(f"/admin/figures.csv?month={month:%Y-%m}").status_code == 200
    row = _open_row(world.org, month)
    assert row.as_of == today
    values, ends = figure_months(world.org, month, today)[-1][1:]
    values["checklists"] = fig.FigureValue(0.25, 1, 4)
    row.figures = encode((values, ends))
    db.session.commit()
    csv = client.get(f"/admin/figures.csv?month={month:%Y-%m}").get_data(as_text=True)
    assert f"{month:%Y-%m};Genomgångar i tid;25,0;1;4" in csv
    assert "Genomgångar i tid" in client.get("/admin/figures").get_data(as_text=True)


def test_a_fill_overtaken_by_an_entry_is_shown_but_not_stored(app, db, world, monkeypatch):
    """An entry committed after a fill read its facts marks the row the fill claimed stale:
    the fill's figures are shown once but never stored."""
    from webapp.admin import stored_figures

    today = local_today()
    month = fig.month_start(today)
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    db.session.commit()
    computing = stored_figures.compute

    def compute_then_enter(*args):
        result = computing(*args)
        make_checklist_submission(person, world.users["staff"], f"{month:%Y-%m}")
        db.session.commit()
        return result

    monkeypatch.setattr(stored_figures, "compute", compute_then_enter)
    shown = fill_open(world.org.id, rule_of(world.org), [month], today)
    monkeypatch.undo()
    row = _open_row(world.org, month)
    assert row.stale and row.figures is None
    assert shown[month] != _live_by_month(world.org, today)[month]
    assert figure_months(world.org, today, today) == _live(world.org, today, today)
    assert not _open_row(world.org, month).stale


@pytest.mark.parametrize("stored", ["no row", "stored row"])
def test_an_open_fill_waits_for_an_entry_being_committed(app, db, world, stored):
    """A view fills the open month while a checklist of it is being committed: the fill's
    claim waits for the entry's shared advisory lock (PostgreSQL; SQLite's write lock), then
    reads the checklist. With no row to mark only the lock orders them."""
    today = local_today()
    month = fig.month_start(today)
    person = make_participant(world.org, world.team, "Gammal", "Hyresgäst",
                              move_in=today - timedelta(days=500))
    db.session.commit()
    if stored == "stored row":
        figure_months(world.org, today, today)
    rule = rule_of(world.org)
    make_checklist_submission(person, world.users["staff"], f"{month:%Y-%m}")
    result = _filled_while_committing(
        app, db, lambda: fill_open(world.org.id, rule, [month], today))
    live = _live_by_month(world.org, today)
    assert result[month] == live[month]
    assert live[month][0]["checklists"].numerator >= 1
    assert figure_months(world.org, today, today) == _live(world.org, today, today)


def test_visits_dated_at_the_ends_of_the_calendar_reach_no_stored_month():
    """A year typed wrong does not make the commit's hook fail while it works out which months
    a visit reaches (no local time or week is computed past the calendar's ends)."""
    from webapp.admin.stored_figures import _only_the_open_month, _open_reach

    today = date(2026, 11, 30)
    candidates = (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1))
    late, early = ("visit", 1, datetime(9999, 12, 31, 23, 30)), ("visit", 1, datetime(1, 1, 1))
    assert _open_reach(late, today, candidates) == set()
    assert _open_reach(early, today, candidates) == set()
    assert _only_the_open_month(late, date(2026, 11, 1))
    assert not _only_the_open_month(early, date(2026, 11, 1))
    # And near today they still reach the month their (finished) week starts in.
    assert _open_reach(("visit", 1, datetime(2026, 11, 23, 9)), today, candidates) == {
        date(2026, 11, 1)}
    assert _open_reach(("visit", 1, datetime(2026, 12, 3, 9)), today, candidates) == set()
