"""What the social worker's home (Mina ärenden) lists, in a constant number of queries: the
cases as columns (with their team and whether last month's report came), then one query per
list. Only what the page shows is read (issue 17)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..access import (
    NAME_COLUMNS,
    assigned_flag,
    display_names,
    remember_assignments,
    scope_values,
    visible_columns,
)
from ..domain.disturbances import follow_up_deadline
from ..domain.due import Facts, review_date
from ..domain.rules import effective_rules
from ..domain.social import relief_days_in_year, relief_warning
from ..domain.tenancy import add_months
from ..extensions import db
from ..models import Absence, Disturbance, FollowUpReport, JointMeeting, Participant, Team
from ..queries import among_param, among_value, dialect_name
from ..templating import cached_url_for as url_for
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
            relief.append((p.name, days, cap, level))
    disturbances = rows("disturbances", since=now - timedelta(days=RECENT_DAYS))
    meetings = rows("meetings", meets_from=now - timedelta(days=1))
    zone = tz()
    # Each list's rows as the values the page writes (link, name, ...), each worked out once:
    # the template then writes a row without calling anything (a call from a template costs
    # ~10 Python calls more than one from here, and the page has ~120 rows).
    name = {p.id: p.name for p in people}
    phases: dict[int, str] = {}
    cases = []
    for p in people:
        if p.phase not in phases:
            phases[p.phase] = _("Fas %(phase)s", phase=p.phase)
        cases.append((url_for("staff.participant", participant_id=p.id), p.name,
                      phases[p.phase]))
    return dict(
        previous_month=previous, relief=relief, today=today, cases=cases,
        reviews=[(url_for("social.decisions", participant_id=p.id), p.name, when, when < today)
                 for when, p in reviews],
        unread=[(url_for("social.report", participant_id=pid, report_id=rid), name[pid], month)
                for rid, pid, month in unread],
        missing_reports=[(url_for("social.reports", participant_id=p.id), p.name)
                         for p in missing_reports],
        disturbances=[_disturbance_row(d, name[d.participant_id], now, zone)
                      for d in disturbances],
        meetings=[(url_for("staff.tenancy", participant_id=pid), name[pid], meets_at, place)
                  for pid, meets_at, place in meetings],
    )


def _disturbance_row(d, name: str, now: datetime, zone) -> tuple:
    """(link, name, day, followed up, contact deadline or None, overdue)."""
    deadline = None if d.followed_up_at else follow_up_deadline(d, zone)
    # Overdue as `is_overdue` decides, with the deadline worked out once: a deadline here
    # means the rule applies and nobody has followed the disturbance up yet.
    return (url_for("staff.events", participant_id=d.participant_id), name, d.occurred_on,
            bool(d.followed_up_at), deadline, deadline is not None and now > deadline)
