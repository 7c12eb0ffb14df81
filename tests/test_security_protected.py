"""Protected identities (skyddad identitet) never reach people who are not directly assigned.

A protected participant sits in the staff user's own team, housed in the housing team's
apartment, with appointments with that staff user, a disturbance and a submitted checklist,
but nobody is directly assigned. Every GET route (pages, fragments, exports, .ics feeds, JSON)
that any such user can reach, and every push reminder body, must never contain the name, the
address or the phone number.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_appointment, make_participant
from tests.routewalk import build_url, enrich_world, param_values
from webapp.extensions import db
from webapp.models import (
    Apartment,
    ChecklistSubmission,
    ChecklistTemplate,
    Contract,
    Disturbance,
    Reminder,
    User,
    utcnow,
)
from webapp.timeutil import local_today

FIRST, LAST = "Zlatana", "Hemlighetsdottir"
ADDRESS, PHONE = "Tystagatan 77", "070-999 77 66"
SECRETS = (FIRST, LAST, ADDRESS, PHONE, "Tystagatan")
NOT_ASSIGNED = ("staff", "social_worker", "housing", "admin", "participant", "other_staff",
                "other_participant")


def _protected(world):
    staff = world.users["staff"]
    person = make_participant(world.org, world.team, FIRST, LAST, protected=True,
                              housing_team=world.housing_team, phone=PHONE)
    contract = db.session.scalar(db.select(Contract).where(Contract.participant_id == person.id))
    apartment = db.session.get(Apartment, contract.apartment_id)
    apartment.address = ADDRESS
    now = utcnow().replace(second=0, microsecond=0)
    for when in (now + timedelta(hours=2), now + timedelta(days=1), now - timedelta(days=1)):
        make_appointment(person, staff, when)
    db.session.add(Disturbance(participant_id=person.id, apartment_id=apartment.id,
                               occurred_on=local_today(), source="neighbour", severity="rattelse",
                               description="Hög musik", reported_by_id=world.users["housing"].id))
    template = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id))
    db.session.add(ChecklistSubmission(
        participant_id=person.id, apartment_id=apartment.id, template_id=template.id,
        month=local_today().strftime("%Y-%m"), held_on=local_today(), present="Personal",
        submitted_by_id=staff.id))
    db.session.commit()
    return person


def _leaks(text: str) -> list[str]:
    text = text.replace("\r\n ", "").replace("\n ", "")  # unfold .ics lines
    return [secret for secret in SECRETS if secret in text]


def _get_urls(app, values_list) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule == "/logout":
            continue
        for values in values_list:
            url = build_url(rule, values)
            if url is not None and url not in urls:
                urls.append(url)
    return urls


def _calendar_urls(app, users) -> list[str]:
    return [build_url(rule, {"token": user.calendar_token})
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/calendar/")
            for user in users if set(rule.arguments) == {"token"}]


@pytest.mark.parametrize("role", NOT_ASSIGNED)
def test_protected_identity_never_reaches_users_not_directly_assigned(
    app, world, client, login_as, role
):
    extras = enrich_world(world)
    person = _protected(world)
    base = param_values(world, extra={"appointment_id": extras.appointment_ids[0]})
    urls = _get_urls(app, [base, base | {"participant_id": person.id}])
    leaks, seen = [], 0
    for url in urls:
        for htmx in (False, True):
            login_as(role)
            response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
            assert response.status_code < 500, f"{url}: {response.status_code}"
            if response.status_code == 200:
                seen += 1
                # Binary answers (icons) are read leniently: text in them would still show.
                found = _leaks(response.get_data().decode("utf-8", errors="replace"))
                if found:
                    leaks.append(f"{role} GET {url}{' (htmx)' if htmx else ''}: {found}")
    assert seen, "the walk reached no page"
    assert not leaks, "\n".join(leaks)


def test_protected_identity_never_in_calendar_feeds_or_push_bodies(app, world, client):
    enrich_world(world)
    _protected(world)
    users = db.session.scalars(db.select(User)).all()
    leaks = []
    for url in _calendar_urls(app, users):
        response = client.get(url)
        assert response.status_code < 500, url
        if found := _leaks(response.get_data(as_text=True)):
            leaks.append(f"GET {url}: {found}")
    cli = app.cli.commands.get("reminders")
    if cli is not None and "send-due" in getattr(cli, "commands", {}):
        result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
        assert result.exit_code == 0, result.output
    for reminder in db.session.scalars(db.select(Reminder)):
        if found := _leaks(f"{reminder.title} {reminder.body} {reminder.url}"):
            leaks.append(f"reminder {reminder.id} to user {reminder.user_id}: {found}")
    assert not leaks, "\n".join(leaks)


def test_the_walk_does_show_unprotected_names(app, world, client, login_as):
    """Sanity check for the leak test: the same walk finds an ordinary participant's name."""
    login_as("staff")
    urls = _get_urls(app, [param_values(world)])
    assert any("Svensson" in client.get(url).get_data(as_text=True) for url in urls)
