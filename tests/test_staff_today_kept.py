"""Idag's due groups are written once per content (`templating.kept_markup`, issue 17): the page
is the same as written anew, and whatever a group shows changes it on the next view: the
items, the name as this user may see it, the follow-ups and the language."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import make_disturbance, make_participant, make_user
from webapp import templating
from webapp.models import utcnow


@pytest.fixture(autouse=True)
def empty_kept():
    templating._kept_markup.clear()
    yield
    templating._kept_markup.clear()


def _due(client) -> str:
    html = client.get("/today").get_data(as_text=True)
    return html.split('id="due-heading"')[1]


def _without_tokens(html: str) -> str:
    """Without idempotency keys and CSRF tokens (a token carries the second it was signed)."""
    return re.sub(r'[0-9a-f]{32}|"X-CSRFToken": "[^"]*"|value="[^"]*\.[^"]*"', "", html)


def test_kept_markup_writes_once_per_key_and_language(app):
    calls = []

    def render(value):
        calls.append(value)
        return f"<b>{value}</b>"

    with app.test_request_context("/"):
        first = templating.kept_markup(("k", 1), render, "a")
        again = templating.kept_markup(("k", 1), render, "b")  # same key: not written again
        other = templating.kept_markup(("k", 2), render, "c")
    assert (str(first), str(again), str(other)) == ("<b>a</b>", "<b>a</b>", "<b>c</b>")
    assert calls == ["a", "c"]
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        from flask_babel import refresh

        refresh()
        english = templating.kept_markup(("k", 1), render, "d")
    assert str(english) == "<b>d</b>"  # another language is another entry


def test_kept_markup_is_bounded(app, monkeypatch):
    monkeypatch.setattr(templating, "KEPT_MARKUP_SIZE", 3)
    with app.test_request_context("/"):
        for value in range(10):
            templating.kept_markup(("k", value), str, value)
    assert 0 < len(templating._kept_markup) <= 3


def test_idag_is_the_same_written_anew_or_kept(client, world, login_as, db):
    login_as("staff")
    make_disturbance(world.participant, received_at=utcnow() - timedelta(days=7))
    for number in range(4):
        make_participant(world.org, world.team, f"Anna{number}", "Due", phase=2)
    db.session.commit()
    written = _due(client)
    assert templating._kept_markup  # the groups were kept
    kept = _due(client)
    templating._kept_markup.clear()
    anew = _due(client)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    assert written.count('class="due-item') >= 5


def test_a_kept_group_shows_what_changed(client, world, login_as, db):
    login_as("staff")
    before = _due(client)
    assert "Rättelseanmaning" not in before
    make_disturbance(world.participant, received_at=utcnow() - timedelta(days=7))
    db.session.commit()
    after = _due(client)  # the group's items changed: written anew
    assert "Rättelseanmaning: kontakta hyresgästen." in after
    world.participant.first_name = "Omdöpt"
    db.session.commit()
    assert "Omdöpt" in _due(client)  # the name is part of the key


def test_a_protected_name_is_kept_per_what_each_user_may_see(client, world, login_as, db):
    sara = make_participant(world.org, world.team, "Sara", "Hemlig", protected=True,
                            assigned=[world.users["staff"]], phase=2)
    make_disturbance(sara, received_at=utcnow() - timedelta(days=7))
    colleague = make_user(world.org, "staff", "kollega2", teams=[world.team])
    db.session.commit()
    login_as("staff")
    assert "Sara Hemlig" in _due(client)
    login_as(colleague)  # the same group, kept for the assigned worker: not shown to this one
    due = _due(client)
    assert "Sara" not in due and "Hemlig" not in due and "Skyddad deltagare" in due
    login_as("staff")
    assert "Sara Hemlig" in _due(client)


def test_a_kept_group_is_written_in_the_users_language(client, world, login_as, db):
    user = login_as("staff")
    make_disturbance(world.participant, received_at=utcnow() - timedelta(days=7))
    db.session.commit()
    assert "Rättelseanmaning: kontakta hyresgästen." in _due(client)
    user.language = "en"
    db.session.commit()
    english = _due(client)
    assert "Rättelseanmaning" not in english and "Overdue" in english


def test_the_caseload_list_is_the_same_written_anew_or_kept(client, world, login_as, db):
    login_as("staff")
    for number in range(3):
        make_participant(world.org, world.team, f"Berit{number}", "Lista", phase=2)
    make_disturbance(world.participant, received_at=utcnow() - timedelta(days=7))
    db.session.commit()
    written = client.get("/participants").get_data(as_text=True)
    kept = client.get("/participants").get_data(as_text=True)
    templating._kept_markup.clear()
    anew = client.get("/participants").get_data(as_text=True)
    assert _without_tokens(written) == _without_tokens(kept) == _without_tokens(anew)
    assert "Rättelseanmaning" in written and written.count("Berit") == 3
    world.participant.phase = 3  # what a row shows is its key: a change is written anew
    world.participant.first_name = "Ny"
    db.session.commit()
    changed = client.get("/participants").get_data(as_text=True)
    assert "Ny Svensson" in changed and "Kalle" not in changed


def test_a_kept_visit_form_gets_this_requests_token_and_a_new_key_each_time(
        client, world, login_as, db):
    from tests.factories import local_at, make_appointment
    from webapp.timeutil import local_today

    staff = login_as("staff")
    for hour in (22, 23):
        make_appointment(world.participant, staff, local_at(local_today(), hour, 10))
    db.session.commit()
    keys = []
    for _ in range(2):
        html = client.get("/today").get_data(as_text=True)
        found = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        assert len(found) == 2 and "\x00" not in html
        assert tokens == set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))  # the page's own
        keys += found
    assert len(set(keys)) == 4  # a new key per form and view: never one written once
    # The kept form posts like a fresh one.
    appointment_id = re.findall(r'id="outcome-(\d+)"', html)[0]
    token = tokens.pop()
    response = client.post(
        f"/participants/{world.participant.id}/appointments/{appointment_id}/outcome",
        data={"csrf_token": token, "idempotency_key": keys[-1], "outcome": "done",
              "note": "", "next": "/today"})
    assert response.status_code in (200, 302, 303)
    assert "Registrerat:" in client.get("/today").get_data(as_text=True)
