"""Booking and moving appointments: the participant's two lists of them, who may hold one, the
form filled from and into the row, and when a booked time can no longer be changed."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import DateTime, and_, bindparam, case, func, or_, select

from ..extensions import db
from ..models import (
    Appointment,
    Participant,
    StaffAssignment,
    TeamMembership,
    User,
    VisitOutcome,
)
from ..timeutil import local_today, to_local, to_utc
from .forms import AppointmentForm


class ListedAppointment(NamedTuple):
    """An appointment as the participant's list shows it, with its outcome and the staff
    member's name: columns, not objects (loading objects cost more than the query)."""
    id: int
    starts_at: datetime
    kind: str
    location: str
    duration_minutes: int
    status: str
    with_social_services: bool
    visible_to_participant: bool
    created_at: datetime
    staff_name: str | None
    outcome: str | None
    outcome_recorded_at: datetime | None


class AppointmentPages(NamedTuple):
    upcoming: tuple[ListedAppointment, ...]  # tuples: the list's kept markup has them as key
    upcoming_total: int
    past: tuple[ListedAppointment, ...]
    past_total: int


UPCOMING_DAYS = 3660  # the coming list: the next ten years
PAST_DAYS = 365  # the past list: the last year


@cache
def _appointment_pages_statement():
    """`appointment_pages`' query, built once: the participant, the start of today and the
    rows of each page are parameters (building it per request cost as much as running it)."""
    start = bindparam("start", type_=Appointment.starts_at.type)
    side = case((and_(Appointment.starts_at >= start,
                      Appointment.starts_at < bindparam("upcoming_end", type_=DateTime)), 0),
                (and_(Appointment.starts_at >= bindparam("past_start", type_=DateTime),
                      Appointment.starts_at < start), 1))
    coming, went = side == 0, side == 1
    order = (case((coming, Appointment.starts_at)), case((went, Appointment.starts_at)).desc(),
             case((coming, Appointment.id)), case((went, Appointment.id)).desc())
    numbered = (
        select(Appointment.id, side.label("side"),
               func.count().over(partition_by=side).label("total"),
               func.row_number().over(partition_by=side, order_by=order).label("place"))
        .where(Appointment.participant_id == bindparam("pid"), side.is_not(None))).subquery()
    shown = [and_(numbered.c.side == index, numbered.c.place > bindparam(f"first{index}"),
                  numbered.c.place <= bindparam(f"last{index}")) for index in (0, 1)]
    return (select(Appointment.id, Appointment.starts_at, Appointment.kind,
                   Appointment.location, Appointment.duration_minutes, Appointment.status,
                   Appointment.with_social_services, Appointment.visible_to_participant,
                   Appointment.created_at, User.display_name, VisitOutcome.outcome,
                   VisitOutcome.recorded_at, numbered.c.side, numbered.c.total)
            .join(numbered, numbered.c.id == Appointment.id)
            .outerjoin(User, User.id == Appointment.staff_id)
            .outerjoin(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
            .where(or_(*shown)).order_by(numbered.c.side, numbered.c.place))


def appointment_pages(participant_id: int, start_today: datetime, pages: tuple[int, int],
                      size: int) -> AppointmentPages:
    """One participant's appointments on two lists at once: the coming ones (from
    `start_today`, naive UTC, for UPCOMING_DAYS) oldest first and the past ones (PAST_DAYS
    back) newest first, page `pages[0]` and `pages[1]` of `size` rows each, with outcome and
    staff name, and each list's total. One query: each list numbered in its order with its
    count alongside."""
    params = {"pid": participant_id, "start": start_today,
              "upcoming_end": start_today + timedelta(days=UPCOMING_DAYS),
              "past_start": start_today - timedelta(days=PAST_DAYS)}
    for index, page in enumerate(pages):
        params[f"first{index}"], params[f"last{index}"] = (page - 1) * size, page * size
    lists: tuple[list, list] = ([], [])
    totals = [0, 0]
    for *columns, index, total in db.session.execute(_appointment_pages_statement(), params):
        lists[index].append(ListedAppointment(*columns))
        totals[index] = total
    return AppointmentPages(tuple(lists[0]), totals[0], tuple(lists[1]), totals[1])


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
