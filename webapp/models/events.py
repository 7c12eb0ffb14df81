"""Disturbances (störningar) and the one-day contact rule for rättelseanmaningar."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

SEVERITIES = {"minor": _l("Mindre"), "rattelse": _l("Rättelseanmaning"), "serious": _l("Allvarlig"),
              # DESIGN §1b: unpaid rent is its own notice type (no amounts); a very serious
              # disturbance lets housing call a joint meeting.
              "unpaid_rent": _l("Obetald hyra"), "very_serious": _l("Mycket allvarlig")}
SOURCES = {
    "landlord": _l("Hyresvärd"),
    "neighbour": _l("Granne"),
    "housing": _l("Bostadsförvaltning"),
    "staff": _l("Stödpersonal"),
    "other": _l("Annan"),
}


class Disturbance(db.Model):
    __tablename__ = "disturbances"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    apartment_id: Mapped[int | None] = mapped_column(ForeignKey("apartments.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    # When staff received the copy: the one-day contact rule counts from here.
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    # The one-day rule (DESIGN §1d): housing records when the letter was sent and the copy
    # received; staff record when they actually contacted the tenant.
    letter_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    copy_received_at: Mapped[datetime | None] = mapped_column(DateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
