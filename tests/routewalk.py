"""Route discovery shared by the security, accessibility and leak tests.

Everything here walks `app.url_map`, so a screen merged tomorrow is checked without editing
these tests: its GET pages are rendered for every role, its forms are fuzzed, its HTML is
scanned for inline code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from html.parser import HTMLParser

from sqlalchemy import func, select, union_all

from webapp.access import PUBLIC, roles_for_endpoint
from webapp.extensions import db
from webapp.models import utcnow

ROLES = ("staff", "social_worker", "housing", "admin", "participant")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Responses that are not HTML pages (exports, feeds, scripts, manifests, images).
NON_HTML_SUFFIXES = (".csv", ".ics", ".js", ".webmanifest", ".json", ".png", ".svg", ".ico")
# Tables a rejected request may still write to: the audit trail, replay records and the count
# of failed sign-ins (a wrong password is a 422 that must be counted).
UNCOUNTED_TABLES = frozenset({"audit_events", "idempotency_records", "login_throttles"})


@lru_cache(maxsize=1)
def rule_app():
    """An app used only to list routes at collection time (never touches a database)."""
    from tests.conftest import TEST_CONFIG
    from webapp import create_app

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def write_rules() -> list[tuple[str, str, str]]:
    """(rule, method, endpoint) of every state-changing route, sorted for stable test ids."""
    found = set()
    for rule in rule_app().url_map.iter_rules():
        for method in rule.methods & set(WRITE_METHODS):
            found.add((rule.rule, method, rule.endpoint))
    return sorted(found)


def role_for(endpoint: str, method: str) -> str | None:
    """A role allowed on the endpoint ("anonymous" for public ones; staff preferred)."""
    allowed = roles_for_endpoint(endpoint, method)
    if allowed is None:
        return None
    if allowed is PUBLIC:
        return "anonymous"
    for role in ("staff", *ROLES):
        if role in allowed:
            return role
    return None


def param_values(world, participant=None, extra: dict | None = None) -> dict:
    from tests.test_access import _param_values

    values = _param_values(world)
    if participant is not None:
        values["participant_id"] = participant.id
    values.update(extra or {})
    return values


def build_url(rule, values: dict) -> str | None:
    if any(arg not in values for arg in rule.arguments):
        return None
    return rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]


def page_urls(app, values: dict) -> list[str]:
    """Every GET URL that could be an HTML page, ids filled in from `values`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.endswith(NON_HTML_SUFFIXES) or rule.rule.startswith(("/icons/", "/static/")):
            continue
        if rule.rule in ("/", "/logout") or rule.rule.startswith("/calendar/"):
            continue
        url = build_url(rule, values)
        if url is not None and url not in urls:
            urls.append(url)
    return sorted(urls)


def is_html(response) -> bool:
    return response.mimetype == "text/html"


def row_counts() -> dict[str, int]:
    """Row count of every table except the audit trail and replay records (one query)."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in UNCOUNTED_TABLES]
    db.session.commit()
    query = union_all(*[
        select(func.count().label("n")).select_from(t).add_columns(
            func.cast(t.name, db.String).label("t")
        ) for t in tables
    ])
    return {name: n for n, name in db.session.execute(query)}


def diff_counts(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}


# --- HTML scanning ---------------------------------------------------------------------------

JSON_SCRIPT_TYPES = {"application/json", "application/ld+json", "importmap"}


class _InlineCodeFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.forms: list[dict] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            lowered = name.lower()
            if lowered.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> inline event handler")
            elif lowered == "style":
                self.problems.append(f"<{tag} style={value!r}> inline style")
            elif lowered.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=...> hx-on needs eval")
            elif lowered in ("href", "src", "action", "formaction") and (value or "").strip(
            ).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        script_type = (attributes.get("type") or "").lower()
        if tag == "script" and not attributes.get("src") and script_type not in JSON_SCRIPT_TYPES:
            self.problems.append("inline <script> element")
        if tag == "style":
            self.problems.append("inline <style> element")
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "",
                               "method": (attributes.get("method") or "get").upper(),
                               "fields": {}})
        if tag in ("input", "select", "textarea", "button") and self.forms and attributes.get(
            "name"
        ):
            values = self.forms[-1]["fields"].setdefault(attributes["name"], [])
            if attributes.get("value") is not None:
                values.append(attributes["value"])
        if tag == "option" and self.forms and self.forms[-1]["fields"]:
            last = list(self.forms[-1]["fields"])[-1]
            if attributes.get("value") is not None:
                self.forms[-1]["fields"][last].append(attributes["value"])


def inline_code_problems(html: str) -> list[str]:
    finder = _InlineCodeFinder()
    finder.feed(html)
    return finder.problems


def forms_in(html: str) -> list[dict]:
    """Forms of a page: [{"action", "method", "fields": {name: [values seen]}}]."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    return finder.forms


def csp_problems(header: str | None) -> list[str]:
    if not header:
        return ["no Content-Security-Policy header"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    script = directives.get("script-src", directives.get("default-src"))
    problems = []
    if script is None:
        problems.append("no script-src or default-src")
    else:
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
            if bad in script:
                problems.append(f"script-src allows {bad}")
    style = directives.get("style-src", directives.get("default-src")) or []
    if "'unsafe-inline'" in style:
        problems.append("style-src allows 'unsafe-inline'")
    if "object-src" not in directives and "'none'" not in (directives.get("default-src") or []):
        problems.append("no object-src")
    return problems


# --- A richer world: real rows behind the ids the walkers use ----------------------------------

@dataclass
class Extras:
    appointment_ids: list[int] = field(default_factory=list)


def enrich_world(world) -> Extras:
    """Appointments today and tomorrow for the in-scope participant, so pages have content."""
    from tests.factories import make_appointment

    staff = world.users["staff"]
    now = utcnow().replace(second=0, microsecond=0)
    extras = Extras()
    for when in (now + timedelta(hours=1), now + timedelta(days=1), now - timedelta(days=2)):
        extras.appointment_ids.append(make_appointment(world.participant, staff, when).id)
    db.session.commit()
    return extras

