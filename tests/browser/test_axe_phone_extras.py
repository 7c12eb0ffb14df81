"""Zero axe violations on the pages of issue 16 that need data: a checklist with a follow-up
(document, correction, next month's form with open follow-ups), Idag with a grouped worklist."""
from __future__ import annotations

from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_axe_all import AXE_OPTIONS, _format
from tests.browser.test_reflow import NARROW
from tests.factories import PASSWORD, TOTP_SECRET, make_checklist
from tests.routewalk import enrich_world
from webapp.checklist_defaults import ensure_checklist_v2
from webapp.extensions import db
from webapp.models import ChecklistAnswer
from webapp.timeutil import local_today


def test_issue_16_pages_are_axe_clean(app, world, browser, live_server):
    from datetime import timedelta

    from axe_playwright_python.sync_playwright import Axe

    enrich_world(world)
    ensure_checklist_v2(world.org)
    last_month = local_today().replace(day=1) - timedelta(days=1)
    submission = make_checklist(world.participant, world.users["staff"], last_month,
                                answers={"damp_none": ("remark", "Fukt")})
    answer = db.session.scalar(db.select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == submission.id, ChecklistAnswer.item_key == "damp_none"))
    answer.followup_action, answer.followup_owner = "Felanmäla fukten", "landlord"
    db.session.commit()
    pid = world.participant.id
    urls = ["/today", f"/participants/{pid}/checklists/new",
            f"/participants/{pid}/checklists/{submission.id}",
            f"/participants/{pid}/checklists/{submission.id}/correct"]
    axe = Axe()
    failures = []
    for viewport in (PHONE, NARROW):
        context = browser.new_context(viewport=viewport, base_url=live_server, locale="sv-SE")
        page = context.new_page()
        if viewport is PHONE:
            sign_in(page, "staff", PASSWORD, TOTP_SECRET)
            state = context.storage_state()
        else:
            context.close()
            context = browser.new_context(viewport=viewport, base_url=live_server,
                                          locale="sv-SE", storage_state=state)
            page = context.new_page()
        for url in urls:
            page.goto(url, wait_until="load")
            violations = axe.run(page, options=AXE_OPTIONS).response.get("violations", [])
            if violations:
                failures.append(_format(url, viewport, violations))
        # The phone's own check, with its error summary showing.
        page.goto(f"/participants/{pid}/checklists/new", wait_until="load")
        page.click('form[data-outbox="checklist"] button[type=submit]')
        page.wait_for_selector(".error-summary")
        violations = axe.run(page, options=AXE_OPTIONS).response.get("violations", [])
        if violations:
            failures.append(_format("checklist form with errors", viewport, violations))
        context.close()
    assert not failures, "\n".join(failures)
