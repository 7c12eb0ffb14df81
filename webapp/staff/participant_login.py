"""The participant's own login, created by staff when they first hand out an activation code."""
from __future__ import annotations

from ..audit import record
from ..extensions import db
from ..models import Participant, User
from ..usernames import participant_username


def username_for(person: Participant) -> str:
    """A random, easy username ("bertil4821"); a protected identity gets a neutral word."""
    return participant_username(person.first_name, person.protected_identity)


def ensure_participant_user(person: Participant) -> User:
    """The participant's own login, created (without a password) the first time."""
    if person.user is not None:
        return person.user
    user = User(organisation_id=person.organisation_id, username=username_for(person),
                display_name=person.masked_name if person.protected_identity
                else person.full_name,
                role="participant", language=person.preferred_language or "sv",
                phone="" if person.protected_identity else person.phone)
    db.session.add(user)
    db.session.flush()
    person.user_id = user.id
    record("create", participant_id=person.id, object_type="user", object_id=user.id)
    return user
