"""The PWA in Chromium: installable, offline fallback, and an outbox that never loses a visit.

The real checklist and visit-outcome forms live in other areas; these tests use a small
test-only form (`data-outbox="visit"`) whose endpoint follows the same server contract
(webapp/idempotency.py; 201 JSON on success and replay, 422 JSON with errors).
"""
from __future__ import annotations

import pytest
from flask import Blueprint, jsonify, render_template_string, request, url_for
from flask_login import current_user
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET
from webapp import access
from webapp.extensions import db
from webapp.idempotency import commit_or_replay, idempotency_key, remember, replay_response
from webapp.models import IdempotencyRecord, Note

FORM = """{% extends "base.html" %}{% block content %}
<h1>Testbesök</h1>
<form method="post" action="{{ url_for('outbox_test.form', participant_id=pid) }}"
      data-outbox="visit" data-outbox-label="besöket (test)">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="idempotency_key" value="">
  <div class="field"><label for="note">Anteckning</label>
    <textarea id="note" name="note"></textarea></div>
  <button type="submit" class="button primary">Spara</button>
</form>{% endblock %}"""


@pytest.fixture
def outbox_form(app, monkeypatch):
    """Registers the test form (before the live server's first request); returns its path."""
    bp = Blueprint("outbox_test", __name__)

    @bp.route("/participants/<int:participant_id>/outbox-test", methods=["GET", "POST"])
    def form(participant_id):
        if request.method == "GET":
            return render_template_string(FORM, pid=participant_id)
        key = idempotency_key()
        if (replay := replay_response(key)) is not None:
            return replay
        text = request.form.get("note", "").strip()
        if not text:
            return jsonify(ok=False, errors={"note": "Skriv vad som hände."}), 422
        note = Note(participant_id=participant_id, author_id=current_user.id, text=text)
        db.session.add(note)
        db.session.flush()
        response = jsonify(ok=True, id=note.id,
                           url=url_for("outbox_test.form", participant_id=participant_id))
        response.status_code = 201
        remember(key, response)
        return commit_or_replay(key) or response

    app.register_blueprint(bp)
    monkeypatch.setitem(access.ENDPOINT_ROLES, "outbox_test.form", access.STAFF)
    return lambda participant: f"/participants/{participant.id}/outbox-test"


def count(model) -> int:
    db.session.rollback()  # see what the server thread committed
    return db.session.scalar(select(func.count()).select_from(model))


def wait_for_worker(page) -> dict:
    """The service worker is active and controls the page; returns its scope and state."""
    page.wait_for_function("""() => navigator.serviceWorker.controller !== null
        && navigator.serviceWorker.controller.state === "activated" """)
    return page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return {scope: registration.scope, state: registration.active.state};
    }""")


def outbox_items(page) -> list[dict]:
    return page.evaluate("BofastOutbox.allItems()")


def test_manifest_is_linked_and_valid(world, phone, live_server):
    phone.goto("/login")
    href = phone.get_attribute("link[rel=manifest]", "href")
    response = phone.request.get(href)
    assert response.ok
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert phone.request.get(icon["src"]).headers["content-type"] == "image/png"


def test_service_worker_becomes_active_with_root_scope(world, phone, live_server):
    phone.goto("/login")
    info = wait_for_worker(phone)
    assert info == {"scope": f"{live_server}/", "state": "activated"}
    shell = phone.evaluate("caches.keys()")
    assert any(name.startswith("bofast-shell-") for name in shell)


def test_offline_navigation_gets_the_offline_page(world, phone):
    phone.goto("/login")
    wait_for_worker(phone)
    phone.context.set_offline(True)
    phone.goto("/participants")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Du är offline")
    screenshot(phone, "pwa-offline-page")


def test_today_is_shown_offline_as_last_loaded_with_its_time(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    wait_for_worker(phone)
    phone.goto("/today")
    phone.wait_for_function("""async () => {
        const cache = await caches.open("bofast-pages");
        return !!(await cache.match(location.origin + "/today"));
    }""")
    phone.context.set_offline(True)
    phone.goto("/today")
    expect(phone.locator(".offline-saved")).to_contain_text("Sparad kl")
    expect(phone.locator(".offline-saved")).to_contain_text("du är offline")
    screenshot(phone, "pwa-today-offline")


def test_outbox_sends_an_offline_visit_exactly_once(world, phone, outbox_form):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.goto(outbox_form(world.participant))
    wait_for_worker(phone)

    phone.context.set_offline(True)
    phone.fill("#note", "Träffade hyresgästen, allt bra.")
    phone.click("button:has-text('Spara')")
    status = phone.locator("#outbox-status")
    expect(status).to_have_text("1 väntar på att skickas")
    expect(phone.locator(".outbox-notice")).to_contain_text("Sparat på telefonen")
    [item] = outbox_items(phone)
    assert item["status"] == "pending" and len(item["key"]) >= 32
    assert ["csrf_token"] not in [[name] for name, _ in item["fields"]]
    screenshot(phone, "pwa-outbox-waiting")

    phone.reload()  # offline: the worker answers with the offline page, the outbox still waits
    expect(phone.get_by_role("heading", level=1)).to_have_text("Du är offline")
    expect(phone.locator("#outbox-status")).to_have_text("1 väntar på att skickas")
    assert count(Note) == 0

    phone.context.set_offline(False)  # the offline page sends, then reloads the real page
    expect(phone.get_by_role("heading", level=1)).to_have_text("Testbesök")
    expect(phone.locator("#outbox-status")).to_contain_text("Skickat: besöket (test)")
    assert count(Note) == 1
    [item] = outbox_items(phone)
    assert item["status"] == "sent" and item["result"]["id"]

    assert phone.evaluate("BofastOutbox.replayAll()") == ["sent"]
    assert phone.evaluate("BofastOutbox.replayAll()") == ["sent"]
    assert count(Note) == 1
    assert count(IdempotencyRecord) == 1


def test_outbox_sends_at_once_when_online(world, phone, outbox_form):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.goto(outbox_form(world.participant))
    wait_for_worker(phone)
    phone.fill("#note", "Ringde, bokade ny tid.")
    with phone.expect_navigation():  # to the answer's url, like the redirect of a normal post
        phone.click("button:has-text('Spara')")
    expect(phone.locator("#outbox-status")).to_contain_text("Skickat: besöket (test)")
    assert count(Note) == 1


def test_rejected_visit_is_kept_and_can_be_corrected(world, phone, outbox_form):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    page_path = outbox_form(world.participant)
    phone.goto(page_path)
    wait_for_worker(phone)
    phone.click("button:has-text('Spara')")  # empty note: the server answers 422
    expect(phone.locator(".outbox-error")).to_have_text("Skriv vad som hände.")
    [item] = outbox_items(phone)
    assert item["status"] == "failed" and item["errors"] == {"note": "Skriv vad som hände."}

    phone.goto("/today")  # elsewhere, the failure is still shown, with a way back
    link = phone.get_by_role("link", name="Rätta och skicka igen")
    expect(phone.locator("#outbox-status")).to_contain_text("Kunde inte skickas: besöket (test)")
    link.click()
    phone.wait_for_url(f"**{page_path}#outbox-fix=*")
    expect(phone.locator(".outbox-error")).to_have_text("Skriv vad som hände.")
    expect(phone.locator("#note")).to_have_attribute("aria-invalid", "true")
    screenshot(phone, "pwa-outbox-correct")
    phone.fill("#note", "Nu med anteckning.")
    with phone.expect_navigation():
        phone.click("button:has-text('Spara')")
    expect(phone.locator("#outbox-status")).to_contain_text("Skickat: besöket (test)")
    assert count(Note) == 1
    items = outbox_items(phone)
    assert [i["status"] for i in items] == ["sent"]  # the corrected one replaced the failed one


def test_logout_warns_about_unsent_work_and_keeps_it(world, phone, outbox_form):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.goto(outbox_form(world.participant))
    wait_for_worker(phone)
    phone.fill("#note", "Skickat direkt.")
    with phone.expect_navigation():
        phone.click("button:has-text('Spara')")
    expect(phone.locator("#outbox-status")).to_contain_text("Skickat: besöket (test)")
    phone.click("button:has-text('Spara')")  # empty: rejected, so it stays unsent
    expect(phone.locator(".outbox-error")).to_be_visible()
    assert sorted(i["status"] for i in outbox_items(phone)) == ["failed", "sent"]

    phone.click("button:has-text('Logga ut')")
    dialog = phone.locator("dialog.confirm-dialog")
    expect(dialog).to_contain_text("1 sak har inte skickats än")
    screenshot(phone, "pwa-logout-warning")
    dialog.get_by_role("button", name="Stanna kvar").click()
    expect(dialog).to_have_count(0)
    assert "/outbox-test" in phone.url

    phone.click("button:has-text('Logga ut')")
    phone.locator("dialog.confirm-dialog").get_by_role("button", name="Logga ut ändå").click()
    phone.wait_for_url("**/login")
    caches = phone.evaluate("caches.keys()")
    assert "bofast-pages" not in caches
    [item] = outbox_items(phone)
    assert item["status"] == "failed"  # unsent work stays on the phone; sent items are gone
    assert count(Note) == 1
