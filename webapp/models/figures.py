"""Programme figures of closed months, stored (issue 17).

A month's figures no longer change once the month and the last visit period starting in it are
over, except when someone records something dated back in it: webapp/admin/stored_figures.py
fills these rows (scheduler pass, or the first view) and deletes a month's row when such an entry
changes it. The open month is never stored.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, UniqueConstraint
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
    # JSON: every figure as [value, numerator, denominator], and the ends per reason.
    figures: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
