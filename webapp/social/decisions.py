"""Storing the social worker's decisions: a new one supersedes the live one of its kind, and the
participant's decision and review dates follow the current support decision."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..audit import record
from ..domain.social import current_decision, denormalised_dates
from ..extensions import db
from ..models import Decision, Participant


def save_decision(person: Participant, decision: Decision, user, supersede: bool) -> None:
    """Store a decision; a new one supersedes the live one of its kind. The participant's
    decision_date/review_date follow the current support decision."""
    if decision.id is None:
        db.session.add(decision)
        db.session.flush()
        if supersede:
            for old in db.session.scalars(select(Decision).where(
                    Decision.participant_id == person.id, Decision.kind == decision.kind,
                    Decision.superseded_by_id.is_(None), Decision.id != decision.id)):
                old.superseded_by_id, old.superseded_at = decision.id, decision.created_at
        record("create", participant_id=person.id, object_type="decision",
               object_id=decision.id)
    else:
        decision.updated_by_id = user.id
        record("update", participant_id=person.id, object_type="decision",
               object_id=decision.id)
    db.session.flush()
    sync_decision_dates(person)


def record_known_decision(person: Participant, decided_on: date | None, user) -> None:
    """A support decision already taken before Bofast (the admin's participant form, the
    caseload import): stored as a Decision, so its history and review date follow the same
    rules as one the social worker records."""
    if decided_on is None:
        return
    save_decision(person, Decision(participant_id=person.id, kind="support",
                                   decided_on=decided_on, starts_on=decided_on,
                                   recorded_by_id=user.id), user, supersede=False)


def sync_decision_dates(person: Participant) -> None:
    decisions = db.session.scalars(select(Decision).where(
        Decision.participant_id == person.id)).all()
    current = current_decision(decisions, "support")
    if current is not None:
        person.decision_date, person.review_date = denormalised_dates(current)
