"""The participant's own offline page (issue 16.6): who to call, with no connection.

The phone keeps it (with /me/contacts and /me/appointments) for offline reading; the service
worker shows it instead of the staff-side offline page for any page it cannot fetch.
"""
from __future__ import annotations

from sqlalchemy import select

from ..access import own_participant
from ..extensions import db
from ..models import Organisation, StaffAssignment, User
from ..rendering import render
from . import bp, plain_words


def primary_worker(participant) -> User | None:
    """The support worker to call (the primary one first)."""
    return db.session.scalar(
        select(User).join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.participant_id == participant.id, User.active.is_(True))
        .order_by(StaffAssignment.is_primary.desc(), User.display_name).limit(1))


@bp.route("/me/offline")
def offline():
    participant = own_participant()
    org = db.session.get(Organisation, participant.organisation_id)
    return render("me/offline.html", org=org, worker=primary_worker(participant), words=plain_words)
