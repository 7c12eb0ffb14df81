"""Appointments, visit outcomes and the notices housing administration must receive."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .participants import Participant
from .people import User

APPOINTMENT_KINDS = {
    "home_visit": _l("Hembesök"),
    "phone": _l("Telefonsamtal"),
    "healthcare": _l("Vårdbesök med följe"),
    "meeting": _l("Möte"),
    "sip": _l("SIP-möte"),
    "viewing": _l("Visning"),
    "contract_signing": _l("Kontraktsskrivning"),
    "planning": _l("Planeringsmöte"),
}
OUTCOMES = {"done": _l("Genomfört"), "not_met": _l("Inte träffad"), "cancelled": _l("Inställt")}


class Appointment(db.Model):
    __tablename__ = "appointments"
    # Every caseload query asks "these participants, this time window" (Idag, the visit rule).
    __table_args__ = (Index("ix_appointments_participant_starts", "participant_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: ix_appointments_participant_starts serves look-ups by participant
    # too, and with both the planner took this one for a week's visits (migration 0016).
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="home_visit")
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # naive UTC
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    location: Mapped[str] = mapped_column(String(300), default="")
    visible_to_participant: Mapped[bool] = mapped_column(Boolean, default=True)
    with_social_services: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="booked")  # booked | cancelled
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    participant: Mapped[Participant] = relationship()
    staff: Mapped[User | None] = relationship(foreign_keys=[staff_id])
    outcome: Mapped[VisitOutcome | None] = relationship(back_populates="appointment")


class VisitOutcome(db.Model):
    __tablename__ = "visit_outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)

    appointment: Mapped[Appointment] = relationship(back_populates="outcome")


class HousingNotice(db.Model):
    """Housing administration is told when staff could not meet the tenant at home (fas 2)."""

    __tablename__ = "housing_notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    apartment_id: Mapped[int | None] = mapped_column(ForeignKey("apartments.id"), index=True)
    visit_outcome_id: Mapped[int | None] = mapped_column(ForeignKey("visit_outcomes.id"))
    kind: Mapped[str] = mapped_column(String(30), default="visit_not_met")
    occurred_on: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
