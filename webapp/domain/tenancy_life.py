"""Rules of the tenancy's life (DESIGN §1b): transfer eligibility, the same-company warning,
who owes the monthly checklist, and where a tenancy stands.

Plain functions of data and a date: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .tenancy import TenancyStatus, merge_periods

Period = tuple[date, date | None]

# Reasons a transfer is not (yet) possible, as stable codes; the page words them.
NOT_MOVED_IN = "not_moved_in"
ALREADY_FIRST_HAND = "already_first_hand"
ENDED = "ended"
COUNTER_NOT_REACHED = "counter_not_reached"
UNPAID_RENT = "unpaid_rent"
DISTURBANCES = "disturbances"


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...] = ()
    expected: date | None = None  # when the counter is reached
    disturbances: int = 0  # disturbances (other than unpaid rent) in the period
    unpaid_rent: int = 0  # unpaid-rent notices in the period


def transfer_eligibility(status: TenancyStatus | None, contract_kind: str | None,
                         ended: bool, notices: list[tuple[date, str]]) -> Eligibility:
    """Eligible when the good-tenancy counter is reached, rent was paid (no unpaid-rent notice)
    and there were no disturbances in the period since move-in (seed 000, "Överlåtelse").

    `notices` are (occurred_on, severity) of the participant's disturbances and notices.
    """
    if contract_kind is None or status is None:
        return Eligibility(False, (NOT_MOVED_IN,))
    if contract_kind == "first_hand":
        return Eligibility(False, (ALREADY_FIRST_HAND,))
    if ended:
        return Eligibility(False, (ENDED,), status.expected_transfer)
    in_period = [severity for occurred, severity in notices if occurred >= status.move_in]
    unpaid = sum(1 for severity in in_period if severity == "unpaid_rent")
    other = len(in_period) - unpaid
    reasons = []
    if not status.reached:
        reasons.append(COUNTER_NOT_REACHED)
    if unpaid:
        reasons.append(UNPAID_RENT)
    if other:
        reasons.append(DISTURBANCES)
    return Eligibility(not reasons, tuple(reasons), status.expected_transfer, other, unpaid)


def normalise_company(name: str) -> str:
    """Landlord company names compared loosely: case, spaces and a trailing "AB" ignored."""
    words = name.casefold().replace(",", " ").replace(".", " ").split()
    if words and words[-1] == "ab":
        words = words[:-1]
    if words and words[0] == "ab":
        words = words[1:]
    return " ".join(words)


def same_company(landlord: str, terminated_landlords: list[str]) -> bool:
    """A new offer is never made with the landlord company that terminated the participant's
    contract (seed 000, "Uppsägning"): True means the app must warn."""
    key = normalise_company(landlord)
    return bool(key) and any(normalise_company(other) == key for other in terminated_landlords)


def absent_whole_period(absences: list[Period], first: date, last: date, today: date) -> bool:
    """True if every day of [first, last] lies inside a recorded absence."""
    for start, end in merge_periods(absences, until=today):
        if start <= first and end >= last:
            return True
    return False


def owes_checklist(month_first: date, month_last: date, phase_on_first: int | None,
                   move_in: date | None, ended_on: date | None, absences: list[Period],
                   today: date) -> bool:
    """Whether a tenancy owed the monthly checklist for a month (housing's inbox).

    Owed: fas 2 on the month's first day (not first-hand, not fas 1), moved in before the
    month, the tenancy not ended before the month, and not absent the whole month (DESIGN §1d:
    days inside an absence owe no checklist).
    """
    if phase_on_first != 2 or move_in is None or move_in >= month_first:
        return False
    if ended_on is not None and ended_on < month_first:
        return False
    last = min(month_last, today) if today >= month_first else month_last
    return not absent_whole_period(absences, month_first, last, today)


def phase_on(phases: list[tuple[date, int]], day: date) -> int | None:
    """The phase in force on `day` from (started_on, phase) history, any order."""
    current = None
    for started, phase in sorted(phases):
        if started <= day:
            current = phase
    return current


STAGES = ("offer", "signed", "living", "transfer", "first_hand", "ending", "ended")


def stage(contract_kind: str | None, move_in: date | None, end_reason: str, ended_on: date | None,
          transfer_open: bool, has_open_offer: bool, today: date) -> str:
    """Where the tenancy stands, for lists and the participant's own page."""
    if contract_kind is None:
        return "offer" if has_open_offer else "none"
    if ended_on is not None:
        return "ended"
    if end_reason:
        return "ending"
    if contract_kind == "first_hand":
        return "first_hand"
    if move_in is None or move_in > today:
        return "signed"
    return "transfer" if transfer_open else "living"


def tenure_waiver_end(start: date) -> date:
    """Security of tenure is waived for the first two years (seed 000, Kontraktsskrivning)."""
    try:
        return start.replace(year=start.year + 2)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 2, day=28)


def days_between(first: date | None, last: date | None) -> int | None:
    if first is None or last is None:
        return None
    return (last - first).days


ONE_DAY = timedelta(days=1)
