"""Participant pages in plain Swedish (issue 16.7): reminders first, telefon not enhet/servern,
112 and the support worker as call buttons."""
from __future__ import annotations

import re

from webapp.models import StaffAssignment


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_settings_put_the_reminder_choices_first_in_plain_words(client, world, login_as):
    login_as("participant")
    html = client.get("/push/settings").get_data(as_text=True)
    assert html.index('id="push-prefs-heading"') < html.index('id="push-device-heading"')
    words = _text(html).lower()
    assert not re.search(r"\benhet", words) and "servern" not in words
    assert "telefon" in words


def test_contacts_112_is_a_call_link(client, world, login_as):
    login_as("participant")
    assert 'href="tel:112"' in client.get("/me/contacts").get_data(as_text=True)


def test_cannot_come_offers_to_call_the_support_worker(client, world, login_as, db):
    staff = world.users["staff"]
    staff.phone = "070-111 22 33"
    assignment = db.session.scalar(db.select(StaffAssignment).where(
        StaffAssignment.participant_id == world.participant.id,
        StaffAssignment.user_id == staff.id))
    assignment.is_primary = True
    db.session.commit()
    login_as("participant")
    html = client.get("/me/appointments").get_data(as_text=True)
    section = html.split("Kan du inte komma?")[1].split("</section>")[0]
    assert 'href="tel:070-1112233"' in section
