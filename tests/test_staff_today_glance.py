"""Idag at a glance (issue 16.4): address, call button, the next visit, a grouped worklist."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import local_at, make_appointment, make_participant
from webapp.models import utcnow
from webapp.timeutil import local_today, to_local


def _visits(page: str) -> str:
    return page.split('id="visits-heading"')[1].split('id="due-heading"')[0]


def test_visit_card_shows_address_call_button_and_next(client, world, login_as, db):
    staff = login_as("staff")
    world.participant.phone = "070-123 45 67"
    secret = make_participant(world.org, world.team, "Hemlig", "Person", protected=True,
                              phone="070-999 99 99")
    now_local = to_local(utcnow())
    today = local_today()
    # One visit that has ended already today (if the day allows), and one later.
    later = make_appointment(world.participant, staff,
                             utcnow() + timedelta(minutes=30) if now_local.hour < 23
                             else local_at(today, 23, 50))
    make_appointment(secret, staff, local_at(today, 0, 1), duration_minutes=1)
    db.session.commit()
    visits = _visits(client.get("/today").get_data(as_text=True))
    assert "Svenssongatan 1" in visits
    assert 'href="tel:0701234567"' in visits
    assert "Persongatan 1" not in visits and "Adress skyddad" in visits
    assert "tel:0709999999" not in visits
    card = visits.split("is-next")[1].split("</li>")[0]
    assert "Nästa besök" in card
    assert f"/participants/{world.participant.id}" in card
    assert later.id


def test_worklist_is_one_card_per_participant(client, world, login_as, db):
    login_as("staff")
    for first in ("Anna", "Bo", "Cia"):
        make_participant(world.org, world.team, first, "Fas2", phase=2)
    db.session.commit()
    page = client.get("/today").get_data(as_text=True)
    due = page.split('id="due-heading"')[1]
    cards = due.count('class="due-item')
    names = [n for n in ("Anna Fas2", "Bo Fas2", "Cia Fas2", "Kalle Svensson") if n in due]
    assert cards == len(names) >= 3
    for name in names:
        assert due.count(f">{name}</a>") == 1  # the name once, however many things are due


def test_idag_links_to_notification_settings(client, world, login_as):
    login_as("staff")
    assert 'href="/push/settings"' in client.get("/today").get_data(as_text=True)


def test_recording_from_idag_answers_with_idag_for_the_outbox(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(local_today(), 0, 10))
    db.session.commit()
    url = f"/participants/{world.participant.id}/appointments/{appointment.id}/outcome"
    page = client.get(url).get_data(as_text=True)
    assert 'name="next" value="/today"' in page
    response = client.post(url, data={"outcome": "done", "next": "/today",
                                      "idempotency_key": "glance-key-0001"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201 and response.get_json()["url"] == "/today"


def test_the_visit_address_is_the_current_contracts_and_only_on_own_home_visits(
        client, world, login_as, db):
    """The address comes joined to the day's visits (issue 17): the open contract moved into
    last, not an ended one, with apartment number and town; a meeting elsewhere shows its
    place, and a colleague's visit shows no home address."""
    from datetime import date

    from tests.factories import make_user
    from webapp.models import Apartment, Contract

    staff = login_as("staff")
    today = local_today()
    for address, moved, ended in (("Förra gatan 2", date(2025, 1, 1), date(2025, 6, 1)),
                                  ("Nya gatan 3", today - timedelta(days=30), None)):
        flat = Apartment(organisation_id=world.org.id, address=address, apartment_number="1102",
                         postal_code="411 01", city="Göteborg")
        db.session.add(flat)
        db.session.flush()
        db.session.add(Contract(participant_id=world.participant.id, apartment_id=flat.id,
                                move_in_date=moved, ended_on=ended))
    make_appointment(world.participant, staff, local_at(today, 23, 0), kind="home_visit")
    other = make_participant(world.org, world.team, "Ola", "Annan")
    make_appointment(other, staff, local_at(today, 23, 10), kind="meeting", location="Kontoret")
    colleague = make_user(world.org, "staff", "kollega", teams=[world.team])
    third = make_participant(world.org, world.team, "Tredje", "Person")
    make_appointment(third, colleague, local_at(today, 23, 20), kind="home_visit")
    db.session.commit()
    visits = _visits(client.get("/today").get_data(as_text=True))
    assert "Nya gatan 3, lgh 1102, 411 01 Göteborg" in visits
    assert "Förra gatan" not in visits and "Svenssongatan" not in visits
    assert "Kontoret" in visits and "Annangatan" not in visits
    assert "Persongatan" not in visits
