"""One bar of signal ("lie-fi"): the phone says it is online but answers never come (issue 20).

A small threaded proxy sits between Chromium and the test server. Switched to "stall", it still
forwards every request (so the server may store what was sent) but holds every answer for
HOLD_SECONDS or until released. The app must not wait on it: today's list comes from the phone
with its saved-at note, a page never visited shows the offline page, a checklist sent into the
stall stays queued and is stored exactly once when answers come back.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import PHONE, checklist_ready, screenshot, sign_in
from tests.browser.test_offline_journey import check, template_keys, wait_until_stored
from tests.factories import PASSWORD, TOTP_SECRET
from webapp.extensions import db
from webapp.models import ChecklistSubmission
from webapp.timeutil import local_today

HOLD_SECONDS = 25
LIMIT_SECONDS = 6  # the budget for a stored page or the offline page in a stall


class StallingProxy:
    """HTTP/1.1 proxy on 127.0.0.1 for one upstream; one request per connection.

    `stall()` makes it hold each answer (after the upstream has answered) until `release()` or
    HOLD_SECONDS; `requests` logs (method, path, idempotency key) as they arrive.
    """

    def __init__(self, upstream_port: int, hold_seconds: float = HOLD_SECONDS):
        self.upstream = ("127.0.0.1", upstream_port)
        self.hold_seconds = hold_seconds
        self.requests: list[tuple[str, str, str]] = []
        self.held = 0
        self._stalled = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._running = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stall(self) -> None:
        self._released.clear()
        self._stalled.set()

    def release(self) -> None:
        self._stalled.clear()
        self._released.set()

    def close(self) -> None:
        self._running = False
        self.release()
        self._listener.close()

    def posts_to(self, path: str) -> int:
        with self._lock:
            return sum(1 for method, p, _ in self.requests if method == "POST" and p == path)

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _read_request(client: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = client.recv(65536)
            if not chunk:
                return None
            body += chunk
        return head + b"\r\n\r\n" + body

    @staticmethod
    def _close_after(message: bytes) -> bytes:
        """The same message with `Connection: close` (one request per connection, both sides)."""
        head, _, body = message.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n")
                 if line.split(b":")[0].strip().lower() not in (b"connection", b"keep-alive")]
        return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body

    def _handle(self, client: socket.socket) -> None:
        with client:
            try:
                client.settimeout(120)
                request = self._read_request(client)
                if request is None:
                    return
                request_line = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                key = ""
                for line in request.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"idempotency-key":
                        key = value.strip().decode("latin-1")
                with self._lock:
                    self.requests.append((request_line[0], request_line[1].split("?")[0], key))
                with socket.create_connection(self.upstream, timeout=120) as upstream:
                    upstream.sendall(self._close_after(request))
                    response = b""
                    while chunk := upstream.recv(65536):
                        response += chunk
                if self._stalled.is_set():
                    with self._lock:
                        self.held += 1
                    self._released.wait(self.hold_seconds)
                client.sendall(self._close_after(response))
            except OSError:
                pass  # the browser gave up on this request (a timeout): nothing to answer


@pytest.fixture
def proxy(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    stalling = StallingProxy(port)
    yield stalling
    stalling.close()


@pytest.fixture
def lie_fi(browser, proxy):
    """A phone whose every request goes through the stalling proxy."""
    context = browser.new_context(viewport=PHONE, base_url=proxy.url, locale="sv-SE",
                                  service_workers="allow")
    page = context.new_page()
    yield page
    proxy.release()  # let held answers go before the browser context closes
    context.close()


def assert_axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_axe_all import AXE_OPTIONS

    violations = Axe().run(page, options=AXE_OPTIONS).response.get("violations", [])
    assert not violations, [(v["id"], [n.get("target") for n in v["nodes"]]) for v in violations]


def count(model) -> int:
    db.session.rollback()  # see what the server thread committed
    return db.session.scalar(select(func.count()).select_from(model))


def ready(page) -> None:
    """The service worker controls the page."""
    page.wait_for_function("""() => navigator.serviceWorker.controller !== null
        && navigator.serviceWorker.controller.state === "activated" """)


def test_today_comes_from_the_phone_and_other_pages_show_the_offline_page(world, lie_fi, proxy):
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    page.goto("/today")
    wait_until_stored(page, ["/today"])

    proxy.stall()
    started = time.monotonic()
    page.goto("/today", wait_until="domcontentloaded")
    saved = page.locator(".offline-saved")
    expect(saved).to_contain_text("Sparad kl", timeout=LIMIT_SECONDS * 1000)
    assert time.monotonic() - started <= LIMIT_SECONDS
    expect(saved).to_contain_text("ingen kontakt just nu")
    screenshot(page, "stalled-today-from-the-phone")
    assert_axe_clean(page)

    # A boosted link to a page the phone does not keep: htmx gives up, the worker answers.
    started = time.monotonic()
    page.locator("nav.bottom a[href='/participants']").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Du är offline",
                                                               timeout=LIMIT_SECONDS * 1000)
    assert time.monotonic() - started <= LIMIT_SECONDS
    expect(page.locator("[data-offline-stalled]")).to_be_visible()
    expect(page.locator("[data-offline-none]")).to_be_hidden()
    expect(page.get_by_role("link", name="Försök igen")).to_be_visible()
    assert proxy.held >= 2
    assert_axe_clean(page)


def test_a_page_never_visited_shows_the_offline_page_within_seconds(world, lie_fi, proxy):
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)

    proxy.stall()
    started = time.monotonic()
    page.goto("/participants", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du är offline",
                                                               timeout=LIMIT_SECONDS * 1000)
    assert time.monotonic() - started <= LIMIT_SECONDS
    retry = page.get_by_role("link", name="Försök igen")
    expect(retry).to_be_visible()
    screenshot(page, "stalled-offline-page")

    # Answers come again: "Försök igen" loads the page that was asked for.
    proxy.release()
    retry.click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Du är offline")
    assert page.url.endswith("/participants")


def test_a_stored_page_is_refreshed_when_the_late_answer_comes(world, lie_fi, proxy):
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    page.goto("/today")
    wait_until_stored(page, ["/today"])
    saved_before = page.evaluate("""async () => {
        const cache = await caches.open("bofast-pages");
        return (await cache.match(location.origin + "/today")).headers.get("X-Bofast-Saved-At");
    }""")

    proxy.stall()
    page.goto("/today", wait_until="domcontentloaded")
    expect(page.locator(".offline-saved")).to_contain_text("ingen kontakt just nu",
                                                           timeout=LIMIT_SECONDS * 1000)
    proxy.release()  # the held answer reaches the worker, which stores it and tells the page
    expect(page.locator(".offline-saved")).to_contain_text("Nyare uppgifter har hämtats")
    assert_axe_clean(page)
    saved_after = page.evaluate("""async () => {
        const cache = await caches.open("bofast-pages");
        return (await cache.match(location.origin + "/today")).headers.get("X-Bofast-Saved-At");
    }""")
    assert int(saved_after) > int(saved_before)
    page.get_by_role("link", name="Visa dem").click()  # answers come again: the live page
    expect(page.locator(".offline-saved")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Idag")


def test_a_checklist_sent_into_the_stall_is_kept_and_stored_once(world, lie_fi, proxy):
    page = lie_fi
    pid = world.participant.id
    checklist_path = f"/participants/{pid}/checklists/new"
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    other_tab = page.context.new_page()  # a second Bofast tab on the same phone
    other_tab.goto("/today")
    page.goto(checklist_path)
    page.bring_to_front()  # a background tab's frames are throttled: clicks would crawl
    ready(page)
    checklist_ready(page)

    proxy.stall()
    form = page.locator('form[data-outbox="checklist"]')
    for key in template_keys(world):
        check(page, f'form[data-outbox="checklist"] input[name="answer-{key}"][value="ok"]')
    form.locator('[name="held_on"]').fill(local_today().isoformat())
    form.locator('[name="present"]').fill("Hyresgästen och Anna")
    check(page, 'form[data-outbox="checklist"] input[name="tenant_agrees"]')
    form.locator('button[type="submit"], input[type="submit"]').first.click()

    # In flight: "Skickar …" here, and the other tab does not send the same item meanwhile.
    expect(page.locator("#outbox-status")).to_contain_text("Skickar")
    action = page.evaluate("BofastOutbox.allItems()")[0]["action"]
    assert proxy.posts_to(action) == 1
    started = time.monotonic()
    summary = other_tab.evaluate("BofastOutbox.flush({force: true})")
    # Well under the 8 s a send into the stall would take: the lease made it skip the item.
    assert time.monotonic() - started < 5 and summary["sent"] == [] and summary["retry"] == 1
    assert proxy.posts_to(action) == 1
    other_tab.evaluate("BofastOutbox.render()")
    expect(other_tab.locator("#outbox-status")).to_contain_text("Skickar")

    # No answer: the send gives up, the checklist stays on the phone, waiting.
    expect(page.locator(".outbox-notice")).to_contain_text("Sparat på telefonen", timeout=15000)
    [item] = page.evaluate("BofastOutbox.allItems()")
    assert item["status"] == "pending" and item["lastError"] == "timeout"
    assert item["nextAttemptAt"] > item["lastAttemptAt"]
    screenshot(page, "stalled-checklist-waiting")

    # Answers come again: the next try (or the held one) gets through; one checklist stored.
    proxy.release()
    page.wait_for_function("""async () => {
        const items = await BofastOutbox.allItems();
        return items.length === 1 && items[0].status === "sent";
    }""", timeout=30000)
    expect(page.locator("#outbox-status")).to_contain_text("Skickat")
    assert count(ChecklistSubmission) == 1
    assert page.evaluate("BofastOutbox.replayAll()") == ["sent"]
    assert count(ChecklistSubmission) == 1
    screenshot(page, "stalled-checklist-sent")


def test_a_fragment_that_gets_no_answer_says_so_in_place(world, lie_fi, proxy):
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    page.goto("/participants")
    rows = page.locator("#results li").count()
    assert rows >= 1

    proxy.stall()
    page.fill("#q", "Kal")  # the live search: an htmx fragment request, not a navigation
    note = page.locator("#results .no-contact")
    expect(note).to_have_text("Ingen kontakt just nu. Försök igen om en stund.", timeout=15000)
    expect(page.locator("#results li")).to_have_count(rows)  # what was shown stays
    expect(page.locator("#q")).to_have_value("Kal")  # and what was typed
    screenshot(page, "stalled-fragment")
    assert_axe_clean(page)

    proxy.release()
    page.fill("#q", "Kalle")
    expect(note).to_have_count(0)
    expect(page.locator("#results [role=status]")).to_contain_text("Kalle")


def test_try_again_waits_longer_so_a_slow_page_gets_through(world, lie_fi, proxy):
    """A server that is slow (5 s), not stalled: the first try shows the offline page after the
    short wait, "Försök igen" waits longer for that page and gets it."""
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)

    proxy.hold_seconds = 5
    proxy.stall()
    page.goto("/participants", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", level=1)).to_have_text("Du är offline",
                                                               timeout=LIMIT_SECONDS * 1000)
    page.get_by_role("link", name="Försök igen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deltagare", timeout=14000)


def test_a_boosted_form_that_gets_no_answer_keeps_what_was_typed(world, lie_fi, proxy):
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    page.goto(f"/participants/{world.participant.id}/appointments/new")
    form = page.locator("main form[method=post]").first
    page.fill("#duration_minutes", "45")

    proxy.stall()
    form.locator("button[type=submit]").first.click()
    note = form.locator(".no-contact")
    expect(note).to_have_text("Ingen kontakt just nu. Försök igen om en stund.", timeout=15000)
    expect(page.locator("#duration_minutes")).to_have_value("45")
    assert "/appointments/new" in page.url


def test_a_page_stored_before_common_js_still_gets_its_scripts(world, lie_fi, proxy):
    """Pages stored by an earlier version load their scripts with deferred tags, and outbox.js
    and pwa.js without common.js; the worker adds it when it serves them, so the outbox works on
    them offline."""
    page = lie_fi
    sign_in(page, "staff", PASSWORD, TOTP_SECRET)
    ready(page)
    page.goto("/today")
    wait_until_stored(page, ["/today"])
    assert page.evaluate("""async () => {
        const cache = await caches.open("bofast-pages");
        const url = location.origin + "/today";
        const old = await cache.match(url);
        // Such a page as that version stored it: deferred tags, common.js not among them.
        const loader = /<script src="\\/static\\/js\\/loader\\.js"[^>]*><\\/script>/;
        const tags = ["/static/vendor/htmx-2.0.11.min.js", "/static/js/app.js",
                      "/static/js/push.js", "/static/js/outbox.js", "/static/js/pwa.js"]
            .map((src) => `<script src="${src}" defer></script>`).join("");
        const html = (await old.text()).replace(loader, tags);
        await cache.put(url, new Response(html, {headers: old.headers}));
        return html.includes("common.js");
    }""") is False
    page.context.set_offline(True)
    page.goto("/today")
    expect(page.locator(".offline-saved")).to_contain_text("du är offline")
    assert page.evaluate("typeof BofastCommon === 'object' && typeof BofastOutbox === 'object'")
