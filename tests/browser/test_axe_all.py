"""WCAG 2.1 AA (DESIGN §9): zero axe-core violations on every page of every role.

Every GET page in `app.url_map` that the role may open (parameterless routes and the
participant's own routes), at 390×844 and at 1280×800, signed in through the real forms.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PHONE, sign_in
from tests.factories import PASSWORD, TOTP_SECRET
from tests.routewalk import NON_HTML_SUFFIXES, build_url, enrich_world, param_values
from webapp.access import PUBLIC, roles_for_endpoint

DESKTOP = {"width": 1280, "height": 800}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
LOGINS = {
    "staff": ("staff", TOTP_SECRET),
    "social_worker": ("soc", TOTP_SECRET),
    "housing": ("housing", TOTP_SECRET),
    "admin": ("admin", TOTP_SECRET),
    "participant": ("deltagare", None),
}


def _pages_for(app, values, role) -> list[str]:
    """GET URLs of HTML pages the role may open (public ones only for anonymous visitors)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.endswith(NON_HTML_SUFFIXES) or rule.rule.startswith(
            ("/icons/", "/calendar/", "/healthz", "/push/")
        ):
            continue
        if set(rule.arguments) - {"participant_id"}:
            continue
        allowed = roles_for_endpoint(rule.endpoint, "GET")
        if allowed is None or (allowed is PUBLIC) != (role == "anonymous"):
            continue
        if allowed is not PUBLIC and role not in allowed:
            continue
        url = build_url(rule, values)
        if url and url not in urls:
            urls.append(url)
    return sorted(urls)


def _format(url, viewport, violations) -> str:
    lines = [f"{url} at {viewport['width']}×{viewport['height']}:"]
    for violation in violations:
        lines.append(f"  [{violation.get('impact')}] {violation['id']}: {violation['help']}")
        for node in violation.get("nodes", [])[:5]:
            lines.append(f"      {node.get('target')} {node.get('html', '')[:160]}")
    return "\n".join(lines)


def _check(page, axe, url, viewport) -> str | None:
    response = page.goto(url, wait_until="load")
    if response is None or response.status != 200 or urlsplit(page.url).path != url:
        return None  # redirected or not for this role: not this role's page
    violations = axe.run(page, options=AXE_OPTIONS).response.get("violations", [])
    return _format(url, viewport, violations) if violations else ""


@pytest.mark.parametrize("role", [*LOGINS, "anonymous"])
def test_every_page_has_zero_axe_violations_on_phone_and_desktop(
    app, world, browser, live_server, role
):
    from axe_playwright_python.sync_playwright import Axe

    enrich_world(world)
    urls = _pages_for(app, param_values(world), role)
    phone = browser.new_context(viewport=PHONE, base_url=live_server, locale="sv-SE")
    page = phone.new_page()
    if role != "anonymous":
        username, secret = LOGINS[role]
        sign_in(page, username, PASSWORD, secret)
    # The desktop context reuses the session: a second TOTP sign-in in the same 30 s step
    # would be refused as a replayed code.
    desktop = browser.new_context(viewport=DESKTOP, base_url=live_server, locale="sv-SE",
                                  storage_state=phone.storage_state())
    wide = desktop.new_page()
    axe = Axe()
    failures, checked = [], 0
    try:
        for url in urls:
            for tab, viewport in ((page, PHONE), (wide, DESKTOP)):
                result = _check(tab, axe, url, viewport)
                if result is None:
                    continue
                checked += 1
                if result:
                    failures.append(result)
    finally:
        phone.close()
        desktop.close()
    assert checked, f"no page checked for {role} (candidates: {urls})"
    assert not failures, "axe-core violations:\n" + "\n".join(failures)
