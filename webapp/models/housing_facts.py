"""What housing's overview and tenancy list need of each tenant, stored per participant and day
(issue 17): worked out when something they depend on changes, not over the whole scope on every
view (webapp/housing/facts_store.py)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class HousingFacts(db.Model):
    """One participant's facts for one local day. Valid while `day` is today and `basis` is the
    participant's `WorklistEntry.version` (0 without a row): every write of a fact counts that
    version up (staff/worklist_store.py), so a row computed before the write is stale after it.
    Nothing here is a plan, a visit note, an absence reason or health: counts, dates, flags."""

    __tablename__ = "housing_facts"
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the local day the facts are for
    basis: Mapped[int] = mapped_column(Integer)  # the worklist version read before the facts
    # The checklist of the day's month: owed by a tenancy that moved in before the month
    # (domain.tenancy_life.owes_checklist with the move-in left out), and the month's counting
    # submission and its apartment (None: none yet).
    checklist_owed: Mapped[bool] = mapped_column(Boolean)
    checklist_id: Mapped[int | None] = mapped_column(Integer)
    checklist_apartment_id: Mapped[int | None] = mapped_column(Integer)
    # The visit rule met (domain.visits) in the day's visit period and the one before it.
    visits_met: Mapped[bool] = mapped_column(Boolean)
    visits_met_before: Mapped[bool] = mapped_column(Boolean)
    # Expected first-hand contract of a second-hand tenant whose counter runs (None otherwise):
    # the order of the tenancy list.
    expected_transfer: Mapped[date | None] = mapped_column(Date)
