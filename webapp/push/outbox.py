"""Sending the reminders outbox: claim, deliver to every device, record, retry (DESIGN §6).

Exactly once, even with several schedulers:
- a pass claims due rows by moving them from `pending` to `sending` with its own token
  (PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so two schedulers take different rows; SQLite:
  one atomic `UPDATE … WHERE status = 'pending'`, and one scheduler is enough there);
- a device that already accepted a reminder (a 2xx `ReminderAttempt`) is never sent it again,
  so a retry after a partial failure only goes to the devices that failed;
- a claim older than `STALE_CLAIM` (the scheduler died mid-pass) is released for another try.
  Each claim is stamped with the clock when it is taken, and a pass renews its claims before
  every send, so a slow pass is never mistaken for a dead one; before a row is marked, the
  pass checks (under a row lock on PostgreSQL) that the claim is still its own.
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import PushSubscription, Reminder, ReminderAttempt
from ..models.base import utcnow
from . import delivery

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=60)
BACKOFF_MAX = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=15)
DEFAULT_TTL = 24 * 3600


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0
    no_device: int = 0
    devices: int = 0  # devices reached
    errors: list[str] = field(default_factory=list)

    def add(self, status: str, devices: int) -> None:
        self.devices += devices
        attr = {"sent": "sent", "pending": "retrying", "failed": "failed",
                "no_device": "no_device"}[status]
        setattr(self, attr, getattr(self, attr) + 1)

    def __str__(self) -> str:
        return (f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}, "
                f"expired {self.expired}, no device {self.no_device}")


def worker_token() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def backoff(attempts: int, retry_after: int | None = None) -> timedelta:
    """60 s, 2 min, 4 min … capped at an hour; a longer Retry-After from the service wins."""
    wait = min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)
    if retry_after:
        wait = max(wait, min(timedelta(seconds=retry_after), BACKOFF_MAX))
    return wait


def _due(now: datetime):
    return (
        Reminder.status == "pending",
        Reminder.due_at <= now,
        (Reminder.next_attempt_at.is_(None)) | (Reminder.next_attempt_at <= now),
    )


def drop_expired(session, now: datetime) -> int:
    result = session.execute(
        update(Reminder).where(Reminder.status == "pending", Reminder.expires_at.is_not(None),
                               Reminder.expires_at <= now)
        .values(status="expired").execution_options(synchronize_session=False))
    return result.rowcount or 0


def claim_clock(now: datetime) -> datetime:
    """When a claim is taken or renewed: the wall clock (a pass can run long after its `now`
    began), never earlier than the pass's `now` (tests and catch-up runs pass their own)."""
    return max(now, utcnow())


def release_stale_claims(session, now: datetime) -> None:
    session.execute(
        update(Reminder).where(Reminder.status == "sending",
                               Reminder.claimed_at < claim_clock(now) - STALE_CLAIM)
        .values(status="pending", claimed_by="").execution_options(synchronize_session=False))


def claim_due(session, now: datetime, token: str, limit: int) -> list[int]:
    """Atomically take up to `limit` due reminders for this pass; commits."""
    values = dict(status="sending", claimed_at=claim_clock(now), claimed_by=token)
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalars(
            select(Reminder.id).where(*_due(now)).order_by(Reminder.due_at, Reminder.id)
            .limit(limit).with_for_update(skip_locked=True)).all()
        if ids:
            session.execute(update(Reminder).where(Reminder.id.in_(ids)).values(**values)
                            .execution_options(synchronize_session=False))
    else:
        due_ids = (select(Reminder.id).where(*_due(now))
                   .order_by(Reminder.due_at, Reminder.id).limit(limit).scalar_subquery())
        session.execute(update(Reminder).where(Reminder.id.in_(due_ids),
                                               Reminder.status == "pending")
                        .values(**values).execution_options(synchronize_session=False))
    session.commit()
    return list(session.scalars(select(Reminder.id).where(
        Reminder.claimed_by == token, Reminder.status == "sending").order_by(Reminder.id)))


def payload_for(reminder: Reminder) -> dict:
    # One tag per appointment, so "1 hour before" replaces "the evening before" on the screen.
    tag = f"appt-{reminder.appointment_id}" if reminder.appointment_id else (
        f"{reminder.kind}-{reminder.id}")
    return {"title": reminder.title, "body": reminder.body, "url": reminder.url, "tag": tag}


def renew_claims(session, token: str, now: datetime) -> None:
    """Stamp this pass's remaining claims afresh (a heartbeat), so none looks stale; commits."""
    session.execute(update(Reminder).where(Reminder.claimed_by == token,
                                           Reminder.status == "sending")
                    .values(claimed_at=claim_clock(now))
                    .execution_options(synchronize_session=False))
    session.commit()


def still_claimed(session, reminder_id: int, token: str, lock: bool = False) -> bool:
    """Whether this pass still holds the claim; with `lock` (PostgreSQL) the row stays locked
    until the commit that marks it, so no other scheduler can take it in between."""
    query = select(Reminder.status, Reminder.claimed_by).where(Reminder.id == reminder_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).one_or_none()
    return row is not None and row.status == "sending" and row.claimed_by == token


def deliver(session, reminder: Reminder, now: datetime,
            keys: tuple[bytes, bytes], token: str | None = None) -> tuple[str, int]:
    """Send a claimed reminder to every device of its user not yet reached; record each try.

    Stores and returns the new status (sent | pending = retry later | failed | no_device) and
    how many devices accepted it in this try. With `token`, a claim lost meanwhile (released
    and taken by another scheduler) is left alone: the attempts are kept, the row is not
    marked, and the status is "lost".
    """
    subscriptions = session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == reminder.user_id).order_by(PushSubscription.id)).all()
    reached = set(session.scalars(select(ReminderAttempt.subscription_id).where(
        ReminderAttempt.reminder_id == reminder.id, ReminderAttempt.status_code >= 200,
        ReminderAttempt.status_code < 300)))
    ttl = DEFAULT_TTL
    if reminder.expires_at is not None:
        ttl = int((reminder.expires_at - now).total_seconds())
    payload = payload_for(reminder)
    retry, retry_after, delivered_now = False, None, 0
    for sub in subscriptions:
        if sub.id in reached:
            continue
        result = delivery.post_message(payload, sub.endpoint, sub.p256dh, sub.auth, ttl, keys)
        session.add(ReminderAttempt(reminder_id=reminder.id, subscription_id=sub.id,
                                    endpoint=sub.endpoint[:1000], status_code=result.status_code,
                                    error=result.error, attempted_at=utcnow()))
        if result.ok:
            delivered_now += 1
        elif result.gone:  # the browser unsubscribed or the push service forgot it
            session.execute(delete(PushSubscription).where(PushSubscription.id == sub.id))
        elif result.retryable:
            retry = True
            retry_after = max(retry_after or 0, result.retry_after or 0) or None
    if token is not None and not still_claimed(session, reminder.id, token, lock=True):
        session.expire(reminder)  # another scheduler owns it now: record attempts only
        return "lost", delivered_now
    reminder.attempts = (reminder.attempts or 0) + 1
    reminder.claimed_by = ""
    if delivered_now and reminder.sent_at is None:
        reminder.sent_at = now
    if retry and reminder.attempts < MAX_ATTEMPTS:
        reminder.status = "pending"
        reminder.next_attempt_at = now + backoff(reminder.attempts, retry_after)
    elif reached or delivered_now:
        reminder.status = "sent"
    elif not subscriptions:
        reminder.status = "no_device"
    else:
        reminder.status = "failed"
    return reminder.status, delivered_now


def send_due(now: datetime | None = None, limit: int = 50, max_batches: int = 100,
             session=None) -> SendReport:
    """One pass: drop expired, release stale claims, claim and send until nothing is due."""
    session = session or db.session
    report = SendReport()
    try:
        keys = delivery.load_keys()
    except delivery.VapidKeysMissing:
        report.errors.append("VAPID keys missing: run `flask --app webapp vapid-keys`")
        return report
    now = now or utcnow()
    report.expired = drop_expired(session, now)
    release_stale_claims(session, now)
    session.commit()
    for _batch in range(max_batches):
        token = worker_token()
        ids = claim_due(session, now, token, limit)
        if not ids:
            break
        for reminder_id in ids:
            try:
                renew_claims(session, token, now)
                if not still_claimed(session, reminder_id, token):
                    session.rollback()
                    continue
                reminder = session.get(Reminder, reminder_id)
                session.refresh(reminder)
                status, devices = deliver(session, reminder, now, keys, token)
                session.commit()
            except Exception as exc:  # one bad row must not stop the pass
                session.rollback()
                current_app.logger.exception("push: reminder %s failed", reminder_id)
                report.errors.append(f"{reminder_id}: {exc.__class__.__name__}")
                continue
            if status != "lost":
                report.add(status, devices)
    return report
