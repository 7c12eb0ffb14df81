"""Housing's home counts what the checklist inbox lists (issue 17: the home reads the counts as
columns, the inbox reads whole rows; the numbers must agree)."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import make_checklist, make_participant
from webapp.models import Absence, Apartment, Contract
from webapp.timeutil import local_today


def housed(world, first, last, **kw):
    return make_participant(world.org, world.team, first, last, housing_team=world.housing_team,
                            assigned=[world.users["staff"]], **kw)


def test_home_counts_equal_the_inbox_in_a_mixed_month(client, db, world, login_as):
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
    login_as("housing")
    inbox = client.get("/housing/checklists").get_data(as_text=True)
    submitted, total = map(int, re.search(
        r"(\d+) av (\d+) lägenheter har en inskickad genomgång", inbox).groups())
    home = client.get("/housing").get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", "", home)
    assert f"Inskickade: {submitted} av {total}." in shown
    assert (submitted, total) == (1, 3)  # Svensson sent it; Lind and Flytt owe it
    assert f"{total - submitted} saknas" in shown
