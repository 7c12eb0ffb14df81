"""What support staff must do soon (DESIGN §3 "Idag"): overdue and due items of a caseload.

Pure functions: they take the organisation's programme rules, plain facts about each participant
and the date, and return data. Pages, push reminders and figures reuse them.

Items:
- "visit": fas 2 without the minimum home visits this period (ISO week or calendar month,
  Stockholm also one visit with social services present),
- "checklist": fas 2 without the monthly checklist this month,
- "rattelse": a rättelseanmaning not yet followed up (staff must contact the tenant within one
  day of receiving the copy),
- "review": a decision whose review date is within 30 days (or passed),
- "transfer": fas 2 whose good tenancy reaches the transfer point within 30 days,
- "move_in": fas 1 moving in within two weeks (or whose move-in passed while still in fas 1),
- "checklist_last_month": last month's checklist was owed (fas 2, moved in before the month,
  not absent all month) and is still not sent: stays until it is,
- "open_support_info": the transfer was approved but the participant's open-support information
  (fas 4 contacts) is not recorded as given,
- "breakdown": a tenancy ended without a transfer and has no breakdown analysis (Gävle),
  due two weeks after the end,
- "joint_follow_up": a joint action plan item not done whose follow-up date is within a week.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .tenancy import add_months
from .visits import VisitRule, period_bounds, visit_compliance

RATTELSE_CONTACT_WITHIN = timedelta(days=1)
REVIEW_WARNING_DAYS = 30
TRANSFER_WARNING_DAYS = 30
MOVE_IN_WARNING_DAYS = 14
KINDS = ("rattelse", "visit", "checklist", "review", "transfer", "move_in",
         "checklist_last_month", "open_support_info", "breakdown", "joint_follow_up")
JOINT_FOLLOW_UP_WARNING_DAYS = 7
BREAKDOWN_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class Rules:
    """An organisation's programme rules (the fields of `Organisation`, see its PRESETS)."""

    min_visits: int = 1
    visit_period: str = "week"
    visits_with_social_services: int = 0
    transfer_months: int = 18
    decision_months: int = 18
    checklist_monthly: bool = True

    @classmethod
    def of(cls, org) -> Rules:
        """Read the rules from anything with the Organisation's attributes."""
        return cls(
            min_visits=org.min_visits, visit_period=org.visit_period,
            visits_with_social_services=org.visits_with_social_services,
            transfer_months=org.transfer_months, decision_months=org.decision_months,
            checklist_monthly=bool(org.checklist_monthly),
        )

    @property
    def visit_rule(self) -> VisitRule:
        return VisitRule(self.min_visits, self.visit_period, self.visits_with_social_services)


@dataclass(frozen=True)
class Facts:
    """What the due rules need to know about one participant."""

    participant_id: int
    phase: int
    # (local date, with social services) of home visits recorded as done.
    visits: list[tuple[date, bool]] = field(default_factory=list)
    # Home visits still booked later in the current period (shown as "bokat").
    booked_visits: int = 0
    checklist_months: frozenset[str] = frozenset()  # "YYYY-MM" with a submitted checklist
    # (disturbance id, received_at naive UTC) of rättelseanmaningar not followed up.
    open_rattelser: list[tuple[int, datetime]] = field(default_factory=list)
    decision_date: date | None = None
    review_date: date | None = None
    move_in: date | None = None  # of the current contract
    expected_transfer: date | None = None  # from the tenancy counter
    owed_last_month: bool = False  # last month's checklist was owed (domain.tenancy_life)
    open_support_info_due: date | None = None  # first-hand date of an approved transfer
    breakdown_since: date | None = None  # end of a tenancy without a breakdown analysis
    joint_follow_up: date | None = None  # earliest follow-up of an open joint action


@dataclass(frozen=True)
class DueItem:
    kind: str
    participant_id: int
    due: date  # deadline (local date)
    overdue: bool
    object_id: int | None = None  # the disturbance of a "rattelse"
    missing: int = 0  # visits still missing this period
    missing_with_social_services: int = 0
    booked: int = 0  # visits booked later this period
    deadline: datetime | None = None  # exact deadline (naive UTC) where there is one


def review_date(facts: Facts, rules: Rules) -> date | None:
    """The decision's review date; without one set, the end of the decision period."""
    if facts.review_date is not None:
        return facts.review_date
    if facts.decision_date is not None:
        return add_months(facts.decision_date, rules.decision_months)
    return None


def _visit_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    if facts.phase != 2 or rules.min_visits <= 0:
        return None
    compliance = visit_compliance(rules.visit_rule, facts.visits, today)
    if compliance.met:
        return None
    return DueItem(
        kind="visit", participant_id=facts.participant_id,
        due=compliance.period_end - timedelta(days=1), overdue=False,
        missing=compliance.missing,
        missing_with_social_services=max(0, compliance.required_with_social_services
                                         - compliance.done_with_social_services),
        booked=facts.booked_visits,
    )


def _checklist_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    if facts.phase != 2 or not rules.checklist_monthly:
        return None
    if f"{today.year:04d}-{today.month:02d}" in facts.checklist_months:
        return None
    _start, end = period_bounds(today, "month")
    return DueItem(kind="checklist", participant_id=facts.participant_id,
                   due=end - timedelta(days=1), overdue=False)


def _rattelse_items(facts: Facts, now: datetime, to_local_date) -> list[DueItem]:
    items = []
    for disturbance_id, received_at in facts.open_rattelser:
        deadline = received_at + RATTELSE_CONTACT_WITHIN
        items.append(DueItem(
            kind="rattelse", participant_id=facts.participant_id, due=to_local_date(deadline),
            overdue=now > deadline, object_id=disturbance_id, deadline=deadline,
        ))
    return items


def _dated_item(kind: str, facts: Facts, when: date | None, warn_days: int,
                today: date) -> DueItem | None:
    """A deadline item once `when` is within `warn_days`; overdue once it has passed."""
    if when is None or when > today + timedelta(days=warn_days):
        return None
    return DueItem(kind=kind, participant_id=facts.participant_id, due=when,
                   overdue=when < today)


def _review_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    if facts.phase >= 4:  # fas 4: the decision has ended
        return None
    return _dated_item("review", facts, review_date(facts, rules), REVIEW_WARNING_DAYS, today)


def _transfer_item(facts: Facts, today: date) -> DueItem | None:
    if facts.phase != 2:
        return None
    return _dated_item("transfer", facts, facts.expected_transfer, TRANSFER_WARNING_DAYS, today)


def _move_in_item(facts: Facts, today: date) -> DueItem | None:
    if facts.phase != 1:
        return None
    # Still fas 1 after the move-in day: the phase change is overdue.
    return _dated_item("move_in", facts, facts.move_in, MOVE_IN_WARNING_DAYS, today)


def _last_month_checklist_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    if not rules.checklist_monthly or not facts.owed_last_month:
        return None
    last_day = today.replace(day=1) - timedelta(days=1)
    if f"{last_day.year:04d}-{last_day.month:02d}" in facts.checklist_months:
        return None
    return DueItem(kind="checklist_last_month", participant_id=facts.participant_id,
                   due=last_day, overdue=True)


def _tenancy_items(facts: Facts, today: date) -> list[DueItem]:
    items = []
    if facts.open_support_info_due is not None:
        items.append(DueItem(kind="open_support_info", participant_id=facts.participant_id,
                             due=facts.open_support_info_due,
                             overdue=facts.open_support_info_due < today))
    if facts.breakdown_since is not None:
        due = facts.breakdown_since + BREAKDOWN_WITHIN
        items.append(DueItem(kind="breakdown", participant_id=facts.participant_id, due=due,
                             overdue=due < today))
    follow_up = _dated_item("joint_follow_up", facts, facts.joint_follow_up,
                            JOINT_FOLLOW_UP_WARNING_DAYS, today)
    if follow_up is not None:
        items.append(follow_up)
    return items


def due_for(facts: Facts, rules: Rules, today: date, now: datetime,
            to_local_date=lambda value: value.date()) -> list[DueItem]:
    """Everything due for one participant. `now` is naive UTC; `to_local_date` turns a naive
    UTC datetime into the local date (the default treats UTC as local, for tests)."""
    items: list[DueItem] = _rattelse_items(facts, now, to_local_date)
    items += _tenancy_items(facts, today)
    for item in (_visit_item(facts, rules, today), _checklist_item(facts, rules, today),
                 _review_item(facts, rules, today), _transfer_item(facts, today),
                 _move_in_item(facts, today),
                 _last_month_checklist_item(facts, rules, today)):
        if item is not None:
            items.append(item)
    return items


def due_items(caseload: Iterable[Facts], rules: Rules, today: date, now: datetime,
              to_local_date=lambda value: value.date()) -> list[DueItem]:
    """Everything due for a caseload: overdue first, then by deadline, then by kind."""
    items = [item for facts in caseload
             for item in due_for(facts, rules, today, now, to_local_date)]
    return sorted(items, key=lambda i: (not i.overdue, i.due, KINDS.index(i.kind),
                                        i.participant_id))


def visit_missing(facts: Facts, rules: Rules, today: date) -> bool:
    """The "visit missing this period" flag of the caseload list."""
    return _visit_item(facts, rules, today) is not None
