"""Sending the outbox to a local push service that checks VAPID and decrypts (DESIGN §6)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_appointment
from tests.push_service import push_service_fixture  # noqa: F401 - the fixture
from webapp.models import Disturbance, PushSubscription, Reminder, ReminderAttempt
from webapp.models.base import utcnow
from webapp.push.outbox import MAX_ATTEMPTS, send_due
from webapp.reminders import plan_daily

NOW = datetime(2026, 3, 9, 12, 0)  # a fixed "now" for the sender; reminders are made around it


def add_device(db, user, service, script=()):
    sub = service.new_device(script)
    row = PushSubscription(user_id=user.id, endpoint=sub["endpoint"],
                           p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"])
    db.session.add(row)
    db.session.commit()
    return row


def add_reminder(db, user, body="Besök imorgon kl 10:00", due=NOW, expires=None, key="r1",
                 **kw):
    reminder = Reminder(user_id=user.id, kind=kw.pop("kind", "appt_evening"), dedupe_key=key,
                        due_at=due, expires_at=expires or due + timedelta(hours=16),
                        title="Bofast", body=body, url="/me/appointments", **kw)
    db.session.add(reminder)
    db.session.commit()
    return reminder


def fresh(db, row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def attempts(db, reminder):
    return db.session.scalars(select(ReminderAttempt.status_code).where(
        ReminderAttempt.reminder_id == reminder.id).order_by(ReminderAttempt.id)).all()


def test_due_reminder_is_encrypted_signed_and_delivered(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service)
    reminder = add_reminder(db, user)
    report = send_due(now=NOW)
    assert push_service.errors == []
    assert report.sent == 1 and report.devices == 1
    [received] = push_service.received
    assert received.payload == {"title": "Bofast", "body": "Besök imorgon kl 10:00",
                                "url": "/me/appointments", "tag": f"appt_evening-{reminder.id}"}
    assert received.ttl == 16 * 3600  # lasts until the appointment
    assert received.claims["sub"] == "mailto:push-test@example.org"
    row = fresh(db, reminder)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)
    assert attempts(db, reminder) == [201]
    assert send_due(now=NOW + timedelta(minutes=5)).sent == 0  # never twice
    assert len(push_service.received) == 1


def test_not_yet_due_is_not_sent(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service)
    add_reminder(db, user, due=NOW + timedelta(minutes=1))
    assert send_due(now=NOW).sent == 0
    assert push_service.received == []


def test_every_device_of_the_user_gets_it(db, world, push_service):
    user = world.users["staff"]
    first, second = add_device(db, user, push_service), add_device(db, user, push_service)
    add_device(db, world.users["other_staff"], push_service)  # someone else's phone
    add_reminder(db, user)
    send_due(now=NOW)
    assert len(push_service.delivered(first.endpoint)) == 1
    assert len(push_service.delivered(second.endpoint)) == 1
    assert len(push_service.received) == 2


def test_contact_configured_with_mailto_is_not_doubled(app, db, world, push_service):
    app.config["BOFAST_PUSH_CONTACT"] = "mailto:push-test@example.org"
    add_device(db, world.users["participant"], push_service)
    add_reminder(db, world.users["participant"])
    send_due(now=NOW)
    assert push_service.errors == []
    assert push_service.received[0].claims["sub"] == "mailto:push-test@example.org"


def test_gone_subscription_410_is_deleted(db, world, push_service):
    user = world.users["participant"]
    gone = add_device(db, user, push_service, script=[410])
    alive = add_device(db, user, push_service)
    reminder = add_reminder(db, user)
    send_due(now=NOW)
    assert db.session.get(PushSubscription, gone.id) is None
    assert db.session.get(PushSubscription, alive.id) is not None
    assert sorted(attempts(db, reminder)) == [201, 410]
    assert fresh(db, reminder).status == "sent"


def test_unknown_subscription_404_is_deleted_and_reminder_fails(db, world, push_service):
    user = world.users["participant"]
    sub = add_device(db, user, push_service, script=[404])
    reminder = add_reminder(db, user)
    send_due(now=NOW)
    assert db.session.get(PushSubscription, sub.id) is None
    assert fresh(db, reminder).status == "failed"


def test_503_is_retried_with_backoff_then_delivered_once(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service, script=[503])
    reminder = add_reminder(db, user)
    send_due(now=NOW)
    row = fresh(db, reminder)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    send_due(now=NOW + timedelta(seconds=30))  # too early: backoff holds it
    assert len(push_service.received) == 1
    send_due(now=NOW + timedelta(seconds=61))
    row = fresh(db, reminder)
    assert (row.status, row.attempts) == ("sent", 2)
    assert attempts(db, reminder) == [503, 201]
    assert len(push_service.delivered()) == 1


def test_retry_goes_only_to_the_device_that_failed(db, world, push_service):
    user = world.users["participant"]
    ok = add_device(db, user, push_service)
    flaky = add_device(db, user, push_service, script=[429])
    reminder = add_reminder(db, user)
    send_due(now=NOW)
    assert fresh(db, reminder).status == "pending"
    send_due(now=NOW + timedelta(minutes=2))
    assert len(push_service.delivered(ok.endpoint)) == 1  # not sent twice to the good phone
    assert len(push_service.delivered(flaky.endpoint)) == 1
    assert fresh(db, reminder).status == "sent"


def test_gives_up_after_the_limit(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service, script=[500] * 20)
    reminder = add_reminder(db, user, expires=NOW + timedelta(days=2))
    now = NOW
    for _ in range(MAX_ATTEMPTS + 3):
        send_due(now=now)
        now += timedelta(hours=2)
    row = fresh(db, reminder)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(push_service.received) == MAX_ATTEMPTS


def test_expired_reminder_is_dropped(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service)
    reminder = add_reminder(db, user, due=NOW - timedelta(hours=3),
                            expires=NOW - timedelta(minutes=1))
    assert send_due(now=NOW).expired == 1
    assert fresh(db, reminder).status == "expired"
    assert push_service.received == []


def test_user_without_devices(db, world, push_service):
    reminder = add_reminder(db, world.users["participant"])
    assert send_due(now=NOW).no_device == 1
    assert fresh(db, reminder).status == "no_device"


def test_endpoint_rechecked_against_allow_list_at_send_time(app, db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service)
    reminder = add_reminder(db, user)
    app.config["BOFAST_PUSH_ENDPOINTS"] = "https://fcm.googleapis.com/"
    send_due(now=NOW)
    assert push_service.received == []
    assert fresh(db, reminder).status == "failed"
    assert db.session.scalar(select(ReminderAttempt.error)) == "not allowed"


def test_stale_claim_is_released(db, world, push_service):
    user = world.users["participant"]
    add_device(db, user, push_service)
    reminder = add_reminder(db, user, status="sending", claimed_by="dead-worker",
                            claimed_at=NOW - timedelta(hours=1))
    send_due(now=NOW)
    assert fresh(db, reminder).status == "sent"


def test_without_vapid_keys_nothing_is_claimed(db, world):
    reminder = add_reminder(db, world.users["participant"])
    report = send_due(now=NOW)
    assert report.errors and "vapid-keys" in report.errors[0]
    assert fresh(db, reminder).status == "pending"


def test_no_names_or_addresses_reach_the_push_service(db, world, push_service):
    """Everything planned for a real day, sent; nothing sensitive in any decrypted body."""
    staff, participant = world.users["staff"], world.users["participant"]
    add_device(db, staff, push_service)
    add_device(db, participant, push_service)
    world.participant.protected_identity = True
    world.participant.pseudonym = "Deltagare S"
    start = utcnow() + timedelta(hours=3)
    make_appointment(world.participant, staff, start, kind="healthcare",
                     location="Storgatan 3, vårdcentralen", note="Diabeteskontroll")
    db.session.add(Disturbance(participant_id=world.participant.id, occurred_on=start.date(),
                               source="landlord", severity="rattelse", received_at=utcnow(),
                               description="Hög musik hos Kalle Svensson"))
    db.session.commit()
    plan_daily(db.session)
    db.session.commit()
    later = utcnow() + timedelta(days=8)
    db.session.execute(Reminder.__table__.update().values(due_at=utcnow(), expires_at=later))
    db.session.commit()
    send_due()
    bodies = [p["title"] + " " + p["body"] for p in push_service.delivered()]
    assert push_service.errors == []
    assert len(bodies) >= 3
    forbidden = ["Kalle", "Svensson", "Storgatan", "gatan", "vård", "Diabetes", "musik",
                 "Deltagare S", "Skyddad"]
    for body in bodies:
        for word in forbidden:
            assert word.lower() not in body.lower(), (word, body)


@pytest.mark.parametrize("status", [400, 413])
def test_other_client_errors_are_not_retried(db, world, push_service, status):
    user = world.users["participant"]
    add_device(db, user, push_service, script=[status])
    reminder = add_reminder(db, user)
    send_due(now=NOW)
    assert fresh(db, reminder).status == "failed"
    assert len(push_service.received) == 1
