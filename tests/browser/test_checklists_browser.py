"""The checklist form in a phone browser: live progress, remark field, draft survives reload."""
import re

from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, TOTP_SECRET


def test_checklist_progress_draft_and_submit(world, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = world.participant.id
    phone.goto(f"/participants/{pid}/checklists/new")
    progress = phone.locator("[data-progress-count]")
    assert progress.inner_text() == "0"
    key = phone.input_value('input[name="idempotency_key"]')
    assert len(key) >= 32

    phone.check("#answer-rent_paid-ok")
    phone.check("#answer-bills_ok-na")
    assert progress.inner_text() == "2"
    assert phone.locator("#remark-damp_none").is_hidden()
    phone.check("#answer-damp_none-remark")
    assert phone.locator("#remark-damp_none").is_visible()
    phone.fill("#remark-damp_none", "Fukt under fönstret")
    assert progress.inner_text() == "3"
    screenshot(phone, "checklist-form-half-filled")

    phone.reload()  # a lost connection or a reload keeps the half-filled form
    assert phone.is_checked("#answer-rent_paid-ok")
    assert phone.is_checked("#answer-damp_none-remark")
    assert phone.input_value("#remark-damp_none") == "Fukt under fönstret"
    assert phone.input_value('input[name="idempotency_key"]') == key
    assert phone.locator("[data-progress-count]").inner_text() == "3"
    assert phone.locator("[data-draft-notice]").is_visible()

    for radio in phone.locator('input[type="radio"][value="ok"]').all():
        name = radio.get_attribute("name")
        if not phone.locator(f'input[name="{name}"]:checked').count():
            radio.check()
    assert phone.locator("[data-progress-count]").inner_text() == "22"
    phone.fill("#present", "Hyresgästen och stödpersonal")
    phone.check("#tenant_agrees")
    phone.click("form[data-outbox=checklist] button[type=submit]")
    phone.wait_for_url(re.compile(rf"/participants/{pid}/checklists/\d+$"))
    phone.wait_for_selector("text=Fukt under fönstret")
    drafts = phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('bofast-checklist-draft:'))")
    assert drafts == []
    screenshot(phone, "checklist-submitted")
