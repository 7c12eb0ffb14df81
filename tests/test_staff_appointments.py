"""Appointments on a participant's page: book, move, cancel, and the visit outcome contract."""
from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pytest

from tests.factories import local_at, make_appointment, make_outcome, make_participant
from webapp.models import Appointment, AuditEvent, HousingNotice, IdempotencyRecord, VisitOutcome
from webapp.timeutil import local_today, to_utc

TOMORROW = local_today() + timedelta(days=1)


@pytest.fixture(autouse=True)
def _tomorrow(monkeypatch):
    """Tomorrow as the app sees it when the test runs, not when the module was imported (a
    run that crosses local midnight booked "tomorrow" for today, which is then not future)."""
    monkeypatch.setitem(globals(), "TOMORROW", local_today() + timedelta(days=1))


def _url(world, *rest, participant=None):
    pid = (participant or world.participant).id
    return "/".join([f"/participants/{pid}/appointments", *map(str, rest)]).rstrip("/")


def _booking(**kw):
    data = {"kind": "home_visit", "day": TOMORROW.isoformat(), "time": "10:30",
            "duration_minutes": "45", "location": "Hemma hos Kalle", "visible_to_participant": "y"}
    return data | kw


def _form(world, **kw):
    return _booking(staff_id=str(world.users["staff"].id), **kw)


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- booking -------------------------------------------------------------------------------

def test_staff_books_an_appointment_in_local_time_stored_as_utc(client, world, login_as, db):
    login_as("staff")
    response = client.post(_url(world), data=_form(world))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_url(world))
    booked = db.session.query(Appointment).one()
    assert booked.starts_at == to_utc(datetime.combine(TOMORROW, time(10, 30)))
    assert (booked.kind, booked.duration_minutes, booked.location) == (
        "home_visit", 45, "Hemma hos Kalle")
    assert booked.staff_id == world.users["staff"].id and booked.visible_to_participant
    assert not booked.with_social_services
    assert db.session.query(AuditEvent).filter_by(action="create",
                                                  object_type="appointment").count() == 1
    page = _html(client.get(_url(world)))
    assert "Tiden är bokad." in page and "Hemma hos Kalle" in page


def test_booking_in_the_past_is_refused_in_swedish_and_keeps_what_was_typed(
        client, world, login_as, db):
    login_as("staff")
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = client.post(_url(world), data=_form(world, day=yesterday,
                                                   location="Kaféet vid torget"))
    assert response.status_code == 422
    page = _html(response)
    assert "Tiden har redan passerat" in page
    assert 'value="Kaféet vid torget"' in page and f'value="{yesterday}"' in page
    assert db.session.query(Appointment).count() == 0


def test_booking_without_date_and_time_names_both_fields(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world), data=_form(world, day="", time=""))
    assert response.status_code == 422
    page = _html(response)
    assert "Välj ett datum." in page and "Välj ett klockslag." in page


def test_booking_with_htmx_returns_the_appointments_fragment(client, world, login_as, db):
    login_as("staff")
    response = client.post(_url(world), data=_form(world), headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = _html(response)
    assert page.lstrip().startswith('<div id="appointments">') and "<html" not in page
    assert "Tiden är bokad." in page and "Hemma hos Kalle" in page
    bad = client.post(_url(world), data=_form(world, duration_minutes="0"),
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in _html(bad)
    assert "mellan 5 och 600 minuter" in _html(bad)
    assert db.session.query(Appointment).count() == 1


def test_new_appointment_page_books_too(client, world, login_as, db):
    login_as("staff")
    assert client.get(_url(world, "new")).status_code == 200
    response = client.post(_url(world, "new"), data=_form(world, kind="sip"))
    assert response.status_code == 302
    assert db.session.query(Appointment).one().kind == "sip"
    invalid = client.post(_url(world, "new"), data=_form(world, kind="party"))
    assert invalid.status_code == 422 and "Välj vad tiden gäller." in _html(invalid)


def test_staff_member_must_be_from_the_list(client, world, login_as, db):
    login_as("staff")
    outsider = world.users["other_staff"].id
    response = client.post(_url(world), data=_booking(staff_id=str(outsider)))
    assert response.status_code == 422 and "Välj en stödperson" in _html(response)


def test_social_worker_reads_appointments_but_cannot_book(client, world, login_as):
    login_as("social_worker")
    assert client.get(_url(world)).status_code == 200
    assert client.post(_url(world), data=_form(world)).status_code == 403


# --- moving and cancelling -----------------------------------------------------------------

def test_staff_moves_an_appointment(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    page = _html(client.get(_url(world, appointment.id, "edit")))
    assert 'value="09:00"' in page and f'value="{TOMORROW.isoformat()}"' in page
    response = client.post(_url(world, appointment.id, "edit"),
                           data=_form(world, time="13:15", location="Kontoret"))
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.starts_at == local_at(TOMORROW, 13, 15)
    assert appointment.location == "Kontoret"


def test_moving_to_the_past_is_refused(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    past = (local_today() - timedelta(days=2)).isoformat()
    response = client.post(_url(world, appointment.id, "edit"), data=_form(world, day=past))
    assert response.status_code == 422 and "Tiden har redan passerat" in _html(response)


def test_cancel_keeps_the_row_with_status_cancelled(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    response = client.post(_url(world, appointment.id, "cancel"))
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.status == "cancelled" and appointment.cancelled_at is not None
    assert db.session.query(Appointment).count() == 1
    page = _html(client.get(_url(world)))
    assert "Inställd" in page
    moved = client.post(_url(world, appointment.id, "edit"), data=_form(world))
    assert moved.status_code == 422 and "inställd" in _html(moved)


def test_cancel_with_htmx_returns_the_fragment(client, world, login_as, db):
    staff = login_as("staff")
    appointment = make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    response = client.post(_url(world, appointment.id, "cancel"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert _html(response).lstrip().startswith('<div id="appointments">')
    assert "Tiden är inställd." in _html(response)


def test_list_rows_show_staff_outcome_and_flags(client, world, login_as, db):
    staff = login_as("staff")
    done = make_appointment(world.participant, staff, local_at(local_today() - timedelta(days=2),
                                                              10), with_social_services=True)
    make_outcome(done, staff, "not_met")
    make_appointment(world.participant, staff, local_at(TOMORROW, 9), location="Kontoret",
                     visible_to_participant=False)
    db.session.commit()
    page = _html(client.get(_url(world)))
    coming, past = page.split("Tidigare tider")
    assert "Kontoret" in coming and staff.display_name in coming
    assert "Syns inte för deltagaren" in coming and "Flytta" in coming
    assert "Inte träffad" in past and "Med socialtjänsten" in past
    assert staff.display_name in past and "Flytta" not in past


def test_list_rows_name_the_kind_in_the_chosen_language(client, world, login_as, db):
    staff = login_as("staff")
    make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    assert ", hembesök</p>" in _html(client.get(_url(world)))
    client.post("/language", data={"lang": "en", "next": _url(world)})
    english = _html(client.get(_url(world)))
    assert ", home visit</p>" in english and "hembesök" not in english


def test_appointment_of_another_participant_is_404(client, world, login_as, db):
    staff = login_as("staff")
    other = make_appointment(world.other, world.users["other_staff"], local_at(TOMORROW, 9))
    mine = make_appointment(world.participant, staff, local_at(TOMORROW, 9))
    db.session.commit()
    assert client.get(_url(world, other.id, "edit")).status_code == 404
    assert client.post(_url(world, other.id, "cancel")).status_code == 404
    assert client.post(_url(world, mine.id, "cancel", participant=world.other)).status_code == 404


# --- visit outcome: the offline outbox contract --------------------------------------------

def _visit_today(world, db, participant=None, hour=0):
    appointment = make_appointment(participant or world.participant, world.users["staff"],
                                   local_at(local_today(), hour, 5))
    db.session.commit()
    return appointment


def _outcome_url(world, appointment):
    return f"/participants/{appointment.participant_id}/appointments/{appointment.id}/outcome"


JSON = {"Accept": "application/json"}


def test_outcome_form_carries_the_outbox_contract(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    page = _html(client.get(_outcome_url(world, appointment)))
    assert 'data-outbox="visit"' in page and 'name="idempotency_key"' in page
    for value in ("done", "not_met", "cancelled"):
        assert f'type="radio" name="outcome" value="{value}"' in page
    assert 'name="note"' in page


def test_outcome_replayed_five_times_creates_one_row_and_the_same_answer(
        client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    data = {"outcome": "done", "note": "Fika och pratade om veckan.",
            "idempotency_key": "0f8c2a52-4b5e-4c1e-9a53-1d2f3e4a5b6c"}
    answers = [client.post(_outcome_url(world, appointment), data=data, headers=JSON)
               for _ in range(5)]
    assert {a.status_code for a in answers} == {201}
    bodies = [json.loads(a.get_data(as_text=True)) for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["ok"] is True and bodies[0]["url"].endswith(_url(world))
    assert [a.headers.get("Idempotent-Replay") for a in answers[1:]] == ["true"] * 4
    outcome = db.session.query(VisitOutcome).one()
    assert outcome.id == bodies[0]["id"] and outcome.note == "Fika och pratade om veckan."
    assert db.session.query(IdempotencyRecord).count() == 1


def test_plain_form_post_redirects_to_next(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    response = client.post(_outcome_url(world, appointment),
                           data={"outcome": "done", "next": "/today", "idempotency_key": "k" * 20})
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    evil = _visit_today(world, db, hour=1)
    response = client.post(_outcome_url(world, evil),
                           data={"outcome": "done", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith(_url(world))


def test_outcome_validation_answers_422_json_in_swedish(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    response = client.post(_outcome_url(world, appointment), data={"outcome": "maybe"},
                           headers=JSON)
    assert response.status_code == 422
    assert response.get_json() == {"ok": False, "errors": {"outcome": "Välj hur besöket gick."}}
    html = client.post(_outcome_url(world, appointment), data={"note": "Kvar"})
    assert html.status_code == 422 and "Kvar</textarea>" in _html(html)
    assert db.session.query(VisitOutcome).count() == 0


def test_a_second_different_outcome_is_refused(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    first = client.post(_outcome_url(world, appointment),
                        data={"outcome": "done", "idempotency_key": "first-key-123"}, headers=JSON)
    assert first.status_code == 201
    second = client.post(_outcome_url(world, appointment),
                         data={"outcome": "not_met", "idempotency_key": "second-key-456"},
                         headers=JSON)
    assert second.status_code == 422
    assert "redan registrerat" in second.get_json()["errors"]["outcome"]
    assert db.session.query(VisitOutcome).one().outcome == "done"


def test_not_met_in_fas_2_tells_housing_administration(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    response = client.post(_outcome_url(world, appointment),
                           data={"outcome": "not_met", "idempotency_key": "notmet-key-1"},
                           headers=JSON)
    assert response.status_code == 201
    notice = db.session.query(HousingNotice).one()
    contract = world.participant.contracts[0]
    assert notice.kind == "visit_not_met" and notice.apartment_id == contract.apartment_id
    assert notice.participant_id == world.participant.id
    assert notice.visit_outcome_id == response.get_json()["id"]
    assert notice.occurred_on == appointment.starts_at


def test_not_met_in_fas_3_sends_no_notice(client, world, login_as, db):
    login_as("staff")
    fas3 = make_participant(world.org, world.team, "Greta", "Tre", phase=3)
    appointment = make_appointment(fas3, world.users["staff"], local_at(local_today(), 0, 5))
    db.session.commit()
    response = client.post(f"/participants/{fas3.id}/appointments/{appointment.id}/outcome",
                           data={"outcome": "not_met"}, headers=JSON)
    assert response.status_code == 201
    assert db.session.query(HousingNotice).count() == 0


def test_done_in_fas_2_sends_no_notice(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    client.post(_outcome_url(world, appointment), data={"outcome": "done"}, headers=JSON)
    assert db.session.query(HousingNotice).count() == 0


def test_outcome_for_a_future_or_cancelled_appointment_is_refused(client, world, login_as, db):
    staff = login_as("staff")
    future = make_appointment(world.participant, staff, local_at(TOMORROW, 10))
    cancelled = _visit_today(world, db)
    cancelled.status = "cancelled"
    db.session.commit()
    assert client.post(_outcome_url(world, future), data={"outcome": "done"},
                       headers=JSON).status_code == 422
    response = client.post(_outcome_url(world, cancelled), data={"outcome": "done"},
                           headers=JSON)
    assert response.status_code == 422 and "inställd" in response.get_json()["errors"]["outcome"]


def test_outcome_with_htmx_returns_the_inline_fragment(client, world, login_as, db):
    login_as("staff")
    appointment = _visit_today(world, db)
    response = client.post(_outcome_url(world, appointment), data={"outcome": "done"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = _html(response)
    assert page.lstrip().startswith(f'<div id="outcome-{appointment.id}"')
    assert "Registrerat:" in page and "Genomfört" in page and "<html" not in page
    invalid = _visit_today(world, db, hour=1)
    bad = client.post(_outcome_url(world, invalid), data={}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Välj hur besöket gick." in _html(bad)


def test_outcome_is_staff_only(client, world, login_as, db):
    appointment = _visit_today(world, db)
    login_as("social_worker")
    assert client.get(_outcome_url(world, appointment)).status_code == 404
    assert client.post(_outcome_url(world, appointment), data={"outcome": "done"}).status_code \
        == 403
    make_outcome(appointment, world.users["staff"])
    db.session.commit()
    assert db.session.query(VisitOutcome).count() == 1


def test_missed_phone_call_in_fas_2_sends_no_notice(client, world, login_as, db):
    """Only a home visit that did not happen is owed to housing administration (DESIGN §1)."""
    login_as("staff")
    appointment = make_appointment(world.participant, world.users["staff"],
                                   local_at(local_today(), 0, 5), kind="phone")
    db.session.commit()
    response = client.post(_outcome_url(world, appointment), data={"outcome": "not_met"},
                           headers=JSON)
    assert response.status_code == 201
    assert db.session.query(HousingNotice).count() == 0


# --- the list a page at a time -------------------------------------------------------------

def test_the_appointment_lists_are_paged_ten_at_a_time_each(client, world, login_as, db):
    """Coming appointments soonest first, past ones newest first, ten of each a page; each
    list has its own pager and its links keep the other list's page."""
    from webapp.staff.routes import APPOINTMENTS_PER_PAGE

    staff = world.users["staff"]
    today = local_today()
    for n in range(1, 14):  # 13 coming: days 1..13 ahead, located "Kommande 1".."Kommande 13"
        make_appointment(world.participant, staff, local_at(today + timedelta(days=n), 10),
                         location=f"Kommande {n}")
    for n in range(1, 26):  # 25 past: days 1..25 back, "Tidigare 1" is the newest
        make_appointment(world.participant, staff, local_at(today - timedelta(days=n), 10),
                         location=f"Tidigare {n}")
    old = make_appointment(world.participant, staff, local_at(today - timedelta(days=400), 10),
                           location="Tidigare än ett år")
    db.session.commit()
    assert APPOINTMENTS_PER_PAGE == 10
    login_as("staff")

    def shown(page: str) -> list[str]:
        return re.findall(r"(Kommande \d+|Tidigare \d+|Tidigare än ett år)", page)

    first = _html(client.get(_url(world)))
    assert shown(first) == ([f"Kommande {n}" for n in range(1, 11)]
                            + [f"Tidigare {n}" for n in range(1, 11)])
    pid = world.participant.id
    assert "Sida 1 av 2" in first and "Sida 1 av 3" in first
    assert f'href="/participants/{pid}/appointments?upcoming=2"' in first
    assert f'href="/participants/{pid}/appointments?page=2"' in first

    later = _html(client.get(_url(world) + "?upcoming=2&page=3"))
    assert shown(later) == ([f"Kommande {n}" for n in range(11, 14)]
                            + [f"Tidigare {n}" for n in range(21, 26)])
    assert "Sida 2 av 2" in later and "Sida 3 av 3" in later
    assert f'href="/participants/{pid}/appointments?upcoming=1&amp;page=3"' in later
    assert f'href="/participants/{pid}/appointments?page=2&amp;upcoming=2"' in later
    # A page past the end shows the last one; older than a year is not listed (as before).
    beyond = _html(client.get(_url(world) + "?page=99"))
    assert shown(beyond)[-5:] == [f"Tidigare {n}" for n in range(21, 26)]
    assert old.location not in first + later + beyond
    # Both lists read in one query (issue 17); a huge page number is the last page of its list
    # and keeps the other list's page.
    huge = _html(client.get(_url(world) + "?upcoming=99999999999&page=2"))
    assert shown(huge) == ([f"Kommande {n}" for n in range(11, 14)]
                           + [f"Tidigare {n}" for n in range(11, 21)])
    # Two at the same time: the coming list by booking order, the past list the other way.
    same = local_at(today + timedelta(days=1), 10)
    twin = make_appointment(world.participant, staff, same, location="Kommande tvilling")
    past_twin = make_appointment(world.participant, staff, local_at(today - timedelta(days=1), 10),
                                 location="Tidigare tvilling")
    db.session.commit()
    page = _html(client.get(_url(world)))
    assert page.index("Kommande 1 ") < page.index(twin.location)
    assert page.index(past_twin.location) < page.index("Tidigare 1 ")
