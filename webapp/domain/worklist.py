"""The staff worklist ("Att göra" on Idag), grouped per participant (issue 16.4).

Works on any due item kind: anything with `participant_id`, `overdue` and `due` (a date).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Group:
    participant_id: int
    items: tuple  # most urgent first

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)

    @property
    def first_due(self) -> date:
        return self.items[0].due


def urgency(item: Any) -> tuple:
    """Overdue first, then the nearest deadline."""
    due = item.due.date() if isinstance(item.due, datetime) else item.due
    return (not item.overdue, due)


def group_by_participant(items: Iterable[Any]) -> list[Group]:
    """One group per participant, each group's items most urgent first; groups ordered by their
    most urgent item (ties: more overdue items first, then the input order)."""
    by_participant: dict[int, list] = {}
    for item in items:
        by_participant.setdefault(item.participant_id, []).append(item)
    groups = [Group(pid, tuple(sorted(found, key=urgency)))
              for pid, found in by_participant.items()]
    order = {pid: index for index, pid in enumerate(by_participant)}
    return sorted(groups, key=lambda g: (*urgency(g.items[0]), -g.overdue,
                                         order[g.participant_id]))


def order_key(group: Group, first_seen: tuple[int, bool, date, int, int]) -> str:
    """`group_by_participant`'s order of this group as digits, so a database sorts the stored
    groups alike in any collation: the most urgent item, more overdue items first, then where
    the participant first appears in the input, `first_seen` = (part of the input, overdue,
    due, rank, id) of that item."""
    first = group.items[0]
    source, overdue, due, rank, ident = first_seen
    return (f"{int(not first.overdue)}{_digits(urgency(first)[1])}{999_999 - group.overdue:06d}"
            f"{source}{int(not overdue)}{_digits(due)}{rank:02d}{ident:012d}")


def _digits(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def next_visit(appointments: Sequence[Any], now: datetime) -> Any | None:
    """Today's next visit: the first booked one without an outcome that has not ended yet.
    `now` and `starts_at` are naive UTC."""
    for appointment in appointments:
        if appointment.status == "cancelled" or getattr(appointment, "outcome", None):
            continue
        minutes = getattr(appointment, "duration_minutes", 0) or 0
        if appointment.starts_at + timedelta(minutes=minutes) >= now:
            return appointment
    return None
