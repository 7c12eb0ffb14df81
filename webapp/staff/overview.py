"""What the caseload, Idag and the participant's overview show about a participant: the list
rows, where a due item is dealt with, the address and phone link, and the overview itself."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from ..access import display_address
from ..domain.due import DueItem, Facts, Rules, review_date
from ..domain.social import relief_days_in_year, relief_warning
from ..domain.tenancy import add_months
from ..domain.visits import visit_compliance
from ..extensions import db
from ..models import (
    Absence,
    Appointment,
    Consent,
    Disturbance,
    Participant,
    PhaseChange,
    ReserveKey,
    StaffAssignment,
    User,
    utcnow,
)
from ..queries import current_contract_id, first_move_in_of, tenancy_for
from ..templating import cached_url_for
from ..timeutil import local_today
from . import caseload


@dataclass(frozen=True)
class CaseloadRow:
    participant: caseload.Person
    open_rattelse: bool
    visit_missing: bool
    next: caseload.NextVisit | None


def visit_facts(participant, done: dict[int, list]) -> Facts:
    return Facts(participant_id=participant.id, phase=participant.phase,
                 visits=done.get(participant.id, []))


def due_link(item: DueItem) -> str:
    """Where a due item is dealt with: the participant's right section (each URL built once
    per process: Idag links every item of its page)."""
    if item.kind == "missed_visit":
        return cached_url_for("social.explain_missed", participant_id=item.participant_id,
                       missed_id=item.object_id)
    if item.kind == "report" and item.period_start:
        return cached_url_for("social.reports", participant_id=item.participant_id,
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
    return cached_url_for(endpoint, participant_id=item.participant_id)


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


@cache
def _overview_statement():
    """The overview's one query, built once with the participant and phase as parameters:
    building it per request cost more than running it (two `aliased(User)` re-adapt every
    column, and each `==` builds an expression)."""
    from ..models import Apartment, Contract, Organisation, SupportAssignment, Team

    pid = bindparam("pid")
    login, worker = aliased(User), aliased(User)
    phase_since = (select(func.max(PhaseChange.started_on))
                   .where(PhaseChange.participant_id == pid,
                          PhaseChange.phase == bindparam("phase")).scalar_subquery())
    open_disturbances = (select(func.count(Disturbance.id))
                         .where(Disturbance.participant_id == pid,
                                Disturbance.followed_up_at.is_(None)).scalar_subquery())
    latest_assignment = (select(SupportAssignment.id)
                         .where(SupportAssignment.participant_id == pid)
                         .order_by(SupportAssignment.sent_on.desc(),
                                   SupportAssignment.id.desc()).limit(1).scalar_subquery())
    return (select(phase_since, open_disturbances, first_move_in_of(pid), ReserveKey,
                   SupportAssignment, Contract, Apartment, Organisation, Team, login, worker)
            .select_from(Participant)
            .join(Organisation, Organisation.id == Participant.organisation_id)
            .outerjoin(Team, Team.id == Participant.team_id)
            .outerjoin(ReserveKey, ReserveKey.participant_id == Participant.id)
            .outerjoin(SupportAssignment, SupportAssignment.id == latest_assignment)
            .outerjoin(Contract, Contract.id == current_contract_id(pid))
            .outerjoin(Apartment, Apartment.id == Contract.apartment_id)
            .outerjoin(login, login.id == Participant.user_id)
            .outerjoin(worker, worker.id == Participant.social_worker_id)
            .where(Participant.id == pid))


def _overview_facts(person: Participant):
    """One query for the overview's single values: the phase's start, open disturbances, the
    first move-in (the tenancy counter's start), the reserve key, the latest support
    assignment, the current contract with its apartment, and the organisation, team, login
    and social worker, which thereby sit in the session, so `current_user.organisation`,
    `person.team`, `person.user` and `person.social_worker` need no query of their own."""
    return db.session.execute(_overview_statement(),
                              {"pid": person.id, "phase": person.phase}).one()


@cache
def _overview_lists() -> dict:
    """The overview's lists, built once with the participant and the time as parameters."""
    pid = bindparam("pid")
    return dict(
        absences=select(Absence.kind, Absence.start_date, Absence.end_date)
        .where(Absence.participant_id == pid),
        upcoming=select(Appointment.starts_at, Appointment.kind)
        .where(Appointment.participant_id == pid, Appointment.status == "booked",
               Appointment.starts_at >= bindparam("now", type_=Appointment.starts_at.type))
        .order_by(Appointment.starts_at).limit(3),
        consents=select(Consent.scope, Consent.given_on)
        .where(Consent.participant_id == pid, Consent.withdrawn_on.is_(None))
        .order_by(Consent.given_on.desc()),
        assigned=select(User.display_name)
        .join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.participant_id == pid).order_by(User.display_name),
    )


def participant_overview(person: Participant) -> dict:
    """Everything on the participant's overview, in a fixed number of queries."""
    facts_row = _overview_facts(person)
    phase_since, open_disturbances, move_in, reserve_key, assignment, contract = facts_row[:6]
    # Set from the session now: its identity map holds objects only while something refers
    # to them, and the template asks for these after this row is gone.
    _ = person.social_worker, contract.apartment if contract else None
    org, today, now = current_user.organisation, local_today(), utcnow()
    rules = Rules.of(org, person.team)
    lists, params = _overview_lists(), {"pid": person.id, "now": now}
    # Every absence once: the tenancy counter deducts them all, the relief cap counts its kind.
    every_absence = db.session.execute(lists["absences"], params).all()
    absences = [(first, last) for _kind, first, last in every_absence]
    compliance = None
    if person.phase == 2:
        done, _booked = caseload.home_visits_in_period([person.id], rules, today, now)
        compliance = visit_compliance(rules.visit_rule, done.get(person.id, []), today,
                                      absences)
    upcoming = db.session.execute(lists["upcoming"], params).all()
    consents = db.session.execute(lists["consents"], params).all()
    assigned = db.session.scalars(lists["assigned"], params).all()
    facts = Facts(participant_id=person.id, phase=person.phase,
                  decision_date=person.decision_date, review_date=person.review_date)
    relief = None
    if rules.relief_days_per_year:  # Stockholm: acute relief counted against a yearly cap
        days = relief_days_in_year([tuple(r) for r in every_absence], today.year, today)
        relief = dict(days=days, cap=rules.relief_days_per_year,
                      level=relief_warning(days, rules.relief_days_per_year))
    tenancy = tenancy_for([person.id], org, today, absences={person.id: absences},
                          move_ins={person.id: move_in} if move_in else {})
    return dict(
        participant=person, contract=contract, today=today, assignment=assignment,
        relief=relief,
        address=display_address(person, full_address(contract.apartment),
                                apartment=contract.apartment) if contract else "",
        tenancy=tenancy[person.id],
        rules=rules, compliance=compliance, phase_since=phase_since, upcoming=upcoming,
        open_disturbances=open_disturbances, consents=consents, assigned=assigned,
        review=review_date(facts, rules) if person.phase < 4 else person.review_date,
        decision_end=add_months(person.decision_date, rules.decision_months)
        if person.decision_date else None,
        reserve_key=reserve_key, tel_href=tel_href, login=person.user,
    )
