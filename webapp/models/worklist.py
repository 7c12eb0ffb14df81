"""The stored worklist of Idag (issue 17): each participant's due items, worked out when
something they depend on changes instead of on every view (webapp/staff/worklist_store.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class WorklistEntry(db.Model):
    """One participant's due items for one local day. Valid while `day` is today and `now` is
    before `valid_until`; a write the items depend on clears `valid_until` and counts up
    `version`, so a computation that read an older version cannot store its old result."""

    __tablename__ = "worklist_entries"
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    day: Mapped[date | None] = mapped_column(Date)  # the local day the items are for
    # Naive UTC: the first moment the items change without a write (end of the day, a booked
    # visit's start, a rättelse deadline); None: invalidated.
    valid_until: Mapped[datetime | None] = mapped_column(DateTime)
    # The page order as a string (domain.worklist.order_key); None: nothing due.
    sort_key: Mapped[str | None] = mapped_column(String(64))
    items: Mapped[list | None] = mapped_column(JSON)  # None: invalidated before computed
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
