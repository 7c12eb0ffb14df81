"""A participant offline (issue 16.6): contacts and next appointments kept, their own offline
page with the on-call number and 112 as tel: links."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

ME_PAGES = ["/me/contacts", "/me/appointments", "/me/offline"]


def test_participant_reaches_the_on_call_number_offline(world, phone):
    sign_in(phone, "deltagare", PASSWORD)
    phone.goto("/me/plan")
    phone.wait_for_function("""() => navigator.serviceWorker.controller !== null""")
    phone.reload()  # now controlled: the page asks the worker to keep the participant's pages
    # What is stored, read in one look once every page is there (a second look could land
    # while the worker writes a page again, and the test then read a passing state as missing).
    stored = phone.wait_for_function("""async (paths) => {
        const kept = (await (await caches.open("bofast-pages")).keys())
            .map((r) => new URL(r.url).pathname);
        return paths.every((path) => kept.includes(path)) && kept;
    }""", arg=ME_PAGES).json_value()
    assert sorted(stored) == sorted(ME_PAGES)  # nothing else (not the plan)

    phone.context.set_offline(True)
    phone.goto("/me/contacts")
    expect(phone.locator('a[href="tel:020-000000"]')).to_be_visible()
    expect(phone.locator('a[href="tel:112"]')).to_be_visible()
    phone.goto("/me/plan")
    expect(phone.locator("h1")).to_have_text("Du har inget nät just nu")
    expect(phone.locator('a[href="tel:020-000000"]')).to_be_visible()
    expect(phone.locator('a[href="tel:112"]')).to_be_visible()
    assert "Dagens besök" not in phone.content()
