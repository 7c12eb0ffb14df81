"""Loading what the programme figures need (webapp/domain/figures.py computes them).

A fixed number of statements for the whole organisation, whatever its size. Home visits are the
one table that grows without bound, so the database counts them per participant and period of
the visit rule (GROUP BY) instead of sending every visit here. Periods are local weeks or
months: their bounds are computed here in local time and handed to the query in UTC, so the
count is the same on SQLite and PostgreSQL and across daylight saving.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from ..domain.figures import ParticipantFacts, last_months, month_end, period_starts
from ..domain.visits import period_bounds
from ..extensions import db
from ..models import (
    ChecklistSubmission,
    Contract,
    Disturbance,
    Offer,
    Participant,
    PhaseChange,
)
from ..queries import period_visits
from ..timeutil import local_today, month_key


def _tenancies(session, org_people):
    """Per participant: contracts (move-in, end), transfers (move-in, first-hand date), ends
    (end, reason) and offers (offered, two apartments, move-in that followed)."""
    contracts, transfers, ends, offers = (defaultdict(list) for _ in range(4))
    move_in_of = {}
    for pid, move_in, ended, terminated, reason, first_hand, offer_id in session.execute(
            select(Contract.participant_id, Contract.move_in_date, Contract.ended_on,
                   Contract.terminated_on, Contract.end_reason, Contract.first_hand_on,
                   Contract.offer_id)
            .where(Contract.participant_id.in_(org_people), Contract.move_in_date.is_not(None))):
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
    for oid, pid, offered, second in session.execute(
            select(Offer.id, Offer.participant_id, Offer.offered_on, Offer.second_apartment_id)
            .where(Offer.participant_id.in_(org_people))):
        offers[pid].append((offered, second is not None, move_in_of.get(oid)))
    return contracts, transfers, ends, offers


def figure_facts(organisation_id: int, period: str = "week", last: date | None = None,
                 months: int = 12, session=None, today: date | None = None
                 ) -> list[ParticipantFacts]:
    """Everything the figures of the `months` months ending with the month of `last` (default:
    this month) need, for the whole organisation. Visits are counted per `period` (the visit
    rule's "week" or "month"); checklists, disturbances and visits outside those months are not
    read (no figure of those months looks at them). With `today`, neither are the visits of
    periods not over by then (the figures leave those periods out). `session`: another than
    the app's (the stored figures are computed in their own transaction)."""
    session = session or db.session
    window = last_months(last or local_today(), months)
    first, final = window[0], month_end(window[-1])
    counted = final
    if today is not None:
        over = [start for start in period_starts(first, final, period)
                if period_bounds(start, period)[1] <= today]
        counted = over[-1] if over else None
    people = session.execute(
        select(Participant.id, Participant.decision_date)
        .where(Participant.organisation_id == organisation_id).order_by(Participant.id)
    ).all()
    if not people:
        return []
    # A subquery, not a list of ids: one statement, however many participants.
    org_people = select(Participant.id).where(Participant.organisation_id == organisation_id)
    phases, months_done, disturbances = defaultdict(list), defaultdict(set), defaultdict(list)
    for pid, started, phase in session.execute(
            select(PhaseChange.participant_id, PhaseChange.started_on, PhaseChange.phase)
            .where(PhaseChange.participant_id.in_(org_people))):
        phases[pid].append((started, phase))
    contracts, transfers, ends, offers = _tenancies(session, org_people)
    visits = period_visits(org_people, period, first, counted, kinds=("home_visit",),
                           session=session) if counted else {}
    for pid, month in session.execute(
            select(ChecklistSubmission.participant_id, ChecklistSubmission.month)
            .where(ChecklistSubmission.participant_id.in_(org_people),
                   ChecklistSubmission.month >= month_key(first),
                   ChecklistSubmission.month <= month_key(final)).distinct()):
        months_done[pid].add(month)
    for pid, occurred in session.execute(
            select(Disturbance.participant_id, Disturbance.occurred_on)
            .where(Disturbance.participant_id.in_(org_people),
                   Disturbance.occurred_on >= first, Disturbance.occurred_on <= final)):
        disturbances[pid].append(occurred)
    # .get with shared empty values: most participants have no offer, transfer, end or
    # disturbance, and every object made here outlives the request's young-generation garbage
    # collections (the collector's full passes grow with them).
    none, no_months, no_visits = (), frozenset(), {}
    return [
        ParticipantFacts(
            id=pid, decision_date=decided, phases=tuple(phases.get(pid, none)),
            contracts=tuple(contracts.get(pid, none)),
            period_visits=visits.get(pid, no_visits),
            checklist_months=frozenset(months_done[pid]) if pid in months_done else no_months,
            disturbances=tuple(disturbances.get(pid, none)),
            offers=tuple(offers.get(pid, none)), transfers=tuple(transfers.get(pid, none)),
            ends=tuple(ends.get(pid, none)))
        for pid, decided in people
    ]
