"""Every route × every role: allowed or denied, as DESIGN §2 says (fragments and JSON too).

The expectations below are written from the spec by URL prefix, independently of
webapp/access.py. A new route is walked automatically; a route under a prefix nobody has
decided about fails `test_every_route_has_an_expectation`.
"""
from __future__ import annotations

import re

import pytest

SIGNED_IN = {"participant", "staff", "social_worker", "housing", "admin"}
ROLES = sorted(SIGNED_IN)

# (pattern on the URL rule, roles allowed for GET, roles allowed for other methods).
# None means public.
EXPECTATIONS: list[tuple[str, set[str] | None, set[str] | None]] = [
    (r"^/$", None, None),
    (r"^/(login|activate|healthz|offline|language)(/|$)", None, None),
    (r"^/(static|icons)/", None, None),
    (r"^/(manifest\.webmanifest|sw\.js)$", None, None),
    (r"^/push/vapid-public-key$", None, None),
    (r"^/calendar/", None, None),  # secret-token feed
    (r"^/logout$", SIGNED_IN, SIGNED_IN),
    (r"^/account/password$", SIGNED_IN, SIGNED_IN),
    (r"^/today", {"staff"}, {"staff"}),
    # Social services (DESIGN §2): decisions and the assignment are the social worker's; staff
    # read them. Staff write the monthly report, the social worker comments on it.
    (r"^/social$", {"social_worker"}, {"social_worker"}),
    (r"^/participants/[^/]+/decisions/[^/]+/edit$", {"social_worker"}, {"social_worker"}),
    (r"^/participants/[^/]+/(decisions|assignments)", {"staff", "social_worker"},
     {"social_worker"}),
    (r"^/participants/[^/]+/reports/[^/]+/comments$", {"social_worker"}, {"social_worker"}),
    (r"^/participants/[^/]+/quarterly$", {"staff", "social_worker"},
     {"staff", "social_worker"}),
    (r"^/participants", {"staff", "social_worker"}, {"staff"}),
    (r"^/me(/|$)", {"participant"}, {"participant"}),
    (r"^/housing(/|$)", {"housing"}, {"housing"}),
    (r"^/admin(/|$)", {"admin"}, {"admin"}),
    (r"^/push/", SIGNED_IN, SIGNED_IN),
]


def expectation(rule: str, method: str):
    for pattern, get_roles, write_roles in EXPECTATIONS:
        if re.search(pattern, rule):
            return get_roles if method in ("GET", "HEAD") else write_roles
    raise LookupError(rule)


def walk(app, world):
    """Yield (rule, method, url) for every route, with ids of the in-scope participant."""
    values = _param_values(world)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            url = "/static/css/app.css"
        else:
            missing = [arg for arg in rule.arguments if arg not in values]
            assert not missing, f"add a test value for {missing} in {rule.rule}"
            url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method, url


def _param_values(world):
    p = world.participant
    return {
        "participant_id": p.id, "id": 1, "appointment_id": 1, "goal_id": 1, "step_id": 1,
        "submission_id": 1, "checklist_id": 1, "user_id": world.users["participant"].id,
        "disturbance_id": 1, "absence_id": 1, "template_id": 1, "event_id": 1,
        "token": "not-a-real-token", "filename": "icon-192.png", "size": 192, "month": "2026-01",
        "version": 1, "contact_id": 1, "team_id": world.team.id, "notice_id": 1,
        "consent_id": 1, "decision_id": 1, "report_id": 1, "missed_id": 1,
        "apartment_id": 1, "offer_id": 1, "contract_id": 1, "transfer_id": 1,
        "meeting_id": 1, "showing_id": 1, "analysis_id": 1,
        "action_id": 1,
    }


def _request(client, method, url, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.open(url, method=method, headers=headers, data={})


def test_every_route_has_an_expectation(app, world):
    undecided = []
    for rule, method, _url in walk(app, world):
        try:
            expectation(rule, method)
        except LookupError:
            undecided.append(f"{method} {rule}")
    assert not undecided, f"decide who may use: {undecided}"


def _is_denied(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES + ["anonymous"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_role_by_route(app, world, client, login_as, role, htmx):
    if role != "anonymous":
        login_as(role)
    problems = []
    for rule, method, url in walk(app, world):
        allowed = expectation(rule, method)
        if role != "anonymous":
            login_as(role)  # a walked /logout must not end the walk's session
        response = _request(client, method, url, htmx=htmx)
        if rule == "/logout" and role != "anonymous":
            continue  # its redirect to /login is success; test_auth covers it
        if response.status_code >= 500:
            problems.append(f"{method} {url}: {response.status_code}")
        elif allowed is None:
            continue
        elif role in allowed and _is_denied(response) and response.status_code != 404:
            problems.append(f"{method} {url}: {role} refused ({response.status_code})")
        elif role not in allowed and not _is_denied(response):
            problems.append(f"{method} {url}: {role} let in ({response.status_code})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["staff", "social_worker", "housing", "participant"])
def test_participant_outside_scope_is_404(app, world, client, login_as, role):
    """The other team's participant: every participant route answers 404, never data."""
    login_as(role)
    values = _param_values(world) | {"participant_id": world.other.id}
    leaked = []
    for rule in app.url_map.iter_rules():
        if "participant_id" not in rule.arguments:
            continue
        url = rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            if response.status_code not in (403, 404):
                leaked.append(f"{method} {url}: {response.status_code}")
            assert b"Olle" not in response.data
    assert not leaked, leaked


def test_unknown_endpoint_without_rule_is_refused(app, world, client, login_as):
    from webapp.access import roles_for_endpoint

    assert roles_for_endpoint("nonexistent.view") is None

    @app.route("/undeclared-test-route")
    def undeclared():  # pragma: no cover - must never run
        return "secret"

    login_as("admin")
    assert client.get("/undeclared-test-route").status_code == 403


def test_visible_participants_scopes(app, world):
    from webapp.access import visible_participants
    from webapp.extensions import db

    def ids(role):
        return {p.id for p in db.session.scalars(visible_participants(world.users[role]))}

    mine, other = world.participant.id, world.other.id
    assert ids("staff") == {mine}
    assert ids("other_staff") == {other}
    assert ids("social_worker") == {mine}
    assert ids("housing") == {mine}
    assert ids("participant") == {mine}
    assert ids("other_participant") == {other}
    assert ids("admin") == {mine, other}


def test_the_scope_built_once_per_role_is_each_users_own_scope(app, world):
    """`scope_ids`, `visible_columns` and `assigned_flag` are built once per role with the
    user as parameters (issue 17): for every user they give exactly `visible_participants`
    and `directly_assigned_ids`, another user of the same role included."""
    from webapp.access import (
        NAME_COLUMNS,
        directly_assigned_ids,
        scope_ids,
        scope_of,
        scope_values,
        visible_columns,
        visible_participants,
    )
    from webapp.extensions import db

    for name, user in world.users.items():
        expected = {p.id for p in db.session.scalars(visible_participants(user))}
        assert set(db.session.scalars(scope_ids(user.role), scope_values(user))) == expected, name
        scope = scope_of(user)
        assert scope.ids is scope_ids(user.role)  # the same statement for every user of a role
        rows = db.session.execute(visible_columns(user.role, NAME_COLUMNS),
                                  scope_values(user)).all()
        assert {row[0] for row in rows} == expected, name
        if user.role in ("staff", "social_worker"):
            assigned = {row[0] for row in rows if row[-1]}
            assert assigned == directly_assigned_ids(user) & expected, name
        else:
            assert all(len(row) == len(NAME_COLUMNS) for row in rows), name
    staff, other = world.users["staff"], world.users["other_staff"]
    assert set(db.session.scalars(scope_ids("staff"), scope_values(staff))) == {
        world.participant.id}
    assert set(db.session.scalars(scope_ids("staff"), scope_values(other))) == {world.other.id}
