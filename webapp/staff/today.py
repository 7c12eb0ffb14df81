"""Idag for any caseload (DESIGN §3, §9; issue 17): the day's visits and the worklist, sized
so the page stays within one round trip whether the worker sees 10 participants or 1,000.

- The worker's own visits (and visits nobody is booked for) are shown in full, with the quick
  outcome form. Colleagues' visits are collapsed to one line each, the first
  `COLLEAGUE_VISITS_SHOWN` of them; the rest are on `/today/visits`, a page at a time.
- "Att göra" is grouped per participant and paged, `GROUPS_PER_PAGE` groups a page, most urgent
  first; the next page is appended in place by htmx, or opened as a page without JavaScript.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import joinedload

from ..access import display_name, visible_participants
from ..checklists.submissions import followups_open
from ..domain.due import DueItem, Rules, due_items
from ..domain.worklist import Group, group_by_participant, next_visit
from ..extensions import db
from ..inputs import page_of
from ..models import Participant
from ..queries import current_contracts
from ..timeutil import to_local, tz
from . import caseload, overview

GROUPS_PER_PAGE = 12
COLLEAGUE_VISITS_SHOWN = 10
VISITS_PER_PAGE = 40
PEOPLE_PER_PAGE = 50  # the caseload list (/participants)


def people_of(user) -> list:
    # Teams joined in: the rules of a team that overrides the organisation's are read per team.
    people = db.session.scalars(
        visible_participants(user).options(joinedload(Participant.team))).unique().all()
    return caseload.sort_by_name(people, display_name)


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


def worklist(people: list, org, day: date, now: datetime) -> Worklist:
    """One page of the caseload's due items grouped per participant; the rules run over the
    whole caseload (what is due decides the order), only the page is rendered."""
    facts = caseload.due_facts(people, org, day, now)
    items = due_items(facts, Rules.of(org), day, now, lambda value: to_local(value).date(),
                      zone=tz(), rules_by_participant=caseload.rules_by_participant(people, org))
    # Open follow-ups of checklist remarks join the worklist until marked done.
    followups = {f.answer_id: f for f in followups_open([p.id for p in people])}
    items += [DueItem(kind="followup", participant_id=f.participant_id, due=f.due,
                      overdue=f.due < day, object_id=f.answer_id) for f in followups.values()]
    groups = group_by_participant(items)
    page, last = page_of(len(groups), GROUPS_PER_PAGE)
    shown = groups[(page - 1) * GROUPS_PER_PAGE:page * GROUPS_PER_PAGE]
    wanted = {item.object_id for group in shown for item in group.items
              if item.kind == "followup"}
    return Worklist(groups=shown, page=page, pages=last, total=len(groups),
                    followups={key: f for key, f in followups.items() if key in wanted})


@dataclass(frozen=True)
class DayVisits:
    mine: list  # the worker's own and unassigned visits, in time order
    colleagues: list  # colleagues' visits, in time order
    next_id: int | None
    addresses: dict[int, str]  # participant id -> address, for the visits shown in full


def day_visits(people: list, user, day: date, now: datetime) -> DayVisits:
    appointments = caseload.appointments_on([p.id for p in people], day)
    mine = [a for a in appointments if a.staff_id in (None, user.id)]
    colleagues = [a for a in appointments if a.staff_id not in (None, user.id)]
    contracts = current_contracts(sorted({a.participant_id for a in mine}))
    coming = next_visit(mine, now)
    return DayVisits(mine=mine, colleagues=colleagues, next_id=coming.id if coming else None,
                     addresses={pid: overview.full_address(c.apartment)
                                for pid, c in contracts.items()})
