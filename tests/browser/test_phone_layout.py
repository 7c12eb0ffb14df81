"""Participant tabs reachable without guessing (issue 16.5): every tab inside the screen."""
from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, TOTP_SECRET


@pytest.mark.parametrize("width", [390, 320])
def test_all_participant_tabs_fit_the_screen(world, phone, width):
    phone.set_viewport_size({"width": width, "height": 800})
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    phone.goto(f"/participants/{world.participant.id}/checklists")
    tabs = phone.locator("nav.tabs a")
    names = [tabs.nth(index).inner_text() for index in range(tabs.count())]
    # The five of issue 16 and every section added since (decisions, reports, tenancy).
    assert {"Översikt", "Plan", "Tider", "Genomgångar", "Händelser"} <= set(names)
    for index in range(tabs.count()):
        box = tabs.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, tabs.nth(index).inner_text()
        assert box["height"] >= 44  # a touch target
