"""The participant's personal calendar feed (.ics), built with the `icalendar` package.

A calendar app polls the feed through a secret URL and syncs it to servers we do not control,
so an event says only what kind of meeting it is and when: no names, no addresses, no notes.
The app itself shows the details.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from .extensions import db
from .models import Appointment, User

# Neutral summaries: a lock screen or a synced calendar shows these (DESIGN §6 spirit).
SUMMARIES = {
    "home_visit": "Hembesök",
    "phone": "Telefonsamtal",
    "healthcare": "Besök med följe",
}
DEFAULT_SUMMARY = "Möte"
HISTORY = timedelta(days=30)  # recent past events stay in the calendar app


def participant_appointments(participant_id: int, since: datetime, limit: int = 200):
    """Booked appointments the participant may see, from `since` (naive UTC), in time order."""
    return db.session.scalars(
        select(Appointment)
        .where(Appointment.participant_id == participant_id,
               Appointment.visible_to_participant.is_(True),
               Appointment.status == "booked",
               Appointment.starts_at >= since)
        .order_by(Appointment.starts_at)
        .limit(limit)
    ).all()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def build_feed(appointments, link: str, now: datetime) -> bytes:
    """An iCalendar document with one VEVENT per appointment; `link` points back to the app."""
    cal = Calendar()
    cal.add("prodid", "-//Bofast//Mina tider//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Bofast")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    stamp = _utc(now)
    for appointment in appointments:
        event = Event()
        event.add("uid", f"appointment-{appointment.id}@bofast")
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(appointment.starts_at))
        event.add("dtend", _utc(appointment.starts_at)
                  + timedelta(minutes=appointment.duration_minutes or 60))
        event.add("summary", SUMMARIES.get(appointment.kind, DEFAULT_SUMMARY))
        event.add("description", f"Mer information finns i Bofast: {link}")
        event.add("url", link)
        event.add("last-modified", _utc(appointment.updated_at or appointment.created_at))
        cal.add_component(event)
    return cal.to_ical()


def user_for_token(token: str) -> User | None:
    """The active user whose feed this is, or None (the caller answers 404)."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active or not secrets.compare_digest(user.calendar_token, token):
        return None
    return user


def rotate_token(user: User) -> str:
    """A new secret: the old feed URL stops working at once."""
    user.calendar_token = secrets.token_urlsafe(24)
    return user.calendar_token
