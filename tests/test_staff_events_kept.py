"""Markup written once per content (`templating.kept_form`, issue 17): the events page's blank
record panels and timeline, the appointments page's lists, a new checklist's form and the
plan's goal cards. Each page is the same as written anew, and whatever a kept part shows
changes it on the next view (what was recorded, the phase, the key's values, the time, what
this user may do and see, the template, the language). A form sent with errors is never kept,
and its errors never reach a later view."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import local_at, make_appointment, make_participant, make_user
from webapp import templating
from webapp.checklist_defaults import ensure_checklist_v2
from webapp.extensions import db
from webapp.models import (
    Absence,
    Consent,
    Disturbance,
    Goal,
    GoalComment,
    Plan,
    ReserveKey,
    Step,
    utcnow,
)
from webapp.timeutil import local_today

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def empty_kept():
    templating._kept_markup.clear()
    yield
    templating._kept_markup.clear()


def _without_tokens(html: str) -> str:
    """Without idempotency keys and CSRF tokens (a token carries the second it was signed)."""
    return re.sub(r'[0-9a-f]{32}|"X-CSRFToken": "[^"]*"|value="[^"]*\.[^"]*"', "", html)


def _events(client, world) -> str:
    response = client.get(f"/participants/{world.participant.id}/events")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _appointments(client, participant) -> str:
    response = client.get(f"/participants/{participant.id}/appointments")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _everything(world, received_ago=timedelta(hours=2)):
    """One of each event: an open rättelse, an ongoing absence, a consent, the reserve key."""
    pid, staff = world.participant.id, world.users["staff"].id
    db.session.add_all([
        Disturbance(participant_id=pid, occurred_on=local_today(), source="landlord",
                    severity="rattelse", received_at=utcnow() - received_ago,
                    description="Hög musik.", reported_by_id=staff),
        Absence(participant_id=pid, start_date=local_today() - timedelta(days=3),
                kind="other", reason="Hos sin syster", recorded_by_id=staff),
        Consent(participant_id=pid, scope="Socialtjänsten och hyresvärden",
                given_on=local_today(), recorded_by_id=staff),
        ReserveKey(participant_id=pid, spare_key_at_office=False, entrance_access=True,
                   conditions="", updated_by_id=staff, updated_at=utcnow()),
    ])
    world.participant.review_date = local_today() + timedelta(days=30)
    db.session.commit()


def _tokens_are_this_views(html: str) -> None:
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
    assert "\x00" not in html  # every hole filled
    assert tokens == set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))  # the page's own


def test_the_events_page_is_the_same_written_anew_or_kept(client, world, login_as):
    login_as("staff")
    _everything(world)
    written = _events(client, world)
    assert any(key[2][0] == "form" for key in templating._kept_markup)  # panels, timeline kept
    kept = _events(client, world)
    templating._kept_markup.clear()
    anew = _events(client, world)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    for part in ('id="disturbance-panel"', 'id="key-panel"', 'class="event disturbance',
                 "Hos sin syster", "Avsluta frånvaron", "Återkalla samtycket", "Följ upp"):
        assert part in kept
    _tokens_are_this_views(kept)
    assert kept.count('class="card panel"') == 5 and kept.count('class="item-form"') == 3


def test_a_kept_panel_shows_the_stored_key_and_the_new_phase(client, world, login_as):
    login_as("staff")
    before = _events(client, world)
    assert '<input id="spare_key_at_office"' in before and "Nu: fas 2." in before
    key_url = f"/participants/{world.participant.id}/events/reserve-key"
    assert client.post(key_url, data={"entrance_access": "y"}).status_code == 303
    first = _events(client, world)
    assert '<input checked id="entrance_access"' in first
    assert '<input id="spare_key_at_office"' in first
    response = client.post(key_url, data={"spare_key_at_office": "y", "entrance_access": "y",
                                          "conditions": "Efter tre dagar utan kontakt"})
    assert response.status_code == 303
    after = _events(client, world)  # every stored value is in the key, not only the first
    assert '<input checked id="spare_key_at_office"' in after
    assert "Efter tre dagar utan kontakt</textarea>" in after
    response = client.post(f"/participants/{world.participant.id}/events/phase", data={
        "phase": "3", "started_on": local_today().isoformat()})
    assert response.status_code == 303
    moved = _events(client, world)
    assert "Nu: fas 3." in moved and '<option selected value="4">' in moved


def test_a_form_sent_with_errors_is_written_anew_and_never_kept(client, world, login_as):
    login_as("staff")
    _events(client, world)  # the blank panels kept
    for headers in ({}, HTMX):
        response = client.post(f"/participants/{world.participant.id}/events/disturbances",
                               headers=headers, data={"occurred_on": "inte ett datum",
                                                      "source": "housing", "severity": "minor",
                                                      "description": ""})
        assert response.status_code == 422
        shown = response.get_data(as_text=True)
        assert "Skriv kort vad som har hänt." in shown and 'value="inte ett datum"' in shown
        assert "<details id=\"disturbance-panel\" class=\"card panel\" open>" in shown
        if not headers:  # the whole page: its tokens filled in
            _tokens_are_this_views(shown)
        page = _events(client, world)
        assert "Skriv kort vad som har hänt." not in page and "inte ett datum" not in page
        assert "<details id=\"disturbance-panel\" class=\"card panel\">" in page


def test_an_item_form_sent_with_errors_is_not_kept_in_the_timeline(client, world, login_as):
    login_as("staff")
    _everything(world)
    _events(client, world)  # the timeline kept
    rattelse = db.session.query(Disturbance).one()
    response = client.post(
        f"/participants/{world.participant.id}/events/disturbances/{rattelse.id}/follow-up",
        data={f"followup-{rattelse.id}-note": ""})
    assert response.status_code == 422
    error = "Skriv kort hur ni tog kontakt och vad ni kom överens om."
    assert error in response.get_data(as_text=True)
    assert error not in _events(client, world)
    response = client.post(
        f"/participants/{world.participant.id}/events/disturbances/{rattelse.id}/follow-up",
        data={f"followup-{rattelse.id}-note": "Ringde, musiken är avstängd."})
    assert response.status_code == 303
    page = _events(client, world)  # followed up: the entry changed, written anew
    assert "Ringde, musiken är avstängd." in page and "Ej uppföljd" not in page


def test_a_kept_timeline_shows_a_rattelse_overdue_once_its_time_has_passed(
        client, world, login_as, monkeypatch):
    login_as("staff")
    _everything(world)
    assert "Ej uppföljd" in _events(client, world)
    later = utcnow() + timedelta(days=10)
    monkeypatch.setattr("webapp.staff.events_routes.utcnow", lambda: later)
    page = _events(client, world)  # the same rows; only the time has passed
    timeline = page.split('id="timeline-heading"')[1]
    assert "Försenad" in timeline and "Ej uppföljd" not in timeline


def test_kept_events_follow_what_the_user_may_do_and_the_language(client, world, login_as):
    user = login_as("staff")
    _everything(world)
    assert "Avsluta frånvaron" in _events(client, world)
    login_as("social_worker")  # reads the same timeline: no forms, the reason shown
    read_only = _events(client, world)
    assert "Orsak: Hos sin syster" in read_only
    assert "item-form" not in read_only and "record-heading" not in read_only
    user.language = "en"
    db.session.commit()
    login_as(user)
    english = _events(client, world)
    assert "Log a disturbance" in english and "Everything that has happened" in english
    assert "Logga störning" not in english and "Ej uppföljd" not in english


def test_the_appointments_page_is_the_same_written_anew_or_kept(client, world, login_as):
    staff = login_as("staff")
    tomorrow, yesterday = local_today() + timedelta(days=1), local_today() - timedelta(days=1)
    for hour in (9, 13):
        make_appointment(world.participant, staff, local_at(tomorrow, hour), location="Kontoret")
        make_appointment(world.participant, staff, local_at(yesterday, hour))
    db.session.commit()
    written = _appointments(client, world.participant)
    kept = _appointments(client, world.participant)
    templating._kept_markup.clear()
    anew = _appointments(client, world.participant)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    assert kept.count('<li class="appt') == 4 and kept.count("button danger") == 4
    _tokens_are_this_views(kept)
    # A cancelled appointment changes its list's key: written anew.
    appointment_id = re.findall(r'/appointments/(\d+)/cancel', kept)[0]
    response = client.post(
        f"/participants/{world.participant.id}/appointments/{appointment_id}/cancel")
    assert response.status_code in (302, 303)
    cancelled = _appointments(client, world.participant)
    assert cancelled.count("button danger") == 3 and '<span class="badge">Inställd</span>' in (
        cancelled)
    staff.language = "en"
    db.session.commit()
    assert '<span class="badge">Cancelled</span>' in _appointments(client, world.participant)


def test_a_protected_address_is_kept_per_what_each_user_may_see(client, world, login_as):
    sara = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                            assigned=[world.users["staff"]])
    make_appointment(sara, world.users["staff"], local_at(local_today() + timedelta(days=1), 9),
                     location="Hemligvägen 3")
    colleague = make_user(world.org, "staff", "kollega2", teams=[world.team])
    db.session.commit()
    login_as("staff")
    assert "Hemligvägen 3" in _appointments(client, sara)
    login_as(colleague)  # the same rows, kept for the assigned worker: not shown to this one
    masked = _appointments(client, sara)
    assert "Hemligvägen" not in masked and "Adress skyddad" in masked
    login_as("staff")
    assert "Hemligvägen 3" in _appointments(client, sara)


# --- the checklist form ------------------------------------------------------------------------

def _checklist(client, participant) -> str:
    response = client.get(f"/participants/{participant.id}/checklists/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _filled(html: str, **overrides) -> dict:
    """The form as sent: every item OK, its token and version as the page wrote them."""
    data = {f"answer-{key}": "ok" for key in re.findall(r'name="answer-(\w+)" value="ok"', html)}
    data.update(held_on=local_today().isoformat(), present="Hyresgästen och jag",
                tenant_agrees="y", template_version=re.findall(
                    r'name="template_version" type="hidden" value="(\d+)"', html)[0],
                idempotency_key="a" * 32)
    return data | overrides


def test_a_kept_checklist_form_is_the_same_and_posts_with_this_views_token(
        app, client, world, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as("staff")
    written = _checklist(client, world.participant)
    kept = _checklist(client, world.participant)
    templating._kept_markup.clear()
    anew = _checklist(client, world.participant)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    _tokens_are_this_views(kept)
    assert kept.count('name="csrf_token" type="hidden" value="') == 1
    # The same user on another phone (another session) opens the kept form: the token written
    # in is that session's own, and the form posts.
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"], session["_fresh"] = world.users["staff"].get_id(), True
        session["last_seen"] = utcnow().timestamp()
    theirs = _checklist(other, world.participant)
    assert _without_tokens(theirs) == _without_tokens(kept)
    token = re.findall(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                       theirs)[0]
    response = other.post(f"/participants/{world.participant.id}/checklists/new",
                          data=_filled(theirs, csrf_token=token))
    assert response.status_code == 303


def test_a_checklist_sent_with_errors_is_not_kept(client, world, login_as):
    login_as("staff")
    blank = _checklist(client, world.participant)
    response = client.post(f"/participants/{world.participant.id}/checklists/new",
                           data=_filled(blank, present="", held_on="inte ett datum"))
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert 'class="error-summary"' in shown and 'value="inte ett datum"' in shown
    again = _checklist(client, world.participant)
    assert 'value="inte ett datum"' not in again and 'class="error-summary"' not in again
    assert _without_tokens(again) == _without_tokens(blank)


def test_a_kept_checklist_form_follows_the_template_the_user_and_the_language(
        client, world, login_as):
    user = login_as("staff")
    first = _checklist(client, world.participant)
    assert "Hemförsäkringen gäller" not in first
    assert f'data-draft-key="bofast-checklist-draft:{user.id}:{world.participant.id}"' in first
    ensure_checklist_v2(world.org)  # a new version: its items on the next opening
    db.session.commit()
    assert "Hemförsäkringen gäller" in _checklist(client, world.participant)
    colleague = make_user(world.org, "staff", "kollega3", teams=[world.team])
    db.session.commit()
    login_as(colleague)  # another user's draft is never opened: the key names the user
    theirs = _checklist(client, world.participant)
    assert f'data-draft-key="bofast-checklist-draft:{colleague.id}:' in theirs
    assert f"bofast-checklist-draft:{user.id}:" not in theirs
    colleague.language = "en"
    db.session.commit()
    english = _checklist(client, world.participant)
    assert "About the check" in english and "Om genomgången" not in english


# --- the plan's goal cards ---------------------------------------------------------------------

def _plan_page(client, world) -> str:
    response = client.get(f"/participants/{world.participant.id}/plan")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _plan_goal(world, due=None):
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == world.participant.id))
    goal = Goal(plan_id=plan.id, life_area="daily_life", own_words="Jag vill laga mat.",
                position=0)
    db.session.add(goal)
    db.session.flush()
    steps = [Step(goal_id=goal.id, text=text, who="together", position=position, due_date=due)
             for position, text in enumerate(("Köpa en kastrull", "Lära mig göra soppa"))]
    db.session.add_all(steps)
    db.session.add(GoalComment(goal_id=goal.id, author_id=world.users["participant"].id,
                               kind="wish", text="Hellre soppa först."))
    db.session.commit()
    return steps


def test_the_plans_goal_cards_are_the_same_written_anew_or_kept(client, world, login_as):
    login_as("staff")
    _plan_goal(world)
    written = _plan_page(client, world)
    kept = _plan_page(client, world)
    templating._kept_markup.clear()
    anew = _plan_page(client, world)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    assert kept.count("Markera klart") == 2 and "Hellre soppa först." in kept
    _tokens_are_this_views(kept)


def test_kept_goal_cards_show_ticks_time_rights_and_language(
        client, world, login_as, monkeypatch):
    user = login_as("staff")
    steps = _plan_goal(world, due=local_today() + timedelta(days=3))
    assert "Försenat" not in _plan_page(client, world)
    steps[0].done, steps[0].done_by_id = True, world.users["participant"].id
    db.session.commit()
    assert "Deltagaren har själv markerat klart" in _plan_page(client, world)
    later = local_today() + timedelta(days=10)
    monkeypatch.setattr("webapp.staff.plan_routes.local_today", lambda: later)
    assert "Försenat" in _plan_page(client, world)  # the same rows: only the day has passed
    monkeypatch.undo()
    login_as("social_worker")
    read_only = _plan_page(client, world)
    assert "Hellre soppa först." in read_only and "Markera klart" not in read_only
    user.language = "en"
    db.session.commit()
    login_as(user)
    english = _plan_page(client, world)
    assert "Markera klart" not in english and "Med deltagarens egna ord" not in english
