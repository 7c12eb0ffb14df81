"""Fas-2 periods that ended without the agreed home visits (DESIGN §1d): found by Idag and the
scheduler, stored as MissedVisit rows with a notice to housing. The rule itself is in
webapp/domain/visits.py; this module only loads and stores."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from ..domain.rules import MEETING_KINDS, effective_rules
from ..domain.visits import ended_periods_not_met, period_bounds
from ..extensions import db
from ..models import (
    Appointment,
    HousingNotice,
    MissedVisit,
    Participant,
    PhaseChange,
    VisitOutcome,
    utcnow,
)
from ..queries import absences_by_participant, current_contracts
from ..timeutil import local_day_bounds_utc, to_local, to_utc

LOOKBACK_PERIODS = 8
NOTICE_KIND = "period_without_visit"


def fas2_since(ids: list[int]) -> dict[int, date]:
    """When each participant's current fas 2 began (their latest change to phase 2)."""
    return dict(db.session.execute(
        select(PhaseChange.participant_id, func.max(PhaseChange.started_on))
        .where(PhaseChange.participant_id.in_(ids), PhaseChange.phase == 2)
        .group_by(PhaseChange.participant_id)).all()) if ids else {}


def _done_meetings(ids: list[int], since: date, until: date) -> dict[int, list]:
    start, end = local_day_bounds_utc(since)[0], local_day_bounds_utc(until)[0]
    done: dict[int, list] = defaultdict(list)
    for pid, starts_at, kind, with_soc in db.session.execute(
        select(Appointment.participant_id, Appointment.starts_at, Appointment.kind,
               Appointment.with_social_services)
        .join(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
        .where(Appointment.participant_id.in_(ids), VisitOutcome.outcome == "done",
               Appointment.kind.in_(sorted(MEETING_KINDS)),
               Appointment.starts_at >= start, Appointment.starts_at < end)
    ):
        done[pid].append((to_local(starts_at).date(), with_soc, kind))
    return done


def sync_missed_visits(participants: list[Participant], org, today: date) -> int:
    """DESIGN §1d: every ended fas-2 period without the minimum visits gets a MissedVisit row
    (on the worklist until explained) and a notice to housing, without note text. Idempotent
    (one row per participant and period). Returns how many were created."""
    fas2 = [p for p in participants if p.phase == 2]
    ids = [p.id for p in fas2]
    if not ids:
        return 0
    since = today - timedelta(days=31 * (LOOKBACK_PERIODS + 1))  # room for monthly periods
    done = _done_meetings(ids, since, today)
    absences = absences_by_participant(ids)
    started = fas2_since(ids)
    known = {(pid, start) for pid, start in db.session.execute(
        select(MissedVisit.participant_id, MissedVisit.period_start)
        .where(MissedVisit.participant_id.in_(ids)))}
    contracts = current_contracts(ids)
    pending: list[dict] = []
    for p in fas2:
        rules = effective_rules(org, p.team)
        if rules.min_visits <= 0:
            continue
        contract = contracts.get(p.id)
        begin = started.get(p.id) or (contract.move_in_date if contract else None)
        if begin is None:
            continue
        if contract and contract.move_in_date and contract.move_in_date > begin:
            begin = contract.move_in_date  # the duty starts at move-in (DESIGN §1b)
        for start in ended_periods_not_met(rules.visit_rule, done.get(p.id, []),
                                           absences.get(p.id, []), begin, today,
                                           LOOKBACK_PERIODS):
            if (p.id, start) in known:
                continue
            known.add((p.id, start))
            pending.append(dict(
                participant_id=p.id, apartment_id=contract.apartment_id if contract else None,
                kind=NOTICE_KIND, occurred_on=to_utc(datetime.combine(start, time(0))),
                created_at=utcnow(), period_start=start, period=rules.visit_period))
    if pending:
        _insert_missed(pending)
    return len(pending)


def _insert_missed(pending: list[dict]) -> None:
    """Three statements however many periods (DESIGN §9): the notices, their ids, the rows."""
    db.session.execute(insert(HousingNotice), [
        {k: v for k, v in row.items() if k not in ("period_start", "period")}
        for row in pending])
    notice_ids = {(pid, when): nid for nid, pid, when in db.session.execute(
        select(HousingNotice.id, HousingNotice.participant_id, HousingNotice.occurred_on)
        .where(HousingNotice.kind == NOTICE_KIND,
               HousingNotice.participant_id.in_({row["participant_id"] for row in pending}),
               HousingNotice.occurred_on.in_({row["occurred_on"] for row in pending})))}
    db.session.execute(insert(MissedVisit), [dict(
        participant_id=row["participant_id"], period_start=row["period_start"],
        period=row["period"], created_at=row["created_at"],
        housing_notice_id=notice_ids.get((row["participant_id"], row["occurred_on"])))
        for row in pending])


def period_end(missed: MissedVisit) -> date:
    return period_bounds(missed.period_start, missed.period)[1] - timedelta(days=1)
