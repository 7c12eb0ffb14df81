"""The tenancy pages of every role on the demo, in Chromium at 390 and 320 px: axe-clean and
no sideways scroll (issue 14)."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PHONE, screenshot, sign_in
from webapp.demo import DEMO_PASSWORD, DEMO_TOTP, seed_demo
from webapp.extensions import db
from webapp.models import Contract, JointMeeting, Participant, TransferCase

NARROW = {"width": 320, "height": 700}


def _ids():
    people = {p.first_name: p.id for p in db.session.scalars(db.select(Participant))}
    contract = db.session.scalar(db.select(Contract).where(
        Contract.participant_id == people["Kalle"]))
    transfer = db.session.scalar(db.select(TransferCase).where(
        TransferCase.participant_id == people["Jonas"]))
    meeting = db.session.scalar(db.select(JointMeeting))
    return people, contract.id, transfer.id, meeting.id


def _check_pages(browser, live_server, username, urls, totp=DEMO_TOTP):
    violations = []
    first = browser.new_context(viewport=PHONE, base_url=live_server, bypass_csp=True,
                                locale="sv-SE")
    sign_in(first.new_page(), username, DEMO_PASSWORD, totp)
    # One sign-in: a second TOTP in the same 30 s step would be refused as a replay.
    state = first.storage_state()
    first.close()
    for viewport in (PHONE, NARROW):
        context = browser.new_context(viewport=viewport, base_url=live_server, bypass_csp=True,
                                      locale="sv-SE", storage_state=state)
        page = context.new_page()
        for url in urls:
            response = page.goto(url)
            assert response and response.status == 200, (url, response and response.status)
            for details in page.locator("details").all():
                details.evaluate("element => { element.open = true; }")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > viewport["width"]:
                violations.append((url, viewport["width"], "scrolls sideways", width))
            for found in Axe().run(page).response["violations"]:
                violations.append((url, viewport["width"], found["id"],
                                   [n["html"][:120] for n in found["nodes"][:3]]))
            if viewport is PHONE:
                screenshot(page, "tenancy" + url.replace("/", "-"))
        context.close()
    assert not violations, violations


def test_housing_tenancy_pages(app, browser, live_server):
    seed_demo()
    people, contract, transfer, meeting = _ids()
    urls = ["/housing/apartments", "/housing/apartments/new", "/housing/tenancies", "/housing"]
    urls += [f"/housing/tenancies/{people[n]}" for n in ("Nadia", "Ahmed", "Jonas", "Olle",
                                                         "Eva")]
    urls += [f"/housing/tenancies/{people['Eva']}/offer",
             f"/housing/tenancies/{people['Nadia']}/contract",
             f"/housing/contracts/{contract}/move-in", f"/housing/contracts/{contract}/end",
             f"/housing/transfers/{transfer}/inspection", f"/housing/transfers/{transfer}/decision",
             f"/housing/tenancies/{people['Ahmed']}/meetings/new",
             f"/housing/meetings/{meeting}/actions"]
    _check_pages(browser, live_server, "bostad", urls)


def test_staff_social_worker_participant_and_admin_tenancy_pages(app, browser, live_server):
    seed_demo()
    people, *_ = _ids()
    staff_urls = [f"/participants/{people[n]}/tenancy" for n in ("Nadia", "Ahmed", "Olle",
                                                                 "Eva")]
    _check_pages(browser, live_server, "anna", staff_urls)
    _check_pages(browser, live_server, "soc", staff_urls[:2])
    _check_pages(browser, live_server, "kalle", ["/me/tenancy", "/me/home"], totp=None)
    _check_pages(browser, live_server, "admin", ["/admin/breakdowns", "/admin/import",
                                                 "/admin/figures"])
