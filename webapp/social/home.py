"""What the social worker's home (Mina ärenden) lists, in a constant number of queries: the
cases as columns (with their team and whether last month's report came), then one query for
the four lists. Only what the page shows is read (issue 17)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from operator import attrgetter
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Date, DateTime, Integer, bindparam, cast, literal, null, select, union_all

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
from ..queries import among_param, among_value, dialect_name, run
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


class Listed(NamedTuple):
    """A row of `_lists`: which list, the participant, then the columns of that list (the
    others NULL). A disturbance's row is read as one (`follow_up_deadline` reads its names)."""
    list: int
    participant_id: int
    id: int | None
    text: str | None  # unread: month; relief: kind; disturbance: severity; meeting: place
    occurred_on: date | None  # disturbance; relief: first day
    end_date: date | None  # relief
    received_at: datetime | None  # disturbance; meeting: meets_at
    letter_sent_at: datetime | None
    copy_received_at: datetime | None
    followed_up_at: datetime | None

    @property
    def severity(self) -> str | None:  # a disturbance's, as domain.disturbances reads it
        return self.text


UNREAD, RELIEF, DISTURBANCES, MEETINGS = range(4)


@cache
def _lists(dialect: str):
    """The page's four lists in one statement, one round trip instead of four (built once per
    database with the ids and dates as parameters); each list is put in order in Python."""
    since = bindparam("since", type_=Disturbance.received_at.type)
    no_id, no_day, no_time = cast(null(), Integer), cast(null(), Date), cast(null(), DateTime)

    def of(column):
        return among_param(column, "ids", dialect)

    return union_all(
        select(literal(UNREAD), FollowUpReport.participant_id, FollowUpReport.id,
               FollowUpReport.month, no_day, no_day, no_time, no_time, no_time, no_time)
        .where(of(FollowUpReport.participant_id), FollowUpReport.read_at.is_(None)),
        select(literal(RELIEF), Absence.participant_id, no_id, Absence.kind, Absence.start_date,
               Absence.end_date, no_time, no_time, no_time, no_time)
        .where(of(Absence.participant_id), Absence.kind == "relief_acute"),
        select(literal(DISTURBANCES), Disturbance.participant_id, Disturbance.id,
               Disturbance.severity, Disturbance.occurred_on, no_day, Disturbance.received_at,
               Disturbance.letter_sent_at, Disturbance.copy_received_at,
               Disturbance.followed_up_at)
        .where(of(Disturbance.participant_id), Disturbance.severity.in_(SERIOUS),
               (Disturbance.followed_up_at.is_(None)) | (Disturbance.received_at >= since)),
        # Joint meetings after a very serious disturbance (DESIGN §1b): social services attend.
        select(literal(MEETINGS), JointMeeting.participant_id, JointMeeting.id,
               JointMeeting.place, no_day, no_day, JointMeeting.meets_at, no_time, no_time,
               no_time)
        .where(of(JointMeeting.participant_id),
               JointMeeting.meets_at >= bindparam("meets_from", type_=JointMeeting.meets_at.type)),
    )


def _listed(ids: list[int], now: datetime) -> dict[int, list[Listed]]:
    """{list: its rows in the page's order}."""
    found: dict[int, list[Listed]] = {UNREAD: [], RELIEF: [], DISTURBANCES: [], MEETINGS: []}
    if ids:
        for row in run(_lists(dialect_name()), {
                "ids": among_value(ids), "since": now - timedelta(days=RECENT_DAYS),
                "meets_from": now - timedelta(days=1)}):
            found[row[0]].append(Listed._make(row))
    found[UNREAD].sort(key=attrgetter("text", "id"))  # by month
    # Newest received first; those received together in the order they were recorded.
    found[DISTURBANCES].sort(key=attrgetter("id"))
    found[DISTURBANCES].sort(key=attrgetter("received_at"), reverse=True)  # stable
    found[MEETINGS].sort(key=attrgetter("received_at", "id"))  # by meets_at
    return found


def _relief_days(rows: list[Listed], today: date) -> dict[int, int]:
    """Acute relief days this year per participant (as social.queries.social_facts counts)."""
    periods: dict[int, list] = defaultdict(list)
    for row in rows:
        periods[row.participant_id].append((row.text, row.occurred_on, row.end_date))
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
    listed = _listed(ids, now)
    missing_reports = [p for p in people if p.phase in (2, 3)
                       and rules_of(p).monthly_report and not p.reported]
    relief_days = _relief_days(listed[RELIEF], today)
    relief = []
    for p in people:
        cap = rules_of(p).relief_days_per_year
        days = relief_days.get(p.id, 0)
        level = relief_warning(days, cap)
        if level:
            relief.append((p.name, days, cap, level))
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
        unread=[(url_for("social.report", participant_id=r.participant_id, report_id=r.id),
                 name[r.participant_id], r.text) for r in listed[UNREAD]],
        missing_reports=[(url_for("social.reports", participant_id=p.id), p.name)
                         for p in missing_reports],
        disturbances=[_disturbance_row(d, name[d.participant_id], now, zone)
                      for d in listed[DISTURBANCES]],
        meetings=[(url_for("staff.tenancy", participant_id=m.participant_id),
                   name[m.participant_id], m.received_at, m.text) for m in listed[MEETINGS]],
    )


def _disturbance_row(d, name: str, now: datetime, zone) -> tuple:
    """(link, name, day, followed up, contact deadline or None, overdue)."""
    deadline = None if d.followed_up_at else follow_up_deadline(d, zone)
    # Overdue as `is_overdue` decides, with the deadline worked out once: a deadline here
    # means the rule applies and nobody has followed the disturbance up yet.
    return (url_for("staff.events", participant_id=d.participant_id), name, d.occurred_on,
            bool(d.followed_up_at), deadline, deadline is not None and now > deadline)
