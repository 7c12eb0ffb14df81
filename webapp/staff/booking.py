"""Booking and moving appointments: who may hold one, the form filled from and into the row,
and when a booked time can no longer be changed."""
from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, or_, select

from ..extensions import db
from ..models import Appointment, Participant, StaffAssignment, TeamMembership, User
from ..timeutil import local_today, to_local, to_utc
from .forms import AppointmentForm


@cache
def _staff_choices_statement():
    """Active staff of the organisation in the participant's team or directly assigned, built
    once with the participant as parameters (building it cost as much as running it)."""
    team_members = select(TeamMembership.user_id).where(
        TeamMembership.team_id == bindparam("team_id"))
    assigned = select(StaffAssignment.user_id).where(
        StaffAssignment.participant_id == bindparam("pid"))
    return (select(User.id, User.display_name)
            .where(User.organisation_id == bindparam("org_id"), User.role == "staff",
                   User.active.is_(True),
                   or_(User.id.in_(team_members), User.id.in_(assigned)))
            .order_by(User.display_name))


def staff_choices(person: Participant) -> list[tuple[int, str]]:
    """Staff who may hold the appointment: the participant's team and directly assigned."""
    choices = [tuple(row) for row in db.session.execute(
        _staff_choices_statement(),
        {"team_id": person.team_id, "pid": person.id, "org_id": person.organisation_id})]
    if current_user.role == "staff" and current_user.id not in {c[0] for c in choices}:
        choices.insert(0, (current_user.id, current_user.display_name))
    return choices


def appointment_form(person: Participant, appointment: Appointment | None = None,
                     ) -> AppointmentForm:
    choices = staff_choices(person)
    if appointment is None:
        data = dict(staff_id=current_user.id if current_user.role == "staff" else None,
                    day=local_today())
        return AppointmentForm(staff_choices=choices, data=data)
    local = to_local(appointment.starts_at).replace(tzinfo=None)
    if appointment.staff_id and appointment.staff_id not in {c[0] for c in choices}:
        choices.append((appointment.staff_id, appointment.staff.display_name))
    data = dict(kind=appointment.kind, day=local.date(), time=local.time(),
                duration_minutes=appointment.duration_minutes, location=appointment.location,
                staff_id=appointment.staff_id,
                visible_to_participant=appointment.visible_to_participant,
                with_social_services=appointment.with_social_services, note=appointment.note)
    return AppointmentForm(staff_choices=choices, data=data, is_new=False, original=local)


def apply_appointment_form(appointment: Appointment, form: AppointmentForm) -> None:
    appointment.kind = form.kind.data
    appointment.starts_at = to_utc(form.starts_at_local())
    appointment.duration_minutes = form.duration_minutes.data
    appointment.location = (form.location.data or "").strip()
    appointment.staff_id = form.staff_id.data
    appointment.visible_to_participant = bool(form.visible_to_participant.data)
    appointment.with_social_services = bool(form.with_social_services.data)
    appointment.note = (form.note.data or "").strip()


def why_not_editable(appointment: Appointment) -> str | None:
    if appointment.status == "cancelled":
        return _("Tiden är inställd och kan inte ändras. Boka en ny tid i stället.")
    if appointment.outcome is not None:
        return _("Besöket är redan registrerat och kan inte flyttas.")
    return None
