"""Append-only audit log of every read and write of participant data (DESIGN §2)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .people import User


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # Events looked up by what they are about (the review's sign-off, the first-day guide's
    # "settings saved"): without it, a scan of the whole append-only log (migration 0013).
    # A participant's events newest first ("Vem har tittat") read in order from the index on
    # (participant, at, id), which serves every look-up by participant too (migration 0018).
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),
                      Index("ix_audit_events_participant_at", "participant_id", "at", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(20))  # read | create | update | delete | login ...
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    path: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")

    user: Mapped[User | None] = relationship()


class AuditReview(db.Model):
    """The admin's monthly log review marks; kept apart so audit rows never change."""

    __tablename__ = "audit_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), index=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# The database itself refuses to change or delete audit rows. The same statements are in the
# initial migration; create_all (tests) gets them from these listeners.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
]
for _stmt in APPEND_ONLY_SQLITE:
    event.listen(AuditEvent.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in APPEND_ONLY_POSTGRESQL:
    event.listen(
        AuditEvent.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql")
    )


# --- The monthly log review, stored (issue 17) -------------------------------------------------
# What the review works out from the events alone, kept per organisation and month and brought
# up to date with the events added since (webapp/admin/audit_review_store.py): the log is
# append-only, so nothing stored here ever has to be taken back. Whether a read was outside
# the reader's caseload depends on today's caseloads and is worked out on every view, from the
# month's distinct (reader, participant) pairs kept here.


class ReviewMonthKey:
    """The first columns of every stored review row's key: whose month it is (sort_order:
    first in the table and the key, as the migration made them)."""

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 primary_key=True, sort_order=-2)
    month: Mapped[date] = mapped_column(Date, primary_key=True,
                                        sort_order=-1)  # first day of the month


class AuditReviewMonth(ReviewMonthKey, db.Model):
    """How far a month's review is stored: every event of the month with an id up to `upto_id`."""

    __tablename__ = "audit_review_months"
    rules: Mapped[str] = mapped_column(String(40))  # computed under these rules (else redone)
    upto_id: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer)  # the month's events up to `upto_id`
    with_user: Mapped[int] = mapped_column(Integer)  # ... of them by a user (sample pool)
    # Added too, not settled yet: every event up to `seen_id`; `seen_count`: the events of any
    # kind with an id after `upto_id` up to it (more there later: one committed late, read
    # again; -1: one committed while a view read).
    seen_id: Mapped[int] = mapped_column(Integer, default=0)
    seen_count: Mapped[int] = mapped_column(Integer, default=0)
    # The month's AuditReviewFlag rows and those of them by a user, counted up in the
    # transaction that stores them: a view does not count every flag (migration 0017).
    flagged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flagged_with_user: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditReviewFlag(ReviewMonthKey, db.Model):
    """An event's flags that follow from the events alone (refused, night, burst)."""

    __tablename__ = "audit_review_flags"
    # The review page reads its rows in this order (local time, id) by index, not by sorting
    # every flag of the month (migration 0017).
    __table_args__ = (Index("ix_audit_review_flags_month_at_local", "organisation_id", "month",
                            "at_local", "audit_event_id"),)
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    at_local: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flags: Mapped[str] = mapped_column(String(100))  # comma-separated, log_review.FLAG_ORDER


class AuditReviewRead(ReviewMonthKey, db.Model):
    """A worker read a participant's data this month (checked against today's caseloads)."""

    __tablename__ = "audit_review_reads"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class AuditReviewCandidate(ReviewMonthKey, db.Model):
    """The month's events by a user with the smallest sample keys: the sample is drawn from
    them (log_review.sample_events), so it never needs the whole month."""

    __tablename__ = "audit_review_candidates"
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    sample_key: Mapped[int] = mapped_column(BigInteger)
    at_local: Mapped[datetime] = mapped_column(DateTime)
