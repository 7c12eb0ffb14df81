"""The one-day rule for rättelseanmaningar (DESIGN §1, "Disturbances").

When staff receive the copy of a written demand for correction, they must contact the tenant
within one day. The clock starts at `received_at` (naive UTC, like every stored datetime).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

CONTACT_WITHIN = timedelta(days=1)


def needs_follow_up(disturbance: Any) -> bool:
    """A rättelseanmaning nobody has followed up yet."""
    return disturbance.severity == "rattelse" and disturbance.followed_up_at is None


def follow_up_deadline(disturbance: Any) -> datetime | None:
    """When the tenant must have been contacted (naive UTC); None if the rule does not apply."""
    if disturbance.severity != "rattelse":
        return None
    return disturbance.received_at + CONTACT_WITHIN


def is_overdue(disturbance: Any, now: datetime) -> bool:
    """Not followed up and past the deadline (`now` naive UTC)."""
    deadline = follow_up_deadline(disturbance)
    return needs_follow_up(disturbance) and deadline is not None and now > deadline
