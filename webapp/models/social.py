"""The social-services side (DESIGN §1c, §1d): decisions with history, the assignment (uppdrag),
monthly follow-up reports and comments, quarterly follow-up meetings, missed visit periods and
the crisis plan."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import User

DECISION_KINDS = {"support": _l("Biståndsbeslut (stöd)"), "housing": _l("Beslut om bostad")}
MISSED_REASONS = {
    "logged_late": _l("Besöket gjordes men registrerades inte"),
    "absent": _l("Deltagaren var frånvarande"),
    "not_met": _l("Gick inte att träffa"),
}
AGREEMENT = {"yes": _l("Ja"), "partly": _l("Delvis"), "no": _l("Nej")}


class Decision(db.Model):
    """A decision by social services; a new one of the same kind supersedes the old."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="support")
    decided_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class SupportAssignment(db.Model):
    """The uppdrag: the social worker's written assignment to the support team."""

    __tablename__ = "support_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    purpose: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decision: Mapped[Decision | None] = relationship()


class FollowUpReport(db.Model):
    """The monthly follow-up report to social services (one per participant and month)."""

    __tablename__ = "follow_up_reports"
    __table_args__ = (UniqueConstraint("participant_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    support_given: Mapped[str] = mapped_column(Text, default="")
    goals_progress: Mapped[str] = mapped_column(Text, default="")
    housing_situation: Mapped[str] = mapped_column(Text, default="")
    concerns: Mapped[str] = mapped_column(Text, default="")
    participant_view: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    comments: Mapped[list[FollowUpComment]] = relationship(
        back_populates="report", order_by="FollowUpComment.created_at")


class FollowUpComment(db.Model):
    __tablename__ = "follow_up_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("follow_up_reports.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    report: Mapped[FollowUpReport] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class QuarterlyFollowUp(db.Model):
    """Stockholm's quarterly follow-up meeting; the transfer is assessed at the third."""

    __tablename__ = "quarterly_follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    # At the transfer follow-up: is the participant ready for the first-hand contract?
    transfer_ready: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MissedVisit(db.Model):
    """A fas-2 period that ended without the minimum visits (DESIGN §1d). Created with its
    notice to housing; stays on the worklist until someone records why."""

    __tablename__ = "missed_visits"
    __table_args__ = (UniqueConstraint("participant_id", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(10), default="week")
    housing_notice_id: Mapped[int | None] = mapped_column(ForeignKey("housing_notices.id"))
    reason: Mapped[str | None] = mapped_column(String(20))
    explained_at: Mapped[datetime | None] = mapped_column(DateTime)
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CrisisPlan(db.Model):
    """What signals, what helps, whom to call; the participant sees their own (never housing)."""

    __tablename__ = "crisis_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), unique=True)
    signals: Mapped[str] = mapped_column(Text, default="")
    what_helps: Mapped[str] = mapped_column(Text, default="")
    whom_to_call: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
