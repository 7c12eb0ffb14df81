"""Logic behind the staff views, kept out of the views so they stay short (STYLE §6)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..access import display_address
from ..audit import record
from ..domain.due import DueItem, Facts, Rules, review_date
from ..domain.tenancy import add_months
from ..domain.visits import visit_compliance
from ..extensions import db
from ..models import (
    OUTCOMES,
    Appointment,
    Consent,
    Disturbance,
    HousingNotice,
    Participant,
    PhaseChange,
    ReserveKey,
    StaffAssignment,
    TeamMembership,
    User,
    VisitOutcome,
    utcnow,
)
from ..queries import absences_by_participant, current_contracts, tenancy_for
from ..timeutil import local_today, to_local, to_utc
from ..urlsafety import safe_next  # noqa: F401 - used by the routes as services.safe_next
from ..usernames import participant_username
from . import caseload
from .forms import AppointmentForm

# --- Lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    participant: Participant
    open_rattelse: bool
    visit_missing: bool
    next: Appointment | None


def visit_facts(participant: Participant, done: dict[int, list]) -> Facts:
    return Facts(participant_id=participant.id, phase=participant.phase,
                 visits=done.get(participant.id, []))


def due_link(item: DueItem) -> str:
    """Where a due item is dealt with: the participant's right section."""
    if item.kind == "missed_visit":
        return url_for("social.explain_missed", participant_id=item.participant_id,
                       missed_id=item.object_id)
    if item.kind == "report" and item.period_start:
        return url_for("social.reports", participant_id=item.participant_id,
                       month=f"{item.period_start:%Y-%m}")
    endpoint = {
        "goal": "social.plan_details",
        "relief": "staff.events",
        "review": "social.decisions",
        "visit": "staff.appointments",
        "checklist": "checklists.new",
        "checklist_last_month": "checklists.new",
        "open_support_info": "staff.tenancy",
        "breakdown": "staff.tenancy",
        "joint_follow_up": "staff.tenancy",
        "rattelse": "staff.events",
    }.get(item.kind, "staff.participant")
    return url_for(endpoint, participant_id=item.participant_id)


# --- Participant overview -------------------------------------------------------------------

def full_address(apartment) -> str:
    parts = [apartment.address]
    if apartment.apartment_number:
        parts[0] += f", lgh {apartment.apartment_number}"
    town = " ".join(part for part in (apartment.postal_code, apartment.city) if part)
    if town:
        parts.append(town)
    return ", ".join(parts)


def tel_href(phone: str) -> str:
    return "tel:" + re.sub(r"[^0-9+]", "", phone)


def overview(person: Participant) -> dict:
    """Everything on the participant's overview, in a fixed number of queries."""
    org, today, now = current_user.organisation, local_today(), utcnow()
    rules = Rules.of(org, person.team)
    contract = current_contracts([person.id]).get(person.id)
    compliance = None
    if person.phase == 2:
        done, _booked = caseload.home_visits_in_period([person.id], rules, today, now)
        compliance = visit_compliance(rules.visit_rule, done.get(person.id, []), today,
                                      absences_by_participant([person.id]).get(person.id, []))
    phase_since = db.session.scalar(
        select(func.max(PhaseChange.started_on))
        .where(PhaseChange.participant_id == person.id, PhaseChange.phase == person.phase))
    upcoming = db.session.scalars(
        select(Appointment).where(Appointment.participant_id == person.id,
                                  Appointment.status == "booked", Appointment.starts_at >= now)
        .order_by(Appointment.starts_at).limit(3)).all()
    open_disturbances = db.session.scalar(
        select(func.count(Disturbance.id)).where(Disturbance.participant_id == person.id,
                                                 Disturbance.followed_up_at.is_(None)))
    consents = db.session.scalars(
        select(Consent).where(Consent.participant_id == person.id,
                              Consent.withdrawn_on.is_(None))
        .order_by(Consent.given_on.desc())).all()
    assigned = db.session.scalars(
        select(User).join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.participant_id == person.id).order_by(User.display_name)).all()
    facts = Facts(participant_id=person.id, phase=person.phase,
                  decision_date=person.decision_date, review_date=person.review_date)
    from ..domain.social import relief_days_in_year, relief_warning
    from ..models import Absence, SupportAssignment

    relief = None
    if rules.relief_days_per_year:  # Stockholm: acute relief counted against a yearly cap
        rows = db.session.execute(select(Absence.kind, Absence.start_date, Absence.end_date)
                                  .where(Absence.participant_id == person.id)).all()
        days = relief_days_in_year([tuple(r) for r in rows], today.year, today)
        relief = dict(days=days, cap=rules.relief_days_per_year,
                      level=relief_warning(days, rules.relief_days_per_year))
    assignment = db.session.scalar(
        select(SupportAssignment).where(SupportAssignment.participant_id == person.id)
        .order_by(SupportAssignment.sent_on.desc(), SupportAssignment.id.desc()).limit(1))
    return dict(
        participant=person, contract=contract, today=today, assignment=assignment,
        relief=relief,
        address=display_address(person, full_address(contract.apartment),
                                apartment=contract.apartment) if contract else "",
        tenancy=tenancy_for([person.id], org, today)[person.id], rules=rules,
        compliance=compliance, phase_since=phase_since, upcoming=upcoming,
        open_disturbances=open_disturbances, consents=consents, assigned=assigned,
        review=review_date(facts, rules) if person.phase < 4 else person.review_date,
        decision_end=add_months(person.decision_date, rules.decision_months)
        if person.decision_date else None,
        reserve_key=db.session.scalar(
            select(ReserveKey).where(ReserveKey.participant_id == person.id)),
        tel_href=tel_href, login=person.user,
    )


# --- Participant login ----------------------------------------------------------------------

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


# --- Appointments ---------------------------------------------------------------------------

def staff_choices(person: Participant) -> list[tuple[int, str]]:
    """Staff who may hold the appointment: the participant's team and directly assigned."""
    team_members = select(TeamMembership.user_id).where(TeamMembership.team_id == person.team_id)
    assigned = select(StaffAssignment.user_id).where(StaffAssignment.participant_id == person.id)
    users = db.session.scalars(
        select(User).where(User.organisation_id == person.organisation_id,
                           User.role == "staff", User.active.is_(True),
                           or_(User.id.in_(team_members), User.id.in_(assigned)))
        .order_by(User.display_name)).all()
    choices = [(u.id, u.display_name) for u in users]
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


# --- Visit outcomes ---------------------------------------------------------------------------

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
