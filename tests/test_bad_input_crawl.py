"""Issue 13.8: every role's pages, replayed with hostile values, never answer 5xx.

Pages come from `app.url_map` (tests/routewalk.py), so a screen merged later is crawled too.
For each page: ids past 2^31 in the path, query parameters (the page's own links' and a common
set) with out-of-range dates, months, page numbers and NUL bytes; for each form on the page:
NUL bytes, dates far in the future or past, huge numbers and a file where text belongs.
Runs on SQLite and, in CI's PostgreSQL pass, on PostgreSQL (where these used to be 500s).
"""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.routewalk import ROLES, enrich_world, forms_in, is_html, page_urls, param_values

pytestmark = pytest.mark.postgres

HUGE_INTS = ["2147483648", "99999999999999999999"]
COMMON_PARAMS = ["month", "page", "start", "end", "date", "week", "next", "q", "code",
                 "template_version", "version", "year", "day", "from", "to"]
QUERY_VARIANTS = [
    {"month": "0000-01", "start": "0001-01-01", "end": "9999-12-31", "date": "0001-01-01",
     "page": "99999999999999999999", "week": "0000-W01", "year": "0", "day": "0001-01-01",
     "from": "0001-01-01", "to": "9999-12-31"},
    {"month": "9999-12", "start": "9999-12-31", "end": "0001-01-01", "date": "9999-12-31",
     "page": "-1", "week": "9999-W53", "year": "99999999999999999999", "day": "9999-12-31",
     "template_version": "99999999999999999999", "version": "99999999999999999999"},
]
NUL = "a\x00b"
FORM_VALUES = ["9999-12-31", "0001-01-01", "99999999999999999999", NUL, "x" * 20_000]


def _links(html: str, path: str) -> set[str]:
    """Query parameter names used by the page's links back to the same path."""
    names = set()
    for href in re.findall(r'href="([^"]+)"', html):
        parts = urlsplit(href.replace("&amp;", "&"))
        if parts.path in ("", path):
            names.update(name for name, _ in parse_qsl(parts.query))
    return names


def _bad_paths(url: str) -> list[str]:
    """The URL with each number in its path replaced by one past the 32-bit range."""
    path = urlsplit(url).path
    found = []
    for match in re.finditer(r"(?<=/)\d+(?=/|$|\.)", path):
        for huge in HUGE_INTS:
            found.append(path[:match.start()] + huge + path[match.end():])
    return found


def _check(problems: list[str], send, what: str):
    """Send (a callable doing one request); note a 5xx or an exception (TESTING re-raises)."""
    try:
        response = send()
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not just the first
        problems.append(f"{exc.__class__.__name__} {what}: {str(exc)[:120]}")
        return None
    if response.status_code >= 500:
        problems.append(f"{response.status_code} {what}")
    return response


def test_every_page_with_bad_values_answers_without_server_error(app, world, client, login_as):
    enrich_world(world)
    urls = page_urls(app, param_values(world))
    problems: list[str] = []
    for role in ROLES:
        login_as(role)
        for url in urls:
            login_as(role)  # a rotated session (idle, logout) must not hide later pages
            first = _check(problems, lambda u=url: client.get(u), f"{role} GET {url}")
            if first is None:
                continue
            for bad in _bad_paths(url):
                _check(problems, lambda b=bad: client.get(b), f"{role} GET {bad}")
            html = first.get_data(as_text=True) if is_html(first) else ""
            path = urlsplit(url).path
            names = _links(html, path) | set(COMMON_PARAMS)
            for variant in QUERY_VARIANTS:
                query = {name: variant.get(name, "99999999999999999999") for name in names}
                target = f"{path}?{urlencode(query)}"
                _check(problems, lambda t=target: client.get(t), f"{role} GET {target}")
            query = {name: NUL for name in names}
            target = f"{path}?{urlencode(query)}"
            _check(problems, lambda t=target: client.get(t), f"{role} GET {path} NUL")
            if first.status_code != 200:
                continue
            for form in forms_in(html):
                if form["method"] != "POST":
                    continue
                action = urlsplit(form["action"]).path or path
                if action in ("/logout", "/language"):
                    continue
                for value in FORM_VALUES:
                    login_as(role)
                    data = {name: value for name in form["fields"]}
                    _check(problems, lambda a=action, d=data: client.post(a, data=d),
                           f"{role} POST {action} {value[:20]!r}")
                login_as(role)
                files = {name: (io.BytesIO(b"GIF89a"), "x.gif") for name in form["fields"]}
                _check(problems, lambda a=action, f=files: client.post(
                    a, data=f, content_type="multipart/form-data"), f"{role} POST {action} files")
    assert problems == [], "\n".join(problems)


def test_sign_in_and_calendar_token_refuse_nul_bytes(client, world):
    for data in ({"username": "staff\x00", "password": "x"},
                 {"username": "staff", "password": "pass\x00word"}):
        assert client.post("/login", data=data).status_code in (400, 422)
    assert client.get("/calendar/abc%00def.ics").status_code in (400, 404)
    assert client.get("/activate?code=AB%00CD").status_code in (400, 422)


@pytest.mark.parametrize("path", ["/participants/2147483648", "/participants/99999999999999999999",
                                  "/participants/2147483648/events"])
def test_ids_past_32_bits_are_404(client, world, login_as, path):
    login_as("staff")
    assert client.get(path).status_code == 404


def test_a_decision_date_far_in_the_future_is_refused_where_it_is_entered(client, world,
                                                                          login_as):
    from webapp.extensions import db
    from webapp.models import Participant

    login_as("social_worker")  # decisions are the social worker's (issue 15)
    response = client.post(f"/participants/{world.participant.id}/decisions/new",
                           data={"kind": "support", "decided_on": "9999-12-31",
                                 "starts_on": "9999-12-31"})
    assert response.status_code == 422
    assert "mellan år 1900 och 2199" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Participant, world.participant.id).decision_date is None
    login_as("staff")
    assert client.get("/today").status_code == 200


def test_today_survives_a_stored_decision_date_far_in_the_future(client, world, login_as):
    from datetime import date

    from webapp.extensions import db

    world.participant.decision_date = date(9999, 12, 31)
    world.participant.review_date = date(9999, 12, 31)
    db.session.commit()
    login_as("staff")
    assert client.get("/today").status_code == 200


def test_admin_cannot_enter_a_decision_date_in_year_9999(client, world, login_as):
    from webapp.extensions import db
    from webapp.models import Participant

    login_as("admin")
    response = client.post("/admin/participants/new", data={
        "first_name": "Nina", "last_name": "Framtid", "team_id": world.team.id, "phase": 1,
        "decision_date": "9999-12-31"})
    assert response.status_code == 422
    assert "mellan år 1900 och 2199" in response.get_data(as_text=True)
    assert db.session.query(Participant).filter_by(last_name="Framtid").count() == 0
    login_as("staff")
    assert client.get("/today").status_code == 200


def test_huge_page_and_month_values_are_not_server_errors(client, world, login_as):
    login_as("admin")
    for url in ("/admin/audit?page=99999999999999999999", "/admin/audit/review?month=9999-12",
                "/admin/figures?month=0000-01",
                "/admin/audit.csv?start=0001-01-01&end=9999-12-31"):
        assert client.get(url).status_code == 200, url
    login_as("housing")
    assert client.get("/housing/checklists?month=0000-01").status_code == 200
