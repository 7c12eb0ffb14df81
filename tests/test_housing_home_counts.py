"""Housing's home counts what the checklist inbox lists (issue 17: the home reads the counts as
columns, the inbox reads whole rows; the numbers must agree)."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import (
    local_at,
    make_appointment,
    make_checklist,
    make_outcome,
    make_participant,
)
from webapp.models import Absence, Apartment, Contract
from webapp.timeutil import local_today


def housed(world, first, last, **kw):
    return make_participant(world.org, world.team, first, last, housing_team=world.housing_team,
                            assigned=[world.users["staff"]], **kw)


def _mixed_month(world, db) -> None:
    """Tenants that sent, owe or need not send this month's checklist."""
    today = local_today()
    first = today.replace(day=1)
    staff = world.users["staff"]
    make_checklist(world.participant, staff, today)  # submitted
    housed(world, "Maria", "Lind")  # owed, missing
    housed(world, "Nils", "Ny", move_in=first + timedelta(days=1))  # moved in this month
    housed(world, "Fia", "Fas", phase=1)  # fas 1 owes nothing
    away = housed(world, "Bo", "Borta")
    db.session.add(Absence(participant_id=away.id, start_date=first - timedelta(days=3),
                           end_date=first + timedelta(days=40)))
    moved = housed(world, "Ulla", "Flytt")  # filed for the apartment they left
    old = db.session.scalar(db.select(Contract).where(Contract.participant_id == moved.id))
    make_checklist(moved, staff, today)
    old.ended_on = first - timedelta(days=1)
    new_home = Apartment(organisation_id=world.org.id, address="Nyvägen 2", city="Göteborg",
                         housing_team_id=world.housing_team.id)
    db.session.add(new_home)
    db.session.flush()
    db.session.add(Contract(participant_id=moved.id, apartment_id=new_home.id,
                            kind="second_hand", move_in_date=first - timedelta(days=40)))
    db.session.commit()


def test_home_counts_equal_the_inbox_in_a_mixed_month(client, db, world, login_as):
    _mixed_month(world, db)
    login_as("housing")
    inbox = client.get("/housing/checklists").get_data(as_text=True)
    submitted, total = map(int, re.search(
        r"(\d+) av (\d+) lägenheter har en inskickad genomgång", inbox).groups())
    home = client.get("/housing").get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", "", home)
    assert f"Inskickade: {submitted} av {total}." in shown
    assert (submitted, total) == (1, 3)  # Svensson sent it; Lind and Flytt owe it
    assert f"{total - submitted} saknas" in shown


def _counts_shown(client) -> str:
    """The overview's two count cards as text."""
    page = client.get("/housing").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.split(
        'id="checklists-heading"')[1].split('<section aria-labelledby="notices-heading"')[0]))


def test_home_counts_are_the_same_counted_by_the_database_and_from_the_rows(
        client, db, world, login_as, monkeypatch):
    """The overview counts over the stored facts in the database when all are valid and from
    the rows when some must be worked out first: both give the same numbers."""
    from webapp.housing import routes
    from webapp.housing.facts_store import visit_periods
    from webapp.models import HousingFacts

    _mixed_month(world, db)
    start = visit_periods(world.org, local_today())[0]
    for person in (world.participant, housed(world, "Vera", "Besökt")):  # fas 2, visited
        make_outcome(make_appointment(person, world.users["staff"], local_at(start, 0, 30),
                                      kind="home_visit"), world.users["staff"])
    db.session.commit()
    login_as("housing")
    assert db.session.scalar(db.select(db.func.count()).select_from(HousingFacts)) == 0
    from_rows = _counts_shown(client)  # nothing stored yet: worked out from the rows
    assert "Inskickade: 1 av 4." in from_rows and "3 saknas" in from_rows  # Besökt owes too
    assert "2 gjorda" in from_rows

    def no_rows(*_args):
        raise AssertionError("all facts are valid: counted by the database")

    monkeypatch.setattr(routes, "_overview_from_rows", no_rows)
    assert _counts_shown(client) == from_rows


def test_each_housing_user_gets_the_counts_of_their_own_apartments(client, db, world,
                                                                   login_as):
    """The overview's statement is built once per user and day: another housing user, of
    another team, gets their own counts in the same process."""
    from tests.factories import make_team, make_user

    other_team = make_team(world.org, "Annat bostadsbolag", kind="housing")
    other = make_user(world.org, "housing", teams=[other_team])
    for n in range(3):
        make_participant(world.org, world.team, "Annan", f"Hyresgäst{n}",
                         housing_team=other_team)
    db.session.commit()
    login_as("housing")
    mine = _counts_shown(client)
    login_as(other)
    theirs = _counts_shown(client)
    assert "Inskickade: 0 av 3." in theirs and "Inskickade: 0 av 3." not in mine
    login_as("housing")
    assert _counts_shown(client) == mine
