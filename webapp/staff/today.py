"""Idag for any caseload (DESIGN §3, §9; issue 17): the day's visits and the worklist, sized
so the page stays within one round trip whether the worker sees 10 participants or 1,000.

- The worker's own visits (and visits nobody is booked for) are shown in full, with the quick
  outcome form. Colleagues' visits are collapsed to one line each, the first
  `COLLEAGUE_VISITS_SHOWN` of them; the rest are on `/today/visits`, a page at a time.
- "Att göra" is grouped per participant and paged, `GROUPS_PER_PAGE` groups a page, most urgent
  first; the next page is appended in place by htmx, or opened as a page without JavaScript.
  The groups are stored and kept up to date on write (worklist_store), so a view costs what it
  shows, not the caseload; only the participants shown are loaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from flask_login import current_user
from sqlalchemy import Integer, bindparam, case, func, or_, select, true

from ..access import (
    NAME_COLUMNS,
    Named,
    Scope,
    assigned_flag,
    display_names,
    named_with,
    remember_assignments,
    scope_values,
    visible_columns,
)
from ..access import scope_of as scope_of
from ..domain.worklist import Group, next_visit
from ..extensions import db
from ..inputs import page_arg, page_of
from ..models import Apartment, Appointment, Contract, Participant, User, VisitOutcome
from ..queries import among_param, among_value, dialect_name, run
from ..timeutil import local_day_bounds_utc
from . import caseload, overview, worklist_store

GROUPS_PER_PAGE = 12
COLLEAGUE_VISITS_SHOWN = 10
VISITS_PER_PAGE = 40
PEOPLE_PER_PAGE = 50  # the caseload list (/participants)
MAX_HINT_PAGE = 100  # a ?page= beyond it is read once the number of pages is known
_PROTECTED = Named._fields.index("protected_identity")  # its place in NAME_COLUMNS


def people_of(user) -> list[tuple[str, tuple]]:
    """The caseload by the name shown, as (that name, the row of the few columns the list and
    its search need) (not objects: at 1,000 participants loading them was half the page's
    time; `as_person` makes the rows shown people), each with whether the user is directly
    assigned read in the same statement (a protected identity's name), in a statement built
    once per role."""
    rows = run(visible_columns(user.role, _CASELOAD_COLUMNS), scope_values(user)).all()
    if assigned_flag(user.role) is not None:
        remember_assignments(user, [(row[0], row[-1]) for row in rows])
    names = list(display_names(rows, user).values())  # in the rows' order
    # By the name as shown, case-folded once per person (a key the sort calls in C).
    keys = [name.casefold() for name in names]
    return [(names[i], rows[i]) for i in sorted(range(len(rows)), key=keys.__getitem__)]


def as_person(entry: tuple[str, tuple]) -> caseload.Person:
    """A `people_of` entry as the list shows it."""
    name, row = entry
    return caseload.Person(row[0], name, row[_PROTECTED], row[len(NAME_COLUMNS)])


_CASELOAD_COLUMNS = (*NAME_COLUMNS, Participant.phase)


# A participant on Idag's rows (and the colleagues' visits): what deciding the name shown reads
# and the phone, as columns read with the rows themselves, not objects in a statement of their own.
Shown = named_with("Shown", phone=str)


SHOWN_COLUMNS = (*NAME_COLUMNS, Participant.phone)


@cache
def _shown_columns(role: str) -> tuple:
    """SHOWN_COLUMNS and, for roles with direct assignment, whether the user is directly
    assigned (`access.assigned_flag`): a protected identity among them asks nothing more."""
    flag = assigned_flag(role)
    return SHOWN_COLUMNS if flag is None else (*SHOWN_COLUMNS, flag)


def _shown(user, rows, into: dict) -> dict:
    """`into` with the participants of `rows` (tuples that are `_shown_columns`), by id."""
    size = len(SHOWN_COLUMNS)
    for row in rows:
        into[row[0]] = Shown._make(row[:size])
    if len(rows) and len(rows[0]) > size:
        remember_assignments(user, ((row[0], row[size]) for row in rows))
    return into


@cache
def _people_statement(role: str, dialect: str):
    return select(*_shown_columns(role)).where(among_param(Participant.id, "ids", dialect))


def people_for(user, people: dict, ids) -> dict:
    """`people` (read with the rows shown) with any of `ids` it lacks: the groups of a page
    read again past the hint. Only those, not the whole caseload."""
    missing = sorted(set(ids) - people.keys())
    if missing:
        dialect = dialect_name()
        rows = run(_people_statement(user.role, dialect),
                   {**scope_values(user), "ids": among_value(missing, dialect)})
        _shown(user, rows.all(), people)
    return people


def people_by_id(ids) -> dict[int, Shown]:
    """The participants shown, by id (only those: not the whole caseload)."""
    return people_for(current_user, {}, ids)


@dataclass(frozen=True)
class Worklist:
    groups: list[Group]  # this page's groups
    followups: dict  # answer id -> open follow-up, for the groups shown
    page: int
    pages: int
    total: int  # groups on every page

    @property
    def remaining(self) -> int:
        """Groups on the pages after this one."""
        return max(0, self.total - (self.page - 1) * GROUPS_PER_PAGE - len(self.groups))

    def followups_of(self, group: Group) -> tuple:
        """The open follow-ups `group` shows (part of its kept markup's key)."""
        return tuple(self.followups[item.object_id] for item in group.items
                     if item.kind == "followup")


def worklist(scope: Scope, org, day: date, now: datetime, people: dict) -> Worklist:
    """One page of the caseload's due items grouped per participant, most urgent first. The
    items are stored per participant and kept up to date on write (worklist_store): a view
    reads the page it shows and works out only what changed. `people` gets the participants
    of the groups read (`Shown`), from the same statement."""
    numbers = {}

    def number(total: int) -> tuple[int, int]:
        numbers["page"], numbers["pages"] = page_of(total, GROUPS_PER_PAGE)
        return (numbers["page"] - 1) * GROUPS_PER_PAGE, GROUPS_PER_PAGE

    hint = ((min(page_arg(), MAX_HINT_PAGE) - 1) * GROUPS_PER_PAGE, GROUPS_PER_PAGE)
    read: dict = {}
    groups, total, followups = worklist_store.page(
        scope, org, day, now, hint, number, columns=_shown_columns(scope.role), into=read)
    _shown(current_user, list(read.values()), people)
    return Worklist(groups=groups, page=numbers["page"], pages=numbers["pages"], total=total,
                    followups=followups)


@dataclass(frozen=True)
class DayVisits:
    mine: list  # the worker's own and unassigned visits, in time order
    colleagues: list  # colleagues' visits, in time order: the ones shown
    colleagues_total: int  # colleagues' visits today, shown or not
    next_id: int | None
    addresses: dict[int, str]  # participant id -> address, for the visits shown in full


_VISIT_SIZE = len(caseload.VISIT_COLUMNS)


@cache
def _colleagues_statements(scope_ids, role: str) -> tuple:
    """(one page of colleagues' visits in [start, end) with their total and their
    participants, how many there are), built once per scope: `me` is the worker, `skip` and
    `size` page them. The page is cut from the appointments alone, then joined with outcome,
    staff and participant: joined first, the total over the window joined every visit of the
    day (331 at 1,000 participants) to show 40."""
    me = bindparam("me", type_=Integer)
    between = (Appointment.participant_id.in_(scope_ids),
               Appointment.starts_at >= bindparam("start", type_=Appointment.starts_at.type),
               Appointment.starts_at < bindparam("end", type_=Appointment.starts_at.type),
               Appointment.staff_id.is_not(None), Appointment.staff_id != me)
    shown = (select(Appointment.id, Appointment.participant_id, Appointment.starts_at,
                    Appointment.duration_minutes, Appointment.kind, Appointment.location,
                    Appointment.status, Appointment.staff_id,
                    func.count().over().label("total"))
             .where(*between).order_by(Appointment.starts_at, Appointment.id)
             .offset(bindparam("skip", type_=Integer)).limit(bindparam("size", type_=Integer))
             .subquery())
    v = shown.c
    rows = (select(v.id, v.participant_id, v.starts_at, v.duration_minutes, v.kind,
                   v.location, v.status, VisitOutcome.outcome, User.display_name, v.total,
                   *_shown_columns(role))
            .select_from(shown)
            .join(Participant, Participant.id == v.participant_id)
            .outerjoin(VisitOutcome, VisitOutcome.appointment_id == v.id)
            .outerjoin(User, User.id == v.staff_id)
            .order_by(v.starts_at, v.id))
    return rows, select(func.count(Appointment.id)).where(*between)


def colleagues_page(scope: Scope, user, day: date) -> tuple[list, int, int, int, dict]:
    """(one page of colleagues' visits on the day in time order, their total, the page, the
    number of pages, their participants by id): the page asked for with the total alongside,
    in one query; a second only for a ?page= past the last."""
    size = VISITS_PER_PAGE
    asked = min(page_arg(), MAX_HINT_PAGE)
    rows_of, count = _colleagues_statements(scope.ids, scope.role)
    start, end = local_day_bounds_utc(day)
    values = {**scope.values, "me": user.id, "start": start, "end": end, "size": size}

    def read(page: int) -> list:
        return run(rows_of, {**values, "skip": (page - 1) * size}).all()

    rows = read(asked)
    total = rows[0].total if rows else 0
    if not rows and asked > 1:  # past the last page (page 1 empty: none at all)
        total = db.session.scalar(count, values)
    page, pages = page_of(total, size)
    if page != asked:
        rows = read(page)
    visits = [caseload.Visit._make(row[:_VISIT_SIZE]) for row in rows]
    people = _shown(user, [row[_VISIT_SIZE + 1:] for row in rows], {})
    return visits, total, page, pages, people


@cache
def _day_statement(scope_ids, role: str, dialect: str):
    """`day_visits`' one statement, built once per scope: the day's visits of the scope
    numbered on each side in time order (theirs: 0 own or nobody's, 1 a colleague's), with
    outcome, staff name, participant and, for the address, the apartment of the participant's
    current contract (as current_contracts picks it: the last open one by move-in), looked up
    by a LATERAL join on PostgreSQL (SQLite has none: there a subquery in the join)."""
    me = bindparam("me", type_=Integer)
    own = or_(Appointment.staff_id.is_(None), Appointment.staff_id == me)
    theirs = case((own, 0), else_=1)
    # The visits' own columns in the numbered set: the few rows kept are not joined back.
    numbered = (
        select(Appointment.id, Appointment.participant_id, Appointment.starts_at,
               Appointment.duration_minutes, Appointment.kind, Appointment.location,
               Appointment.status, Appointment.staff_id, theirs.label("theirs"),
               func.sum(theirs).over().label("colleagues"),
               func.row_number().over(partition_by=theirs,
                                      order_by=(Appointment.starts_at, Appointment.id))
               .label("place"))
        .where(Appointment.participant_id.in_(scope_ids),
               Appointment.starts_at >= bindparam("start", type_=Appointment.starts_at.type),
               Appointment.starts_at < bindparam("end", type_=Appointment.starts_at.type))
        .subquery())
    n = numbered.c
    home = (select(Contract.apartment_id)
            .where(Contract.participant_id == n.participant_id, Contract.ended_on.is_(None))
            .order_by(Contract.move_in_date.desc(), Contract.id.desc()).limit(1))
    statement = (
        select(n.id, n.participant_id, n.starts_at, n.duration_minutes, n.kind, n.location,
               n.status, VisitOutcome.outcome, User.display_name, n.theirs, n.colleagues,
               Apartment.address, Apartment.apartment_number, Apartment.postal_code,
               Apartment.city, *_shown_columns(role))
        .select_from(numbered)
        .join(Participant, Participant.id == n.participant_id)
        .outerjoin(VisitOutcome, VisitOutcome.appointment_id == n.id)
        .outerjoin(User, User.id == n.staff_id))
    if dialect == "postgresql":
        # The few rows kept look up their contract, then its apartment, by index: with the
        # subquery in the join condition, PostgreSQL's generic plan (the app's, once
        # prepared) hashed every apartment of the organisation (4.2 → 1.5–2.0 ms at 1,000).
        home = home.lateral("home")
        statement = (statement.outerjoin(home, true())
                     .outerjoin(Apartment, Apartment.id == home.c.apartment_id))
    else:
        statement = statement.outerjoin(Apartment, Apartment.id == home.scalar_subquery())
    return (
        statement.where(or_(n.theirs == 0, n.place <= COLLEAGUE_VISITS_SHOWN))
        .order_by(n.starts_at, n.id))


_ADDRESS = slice(_VISIT_SIZE + 2, _VISIT_SIZE + 6)  # address .. city in `_day_statement`


def day_visits(scope: Scope, user, day: date, now: datetime, people: dict) -> DayVisits:
    """The day's visits: the worker's own in full, colleagues' counted and the first few, in
    one query (each side numbered in time order, the colleagues' cut after the first few).
    `people` gets their participants (`Shown`)."""
    start, end = local_day_bounds_utc(day)
    rows = run(_day_statement(scope.ids, scope.role, dialect_name()),
               {**scope.values, "me": user.id, "start": start, "end": end}).all()
    mine = [caseload.Visit._make(row[:_VISIT_SIZE]) for row in rows if not row.theirs]
    colleagues = [caseload.Visit._make(row[:_VISIT_SIZE]) for row in rows if row.theirs]
    # Addresses for the worker's own visits, shown in full (colleagues' show the place booked).
    addresses = {row.participant_id: overview.full_address(row) for row in rows
                 if not row.theirs and row.address is not None}
    _shown(user, [row[_ADDRESS.stop:] for row in rows], people)
    coming = next_visit(mine, now)
    return DayVisits(mine=mine, colleagues=colleagues,
                     colleagues_total=int(rows[0].colleagues or 0) if rows else 0,
                     next_id=coming.id if coming else None, addresses=addresses)
