"""Minimum home visits in fas 2 (DESIGN §1): per ISO week (Göteborg, Helsingborg) or per
calendar month (Stockholm: 4 meetings a month, any meeting counts, one of them with social
services present). Days inside a recorded absence owe nothing (DESIGN §1d): the requirement
shrinks with the share of the period the participant is away, rounded up."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .tenancy import add_months

Period = tuple[date, date | None]  # absence: first day, last day inclusive (None = ongoing)


@dataclass(frozen=True)
class VisitRule:
    min_visits: int
    period: str  # "week" | "month"
    with_social_services: int = 0
    counted_kinds: frozenset[str] = frozenset({"home_visit"})


@dataclass(frozen=True)
class VisitCompliance:
    period_start: date
    period_end: date  # exclusive
    required: int
    done: int
    required_with_social_services: int
    done_with_social_services: int

    @property
    def met(self) -> bool:
        return self.met_by(self.done, self.done_with_social_services)

    def met_by(self, done: int, done_with_social_services: int) -> bool:
        """Whether this many visits meet the period's requirement (the figures ask this of
        every participant for one requirement)."""
        return (done >= self.required
                and done_with_social_services >= self.required_with_social_services)

    @property
    def missing(self) -> int:
        return max(0, self.required - self.done)


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """[start, end) of the ISO week or calendar month containing `day`."""
    if period == "month":
        start = day.replace(day=1)
        return start, add_months(start, 1)
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


def counted(rule: VisitRule, visits: Iterable[tuple]) -> list[tuple[date, bool]]:
    """The visits the rule counts: (local date, with social services[, kind]); a visit without
    a kind is a home visit (the callers that only load home visits)."""
    result = []
    for visit in visits:
        kind = visit[2] if len(visit) > 2 else "home_visit"
        if kind in rule.counted_kinds:
            result.append((visit[0], visit[1]))
    return result


def absent_days(start: date, end: date, absences: Iterable[Period]) -> int:
    """Days of [start, end) inside any absence (overlapping absences count once)."""
    days: set[date] = set()
    for first, last in absences:
        lo = max(first, start)
        hi = min(last + timedelta(days=1) if last else end, end)
        days.update(lo + timedelta(days=i) for i in range((hi - lo).days))
    return len(days)


def required_in(rule: VisitRule, start: date, end: date,
                absences: Iterable[Period] = ()) -> tuple[int, int]:
    """(visits, of them with social services) owed in [start, end), absence days owing nothing."""
    total = (end - start).days
    present = total - absent_days(start, end, absences)
    if present <= 0 or rule.min_visits <= 0:
        return 0, 0
    required = math.ceil(rule.min_visits * present / total)
    with_soc = min(required, math.ceil(rule.with_social_services * present / total))
    return required, with_soc


def visit_compliance(rule: VisitRule, visits: Iterable[tuple], day: date,
                     absences: Iterable[Period] = ()) -> VisitCompliance:
    """`visits`: (local date, with social services[, appointment kind]) recorded as done."""
    start, end = period_bounds(day, rule.period)
    in_period = [with_soc for when, with_soc in counted(rule, visits) if start <= when < end]
    return period_compliance(rule, start, end, len(in_period),
                             sum(1 for with_soc in in_period if with_soc), absences)


def period_compliance(rule: VisitRule, start: date, end: date, done: int,
                      done_with_social_services: int,
                      absences: Iterable[Period] = ()) -> VisitCompliance:
    """The period [start, end) with `done` visits already counted (the figures count them in
    the database, per period, instead of loading every visit)."""
    required, required_soc = required_in(rule, start, end, list(absences))
    return VisitCompliance(
        period_start=start, period_end=end, required=required, done=done,
        required_with_social_services=required_soc,
        done_with_social_services=done_with_social_services,
    )


def ended_periods_not_met(rule: VisitRule, visits: Iterable[tuple], absences: Iterable[Period],
                          fas2_from: date, today: date, lookback_periods: int = 8) -> list[date]:
    """First days of the periods that have ended (before `today`'s period), began on or after
    the fas-2 start, and did not get the minimum (DESIGN §1d: they stay as missed until someone
    records why). Only the last `lookback_periods` are considered."""
    visits, absences = list(visits), list(absences)
    current_start, _end = period_bounds(today, rule.period)
    found = []
    start = current_start
    for _ in range(lookback_periods):
        start, _end = period_bounds(start - timedelta(days=1), rule.period)
        if start < period_bounds(fas2_from, rule.period)[0]:
            break
        # The fas-2 part only: days before the move-in owe nothing either.
        before = [(period_bounds(fas2_from, rule.period)[0], fas2_from - timedelta(days=1))] \
            if start <= fas2_from else []
        if not visit_compliance(rule, visits, start, [*absences, *before]).met:
            found.append(start)
    return sorted(found)


def periods_between(first: date, last: date, period: str) -> list[tuple[date, date]]:
    """Every period from the one containing `first` to the one containing `last`."""
    periods = []
    start, end = period_bounds(first, period)
    while start <= last:
        periods.append((start, end))
        start, end = period_bounds(end, period)
    return periods
