"""Push routes and CLI: keys, subscriptions (allow-list, CSRF), test notification, settings."""
from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import repo_root
from tests.push_service import push_service_fixture  # noqa: F401 - the fixture
from webapp.models import PushSubscription, Reminder
from webapp.push.routes import TEST_BODY

JSON = {"Accept": "application/json"}


def b64d(value):
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def subscriptions(db):
    db.session.expire_all()
    return db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)).all()


# ------------------------------------------------------------------ keys

def test_vapid_keys_command_generates_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["vapid-keys"])
    assert result.exit_code == 0, result.output
    private = Path(app.instance_path, "vapid_private.pem")
    assert private.exists() and oct(private.stat().st_mode & 0o777) == "0o600"
    first = private.read_bytes()
    again = runner.invoke(args=["vapid-keys"])
    assert again.exit_code != 0 and "--force" in again.output
    assert private.read_bytes() == first


def test_vapid_keys_force_replaces_and_drops_old_subscriptions(app, db, world, push_service):
    sub = push_service.new_device()
    db.session.add(PushSubscription(user_id=world.users["staff"].id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["vapid-keys", "--force"])
    assert result.exit_code == 0, result.output
    assert subscriptions(db) == []


def test_public_key_route_serves_the_uncompressed_point(app, client, push_service):
    response = client.get("/push/vapid-public-key")
    assert response.status_code == 200
    key = response.get_data(as_text=True)
    raw = b64d(key)
    assert len(raw) == 65 and raw[0] == 4 and "=" not in key
    assert key == push_service.public_key
    assert client.get("/push/vapid-public-key", headers=JSON).json == {"publicKey": key}


def test_public_key_route_without_keys_is_404(client):
    assert client.get("/push/vapid-public-key").status_code == 404


# ------------------------------------------------------------------ subscriptions

def test_subscribe_and_unsubscribe(db, world, client, login_as, push_service):
    user = login_as("participant")
    sub = push_service.new_device()
    response = client.post("/push/subscriptions", json=sub, headers={"User-Agent": "Android"})
    assert response.status_code == 201 and response.json["ok"] is True
    [row] = subscriptions(db)
    assert (row.user_id, row.endpoint, row.p256dh) == (user.id, sub["endpoint"],
                                                       sub["keys"]["p256dh"])
    # Same device again: the same answer as the first time (issue 19).
    assert client.post("/push/subscriptions", json=sub).status_code == 201
    assert len(subscriptions(db)) == 1
    response = client.delete("/push/subscriptions", json={"endpoint": sub["endpoint"]})
    assert response.status_code == 200 and response.json["deleted"] == 1
    assert subscriptions(db) == []


def test_unsubscribe_cannot_remove_someone_elses_device(db, world, client, login_as,
                                                       push_service):
    sub = push_service.new_device()
    db.session.add(PushSubscription(user_id=world.users["staff"].id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()
    login_as("participant")
    assert client.delete("/push/subscriptions", json={"endpoint": sub["endpoint"]}).json[
        "deleted"] == 0
    assert client.post(f"/push/subscriptions/{subscriptions(db)[0].id}/delete").status_code == 404
    assert len(subscriptions(db)) == 1


@pytest.mark.parametrize("endpoint", [
    "https://evil.example.com/push/abc",
    "http://169.254.169.254/latest/meta-data",
    "http://fcm.googleapis.com/fcm/send/abc",  # https only
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://user:pw@fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com:8443/fcm/send/abc",
    "file:///etc/passwd",
])
def test_endpoint_outside_the_allow_list_is_refused(db, client, login_as, push_service,
                                                   endpoint):
    login_as("staff")
    sub = push_service.new_device()
    sub["endpoint"] = endpoint
    response = client.post("/push/subscriptions", json=sub)
    assert response.status_code == 422
    assert response.json["errors"]["endpoint"] == "Den här notistjänsten är inte tillåten."
    assert subscriptions(db) == []


def test_known_push_services_are_allowed(client, login_as, push_service):
    login_as("staff")
    sub = push_service.new_device()
    sub["endpoint"] = "https://fcm.googleapis.com/fcm/send/abc123"
    assert client.post("/push/subscriptions", json=sub).status_code == 201


@pytest.mark.parametrize("body, field", [
    (None, "endpoint"),
    ({"keys": {}}, "endpoint"),
    ({"endpoint": "PUSH", "keys": {"p256dh": "abc", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
     "p256dh"),
    ({"endpoint": "PUSH", "keys": {"p256dh": "KEY", "auth": "short"}}, "auth"),
    ({"endpoint": "PUSH", "keys": "nope"}, "p256dh"),
])
def test_bad_subscription_shape_is_422_with_swedish_message(db, client, login_as, push_service,
                                                           body, field):
    login_as("staff")
    good = push_service.new_device()
    if isinstance(body, dict):
        body = {**body}
        if body.get("endpoint") == "PUSH":
            body["endpoint"] = good["endpoint"]
        if isinstance(body.get("keys"), dict) and body["keys"].get("p256dh") == "KEY":
            body["keys"] = {**body["keys"], "p256dh": good["keys"]["p256dh"]}
    response = client.post("/push/subscriptions", json=body) if body is not None else (
        client.post("/push/subscriptions", data="not json", content_type="text/plain"))
    assert response.status_code == 422
    assert response.json["ok"] is False and field in response.json["errors"]
    assert re.search(r"[åäö]|saknas|ogiltig|JSON", response.json["errors"][field])
    assert subscriptions(db) == []


def test_subscribe_needs_the_csrf_header(app, db, client, login_as, push_service):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as("staff")
    sub = push_service.new_device()
    assert client.post("/push/subscriptions", json=sub).status_code == 400
    page = client.get("/push/settings").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    response = client.post("/push/subscriptions", json=sub, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_subscribe_needs_sign_in(client, push_service):
    assert client.post("/push/subscriptions", json=push_service.new_device()).status_code == 401


# ------------------------------------------------------------------ test notification

def test_test_notification_reaches_every_device_and_decrypts(db, world, client, login_as,
                                                            push_service):
    login_as("staff")
    for _ in range(2):
        assert client.post("/push/subscriptions", json=push_service.new_device()).status_code \
            == 201
    response = client.post("/push/test", headers=JSON)
    assert response.json == {"ok": True, "message": "Testnotisen skickades till 2 telefoner."}
    assert push_service.errors == []
    assert [p["body"] for p in push_service.delivered()] == [TEST_BODY, TEST_BODY]
    assert push_service.delivered()[0]["url"] == "/push/settings"
    assert db.session.scalar(select(Reminder.status).where(Reminder.kind == "test")) == "sent"


def test_test_notification_without_devices(client, login_as, push_service):
    login_as("participant")
    response = client.post("/push/test", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "inte slagit på notiser" in body and "<html" not in body  # the fragment only


def test_test_notification_as_a_form_post_redirects_with_a_message(client, login_as,
                                                                   push_service):
    login_as("participant")
    response = client.post("/push/test")  # (the isolated test client cannot follow redirects)
    assert response.status_code == 302 and response.location.endswith("/push/settings")
    assert "inte slagit på notiser" in client.get("/push/settings").get_data(as_text=True)


def test_test_notification_410_removes_the_device(db, client, login_as, push_service):
    login_as("staff")
    client.post("/push/subscriptions", json=push_service.new_device(script=[410]))
    response = client.post("/push/test", headers=JSON)
    assert response.json["ok"] is False
    assert subscriptions(db) == []


# ------------------------------------------------------------------ settings page

def test_settings_page_for_a_participant(client, login_as, push_service):
    login_as("participant")
    page = client.get("/push/settings").get_data(as_text=True)
    assert "Slå på notiser på den här telefonen" in page
    assert "Skicka en testnotis" in page
    assert "Kvällen före, klockan 18" in page and "En timme före" in page
    assert "klockan 21–08" in page
    assert 'checked' in page  # defaults on


def test_settings_page_for_staff_lists_their_devices(db, world, client, login_as,
                                                     push_service):
    login_as("staff")
    client.post("/push/subscriptions", json=push_service.new_device(),
                headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/126.0"})
    page = client.get("/push/settings").get_data(as_text=True)
    assert "Android, Chrome" in page and "Sluta skicka hit" in page
    assert "Kvällen före" not in page
    sub_id = subscriptions(db)[0].id
    assert client.post(f"/push/subscriptions/{sub_id}/delete").status_code == 302
    assert "Telefonen får inte längre notiser." in client.get("/push/settings").get_data(
        as_text=True)
    assert subscriptions(db) == []


def test_settings_page_without_keys_says_so(client, login_as):
    login_as("staff")
    page = client.get("/push/settings").get_data(as_text=True)
    assert "Bofast kan inte skicka notiser ännu" in page


def test_push_script_is_on_every_page_and_no_inline_script(client, login_as):
    login_as("staff")
    page = client.get("/push/settings").get_data(as_text=True)
    assert "/static/js/push.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " onclick=" not in page and ' style="' not in page


def test_service_worker_push_handlers_exist(client):
    script = client.get("/static/js/sw-push.js").get_data(as_text=True)
    assert 'addEventListener("push"' in script and "showNotification" in script
    assert 'addEventListener("notificationclick"' in script and "openWindow" in script


# ------------------------------------------------------------------ scheduler CLI

def test_send_due_command(app, db, world, push_service):
    from datetime import timedelta

    from webapp.models.base import utcnow

    user = world.users["participant"]
    sub = push_service.new_device()
    db.session.add(PushSubscription(user_id=user.id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.add(Reminder(user_id=user.id, kind="appt_hour", dedupe_key="cli", title="Bofast",
                            body="Besök idag kl 10:00", due_at=utcnow() - timedelta(minutes=1),
                            expires_at=utcnow() + timedelta(hours=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert [p["body"] for p in push_service.delivered()] == ["Besök idag kl 10:00"]


def test_run_loop_stops_when_asked(app, push_service):
    from webapp.push.cli import run_loop

    stop = threading.Event()
    assert run_loop(stop, interval=0, passes=2) == 2
    stop.set()
    assert run_loop(stop, interval=0) == 0


def test_reminders_run_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite'}",
           "SECRET_KEY": "x", "PYTHONUNBUFFERED": "1"}
    setup = ("from webapp import create_app\nfrom webapp.extensions import db\n"
             "app = create_app()\nwith app.app_context(): db.create_all()\n")
    subprocess.run([sys.executable, "-c", setup], env=env, cwd=repo_root(), check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webapp", "reminders", "run", "--interval",
         "3600"], env=env, cwd=repo_root(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        first = proc.stdout.readline()
        assert "scheduler started" in first
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "scheduler stopped" in output
