"""Idag's worklist grouped per participant, most urgent first (issue 16.4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from webapp.domain.due import DueItem
from webapp.domain.worklist import group_by_participant, next_visit


def item(pid, kind, day, overdue=False):
    return DueItem(kind=kind, participant_id=pid, due=day, overdue=overdue)


def test_one_group_per_participant_overdue_first():
    d = date(2026, 3, 10)
    items = [
        item(1, "visit", d + timedelta(days=5)),
        item(2, "checklist", d + timedelta(days=20)),
        item(1, "checklist", d + timedelta(days=20)),
        item(3, "rattelse", d - timedelta(days=1), overdue=True),
        item(2, "review", d + timedelta(days=2)),
        item(4, "some_new_kind", d + timedelta(days=1)),  # any kind groups the same way
    ]
    groups = group_by_participant(items)
    assert [g.participant_id for g in groups] == [3, 4, 2, 1]
    assert [i.kind for i in groups[2].items] == ["review", "checklist"]
    assert groups[0].overdue == 1 and groups[2].overdue == 0
    assert sum(len(g.items) for g in groups) == len(items)


def test_more_overdue_items_win_a_tie():
    d = date(2026, 3, 10)
    groups = group_by_participant([
        item(1, "visit", d, overdue=True),
        item(2, "visit", d, overdue=True), item(2, "review", d + timedelta(days=3), overdue=True),
    ])
    assert [g.participant_id for g in groups] == [2, 1]


@dataclass
class Appt:
    starts_at: datetime
    status: str = "booked"
    outcome: object = None
    duration_minutes: int = 60


def test_next_visit_skips_done_cancelled_and_ended():
    now = datetime(2026, 3, 10, 11, 30)
    done = Appt(datetime(2026, 3, 10, 8), outcome=object())
    ended = Appt(datetime(2026, 3, 10, 9))
    running = Appt(datetime(2026, 3, 10, 11))
    cancelled = Appt(datetime(2026, 3, 10, 12), status="cancelled")
    later = Appt(datetime(2026, 3, 10, 13))
    assert next_visit([done, ended, running, cancelled, later], now) is running
    assert next_visit([done, ended, cancelled], now) is None
