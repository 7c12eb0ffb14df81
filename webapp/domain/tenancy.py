"""The good-tenancy counter toward the first-hand contract (DESIGN §1, "Contract transfer").

Days since move-in count as good tenancy, except days of absence (periods the participant does
not stay in the apartment), which are deducted. The transfer is expected when the organisation's
`transfer_months` (18 Göteborg, 9 Stockholm, 12 Helsingborg) of good tenancy are reached.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

Period = tuple[date, date | None]  # (first day, last day inclusive or None = ongoing)


@dataclass(frozen=True)
class TenancyStatus:
    move_in: date
    required_months: int
    good_days: int
    absence_days: int
    required_days: int
    months_done: int
    expected_transfer: date
    reached: bool

    @property
    def share(self) -> float:
        return min(1.0, self.good_days / self.required_days) if self.required_days else 1.0


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def full_months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(0, months)


def merge_periods(periods: list[Period], until: date) -> list[tuple[date, date]]:
    """Overlapping or touching absences merged; an open absence runs until `until`."""
    closed = sorted((start, end if end is not None else until) for start, end in periods)
    merged: list[tuple[date, date]] = []
    for start, end in closed:
        if end < start:
            continue
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def absence_days_between(periods: list[Period], start: date, end: date, today: date) -> int:
    """Absence days within [start, end) (ongoing absences count up to today)."""
    total = 0
    for first, last in merge_periods(periods, until=today):
        lo, hi = max(first, start), min(last + timedelta(days=1), end)
        if hi > lo:
            total += (hi - lo).days
    return total


def tenancy_status(move_in: date, absences: list[Period], transfer_months: int,
                   today: date) -> TenancyStatus:
    """Good-tenancy days so far (absence deducted) and the expected transfer date.

    Days are counted from move-in up to (not including) today. The expected date is the date
    `transfer_months` after move-in, pushed later by every absence day before it.
    """
    base = add_months(move_in, transfer_months)
    required_days = (base - move_in).days
    absent = absence_days_between(absences, move_in, today, today) if today > move_in else 0
    good_days = max(0, (today - move_in).days - absent)
    expected = base
    for _ in range(100):  # a fixpoint: absences inside the extension push it further
        shifted = base + timedelta(days=absence_days_between(absences, move_in, expected, today))
        if shifted == expected:
            break
        expected = shifted
    return TenancyStatus(
        move_in=move_in,
        required_months=transfer_months,
        good_days=min(good_days, required_days),
        absence_days=absent,
        required_days=required_days,
        months_done=min(transfer_months,
                        full_months_between(move_in, move_in + timedelta(days=good_days))),
        expected_transfer=expected,
        reached=good_days >= required_days,
    )
