"""Social-services rules (DESIGN §1c): decisions and their history, quarterly follow-ups, relief
days counted per year, and what the social worker's home lists. Pure: plain data in, data out."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .tenancy import add_months
from .visits import Period

QUARTER_MONTHS = 3


def decision_problems(starts_on: date | None, ends_on: date | None,
                      review_date: date | None, decided_on: date | None) -> dict[str, str]:
    """Field -> problem code for a decision as typed ({} when it is fine).

    Codes: "ends_before_start", "review_after_end", "review_before_start",
    "starts_before_decided"."""
    problems: dict[str, str] = {}
    if starts_on and ends_on and ends_on < starts_on:
        problems["ends_on"] = "ends_before_start"
    if review_date and ends_on and review_date > ends_on:
        problems["review_date"] = "review_after_end"
    elif review_date and starts_on and review_date < starts_on:
        problems["review_date"] = "review_before_start"
    if decided_on and starts_on and starts_on < decided_on - timedelta(days=366):
        problems["starts_on"] = "starts_before_decided"
    return problems


def default_period(starts_on: date, decision_months: int) -> tuple[date, date]:
    """(ends_on, review_date) of a support decision: the period, reviewed a month before it
    ends (the review clause)."""
    ends_on = add_months(starts_on, decision_months) - timedelta(days=1)
    return ends_on, add_months(ends_on, -1)


def current_decision(decisions: Iterable[Any], kind: str = "support") -> Any | None:
    """The decision of `kind` that nothing has superseded (the newest if several)."""
    live = [d for d in decisions if d.kind == kind and d.superseded_by_id is None]
    return max(live, key=lambda d: (d.starts_on, d.id or 0), default=None)


def denormalised_dates(decision: Any | None) -> tuple[date | None, date | None]:
    """(Participant.decision_date, Participant.review_date) for the current support decision."""
    if decision is None:
        return None, None
    return decision.starts_on, decision.review_date


def relief_days_in_year(absences: Iterable[tuple[str, date, date | None]], year: int,
                        today: date, kinds: frozenset[str] = frozenset({"relief_acute"})) -> int:
    """Days of relief placements of `kinds` in the calendar year (an ongoing one up to today)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    days = 0
    for kind, first, last in absences:
        if kind not in kinds:
            continue
        lo, hi = max(first, start), min(last or today, end)
        days += max(0, (hi - lo).days + 1)
    return days


def relief_warning(days: int, cap: int) -> str | None:
    """"over" past the cap, "near" within three days of it, None otherwise (or no cap)."""
    if not cap:
        return None
    if days > cap:
        return "over"
    if days >= cap - 3:
        return "near"
    return None


@dataclass(frozen=True)
class QuarterlyStatus:
    held: int
    next_number: int
    next_due: date
    transfer_at: int  # which follow-up assesses the transfer (0: none)

    @property
    def next_assesses_transfer(self) -> bool:
        return self.transfer_at > 0 and self.next_number == self.transfer_at


def quarterly_status(move_in: date, held_on: Iterable[date], transfer_at: int) -> QuarterlyStatus:
    """Stockholm: a follow-up meeting each quarter from the move-in; the transfer is assessed
    at the `transfer_at`-th (the third: nine months)."""
    held = sorted(held_on)
    last = held[-1] if held else move_in
    return QuarterlyStatus(held=len(held), next_number=len(held) + 1,
                           next_due=add_months(last, QUARTER_MONTHS), transfer_at=transfer_at)


def month_in_absence(month_first: date, absences: Iterable[Period]) -> bool:
    """The whole calendar month inside absences (no report or checklist owed)."""
    from .visits import absent_days

    end = add_months(month_first, 1)
    return absent_days(month_first, end, list(absences)) >= (end - month_first).days
