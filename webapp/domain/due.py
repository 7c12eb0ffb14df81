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

from .disturbances import STOCKHOLM, contact_deadline
from .rules import Rules
from .tenancy import add_months
from .visits import Period, period_bounds, visit_compliance

__all__ = ["Facts", "DueItem", "Rules", "booked_at", "changes_at", "due_for", "due_items",
           "item_order", "review_date", "visit_missing"]

REVIEW_WARNING_DAYS = 30
TRANSFER_WARNING_DAYS = 30
MOVE_IN_WARNING_DAYS = 14
GOAL_WARNING_DAYS = 7
REPORT_FROM_DAY = 20  # the month's follow-up report is asked for from the 20th
KINDS = ("rattelse", "missed_visit", "visit", "checklist", "report", "goal", "relief",
         "review", "transfer", "move_in", "checklist_last_month", "open_support_info",
         "breakdown", "joint_follow_up")
JOINT_FOLLOW_UP_WARNING_DAYS = 7
BREAKDOWN_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class Facts:
    """What the due rules need to know about one participant."""

    participant_id: int
    phase: int
    # (local date, with social services) of home visits recorded as done.
    visits: list[tuple[date, bool]] = field(default_factory=list)
    # Home visits still booked later in the current period (shown as "bokat").
    booked_visits: int = 0
    booked_starts: tuple[datetime, ...] = ()  # their starts (naive UTC)
    checklist_months: frozenset[str] = frozenset()  # "YYYY-MM" with a submitted checklist
    # (disturbance id, clock start naive UTC) of rättelseanmaningar not followed up.
    open_rattelser: list[tuple[int, datetime]] = field(default_factory=list)
    absences: list[Period] = field(default_factory=list)  # no visit or checklist owed
    # (MissedVisit id, first day of the period) of ended periods nobody has explained yet.
    missed_periods: list[tuple[int, date]] = field(default_factory=list)
    report_months: frozenset[str] | None = None  # None: monthly reports not tracked here
    # (goal id, follow-up date) of plan goals; goal id None: the plan's own follow-up date.
    goal_follow_ups: list[tuple[int | None, date]] = field(default_factory=list)
    relief_days_this_year: int = 0
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
    period_start: date | None = None  # the period of a "visit", "missed_visit" or "report"
    period: str = ""  # "week" | "month" for the visit items (a team may differ from the org)


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
    compliance = visit_compliance(rules.visit_rule, facts.visits, today, facts.absences)
    if compliance.met:
        return None
    return DueItem(
        kind="visit", participant_id=facts.participant_id,
        due=compliance.period_end - timedelta(days=1), overdue=False,
        missing=compliance.missing,
        missing_with_social_services=max(0, compliance.required_with_social_services
                                         - compliance.done_with_social_services),
        booked=facts.booked_visits, period_start=compliance.period_start,
        period=rules.visit_period,
    )


def _checklist_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    if facts.phase != 2 or not rules.checklist_monthly:
        return None
    if f"{today.year:04d}-{today.month:02d}" in facts.checklist_months:
        return None
    _start, end = period_bounds(today, "month")
    if _absent_all(facts.absences, _start, end):
        return None
    return DueItem(kind="checklist", participant_id=facts.participant_id,
                   due=end - timedelta(days=1), overdue=False)


def _absent_all(absences: list[Period], start: date, end: date) -> bool:
    from .visits import absent_days

    return absent_days(start, end, absences) >= (end - start).days


def _missed_items(facts: Facts, rules: Rules) -> list[DueItem]:
    """Ended periods without the minimum visits stay until someone records why (§1d)."""
    items = []
    for missed_id, start in facts.missed_periods:
        _start, end = period_bounds(start, rules.visit_period)
        items.append(DueItem(kind="missed_visit", participant_id=facts.participant_id,
                             due=end - timedelta(days=1), overdue=True, object_id=missed_id,
                             period_start=start, period=rules.visit_period))
    return items


def _report_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    """The monthly follow-up report: last month's missing is overdue; this month's is asked
    for from the 20th."""
    if facts.report_months is None or not rules.monthly_report or facts.phase not in (2, 3):
        return None
    first = today.replace(day=1)
    last_month = add_months(first, -1)
    if f"{last_month:%Y-%m}" not in facts.report_months and not _absent_all(
            facts.absences, last_month, first):
        return DueItem(kind="report", participant_id=facts.participant_id,
                       due=first - timedelta(days=1), overdue=True, period_start=last_month)
    if today.day >= REPORT_FROM_DAY and f"{today:%Y-%m}" not in facts.report_months:
        return DueItem(kind="report", participant_id=facts.participant_id,
                       due=add_months(first, 1) - timedelta(days=1), overdue=False,
                       period_start=first)
    return None


def _goal_items(facts: Facts, today: date) -> list[DueItem]:
    """A plan goal whose follow-up date is within a week or has passed (SOSFS 2014:5)."""
    return [DueItem(kind="goal", participant_id=facts.participant_id, due=when,
                    overdue=when < today, object_id=goal_id)
            for goal_id, when in facts.goal_follow_ups
            if when <= today + timedelta(days=GOAL_WARNING_DAYS)]


def _relief_item(facts: Facts, rules: Rules, today: date) -> DueItem | None:
    """Stockholm: acute relief days this year over the cap (counted, with a warning)."""
    if not rules.relief_days_per_year or facts.relief_days_this_year <= rules.relief_days_per_year:
        return None
    return DueItem(kind="relief", participant_id=facts.participant_id, due=today,
                   overdue=True, missing=facts.relief_days_this_year)


def _rattelse_items(facts: Facts, now: datetime, to_local_date, zone) -> list[DueItem]:
    items = []
    for disturbance_id, started_at in facts.open_rattelser:
        deadline = contact_deadline(started_at, zone)
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
            to_local_date=lambda value: value.date(), zone=STOCKHOLM) -> list[DueItem]:
    """Everything due for one participant. `now` is naive UTC; `to_local_date` turns a naive
    UTC datetime into the local date (the default treats UTC as local, for tests); `zone` is
    where working days are counted for the one-day rule."""
    items: list[DueItem] = _rattelse_items(facts, now, to_local_date, zone)
    items += _missed_items(facts, rules) + _goal_items(facts, today)
    items += _tenancy_items(facts, today)
    for item in (_visit_item(facts, rules, today), _checklist_item(facts, rules, today),
                 _report_item(facts, rules, today), _relief_item(facts, rules, today),
                 _review_item(facts, rules, today), _transfer_item(facts, today),
                 _move_in_item(facts, today),
                 _last_month_checklist_item(facts, rules, today)):
        if item is not None:
            items.append(item)
    return items


def due_items(caseload: Iterable[Facts], rules: Rules, today: date, now: datetime,
              to_local_date=lambda value: value.date(), zone=STOCKHOLM,
              rules_by_participant: dict[int, Rules] | None = None) -> list[DueItem]:
    """Everything due for a caseload: overdue first, then by deadline, then by kind.
    `rules_by_participant` holds the rules of participants whose team overrides `rules`."""
    overrides = rules_by_participant or {}
    items = [item for facts in caseload
             for item in due_for(facts, overrides.get(facts.participant_id, rules), today, now,
                                 to_local_date, zone)]
    return sorted(items, key=item_order)


def item_order(item: DueItem) -> tuple:
    """The order of `due_items`: overdue first, then by deadline, then by kind."""
    return (not item.overdue, item.due, KINDS.index(item.kind), item.participant_id)


def changes_at(facts: Facts, items: Iterable[DueItem], now: datetime,
               day_end: datetime) -> datetime:
    """The first moment (naive UTC) the order of `due_for`'s items of these facts changes
    without any write: the end of the local day, a rättelse deadline (the item turns overdue).
    (A visit's `booked` count also falls as booked visits start: see `booked_at`.)"""
    moments = [day_end]
    moments += [item.deadline for item in items
                if item.deadline is not None and item.deadline >= now]
    return min(moments)


def booked_at(starts: Iterable[datetime], now: datetime) -> int:
    """Of these booked visits (naive UTC starts), those still to come at `now`: the `booked`
    count of a "visit" item, which falls as each starts."""
    return sum(1 for start in starts if start >= now)


def visit_missing(facts: Facts, rules: Rules, today: date) -> bool:
    """The "visit missing this period" flag of the caseload list."""
    return _visit_item(facts, rules, today) is not None
