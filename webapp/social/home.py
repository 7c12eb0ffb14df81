"""What the social worker's home (Mina ärenden) lists, in a constant number of queries."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..access import display_name, visible_participants
from ..domain.disturbances import follow_up_deadline, is_overdue
from ..domain.due import Facts, review_date
from ..domain.rules import effective_rules
from ..domain.social import relief_warning
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import Disturbance, FollowUpReport, JointMeeting
from ..timeutil import month_key, tz
from .queries import social_facts

REVIEW_WINDOW_DAYS = 60
SERIOUS = ("rattelse", "serious", "very_serious", "unpaid_rent")
RECENT_DAYS = 30


def home_sections(user, today: date, now: datetime) -> dict:
    people = sorted(db.session.scalars(visible_participants(user)).all(),
                    key=lambda p: display_name(p, user).casefold())
    ids = [p.id for p in people]
    by_id = {p.id: p for p in people}
    org = user.organisation
    reviews = []
    for p in people:
        rules = effective_rules(org, p.team)
        when = review_date(Facts(participant_id=p.id, phase=p.phase,
                                 decision_date=p.decision_date, review_date=p.review_date),
                           rules)
        if p.phase < 4 and when and when <= today + timedelta(days=REVIEW_WINDOW_DAYS):
            reviews.append((when, p))
    reviews.sort(key=lambda pair: (pair[0], pair[1].id))
    unread = db.session.scalars(select(FollowUpReport).where(
        FollowUpReport.participant_id.in_(ids), FollowUpReport.read_at.is_(None))
        .order_by(FollowUpReport.month, FollowUpReport.id)).all() if ids else []
    facts = social_facts(ids, today)
    previous = month_key(add_months(today.replace(day=1), -1))
    missing_reports = [p for p in people if p.phase in (2, 3)
                       and effective_rules(org, p.team).monthly_report
                       and previous not in facts.get(p.id, {}).get("report_months", ())]
    relief = []
    for p in people:
        rules = effective_rules(org, p.team)
        days = facts.get(p.id, {}).get("relief_days_this_year", 0)
        level = relief_warning(days, rules.relief_days_per_year)
        if level:
            relief.append((p, days, rules.relief_days_per_year, level))
    disturbances = db.session.scalars(select(Disturbance).where(
        Disturbance.participant_id.in_(ids), Disturbance.severity.in_(SERIOUS),
        (Disturbance.followed_up_at.is_(None))
        | (Disturbance.received_at >= now - timedelta(days=RECENT_DAYS)))
        .order_by(Disturbance.received_at.desc())).all() if ids else []
    # Joint meetings after a very serious disturbance (DESIGN §1b): social services attend.
    meetings = db.session.scalars(select(JointMeeting).where(
        JointMeeting.participant_id.in_(ids),
        JointMeeting.meets_at >= now - timedelta(days=1))
        .order_by(JointMeeting.meets_at, JointMeeting.id)).all() if ids else []
    zone = tz()
    return dict(
        people=by_id, reviews=reviews, unread=unread, missing_reports=missing_reports,
        previous_month=previous, relief=relief, disturbances=disturbances, today=today, now=now,
        meetings=meetings,
        deadline=lambda d: follow_up_deadline(d, zone),
        overdue=lambda d: is_overdue(d, now, zone),
    )
