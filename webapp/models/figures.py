"""Programme figures, stored (issue 17).

A closed month's figures no longer change once the month and the last visit period starting in
it are over, except when someone records something dated back in it: its row (`as_of` NULL) is
filled by webapp/admin/stored_figures.py (scheduler pass, or the first view) and deleted when
such an entry changes it. A month not yet closed is stored "as of" a local day (`as_of`): valid
on that day only, and marked `stale` by any entry that reaches it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class StoredFigures(db.Model):
    __tablename__ = "stored_figures"
    __table_args__ = (UniqueConstraint("organisation_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    # The visit rule (and computation version) the figures were computed with: a row computed
    # under another rule is not used.
    rule: Mapped[str] = mapped_column(String(100))
    # JSON: every figure as [value, numerator, denominator], and the ends per reason. NULL
    # while a month that is not closed is being computed.
    figures: Mapped[str | None] = mapped_column(Text, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # NULL: a closed month. A day: the figures of a month not closed yet, as of that local day
    # (valid on that day only, and only while not `stale`).
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Set by a commit whose entries reach the month; `version` counts up with it, and a
    # computation stores its figures only over the version it started from.
    stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
