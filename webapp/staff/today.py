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

from flask_login import current_user
from sqlalchemy import Select, case, func, or_, select

from ..access import NAME_COLUMNS, Named, display_names, visible_participants, with_assignment
from ..domain.worklist import Group, next_visit
from ..extensions import db
from ..inputs import page_arg, page_of
from ..models import Apartment, Appointment, Contract, Participant
from ..queries import among
from ..timeutil import local_day_bounds_utc
from . import caseload, overview, worklist_store

GROUPS_PER_PAGE = 12
COLLEAGUE_VISITS_SHOWN = 10
VISITS_PER_PAGE = 40
PEOPLE_PER_PAGE = 50  # the caseload list (/participants)
MAX_HINT_PAGE = 100  # a ?page= beyond it is read once the number of pages is known
_PROTECTED = Named._fields.index("protected_identity")  # its place in NAME_COLUMNS


def people_of(user) -> list[caseload.Person]:
    """The caseload by the name shown, as the few columns the list and its search need (not
    objects: at 1,000 participants loading them was half the page's time), each with whether
    the user is directly assigned in the same statement (a protected identity's name)."""
    rows = with_assignment(user, visible_participants(user).with_only_columns(
        *NAME_COLUMNS, Participant.phase))
    names, size = display_names(rows, user), len(NAME_COLUMNS)
    people = [caseload.Person(row[0], names[row[0]], row[_PROTECTED], row[size])
              for row in rows]
    return sorted(people, key=lambda p: p.name.casefold())


def scope_of(user) -> Select:
    """The ids of the participants the user sees, as a query the database joins."""
    return visible_participants(user).with_only_columns(Participant.id)


def people_by_id(ids) -> dict[int, Participant]:
    """The participants shown, by id (only those: not the whole caseload)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {p.id: p for p in with_assignment(
        current_user, select(Participant).where(among(Participant.id, ids)))}


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


def worklist(scope: Select, org, day: date, now: datetime) -> Worklist:
    """One page of the caseload's due items grouped per participant, most urgent first. The
    items are stored per participant and kept up to date on write (worklist_store): a view
    reads the page it shows and works out only what changed."""
    numbers = {}

    def number(total: int) -> tuple[int, int]:
        numbers["page"], numbers["pages"] = page_of(total, GROUPS_PER_PAGE)
        return (numbers["page"] - 1) * GROUPS_PER_PAGE, GROUPS_PER_PAGE

    hint = ((min(page_arg(), MAX_HINT_PAGE) - 1) * GROUPS_PER_PAGE, GROUPS_PER_PAGE)
    groups, total, followups = worklist_store.page(scope, org, day, now, hint, number)
    return Worklist(groups=groups, page=numbers["page"], pages=numbers["pages"], total=total,
                    followups=followups)


@dataclass(frozen=True)
class DayVisits:
    mine: list  # the worker's own and unassigned visits, in time order
    colleagues: list  # colleagues' visits, in time order: the ones shown
    colleagues_total: int  # colleagues' visits today, shown or not
    next_id: int | None
    addresses: dict[int, str]  # participant id -> address, for the visits shown in full


def _theirs(user) -> tuple:
    return Appointment.staff_id.is_not(None), Appointment.staff_id != user.id


def colleagues_page(scope: Select, user, day: date) -> tuple[list, int, int, int]:
    """(one page of colleagues' visits on the day in time order, their total, the page, the
    number of pages): the page asked for with the total alongside, in one query; a second
    only for a ?page= past the last."""
    size = VISITS_PER_PAGE
    asked = min(page_arg(), MAX_HINT_PAGE)
    rows, total = caseload.appointments_between(
        scope, *local_day_bounds_utc(day), *_theirs(user), offset=(asked - 1) * size,
        limit=size, with_total=True)
    if not rows and asked > 1:  # past the last page (page 1 empty: none at all)
        total = caseload.count_between(scope, *local_day_bounds_utc(day), *_theirs(user))
    page, pages = page_of(total, size)
    if page != asked:
        rows = caseload.appointments_between(scope, *local_day_bounds_utc(day), *_theirs(user),
                                             offset=(page - 1) * size, limit=size)
    return rows, total, page, pages


def day_visits(scope: Select, user, day: date, now: datetime) -> DayVisits:
    """The day's visits: the worker's own in full, colleagues' counted and the first few, in
    one query (each side numbered in time order, the colleagues' cut after the first few)."""
    start, end = local_day_bounds_utc(day)
    own = or_(Appointment.staff_id.is_(None), Appointment.staff_id == user.id)
    theirs = case((own, 0), else_=1)
    numbered = (
        select(Appointment.id, theirs.label("theirs"),
               func.sum(theirs).over().label("colleagues"),
               func.row_number().over(partition_by=theirs,
                                      order_by=(Appointment.starts_at, Appointment.id))
               .label("place"))
        .where(among(Appointment.participant_id, scope), Appointment.starts_at >= start,
               Appointment.starts_at < end).subquery())
    # The apartment of each visited participant's current contract, joined in (as
    # current_contracts picks it: the last open one by move-in).
    home = (select(Contract.apartment_id)
            .where(Contract.participant_id == Appointment.participant_id,
                   Contract.ended_on.is_(None))
            .order_by(Contract.move_in_date.desc(), Contract.id.desc()).limit(1)
            .correlate(Appointment).scalar_subquery())
    rows = db.session.execute(
        caseload.visits_query(numbered.c.theirs, numbered.c.colleagues, Apartment.address,
                              Apartment.apartment_number, Apartment.postal_code, Apartment.city)
        .join(numbered, numbered.c.id == Appointment.id)
        .outerjoin(Apartment, Apartment.id == home)
        .where(or_(numbered.c.theirs == 0, numbered.c.place <= COLLEAGUE_VISITS_SHOWN))
        .order_by(Appointment.starts_at, Appointment.id)).all()
    size = len(caseload.VISIT_COLUMNS)
    mine = [caseload.Visit._make(row[:size]) for row in rows if not row.theirs]
    colleagues = [caseload.Visit._make(row[:size]) for row in rows if row.theirs]
    # Addresses for the worker's own visits, shown in full (colleagues' show the place booked).
    addresses = {row.participant_id: overview.full_address(row) for row in rows
                 if not row.theirs and row.address is not None}
    coming = next_visit(mine, now)
    return DayVisits(mine=mine, colleagues=colleagues,
                     colleagues_total=int(rows[0].colleagues or 0) if rows else 0,
                     next_id=coming.id if coming else None, addresses=addresses)
