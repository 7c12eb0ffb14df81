"""What the social worker's home (Mina ärenden) lists, in a constant number of queries: the
cases as columns (with their team and whether last month's report came), then one query per
list. Only what the page shows is read (issue 17)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..access import (
    NAME_COLUMNS,
    assigned_flag,
    display_names,
    remember_assignments,
    scope_values,
    visible_columns,
)
from ..domain.disturbances import follow_up_deadline, is_overdue
from ..domain.due import Facts, review_date
from ..domain.rules import effective_rules
from ..domain.social import relief_days_in_year, relief_warning
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import Absence, Disturbance, FollowUpReport, JointMeeting, Participant, Team
from ..queries import among_param, among_value, dialect_name
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


# The page's statements are built once per role (the cases) or database (the lists), with the
# user, the participants and the dates as parameters: building them per view cost more than
# running them.
@cache
def _cases_statement(role: str):
    reported = (select(FollowUpReport.id)
                .where(FollowUpReport.participant_id == Participant.id,
                       FollowUpReport.month == bindparam("previous")).exists())
    return (visible_columns(role, (*NAME_COLUMNS, Participant.phase, Participant.decision_date,
                                   Participant.review_date, reported, Team))
            .outerjoin(Team, Team.id == Participant.team_id))


def _cases(user, previous: str) -> list[Case]:
    rows = db.session.execute(_cases_statement(user.role),
                              {**scope_values(user), "previous": previous}).all()
    if assigned_flag(user.role) is not None:  # the last column: directly assigned
        remember_assignments(user, [(row[0], row[-1]) for row in rows])
        rows = [row[:-1] for row in rows]
    names = display_names(rows, user)
    cases = [Case(row[0], names[row[0]], *row[len(NAME_COLUMNS):]) for row in rows]
    return sorted(cases, key=lambda p: p.name.casefold())


@cache
def _lists(dialect: str) -> dict:
    since = bindparam("since", type_=Disturbance.received_at.type)
    return {
        "relief": select(Absence.participant_id, Absence.kind, Absence.start_date,
                         Absence.end_date)
        .where(among_param(Absence.participant_id, "ids", dialect),
               Absence.kind == "relief_acute"),
        "unread": select(FollowUpReport.id, FollowUpReport.participant_id, FollowUpReport.month)
        .where(among_param(FollowUpReport.participant_id, "ids", dialect),
               FollowUpReport.read_at.is_(None))
        .order_by(FollowUpReport.month, FollowUpReport.id),
        "disturbances": select(
            Disturbance.id, Disturbance.participant_id, Disturbance.occurred_on,
            Disturbance.received_at, Disturbance.letter_sent_at, Disturbance.copy_received_at,
            Disturbance.severity, Disturbance.followed_up_at)
        .where(among_param(Disturbance.participant_id, "ids", dialect),
               Disturbance.severity.in_(SERIOUS),
               (Disturbance.followed_up_at.is_(None)) | (Disturbance.received_at >= since))
        .order_by(Disturbance.received_at.desc()),
        # Joint meetings after a very serious disturbance (DESIGN §1b): social services attend.
        "meetings": select(JointMeeting.participant_id, JointMeeting.meets_at,
                           JointMeeting.place)
        .where(among_param(JointMeeting.participant_id, "ids", dialect),
               JointMeeting.meets_at >= bindparam("meets_from", type_=JointMeeting.meets_at.type))
        .order_by(JointMeeting.meets_at, JointMeeting.id),
    }


def _relief_days(rows, today: date) -> dict[int, int]:
    """Acute relief days this year per participant (as social.queries.social_facts counts)."""
    periods: dict[int, list] = defaultdict(list)
    for pid, kind, first, last in rows:
        periods[pid].append((kind, first, last))
    return {pid: relief_days_in_year(found, today.year, today)
            for pid, found in periods.items()}


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
    lists, ids_value = _lists(dialect_name()), among_value(ids)

    def rows(name: str, **params) -> list:
        return db.session.execute(lists[name], {"ids": ids_value, **params}).all() if ids else []

    unread = rows("unread")
    missing_reports = [p for p in people if p.phase in (2, 3)
                       and rules_of(p).monthly_report and not p.reported]
    relief_days = _relief_days(rows("relief"), today)
    relief = []
    for p in people:
        cap = rules_of(p).relief_days_per_year
        days = relief_days.get(p.id, 0)
        level = relief_warning(days, cap)
        if level:
            relief.append((p, days, cap, level))
    disturbances = rows("disturbances", since=now - timedelta(days=RECENT_DAYS))
    meetings = rows("meetings", meets_from=now - timedelta(days=1))
    zone = tz()
    return dict(
        people=by_id, reviews=reviews, unread=unread, missing_reports=missing_reports,
        previous_month=previous, relief=relief, disturbances=disturbances, today=today, now=now,
        meetings=meetings,
        deadline=lambda d: follow_up_deadline(d, zone),
        overdue=lambda d: is_overdue(d, now, zone),
    )
