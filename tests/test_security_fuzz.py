"""Property-based fuzzing of every form and JSON endpoint (DESIGN §7: bad input never breaks).

For every POST/PUT/PATCH/DELETE rule in `app.url_map`, signed in as a role allowed there, random
form data and random JSON (unicode, huge strings, bogus ids, impossible dates, missing fields)
must never give a 5xx, and a rejected request (4xx) must not change stored data. Field names
come from the forms the app itself renders, so new screens are fuzzed with their own fields.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.routewalk import (
    build_url,
    diff_counts,
    enrich_world,
    forms_in,
    is_html,
    page_urls,
    param_values,
    role_for,
    row_counts,
    write_rules,
)

FUZZ = settings(
    max_examples=int(os.environ.get("BOFAST_FUZZ_EXAMPLES", "15")),
    deadline=None,
    derandomize=os.environ.get("CI") == "true",  # reproducible in CI, exploring locally
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# Field names every fuzzed endpoint may receive even if no rendered form shows them.
COMMON_FIELDS = ["id", "note", "text", "date", "held_on", "starts_at", "outcome", "answer",
                 "version", "idempotency_key", "participant_id", "endpoint", "month", "next"]

BOGUS_IDS = ["0", "-1", "999999999", "99999999999999999999", "1.5", "NaN", "1e308", "abc", "",
             " ", "null", "[]", "1; DROP TABLE users", "../../etc/passwd"]
BOGUS_DATES = ["2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31", "2026-1-1", "31/12/2026",
               "2026-06-15T25:61", "1969-12-31", "2026-06-15", "12:00", "24:00", "-1"]
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60
)
huge_text = st.sampled_from(["x" * 100_000, "å" * 20_000, "🏠" * 5_000, "<script>" * 2_000])
scalar = st.one_of(
    unicode_text, huge_text, st.sampled_from(BOGUS_IDS), st.sampled_from(BOGUS_DATES),
    st.sampled_from(["on", "true", "false", "y", "ok", "remark", "na", "done"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | unicode_text
    | st.sampled_from(BOGUS_IDS + BOGUS_DATES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(unicode_text, inner, max_size=3),
    max_leaves=8,
)


def _form_fields(client, urls: list[str]) -> dict[str, dict[str, list[str]]]:
    """{action path: {field: [values the page offers]}} over every page the user can open."""
    found: dict[str, dict[str, list[str]]] = {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or not is_html(response):
            continue
        for form in forms_in(response.get_data(as_text=True)):
            action = urlsplit(form["action"]).path or url
            fields = found.setdefault(action, {})
            for name, values in form["fields"].items():
                fields.setdefault(name, []).extend(values)
    return found


def _fields_for(client, pages: list[str], path: str) -> dict[str, list[str]]:
    """The fields of the form posting to `path`: looked for on the pages along its path first
    (a form usually lives on its own URL or a parent's), then on every page."""
    related = [p for p in pages if path.startswith(p) or p.startswith(path)]
    fields = _form_fields(client, related).get(path)
    if fields is None:
        fields = _form_fields(client, [p for p in pages if p not in related]).get(path, {})
    return fields


def _form_strategy(fields: dict[str, list[str]]):
    names = sorted(set(fields) | set(COMMON_FIELDS))
    optional = {
        name: (st.sampled_from(fields[name]) | scalar) if fields.get(name) else scalar
        for name in names
    }
    extra = st.dictionaries(unicode_text.filter(bool), scalar, max_size=2)
    return st.tuples(st.fixed_dictionaries({}, optional=optional), extra).map(
        lambda pair: {**pair[1], **pair[0]}
    )


def _json_strategy(fields: dict[str, list[str]]):
    names = sorted(set(fields) | set(COMMON_FIELDS) | {"keys"})
    shaped = st.fixed_dictionaries({}, optional={name: json_values for name in names})
    return shaped | json_values


def _rule(app, rule_text: str):
    return next(r for r in app.url_map.iter_rules() if r.rule == rule_text)


@pytest.mark.parametrize(("rule_text", "method", "endpoint"), write_rules(),
                         ids=[f"{m} {r}" for r, m, _e in write_rules()])
def test_fuzzed_writes_never_fail_and_rejections_change_nothing(
    app, world, client, login_as, rule_text, method, endpoint
):
    role = role_for(endpoint, method)
    if role is None:
        pytest.skip(f"{endpoint}: no role may call it")
    extras = enrich_world(world)
    values = param_values(world, extra={"appointment_id": extras.appointment_ids[0]})
    url = build_url(_rule(app, rule_text), values)
    if role != "anonymous":
        login_as(role)
    fields = _fields_for(client, page_urls(app, values), urlsplit(url).path)

    def send(kind: str, payload, accept_json: bool, htmx: bool):
        if role != "anonymous":
            login_as(role)  # a fuzzed /logout must not end the next example's session
        headers = {"Accept": "application/json"} if accept_json else {}
        if htmx:
            headers["HX-Request"] = "true"
        before = row_counts()
        if kind == "json":
            response = client.open(url, method=method, json=payload, headers=headers)
        else:
            response = client.open(url, method=method, data=payload, headers=headers)
        after = row_counts()
        assert response.status_code < 500, f"{method} {url} {kind}: {response.status_code}"
        if 400 <= response.status_code < 500:
            changed = diff_counts(before, after)
            assert not changed, (
                f"{method} {url} answered {response.status_code} but changed rows: {changed}"
            )

    @FUZZ
    @given(payload=_form_strategy(fields), accept_json=st.booleans(), htmx=st.booleans())
    def fuzz_form(payload, accept_json, htmx):
        send("form", payload, accept_json, htmx)

    # Only the push API takes JSON bodies; elsewhere a few examples prove the refusal.
    json_examples = FUZZ.max_examples if endpoint.startswith("push.") else 3

    @settings(FUZZ, max_examples=json_examples)
    @given(payload=_json_strategy(fields), htmx=st.booleans())
    def fuzz_json(payload, htmx):
        send("json", payload, True, htmx)

    fuzz_form()
    fuzz_json()

