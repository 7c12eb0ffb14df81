"""The admin log's participant search (issue 17: a search, not a thousand options) in a real
browser: zero axe violations with the error and the matches shown, and choosing a match
filters the log without JavaScript needed for the choice."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_axe_all import AXE_OPTIONS
from tests.factories import PASSWORD, TOTP_SECRET, make_participant

pytestmark = pytest.mark.browser


def test_participant_search_states_have_zero_axe_violations(app, world, browser, live_server):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from webapp.extensions import db

    with app.app_context():
        for first in ("Anna", "Anders"):
            make_participant(world.org, world.team, first, "Sökesson")
        db.session.commit()
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="sv-SE")
    page = context.new_page()
    try:
        sign_in(page, "admin", PASSWORD, TOTP_SECRET)
        page.goto("/admin/audit", wait_until="load")
        page.get_by_label("Deltagare").fill("Sökesson")
        page.get_by_role("button", name="Visa").click()
        page.wait_for_selector("#participant-error")
        violations = Axe().run(page, options=AXE_OPTIONS).response.get("violations", [])
        assert violations == []
        assert "Flera deltagare matchar" in page.text_content("#participant-error")
        page.get_by_role("link", name="Anna Sökesson").click()
        expect(page.locator("#participant")).to_have_value("Anna Sökesson")
        assert page.locator("#participant-error").count() == 0
        page.get_by_label("Deltagare").fill("ingen alls")
        page.get_by_role("button", name="Visa").click()
        page.wait_for_selector("#participant-error")
        assert "Ingen deltagare heter så" in page.text_content("#participant-error")
        violations = Axe().run(page, options=AXE_OPTIONS).response.get("violations", [])
        assert violations == []
    finally:
        context.close()
