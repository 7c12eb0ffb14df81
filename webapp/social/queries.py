"""Batch queries for the social-services facts: a constant number of queries per caseload."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from ..domain.social import relief_days_in_year
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import Absence, FollowUpReport, Goal, MissedVisit, Plan
from ..queries import among


def social_facts(ids: list[int], today: date) -> dict[int, dict]:
    """Per participant: unexplained missed periods, months with a follow-up report (this and
    last month), plan goals with a follow-up date, acute relief days this year."""
    result: dict[int, dict] = defaultdict(lambda: dict(
        missed_periods=[], report_months=frozenset(), goal_follow_ups=[],
        relief_days_this_year=0))
    if not ids:
        return {}
    for row in db.session.execute(
        select(MissedVisit.id, MissedVisit.participant_id, MissedVisit.period_start)
        .where(among(MissedVisit.participant_id, ids), MissedVisit.reason.is_(None))
        .order_by(MissedVisit.period_start)
    ):
        result[row.participant_id]["missed_periods"].append((row.id, row.period_start))
    months = {f"{today:%Y-%m}", f"{add_months(today.replace(day=1), -1):%Y-%m}"}
    reports: dict[int, set[str]] = defaultdict(set)
    for pid, month in db.session.execute(
        select(FollowUpReport.participant_id, FollowUpReport.month)
        .where(among(FollowUpReport.participant_id, ids), FollowUpReport.month.in_(months))
    ):
        reports[pid].add(month)
    for pid in ids:
        result[pid]["report_months"] = frozenset(reports.get(pid, set()))
    for goal_id, pid, when in db.session.execute(
        select(Goal.id, Plan.participant_id, Goal.follow_up_on)
        .join(Plan, Plan.id == Goal.plan_id)
        .where(among(Plan.participant_id, ids), Goal.follow_up_on.is_not(None),
               Goal.status == "active")
    ):
        result[pid]["goal_follow_ups"].append((goal_id, when))
    for pid, when in db.session.execute(  # the plan's own follow-up date (id None)
        select(Plan.participant_id, Plan.follow_up_date)
        .where(among(Plan.participant_id, ids), Plan.follow_up_date.is_not(None))
    ):
        result[pid]["goal_follow_ups"].append((None, when))
    relief: dict[int, list] = defaultdict(list)
    for pid, kind, first, last in db.session.execute(
        select(Absence.participant_id, Absence.kind, Absence.start_date, Absence.end_date)
        .where(among(Absence.participant_id, ids), Absence.kind == "relief_acute")
    ):
        relief[pid].append((kind, first, last))
    for pid, rows in relief.items():
        result[pid]["relief_days_this_year"] = relief_days_in_year(rows, today.year, today)
    return dict(result)
