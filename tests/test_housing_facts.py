"""Housing's stored facts (issue 17, webapp/housing/facts_store.py): they equal the facts worked
out live, every kind of write they depend on changes them on the next view, a valid row is
read without working anything out, and the pages built on them show the same rows in the same
order at a constant number of statements."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, insert, select, update

from tests import writes
from tests.factories import local_at, make_appointment, make_checklist, make_outcome
from tests.test_housing_home_counts import housed
from webapp.access import display_name, visible_participants
from webapp.extensions import db
from webapp.housing import facts_store
from webapp.models import (
    Absence,
    Contract,
    HousingFacts,
    HousingSummary,
    Organisation,
    Participant,
    WorklistEntry,
)
from webapp.queries import tenancy_for
from webapp.timeutil import local_today


def stored(world) -> dict:
    """The facts as a housing view reads them: stored where valid, worked out (and stored)
    where not."""
    day = local_today()
    rows = db.session.execute(facts_store.with_facts(select(Participant.id), day)).all()
    return facts_store.complete(rows, world.org, day)


def live(world) -> dict:
    """The facts worked out now from the data, nothing stored."""
    ids = sorted(db.session.scalars(select(Participant.id)))
    return facts_store.compute(ids, db.session.get(Organisation, world.org.id), local_today())


def _this_week_visit(world):
    # The start of today's visit period (a week in Göteborg), so it is in this period.
    start = facts_store.visit_periods(world.org, local_today())[0]
    return make_appointment(writes.person(world), world.users["staff"], local_at(start, 0, 30),
                            kind="home_visit")


# --- every kind of write changes the facts on the next view ----------------------------------

def _checklist_corrected_for_another_apartment(world):
    submission = make_checklist(writes.person(world), world.users["staff"], local_today())
    yield
    db.session.get(type(submission), submission.id).apartment_id = None


def _visit_outcome(world):
    visit = _this_week_visit(world)
    yield
    make_outcome(visit, world.users["staff"])


def _visit_moved_out_of_the_period(world):
    visit = _this_week_visit(world)
    make_outcome(visit, world.users["staff"])
    yield
    visit.starts_at = visit.starts_at - timedelta(days=60)


def _absence_bulk_insert(world):
    today = local_today()
    yield
    # A multi-row INSERT, no ORM objects (no flush events).
    db.session.execute(insert(Absence), [dict(
        participant_id=world.participant.id, start_date=today - timedelta(days=30),
        end_date=today - timedelta(days=20), reason="")])


def _move_in(world):
    yield
    writes.contract(world).move_in_date = local_today() - timedelta(days=100)


def _first_hand(world):
    yield
    writes.contract(world).kind = "first_hand"


def _transfer_months(world):
    yield
    world.org.transfer_months = world.org.transfer_months + 6


def _visit_rule(world):
    make_outcome(_this_week_visit(world), world.users["staff"])
    yield
    world.org.min_visits = 2


def _visit_rule_bulk_update(world):
    make_outcome(_this_week_visit(world), world.users["staff"])
    yield
    db.session.execute(update(Organisation).where(Organisation.id == world.org.id)
                       .values(min_visits=2).execution_options(synchronize_session=False))


WRITES = [writes.checklist, _checklist_corrected_for_another_apartment, _visit_outcome,
          _visit_moved_out_of_the_period, writes.phase_change, writes.absence,
          _absence_bulk_insert, _move_in, _first_hand, writes.contract_ended, _transfer_months,
          _visit_rule, _visit_rule_bulk_update]


@pytest.mark.parametrize("write", WRITES, ids=writes.ids(WRITES))
def test_each_kind_of_write_changes_the_facts_on_the_next_view(app, world, write):
    steps = writes.before_write(write, world)
    before = stored(world)
    assert before == live(world)
    assert stored(world) == before  # read back as stored
    writes.make_write(steps)
    after = live(world)
    pid = world.participant.id
    assert after[pid] != before[pid], "the write must change a fact (else it proves nothing)"
    assert stored(world) == after


def test_valid_rows_are_read_without_working_anything_out(app, world, monkeypatch):
    stored(world)

    def fail(*_args, **_kw):
        raise AssertionError("worked out again")

    monkeypatch.setattr(facts_store, "compute", fail)
    assert stored(world)[world.participant.id] is not None


def test_only_the_written_participant_is_worked_out_again(app, world, monkeypatch):
    stored(world)
    db.session.add(Absence(participant_id=world.participant.id, start_date=local_today(),
                           reason=""))
    db.session.commit()
    asked = []
    compute = facts_store.compute
    monkeypatch.setattr(facts_store, "compute",
                        lambda ids, *args: asked.append(ids) or compute(ids, *args))
    stored(world)
    assert asked == [[world.participant.id]]


def test_yesterdays_rows_are_worked_out_again(app, world):
    stored(world)
    db.session.execute(update(HousingFacts).values(day=local_today() - timedelta(days=1)))
    db.session.commit()
    assert stored(world) == live(world)
    db.session.expire_all()
    assert {row.day for row in db.session.scalars(select(HousingFacts))} == {local_today()}


def test_a_write_during_a_computation_leaves_the_row_stale(app, world):
    """The basis is read before the facts: a write after it is never hidden."""
    day = local_today()
    rows = db.session.execute(facts_store.with_facts(select(Participant.id), day)).all()
    db.session.add(Absence(participant_id=world.participant.id, start_date=day, reason=""))
    db.session.commit()  # the write lands while the view works the facts out
    facts_store.complete(rows, world.org, day)
    db.session.expire_all()
    version = db.session.get(WorklistEntry, world.participant.id).version
    assert db.session.get(HousingFacts, world.participant.id).basis != version
    assert stored(world) == live(world)


# --- the pages: same rows, same order, constant statements ------------------------------------

def _tenancy_order_live(user, org) -> list[int]:
    """The order /housing/tenancies had before the facts were stored: every tenant's counter
    worked out per view."""
    people = list(db.session.scalars(visible_participants(user).order_by(
        Participant.last_name, Participant.first_name)))
    ids = [p.id for p in people]
    kinds = facts_store.contract_kinds(ids)
    counters = tenancy_for(ids, org, local_today())

    def closeness(person):
        kind, tenancy = kinds.get(person.id), counters.get(person.id)
        if kind is None or kind == "first_hand" or tenancy is None:
            return (1, display_name(person, user))
        return (0, tenancy.expected_transfer.isoformat())

    return [p.id for p in sorted(people, key=closeness)]


def _tenancy_order_shown(client) -> list[int]:
    html = client.get("/housing/tenancies").get_data(as_text=True)
    return [int(pid) for pid in re.findall(r'href="/housing/tenancies/(\d+)"', html)]


def _mixed_tenants(world):
    today = local_today()
    for index, (first, last) in enumerate([("Ada", "Berg"), ("Bo", "Ek"), ("Cia", "Berg"),
                                           ("Dan", "Al"), ("Eva", "Ek")]):
        housed(world, first, last, move_in=today - timedelta(days=30 * (index + 1)))
    housed(world, "Fia", "Ny", move_in=today + timedelta(days=10))  # not moved in yet
    first_hand = housed(world, "Gun", "Först")
    db.session.scalar(select(Contract).where(
        Contract.participant_id == first_hand.id)).kind = "first_hand"
    housed(world, "Hemlig", "Person", protected=True)
    away = housed(world, "Ivar", "Borta", move_in=today - timedelta(days=90))
    db.session.add(Absence(participant_id=away.id, start_date=today - timedelta(days=80),
                           end_date=None, reason="Sjukhus"))
    db.session.commit()
    return away


def test_tenancies_keep_the_live_order_before_and_after_writes(client, world, login_as):
    away = _mixed_tenants(world)
    user = login_as("housing")
    assert _tenancy_order_shown(client) == _tenancy_order_live(user, world.org)
    # The absence ends and the counter moves: the stored order follows.
    db.session.get(Absence, db.session.scalar(select(Absence.id).where(
        Absence.participant_id == away.id))).end_date = local_today() - timedelta(days=70)
    db.session.get(Participant, world.participant.id).phase = 3
    writes.contract(world).kind = "first_hand"
    db.session.commit()
    order = _tenancy_order_shown(client)
    assert order == _tenancy_order_live(user, world.org)
    assert order.index(world.participant.id) > order.index(away.id)


def test_tenancies_ordered_by_the_database_keep_the_live_order(client, world, login_as):
    """With every fact stored, the database orders and pages the list: the same order as
    worked out here, names compared by code point as Python does (Å after Ä, lower case
    after upper), masked names of protected identities (a pseudonym or "Skyddad #id"), ties
    by last and first name."""
    _mixed_tenants(world)
    first_hand = []
    for first, last, kw in [("Åsa", "Öberg", {}), ("Ärla", "Öberg", {}), ("ada", "Berg", {}),
                            ("Ada", "Berg", {}), ("Zorro", "Dold", {"protected": True}),
                            ("Ada Berg", "", {})]:
        first_hand.append(housed(world, first, last, **kw))
    nameless = housed(world, "Utan", "Alias", protected=True)
    nameless.pseudonym = ""
    for person in first_hand:
        db.session.scalar(select(Contract).where(
            Contract.participant_id == person.id)).kind = "first_hand"
    db.session.commit()
    user = login_as("housing")
    live = _tenancy_order_live(user, world.org)
    assert _tenancy_order_shown(client) == live  # worked out and stored on this view
    db.session.execute(delete(HousingSummary))  # the order stored from the rows: forgotten
    db.session.commit()
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert _tenancy_order_shown(client) == live  # read in the database's order
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert any("shown_name" in text and "ORDER BY" in text for text in statements)
    assert _tenancy_order_shown(client) == live  # the database's order, as stored
    html = client.get("/housing/tenancies").get_data(as_text=True)
    assert f"Skyddad #{nameless.id}" in html and "Zorro" not in html and "Utan" not in html


def test_home_counts_follow_a_checklist_and_a_visit(client, world, login_as):
    login_as("housing")

    def counts():
        text = re.sub(r"<[^>]+>", "", client.get("/housing").get_data(as_text=True))
        sent = re.search(r"Inskickade: (\d+) av (\d+)\.", text).groups()
        visits = re.search(r"Den här perioden.*?(\d+) gjorda", text, re.S).group(1)
        return tuple(map(int, sent)), int(visits)

    assert counts() == ((0, 1), 0)
    make_checklist(writes.person(world), world.users["staff"], local_today())
    make_outcome(_this_week_visit(world), world.users["staff"])
    db.session.commit()
    assert counts() == ((1, 1), 1)


def _statements(client, url: str) -> int:
    count = [0]

    def counter(*_args, **_kw):
        count[0] += 1

    client.get(url)  # facts worked out and stored on the first view
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count[0]


PAGES = ["/housing", "/housing/tenancies", "/housing/checklists",
         "/housing/checklists?month=2026-01", "/housing/disturbances/new"]


def test_statements_per_page_do_not_grow_with_the_tenants(client, world, login_as):
    login_as("housing")
    _mixed_tenants(world)
    make_checklist(writes.person(world), world.users["staff"], local_today())
    db.session.commit()
    few = {url: _statements(client, url) for url in PAGES}
    for index in range(25):
        person = housed(world, f"Extra{index}", f"Hyresgäst{index}",
                        move_in=local_today() - timedelta(days=40 + index))
        make_checklist(person, world.users["staff"], local_today())
        db.session.add(Absence(participant_id=person.id, start_date=local_today(), reason=""))
    db.session.commit()
    assert {url: _statements(client, url) for url in PAGES} == few


def test_rows_of_participants_out_of_scope_never_reach_housings_pages(client, world, login_as):
    stored(world)  # the other team's participant has a row too
    login_as("housing")
    html = client.get("/housing/tenancies").get_data(as_text=True)
    assert "Annan" not in html and "Svensson" in html


def _inbox_live(user, month: str) -> list[tuple]:
    """The inbox rows as /housing/checklists listed them before the facts were stored: whole
    rows, the owed rule over every tenancy (the reference)."""
    from webapp.checklists.submissions import owed_checklist_ids
    from webapp.domain.checklists import counting_submissions
    from webapp.models import Apartment, ChecklistSubmission, TeamMembership

    teams = select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)
    triples = db.session.execute(
        select(Participant.id, Apartment.id, Contract.move_in_date)
        .join(Contract, Contract.participant_id == Participant.id)
        .join(Apartment, Apartment.id == Contract.apartment_id)
        .where(Participant.id.in_(visible_participants(user).with_only_columns(Participant.id)),
               Contract.ended_on.is_(None), Apartment.housing_team_id.in_(teams))
        .order_by(Apartment.address, Apartment.apartment_number, Participant.id)).all()
    owing = owed_checklist_ids([(pid, move_in) for pid, _a, move_in in triples], month)
    counting = counting_submissions(db.session.scalars(select(ChecklistSubmission)))
    rows = []
    for pid, apartment_id, _move_in in triples:
        submission = counting.get((pid, month))
        if submission is not None and submission.apartment_id != apartment_id:
            submission = None
        if submission is None and pid not in owing:
            continue
        rows.append((pid, apartment_id, submission.id if submission else None))
    return rows


def _inbox_shown(client, month: str) -> list[tuple]:
    html = client.get(f"/housing/checklists?month={month}").get_data(as_text=True)
    return re.findall(r'<li class="inbox-(\w+)', html)


def test_the_inbox_lists_the_same_rows_as_before(client, world, login_as):
    from webapp.domain.checklists import month_of, shift_month
    from webapp.housing.checklist_routes import _inbox
    from webapp.models import Apartment

    _mixed_tenants(world)
    today = local_today()
    first = today.replace(day=1)
    # Two open contracts: the old one terminated (keys not back), the new one this month.
    two = housed(world, "Tvåa", "Kontrakt", move_in=first - timedelta(days=200))
    flat = Apartment(organisation_id=world.org.id, address="Andra 2", city="Göteborg",
                     housing_team_id=world.housing_team.id)
    db.session.add(flat)
    db.session.flush()
    db.session.add(Contract(participant_id=two.id, apartment_id=flat.id, kind="second_hand",
                            move_in_date=first + timedelta(days=1)))
    make_checklist(writes.person(world), world.users["staff"], today)
    db.session.commit()
    user = login_as("housing")
    for month in (month_of(today), shift_month(month_of(today), -1)):
        expected = _inbox_live(user, month)
        assert len(expected) >= 5
        with client.application.test_request_context():
            from flask_login import login_user

            login_user(user)
            assert [(pid, apartment, sid) for pid, apartment, _s, sid in _inbox(month)] == \
                expected
        assert len(_inbox_shown(client, month)) == len(expected)


def test_the_scheduler_pass_works_out_the_days_facts_before_the_first_view(app, world,
                                                                           monkeypatch):
    """After the pass, housing's first view of the day works nothing out; the next pass works
    out only what a write made stale."""
    from webapp.push.cli import run_pass

    run_pass()
    db.session.expire_all()
    rows = {row.participant_id: row for row in db.session.scalars(select(HousingFacts))}
    assert set(rows) == set(db.session.scalars(select(Participant.id)))
    assert all(row.day == local_today() for row in rows.values())
    assert stored(world) == live(world)
    assert facts_store.refresh(local_today()) == 0
    db.session.add(Absence(participant_id=world.participant.id, start_date=local_today(),
                           reason=""))
    db.session.commit()
    assert facts_store.refresh(local_today()) == 1

    def fail(*_args, **_kw):
        raise AssertionError("worked out again")

    facts_store.refresh(local_today())
    monkeypatch.setattr(facts_store, "compute", fail)
    from_store = stored(world)
    monkeypatch.undo()
    assert from_store == live(world)
