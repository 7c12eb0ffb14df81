"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Debian's Chromium.

Skips without /usr/bin/chromium (fails in CI). Screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("BOFAST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run",
                 "--disable-sync"]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        reason = f"headless Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


SCRIPTS_STARTED = """() => document.readyState === "complete" &&
    (!document.querySelector("script[data-scripts]") ||
     document.documentElement.hasAttribute("data-scripts-ready"))"""


def scripts_ready(page) -> None:
    """The page's scripts have run. They come after its first paint and load event (loader.js),
    which goto() does not wait for; pages without the loader (the offline page) pass at once."""
    page.wait_for_function(SCRIPTS_STARTED)


@pytest.fixture(scope="session", autouse=True)
def _navigations_wait_for_scripts(_playwright):
    """Every navigation a test waits for (goto, reload, back, forward, wait_for_url,
    wait_for_load_state, expect_navigation) returns once the page's scripts have run, as a
    person who taps a moment after the page shows finds it."""
    from contextlib import contextmanager

    from playwright.sync_api import Page

    names = ("goto", "reload", "go_back", "go_forward", "wait_for_url", "wait_for_load_state")
    originals = {name: getattr(Page, name) for name in (*names, "expect_navigation")}

    def waiting(original):
        def navigate(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            scripts_ready(self)
            return result
        return navigate

    def expect_navigation(self, *args, **kwargs):
        @contextmanager
        def waiting_navigation():
            with originals["expect_navigation"](self, *args, **kwargs) as info:
                yield info
            scripts_ready(self)
        return waiting_navigation()

    for name in names:
        setattr(Page, name, waiting(originals[name]))
    Page.expect_navigation = expect_navigation
    yield
    for name, original in originals.items():
        setattr(Page, name, original)


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app):
    """Serve `app` (real CSRF) on a free port; yields the base URL."""
    app.config.update(WTF_CSRF_ENABLED=True, BOFAST_BASE_URL="http://127.0.0.1")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BOFAST_BASE_URL"] = base
    yield base
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def phone(browser, live_server):
    """A fresh browser context at 390×844 with the base URL set."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="sv-SE",
                                  service_workers="allow")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str, totp_secret: str | None = None) -> None:
    """Sign in through the real forms (TOTP when a secret is given)."""
    import pyotp

    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if totp_secret:
        page.wait_for_url("**/login/totp")
        page.fill("#code", pyotp.TOTP(totp_secret).now())
        page.click("button[type=submit]")
    # Wait until the sign-in pages are left, not just until the submit's load event.
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("networkidle")


def checklist_ready(page) -> None:
    """The checklist form's scripts have started (outbox, drafts, checks). They come after the
    page's first paint (loader.js), which may be after the load event that goto() waits for."""
    page.wait_for_selector('form[data-outbox="checklist"][data-checklist-ready]', state="attached")
