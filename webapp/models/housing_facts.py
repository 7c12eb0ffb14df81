"""What housing's overview and tenancy list need of each tenant, stored per participant and day
(issue 17): worked out when something they depend on changes, not over the whole scope on every
view (webapp/housing/facts_store.py)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
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


class HousingGeneration(db.Model):
    """A number counted up, in the writing transaction, by every write that can change what
    housing's stored summaries (`HousingSummary`) were worked out from, per organisation: the
    facts' validity (every `WorklistEntry.version` count-up, staff/worklist_store.mark_stale)
    and the scope (participants, apartments, offers; webapp/housing/summaries.py). No row: 0."""

    __tablename__ = "housing_generations"
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)


class HousingSummary(db.Model):
    """What one of housing's pages worked out over a user's whole scope (the overview's counts
    and the scope's ids), for one local day and the organisation's `HousingGeneration`: valid
    while both are still those. Counts and ids only: nothing of a plan, a note or health."""

    __tablename__ = "housing_summaries"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # page, organisation, teams
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    generation: Mapped[int] = mapped_column(Integer)
    counts: Mapped[str] = mapped_column(Text)  # JSON
    ids: Mapped[str] = mapped_column(Text)  # the scope's ids, as the page reads them
