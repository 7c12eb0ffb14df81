"""The checklist on the phone (issue 16.1, 16.2, drafts): checked before it is queued (also
offline), one send per month, drafts per user and cleared once sent or at logout."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import checklist_ready, screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET
from webapp.extensions import db
from webapp.models import ChecklistSubmission

FORM = 'form[data-outbox="checklist"]'


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ChecklistSubmission))


def fill_all(page, skip: str | None = None) -> None:
    for radio in page.locator(f'{FORM} input[type="radio"][value="ok"]').all():
        if skip and radio.get_attribute("name") == f"answer-{skip}":
            continue
        radio.check()
    page.fill("#present", "Hyresgästen och stödpersonal")
    page.check("#tenant_agrees")


def outbox_items(page) -> list:
    return page.evaluate("BofastOutbox.allItems()")


def test_an_unanswered_item_is_shown_on_the_phone_and_nothing_is_queued(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = world.participant.id
    phone.goto(f"/participants/{pid}/checklists/new")
    checklist_ready(phone)
    fill_all(phone, skip="smoke_alarm")
    phone.context.set_offline(True)  # also offline: checked on the phone
    phone.click(f"{FORM} button[type=submit]")
    summary = phone.locator(".error-summary")
    expect(summary).to_be_visible()
    assert phone.evaluate("document.activeElement.classList.contains('error-summary')")
    link = summary.locator('a[href="#answer-smoke_alarm"]')
    expect(link).to_contain_text("Brandvarnaren")
    item = phone.locator("#answer-smoke_alarm")
    expect(item.locator(".field-error")).to_have_text("Välj OK, Anmärkning eller Ej aktuellt.")
    assert "answer-smoke_alarm-error" in item.get_attribute("aria-describedby")
    assert outbox_items(phone) == []
    screenshot(phone, "checklist-error-summary")

    link.click()
    assert phone.evaluate("document.activeElement.name") == "answer-smoke_alarm"
    phone.check("#answer-smoke_alarm-remark")
    phone.click(f"{FORM} button[type=submit]")
    expect(summary.locator('a[href="#remark-smoke_alarm"]')).to_be_visible()
    expect(phone.locator("#remark-smoke_alarm-error")).to_be_visible()
    assert outbox_items(phone) == []
    phone.check("#answer-smoke_alarm-ok")
    expect(item.locator(".field-error")).to_have_count(0)
    phone.context.set_offline(False)
    phone.click(f"{FORM} button[type=submit]")
    phone.wait_for_url(re.compile(rf"/participants/{pid}/checklists/\d+$"))
    assert count() == 1


def test_offline_send_locks_the_form_and_clears_the_draft_once_sent(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = world.participant.id
    user = world.users["staff"].id
    phone.goto(f"/participants/{pid}/checklists/new")
    checklist_ready(phone)
    fill_all(phone)
    draft_key = f"bofast-checklist-draft:{user}:{pid}"
    assert phone.evaluate(f"localStorage.getItem('{draft_key}') !== null")
    phone.context.set_offline(True)
    phone.click(f"{FORM} button[type=submit]")
    expect(phone.locator("[data-queued-notice]")).to_be_visible()
    expect(phone.locator(f"{FORM} button[type=submit]")).to_be_disabled()
    expect(phone.locator("#present")).to_be_disabled()
    # A reload while it waits: still locked, the draft is not offered as something to send again.
    phone.reload()
    expect(phone.locator(f"{FORM} button[type=submit]")).to_be_disabled()
    assert count() == 0

    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("[data-sent-notice]")).to_be_visible()
    assert phone.evaluate(f"localStorage.getItem('{draft_key}')") is None
    assert count() == 1
    screenshot(phone, "checklist-sent-after-offline")

    # The month is done: the form is now its correction, not a second version 1.
    phone.goto(f"/participants/{pid}/checklists/new")
    phone.wait_for_url(re.compile(r"/checklists/\d+/correct$"))
    expect(phone.locator("#checklist-title")).to_contain_text("Rätta")


def test_drafts_are_cleared_at_logout_and_when_someone_else_signs_in(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = world.participant.id
    phone.goto(f"/participants/{pid}/checklists/new")
    checklist_ready(phone)
    phone.check("#answer-rent_paid-ok")
    assert phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('bofast-checklist-draft:')).length"
    ) == 1
    phone.click("form[data-logout] button")
    phone.wait_for_url(re.compile(r"/login"))
    assert phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('bofast-checklist-draft:'))") == []

    # A draft left behind (the idle timeout ended the session): gone when another user signs in.
    phone.evaluate("localStorage.setItem('bofast-checklist-draft:999999:1', '{}')")
    sign_in(phone, "deltagare", PASSWORD)
    phone.goto("/me/plan")  # a full page load (the sign-in swap keeps the old <body> attributes)
    # Cleared in idle time after the load (issue 17: nothing slow before the first paint).
    phone.wait_for_function(
        "() => !Object.keys(localStorage).some(k => k.startsWith('bofast-checklist-draft:'))",
        timeout=5000)


def test_a_refusal_is_shown_on_that_participants_form_only(world, phone):
    from tests.factories import make_participant

    world.other_in_team = make_participant(world.org, world.team, "Bertil", "Bok")
    db.session.commit()
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = world.participant.id
    path = f"/participants/{pid}/checklists/new"
    phone.goto(path)
    checklist_ready(phone)
    phone.evaluate("""([path, user]) => BofastOutbox.putItem({
        key: "refused-0001", kind: "checklist", action: path, page: path, label: "", user: user,
        fields: [["answer-rent_paid", "remark"], ["remark-rent_paid", ""]], status: "failed",
        createdAt: Date.now(), attempts: 1,
        errors: {"remark-rent_paid": "Skriv vad anmärkningen gäller."}})""",
                  [path, str(world.users["staff"].id)])
    phone.goto(f"/participants/{world.other_in_team.id}")  # another participant's page
    phone.wait_for_load_state("networkidle")
    expect(phone.locator("#outbox-status")).not_to_contain_text("Kunde inte skickas")
    phone.goto("/today")  # Idag keeps the way back to the form
    expect(phone.locator("#outbox-status")).to_contain_text("Kunde inte skickas")
    phone.goto(path)
    expect(phone.locator(".error-summary")).to_be_visible()
    expect(phone.locator("#answer-rent_paid #remark-rent_paid-error")).to_have_text(
        "Skriv vad anmärkningen gäller.")
    assert phone.is_checked("#answer-rent_paid-remark")
