"""What the social worker's home (Mina ärenden) lists, in a constant number of queries: the
cases as columns (with their team and whether last month's report came), then one query per
list. Only what the page shows is read (issue 17)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select

from ..access import NAME_COLUMNS, display_names, visible_participants, with_assignment
from ..domain.disturbances import follow_up_deadline, is_overdue
from ..domain.due import Facts, review_date
from ..domain.rules import effective_rules
from ..domain.social import relief_days_in_year, relief_warning
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import Absence, Disturbance, FollowUpReport, JointMeeting, Participant, Team
from ..queries import among
from ..timeutil import month_key, tz

REVIEW_WINDOW_DAYS = 60
SERIOUS = ("rattelse", "serious", "very_serious", "unpaid_rent")
RECENT_DAYS = 30


class Case(NamedTuple):
    """A case on the home page: what it shows, the name already as the user may see it
    (access.display_names), without loading the participant as an object."""
    id: int
    name: str
    phase: int
    decision_date: date | None
    review_date: date | None
    reported: bool  # last month's follow-up report is written
    team: Team | None


def _cases(user, previous: str) -> list[Case]:
    reported = (select(FollowUpReport.id)
                .where(FollowUpReport.participant_id == Participant.id,
                       FollowUpReport.month == previous).exists())
    query = (visible_participants(user).with_only_columns(
        *NAME_COLUMNS, Participant.phase, Participant.decision_date, Participant.review_date,
        reported, Team)
        .outerjoin(Team, Team.id == Participant.team_id))
    rows = with_assignment(user, query)
    names = display_names(rows, user)
    cases = [Case(row[0], names[row[0]], *row[len(NAME_COLUMNS):]) for row in rows]
    return sorted(cases, key=lambda p: p.name.casefold())


def _relief_days(ids: list[int], today: date) -> dict[int, int]:
    """Acute relief days this year per participant (as social.queries.social_facts counts)."""
    rows: dict[int, list] = defaultdict(list)
    for pid, kind, first, last in db.session.execute(
        select(Absence.participant_id, Absence.kind, Absence.start_date, Absence.end_date)
        .where(among(Absence.participant_id, ids), Absence.kind == "relief_acute")
    ):
        rows[pid].append((kind, first, last))
    return {pid: relief_days_in_year(periods, today.year, today) for pid, periods in rows.items()}


def home_sections(user, today: date, now: datetime) -> dict:
    user = getattr(user, "_get_current_object", lambda: user)()  # the proxy once, not per row
    previous = month_key(add_months(today.replace(day=1), -1))
    people = _cases(user, previous)
    ids = [p.id for p in people]
    by_id = {p.id: p for p in people}
    org = user.organisation
    by_team: dict[int | None, object] = {}

    def rules_of(p: Case):  # worked out once per team, not per participant and list
        key = p.team.id if p.team is not None else None
        if key not in by_team:
            by_team[key] = effective_rules(org, p.team)
        return by_team[key]

    reviews = []
    for p in people:
        when = review_date(Facts(participant_id=p.id, phase=p.phase,
                                 decision_date=p.decision_date, review_date=p.review_date),
                           rules_of(p))
        if p.phase < 4 and when and when <= today + timedelta(days=REVIEW_WINDOW_DAYS):
            reviews.append((when, p))
    reviews.sort(key=lambda pair: (pair[0], pair[1].id))
    unread = db.session.execute(
        select(FollowUpReport.id, FollowUpReport.participant_id, FollowUpReport.month)
        .where(among(FollowUpReport.participant_id, ids), FollowUpReport.read_at.is_(None))
        .order_by(FollowUpReport.month, FollowUpReport.id)).all() if ids else []
    missing_reports = [p for p in people if p.phase in (2, 3)
                       and rules_of(p).monthly_report and not p.reported]
    relief_days = _relief_days(ids, today) if ids else {}
    relief = []
    for p in people:
        cap = rules_of(p).relief_days_per_year
        days = relief_days.get(p.id, 0)
        level = relief_warning(days, cap)
        if level:
            relief.append((p, days, cap, level))
    disturbances = db.session.execute(
        select(Disturbance.id, Disturbance.participant_id, Disturbance.occurred_on,
               Disturbance.received_at, Disturbance.letter_sent_at,
               Disturbance.copy_received_at, Disturbance.severity, Disturbance.followed_up_at)
        .where(among(Disturbance.participant_id, ids), Disturbance.severity.in_(SERIOUS),
               (Disturbance.followed_up_at.is_(None))
               | (Disturbance.received_at >= now - timedelta(days=RECENT_DAYS)))
        .order_by(Disturbance.received_at.desc())).all() if ids else []
    # Joint meetings after a very serious disturbance (DESIGN §1b): social services attend.
    meetings = db.session.execute(
        select(JointMeeting.participant_id, JointMeeting.meets_at, JointMeeting.place)
        .where(among(JointMeeting.participant_id, ids),
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
