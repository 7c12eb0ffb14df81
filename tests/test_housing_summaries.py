"""Housing's stored summaries (issue 17, webapp/housing/summaries.py): /housing shows from the
stored summary exactly what it shows worked out anew, after every kind of write that changes
what it shows (the facts' writes, and the scope's: participants, apartments, offers), on a new
day, and the stored summary is what a view reads while it is valid."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from tests import writes
from tests.conftest import sent_statements
from tests.factories import local_at, make_appointment, make_outcome, make_participant
from tests.test_housing_home_counts import housed
from webapp.extensions import db
from webapp.housing import facts_store, summaries
from webapp.models import (
    Absence,
    Apartment,
    Contract,
    HousingGeneration,
    HousingSummary,
    Offer,
    Participant,
    PhaseChange,
    Plan,
    StaffAssignment,
)
from webapp.models import (
    HousingFacts as HousingFactsRow,
)
from webapp.timeutil import local_today


def _shown(client) -> str:
    """What /housing shows: its main content, without the forms' one-time tokens."""
    page = client.get("/housing").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf_token"[^>]*', "", main)


def _worked_out_anew(client) -> str:
    """/housing with no stored summary: counted over the facts again."""
    db.session.execute(delete(HousingSummary))
    db.session.commit()
    return _shown(client)


HOME = HousingSummary.key.like("home:%")  # the overview's (the lists' have their own)


def _generation(world) -> int:
    return db.session.scalar(select(HousingGeneration.generation).where(
        HousingGeneration.organisation_id == world.org.id)) or 0


# --- every kind of write that changes the overview ---------------------------------------------

def _visit_outcome(world):
    start = facts_store.visit_periods(world.org, local_today())[0]
    visit = make_appointment(writes.person(world), world.users["staff"],
                             local_at(start, 0, 30), kind="home_visit")
    yield
    make_outcome(visit, world.users["staff"])


def _new_tenant(world):
    yield
    housed(world, "Nora", "Ny", move_in=local_today() - timedelta(days=60))


def _apartment_to_my_team(world):
    """The other team's tenant's apartment handed to my housing team: no fact of theirs
    changes, only the scope."""
    yield
    contract = db.session.scalar(select(Contract).where(
        Contract.participant_id == world.other.id))
    db.session.get(Apartment, contract.apartment_id).housing_team_id = world.housing_team.id


def _offer_of_my_apartment(world):
    flat = Apartment(organisation_id=world.org.id, address="Erbjudandegatan 3",
                     city="Göteborg", housing_team_id=world.housing_team.id)
    db.session.add(flat)
    db.session.flush()
    yield
    db.session.add(Offer(participant_id=world.other.id, offered_on=local_today(),
                         first_apartment_id=flat.id))


def _waiting_participant(world):
    """A new fas 1 participant without an apartment: in the scope (housing makes the offer);
    shown by their absence."""
    yield
    person = make_participant(world.org, world.team, "Wilma", "Väntar", phase=1)
    db.session.execute(delete(Contract).where(Contract.participant_id == person.id))
    db.session.add(Absence(participant_id=person.id, start_date=local_today(), reason=""))


WRITES = [writes.checklist, _visit_outcome, writes.phase_change, writes.contract_ended,
          _new_tenant, _apartment_to_my_team, _offer_of_my_apartment, _waiting_participant]


@pytest.mark.parametrize("write", WRITES, ids=writes.ids(WRITES))
def test_each_kind_of_write_shows_on_the_next_view(client, world, login_as, write):
    login_as("housing")
    shows_the_write(client, world, write, HOME)


def shows_the_write(client, world, write, key) -> None:
    """/housing before `write` from what it stored (under `key`, a condition on the key), and
    after it: the write counts the generation up and changes the page, the next view stores
    it again, and shows what is worked out anew."""
    steps = writes.before_write(write, world)
    _shown(client)  # facts worked out and stored
    before = _shown(client)  # counted over them, stored
    assert db.session.scalar(select(HousingSummary.key).where(key)) is not None
    assert _shown(client) == before  # read back from what is stored
    generation = _generation(world)
    writes.make_write(steps)
    assert _generation(world) > generation, "the write counts the generation up"
    after = _shown(client)
    assert after != before, "the write must change the page (else it proves nothing)"
    assert _shown(client) == after  # and stored again
    assert after == _worked_out_anew(client)


def test_the_stored_summary_is_what_a_view_reads_while_valid(client, world, login_as):
    login_as("housing")
    _shown(client)
    _shown(client)
    with sent_statements() as seen:
        _shown(client)
    assert not any("housing_facts" in statement for statement in seen), \
        "a valid summary: the facts are not counted again"
    counts = json.loads(db.session.scalar(select(HousingSummary.counts).where(HOME)))
    db.session.execute(update(HousingSummary).where(HOME).values(
        counts=json.dumps({**counts, "submitted": 97, "missing": 3})))
    db.session.commit()
    assert "Inskickade: 97 av 100." in re.sub(r"<[^>]+>", "", _shown(client))


def test_yesterdays_summary_is_not_read(client, world, login_as):
    login_as("housing")
    _shown(client)
    right = _shown(client)
    counts = json.loads(db.session.scalar(select(HousingSummary.counts).where(HOME)))
    db.session.execute(update(HousingSummary).where(HOME).values(
        day=local_today() - timedelta(days=1),
        counts=json.dumps({**counts, "submitted": 97, "missing": 3})))
    db.session.commit()
    assert _shown(client) == right
    assert db.session.scalar(select(HousingSummary.day).where(HOME)) == local_today()


def test_a_summary_of_an_older_generation_is_not_read(client, world, login_as):
    """Stored with the generation read before a write committed (a view counting while
    someone writes): stale, never shown."""
    login_as("housing")
    _shown(client)
    right = _shown(client)
    counts = json.loads(db.session.scalar(select(HousingSummary.counts).where(HOME)))
    db.session.execute(update(HousingSummary).where(HOME).values(
        generation=_generation(world) - 1,
        counts=json.dumps({**counts, "submitted": 97, "missing": 3})))
    db.session.commit()
    assert _shown(client) == right


def test_the_summary_is_per_scope(client, world, login_as):
    """Another housing team's user reads a summary of their own scope, not mine."""
    from tests.factories import make_team, make_user

    login_as("housing")
    _shown(client)
    mine = _shown(client)
    team = make_team(world.org, "Bostad väst", kind="housing")
    theirs = make_user(world.org, "housing", "housing2", teams=[team])
    db.session.commit()
    login_as(theirs)
    assert "Svensson" not in _shown(client) and _shown(client) != mine
    assert len(db.session.scalars(select(HousingSummary.key).where(HOME)).all()) == 2


def test_a_day_without_writes_keeps_the_generation(client, world, login_as):
    """Views alone (the facts worked out and stored, the summary stored) count nothing up:
    the next view reads the summary."""
    login_as("housing")
    _shown(client)
    _shown(client)
    generation = _generation(world)
    _shown(client)
    assert _generation(world) == generation


def test_a_new_participant_alone_counts_the_generation_up(app, world):
    """A participant's first row has no row of the worklist to count up: the scope's hook
    counts up their organisation's generation."""
    generation = _generation(world)
    db.session.add(Participant(organisation_id=world.org.id, team_id=world.team.id,
                               first_name="Ny", last_name="Deltagare", phase=1))
    db.session.commit()
    assert _generation(world) == generation + 1


def test_a_deleted_participant_counts_the_generation_up(app, world):
    person = make_participant(world.org, world.team, "Bo", "Bort", phase=1)
    db.session.execute(delete(Contract).where(Contract.participant_id == person.id))
    db.session.commit()
    generation = _generation(world)
    db.session.execute(delete(Plan).where(Plan.participant_id == person.id))
    db.session.execute(delete(PhaseChange).where(PhaseChange.participant_id == person.id))
    db.session.delete(db.session.get(Participant, person.id))
    db.session.commit()
    assert _generation(world) > generation


# --- the tenancy list: its size stored, its page read without counting the scope ------------

def _tenancies_shown(client, page: int = 1) -> str:
    html = client.get(f"/housing/tenancies?page={page}").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf_token"[^>]*', "", main)


def _tenancies_anew(client) -> str:
    db.session.execute(delete(HousingSummary))
    db.session.commit()
    return _tenancies_shown(client)


def _assigned_to_a_protected_tenant(world):
    """A first-hand tenant with a protected identity, sorted by the name the user sees: the
    masked one, then, once the user is directly assigned to them, their own."""
    person = housed(world, "Adam", "Hemlig", protected=True)
    for tenant in (person, housed(world, "Bo", "Öppen")):  # masked: after Bo; named: before
        db.session.scalar(select(Contract).where(
            Contract.participant_id == tenant.id)).kind = "first_hand"
    yield
    db.session.add(StaffAssignment(participant_id=person.id, user_id=world.users["housing"].id))


TENANCY_WRITES = [*WRITES, writes.absence, _assigned_to_a_protected_tenant]


@pytest.mark.parametrize("write", TENANCY_WRITES, ids=writes.ids(TENANCY_WRITES))
def test_the_tenancy_list_follows_each_kind_of_write(client, world, login_as, write):
    login_as("housing")
    for index in range(3):
        housed(world, f"Hyra{index}", f"Gäst{index}",
               move_in=local_today() - timedelta(days=100 + 30 * index))
    steps = writes.before_write(write, world)
    _tenancies_shown(client)  # facts worked out, the size stored
    before = _tenancies_shown(client)
    assert db.session.scalar(select(HousingSummary.key).where(
        HousingSummary.key.like("tenancies:%"))) is not None
    writes.make_write(steps)
    _tenancies_shown(client)
    after = _tenancies_shown(client)
    assert after == _tenancies_anew(client)
    if write not in (writes.checklist, _visit_outcome, writes.phase_change):  # not shown
        assert after != before, "the write must change the list (else it proves nothing)"


def test_the_tenancy_lists_stored_size_is_what_a_view_reads(client, world, login_as):
    login_as("housing")
    for index in range(3):
        housed(world, f"Hyra{index}", f"Gäst{index}")
    db.session.commit()
    _tenancies_shown(client)
    right = _tenancies_shown(client)
    with sent_statements() as seen:
        assert _tenancies_shown(client) == right
    assert not any("count(*) OVER" in statement for statement in seen), \
        "a valid summary: the scope is not counted again"
    tenancies = HousingSummary.key.like("tenancies:%")
    order = db.session.scalar(select(HousingSummary.ids).where(tenancies)).split(",")
    db.session.execute(update(HousingSummary).where(tenancies).values(
        counts=json.dumps({"total": 120}), ids=",".join((order * 120)[:120])))
    db.session.commit()
    assert "Sida 1 av 3 (120 hyresgäster)" in _tenancies_shown(client)  # pages of 50
    db.session.execute(update(HousingSummary).where(tenancies).values(
        counts=json.dumps({"total": len(order)}), ids=",".join(reversed(order))))
    db.session.commit()
    shown, names = _tenancies_shown(client), [f"Hyra{index} Gäst{index}" for index in range(3)]
    assert sorted(names, key=shown.index) == sorted(names, key=right.index)[::-1], \
        "the stored order is the order shown"


def test_facts_stored_by_an_older_computation_make_the_summaries_stale(client, world,
                                                                       login_as):
    """A view that worked facts out from older data and stores them last (no guard in
    facts_store.store): its store counts the generation up, so no summary counted over the
    newer facts is read over these."""
    login_as("housing")
    _shown(client)
    _shown(client)
    _tenancies_shown(client)
    generation = _generation(world)
    day = local_today()
    row = db.session.execute(select(HousingFactsRow).where(
        HousingFactsRow.participant_id == world.participant.id)).scalar_one()
    older = {name: getattr(row, name) for name in ("participant_id", "day", "basis",
                                                   *facts_store.FACT_COLUMNS)}
    generations: dict = {}
    assert facts_store.store([{**older, "day": day}], generations)
    assert generations == {world.org.id: generation + 1} == {world.org.id: _generation(world)}
    assert db.session.execute(summaries.stored(
        db.session.scalar(select(HousingSummary.key).where(
            HousingSummary.key.like("home:%"))), world.org.id, day)).first() is None


# --- this month's checklist inbox: its counts stored, its page read without counting ---------

def _inbox_shown(client, page: int = 1) -> str:
    html = client.get(f"/housing/checklists?page={page}").get_data(as_text=True)
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf_token"[^>]*', "", main)


INBOX_WRITES = [writes.checklist, writes.phase_change, writes.contract_ended, writes.absence,
                _new_tenant, _apartment_to_my_team]


@pytest.mark.parametrize("write", INBOX_WRITES, ids=writes.ids(INBOX_WRITES))
def test_the_inbox_follows_each_kind_of_write(client, world, login_as, write):
    login_as("housing")
    for index in range(3):
        housed(world, f"Hyra{index}", f"Gäst{index}")
    steps = writes.before_write(write, world)
    _inbox_shown(client)  # facts worked out, the counts stored
    before = _inbox_shown(client)
    assert db.session.scalar(select(HousingSummary.key).where(
        HousingSummary.key.like("inbox:%"))) is not None
    writes.make_write(steps)
    _inbox_shown(client)
    after = _inbox_shown(client)
    assert after != before, "the write must change the inbox (else it proves nothing)"
    db.session.execute(delete(HousingSummary))
    db.session.commit()
    assert _inbox_shown(client) == after


def test_the_inboxs_stored_counts_are_what_a_view_reads(client, world, login_as):
    login_as("housing")
    for index in range(3):
        housed(world, f"Hyra{index}", f"Gäst{index}")
    db.session.commit()
    _inbox_shown(client)
    right = _inbox_shown(client)
    with sent_statements() as seen:
        assert _inbox_shown(client) == right
    assert not any("count(*) OVER" in statement for statement in seen), \
        "valid counts: the inbox is not counted again"
    inbox = HousingSummary.key.like("inbox:%")
    order = db.session.scalar(select(HousingSummary.ids).where(inbox)).split(",")
    assert len(order) > 1
    db.session.execute(update(HousingSummary).where(inbox).values(
        counts=json.dumps({"total": 120, "sent": 7}), ids=",".join((order * 120)[:120])))
    db.session.commit()
    assert "7 av 120 lägenheter har en inskickad genomgång" in re.sub(
        r"\s+", " ", _inbox_shown(client))
    db.session.execute(update(HousingSummary).where(inbox).values(
        counts=json.dumps({"total": len(order), "sent": 0}), ids=",".join(reversed(order))))
    db.session.commit()
    shown = _inbox_shown(client)
    items = re.findall(r'<li class="inbox-.*?</li>', right, re.S)
    assert re.findall(r'<li class="inbox-.*?</li>', shown, re.S) == items[::-1], \
        "the stored order is the order shown"


def test_a_tenant_with_two_tenancies_is_listed_for_each_as_before(client, world, login_as,
                                                                  monkeypatch):
    """One moved in before the month (owes the checklist), the other this month: the inbox
    lists both apartments, read from the stored facts (the other tenancy looked up) as when
    worked out from the rows."""
    from webapp.housing import checklist_routes

    today = local_today()
    person = housed(world, "Två", "Hem", move_in=today.replace(day=1) - timedelta(days=90))
    second = Apartment(organisation_id=world.org.id, address="Andra gatan 2", city="Göteborg",
                       housing_team_id=world.housing_team.id)
    db.session.add(second)
    db.session.flush()
    db.session.add(Contract(participant_id=person.id, apartment_id=second.id,
                            kind="second_hand", move_in_date=today.replace(day=1)))
    db.session.commit()
    login_as("housing")
    _inbox_shown(client)
    stored_page = _inbox_shown(client)
    assert "Andra gatan 2" in stored_page and "Hemgatan 1" in stored_page
    monkeypatch.setattr(checklist_routes, "_current_page", lambda *_args: None)
    assert _inbox_shown(client) == stored_page
