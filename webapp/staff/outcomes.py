"""Recording what came of a visit: when it may be recorded, and storing it (with the notice
housing administration is owed when a home visit in fas 2 did not happen)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from ..audit import record
from ..extensions import db
from ..models import OUTCOMES, Appointment, HousingNotice, Participant, VisitOutcome
from ..queries import current_contracts
from ..timeutil import local_today, to_local


def already_recorded_message(appointment: Appointment) -> str:
    label = OUTCOMES.get(appointment.outcome.outcome, "") if appointment.outcome else ""
    return _("Besöket är redan registrerat (%(outcome)s). Det går bara att registrera en gång.",
             outcome=label.lower())


def why_no_outcome(appointment: Appointment) -> str | None:
    if appointment.outcome is not None:
        return already_recorded_message(appointment)
    if appointment.status == "cancelled":
        return _("Tiden är inställd. Det finns inget besök att registrera.")
    if to_local(appointment.starts_at).date() > local_today():
        return _("Besöket har inte varit än. Registrera det samma dag eller senare.")
    return None


def store_outcome(person: Participant, appointment: Appointment, form,
                  key: str | None) -> VisitOutcome:
    """Store the outcome; a home visit not met in fas 2 also tells housing administration."""
    outcome = VisitOutcome(appointment_id=appointment.id, participant_id=person.id,
                           outcome=form.outcome.data, note=(form.note.data or "").strip(),
                           recorded_by_id=current_user.id, idempotency_key=key)
    db.session.add(outcome)
    db.session.flush()
    record("create", participant_id=person.id, object_type="visit_outcome", object_id=outcome.id)
    # Housing administration is owed a notice when a home visit in fas 2 did not happen (§1).
    if outcome.outcome == "not_met" and person.phase == 2 and appointment.kind == "home_visit":
        contract = current_contracts([person.id]).get(person.id)
        notice = HousingNotice(participant_id=person.id, visit_outcome_id=outcome.id,
                               apartment_id=contract.apartment_id if contract else None,
                               kind="visit_not_met", occurred_on=appointment.starts_at)
        db.session.add(notice)
        db.session.flush()
        record("create", participant_id=person.id, object_type="housing_notice",
               object_id=notice.id)
    return outcome
