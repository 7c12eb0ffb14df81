"""Admin work kept out of the views: loading facts for figures and the log review, CSV."""
from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import Select, or_, select

from ..access import directly_assigned_ids, visible_participants
from ..auth.credentials import activation_qr_svg, hash_password, issue_activation_code
from ..domain.figures import ParticipantFacts
from ..domain.log_review import AccessEvent
from ..extensions import db
from ..models import (
    Appointment,
    AuditEvent,
    ChecklistSubmission,
    Contract,
    Disturbance,
    Offer,
    Participant,
    PhaseChange,
    User,
    VisitOutcome,
)
from ..timeutil import to_local, to_utc

# No 0/O, 1/l: a temporary password is read from the screen and typed once.
TEMP_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    raw = "".join(secrets.choice(TEMP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def set_temporary_password(user: User) -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True  # a password someone else has seen: changed at sign-in
    return password


def participant_login(participant: Participant) -> User:
    """The participant's own login: the same one the staff route creates (a protected identity
    gets a neutral username and the masked name, never the real one)."""
    from ..staff.participant_login import ensure_participant_user

    return ensure_participant_user(participant)


def activation(user: User, issued_by: User) -> dict:
    """Issue a code; return what the page shows once: code, link and QR."""
    code = issue_activation_code(user, issued_by)
    link = current_app.config["BOFAST_BASE_URL"].rstrip("/") + url_for("auth.activate",
                                                                         code=code)
    return {"code": code, "link": link, "qr": activation_qr_svg(link), "username": user.username}


# --- Figures ------------------------------------------------------------------------------

def figure_facts(organisation_id: int) -> list[ParticipantFacts]:
    """Everything the figures need, in seven queries for the whole organisation."""
    people = db.session.execute(
        select(Participant.id, Participant.decision_date)
        .where(Participant.organisation_id == organisation_id)
    ).all()
    ids = [row.id for row in people]
    if not ids:
        return []
    phases, contracts, visits = defaultdict(list), defaultdict(list), defaultdict(list)
    months, disturbances = defaultdict(set), defaultdict(list)
    for pid, started, phase in db.session.execute(
            select(PhaseChange.participant_id, PhaseChange.started_on, PhaseChange.phase)
            .where(PhaseChange.participant_id.in_(ids))):
        phases[pid].append((started, phase))
    transfers, ends, move_in_of = defaultdict(list), defaultdict(list), {}
    for _cid, pid, move_in, ended, terminated, reason, first_hand, offer_id in db.session.execute(
            select(Contract.id, Contract.participant_id, Contract.move_in_date, Contract.ended_on,
                   Contract.terminated_on, Contract.end_reason, Contract.first_hand_on,
                   Contract.offer_id)
            .where(Contract.participant_id.in_(ids), Contract.move_in_date.is_not(None))):
        # Honest kvarboende: a terminated tenancy stops counting as housed at the termination,
        # even while the keys are not yet handed back.
        end = ended
        if reason == "terminated" and terminated and (end is None or terminated < end):
            end = terminated
        contracts[pid].append((move_in, end))
        if first_hand:
            transfers[pid].append((move_in, first_hand))
        if reason and end:
            ends[pid].append((end, reason))
        if offer_id:
            move_in_of[offer_id] = move_in
    offers = defaultdict(list)
    for oid, pid, offered, second in db.session.execute(
            select(Offer.id, Offer.participant_id, Offer.offered_on, Offer.second_apartment_id)
            .where(Offer.participant_id.in_(ids))):
        offers[pid].append((offered, second is not None, move_in_of.get(oid)))
    for pid, starts_at, with_soc in db.session.execute(
            select(Appointment.participant_id, Appointment.starts_at,
                   Appointment.with_social_services)
            .join(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
            .where(Appointment.participant_id.in_(ids), Appointment.kind == "home_visit",
                   VisitOutcome.outcome == "done")):
        visits[pid].append((to_local(starts_at).date(), with_soc))
    for pid, month in db.session.execute(
            select(ChecklistSubmission.participant_id, ChecklistSubmission.month)
            .where(ChecklistSubmission.participant_id.in_(ids)).distinct()):
        months[pid].add(month)
    for pid, occurred in db.session.execute(
            select(Disturbance.participant_id, Disturbance.occurred_on)
            .where(Disturbance.participant_id.in_(ids))):
        disturbances[pid].append(occurred)
    return [
        ParticipantFacts(
            id=row.id, decision_date=row.decision_date, phases=tuple(phases[row.id]),
            contracts=tuple(contracts[row.id]), visits=tuple(visits[row.id]),
            checklist_months=frozenset(months[row.id]),
            disturbances=tuple(disturbances[row.id]), offers=tuple(offers[row.id]),
            transfers=tuple(transfers[row.id]), ends=tuple(ends[row.id]))
        for row in people
    ]


# --- Audit log ----------------------------------------------------------------------------

def local_range_utc(start: date | None, end: date | None) -> tuple[datetime | None,
                                                                  datetime | None]:
    """Local dates (end inclusive) -> the UTC interval [from, to)."""
    lo = to_utc(datetime.combine(start, datetime.min.time())) if start else None
    hi = to_utc(datetime.combine(end + timedelta(days=1), datetime.min.time())) if end else None
    return lo, hi


def audit_query(organisation_id: int, user_id=None, participant_id=None, start=None,
                end=None) -> Select:
    org_users = select(User.id).where(User.organisation_id == organisation_id)
    org_people = select(Participant.id).where(Participant.organisation_id == organisation_id)
    query = select(AuditEvent).where(
        AuditEvent.user_id.in_(org_users) | AuditEvent.participant_id.in_(org_people)
    )
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    if participant_id:
        query = query.where(AuditEvent.participant_id == participant_id)
    lo, hi = local_range_utc(start, end)
    if lo:
        query = query.where(AuditEvent.at >= lo)
    if hi:
        query = query.where(AuditEvent.at < hi)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def month_access_events(organisation_id: int, month: date) -> list[AccessEvent]:
    """Every event about a participant in the local calendar month starting on `month`."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    lo, hi = local_range_utc(month, next_month - timedelta(days=1))
    org_people = select(Participant.id).where(Participant.organisation_id == organisation_id)
    org_users = select(User.id).where(User.organisation_id == organisation_id)
    # Refusals count even when the id named nobody (or someone in another organisation).
    rows = db.session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.user_id, AuditEvent.role,
               AuditEvent.action, AuditEvent.participant_id)
        .where(or_(AuditEvent.participant_id.in_(org_people),
                   (AuditEvent.action == "refused") & AuditEvent.user_id.in_(org_users)),
               AuditEvent.at >= lo, AuditEvent.at < hi)
    ).all()
    return [AccessEvent(id=r.id, at_local=to_local(r.at).replace(tzinfo=None),
                        user_id=r.user_id, role=r.role, action=r.action,
                        participant_id=r.participant_id) for r in rows]


def caseloads(user_ids: set[int]) -> dict[int, set[int]]:
    """Per user: participants in their scope now, plus those directly assigned."""
    result = {}
    for user in db.session.scalars(select(User).where(User.id.in_(user_ids))):
        visible = set(db.session.scalars(
            visible_participants(user).with_only_columns(Participant.id)))
        result[user.id] = visible | directly_assigned_ids(user)
    return result


def csv_cell(value) -> str:
    """Text that a spreadsheet could run as a formula is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens Swedish characters correctly
