"""Minimum home visits in fas 2 (DESIGN §1): per ISO week (Göteborg, Helsingborg) or per
calendar month (Stockholm: 4 a month, one of them with social services present)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .tenancy import add_months


@dataclass(frozen=True)
class VisitRule:
    min_visits: int
    period: str  # "week" | "month"
    with_social_services: int = 0


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
        return (self.done >= self.required
                and self.done_with_social_services >= self.required_with_social_services)

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


def visit_compliance(rule: VisitRule, visits: list[tuple[date, bool]],
                     day: date) -> VisitCompliance:
    """`visits`: (local date, with social services) of home visits recorded as done."""
    start, end = period_bounds(day, rule.period)
    in_period = [with_soc for when, with_soc in visits if start <= when < end]
    return VisitCompliance(
        period_start=start, period_end=end, required=rule.min_visits, done=len(in_period),
        required_with_social_services=rule.with_social_services,
        done_with_social_services=sum(1 for with_soc in in_period if with_soc),
    )


def periods_between(first: date, last: date, period: str) -> list[tuple[date, date]]:
    """Every period from the one containing `first` to the one containing `last`."""
    periods = []
    start, end = period_bounds(first, period)
    while start <= last:
        periods.append((start, end))
        start, end = period_bounds(end, period)
    return periods
