"""What the caseload, Idag and the participant's overview show about a participant: the list
rows, where a due item is dealt with, the address and phone link, and the overview itself."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from flask_login import current_user
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    union_all,
)
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
    from ..models import Apartment, Contract, SupportAssignment, Team

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
                   SupportAssignment, Contract, Apartment, Team,
                   (func.coalesce(login.password_hash, "") != "").label("login_has_password"),
                   worker.display_name)
            .select_from(Participant)
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
    assignment, the current contract with its apartment and the team, which thereby sit in
    the session, so `person.team` needs no query of its own; of the login only whether it has
    a password, of the social worker the name (as objects they cost ~600 Python calls). The
    organisation comes with the user (`load_user`)."""
    return db.session.execute(_overview_statement(),
                              {"pid": person.id, "phase": person.phase}).one()


class Upcoming(NamedTuple):
    starts_at: datetime
    kind: str


class GivenConsent(NamedTuple):
    scope: str
    given_on: date


@cache
def _overview_lists():
    """The overview's four short lists in one statement, each row tagged with its list: 0 the
    absences, 1 the next three booked times, 2 the consents in force, 3 the directly assigned
    staff. Built once with the participant and the time as parameters; as four statements
    each cost a round trip and ~250 Python calls. Each list in the order it is shown: times
    soonest first, consents newest first, staff by name."""
    pid = bindparam("pid")
    no_day, no_time = null().cast(Date), null().cast(DateTime)

    def tag(number: int):
        return literal_column(str(number), Integer).label("list")

    coming = (select(Appointment.kind, Appointment.starts_at)
              .where(Appointment.participant_id == pid, Appointment.status == "booked",
                     Appointment.starts_at >= bindparam("now", type_=Appointment.starts_at.type))
              .order_by(Appointment.starts_at).limit(3).subquery())
    lists = union_all(
        select(tag(0), Absence.kind.label("text"), Absence.start_date.label("first"),
               Absence.end_date.label("last"), no_time.label("at"))
        .where(Absence.participant_id == pid),
        select(tag(1), coming.c.kind, no_day, no_day, coming.c.starts_at),
        select(tag(2), Consent.scope, Consent.given_on, no_day, no_time)
        .where(Consent.participant_id == pid, Consent.withdrawn_on.is_(None)),
        select(tag(3), User.display_name, no_day, no_day, no_time)
        .join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.participant_id == pid),
    ).subquery()
    return select(lists).order_by(lists.c.list, case((lists.c.list == 1, lists.c.at)),
                                  case((lists.c.list == 2, lists.c.first)).desc(),
                                  case((lists.c.list == 3, lists.c.text)))


def _lists(person: Participant, now: datetime) -> tuple[list, list, list, list]:
    """(absences as (kind, first day, last day), upcoming times, consents, staff names)."""
    lists: tuple[list, list, list, list] = ([], [], [], [])
    absences, upcoming, consents, assigned = lists
    for tag, text, first, last, at in db.session.execute(_overview_lists(),
                                                         {"pid": person.id, "now": now}):
        if tag == 0:
            absences.append((text, first, last))
        elif tag == 1:
            upcoming.append(Upcoming(at, text))
        elif tag == 2:
            consents.append(GivenConsent(text, first))
        else:
            assigned.append(text)
    return lists


def participant_overview(person: Participant) -> dict:
    """Everything on the participant's overview, in a fixed number of queries."""
    facts_row = _overview_facts(person)
    (phase_since, open_disturbances, move_in, reserve_key, assignment, contract, _apartment,
     _team, login_has_password, social_worker_name) = facts_row
    # Set from the session now: its identity map holds objects only while something refers
    # to them, and the template asks for it after this row is gone.
    _ = contract.apartment if contract else None
    org, today, now = current_user.organisation, local_today(), utcnow()
    rules = Rules.of(org, person.team)
    # Every absence once: the tenancy counter deducts them all, the relief cap counts its kind.
    every_absence, upcoming, consents, assigned = _lists(person, now)
    absences = [(first, last) for _kind, first, last in every_absence]
    compliance = None
    if person.phase == 2:
        done, _booked = caseload.home_visits_in_period([person.id], rules, today, now)
        compliance = visit_compliance(rules.visit_rule, done.get(person.id, []), today,
                                      absences)
    facts = Facts(participant_id=person.id, phase=person.phase,
                  decision_date=person.decision_date, review_date=person.review_date)
    relief = None
    if rules.relief_days_per_year:  # Stockholm: acute relief counted against a yearly cap
        days = relief_days_in_year(every_absence, today.year, today)
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
        reserve_key=reserve_key, tel_href=tel_href,
        # None without a login or a social worker.
        login_has_password=login_has_password if person.user_id else None,
        social_worker_name=social_worker_name,
    )
