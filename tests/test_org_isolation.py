"""Organisation isolation as a tested property, like the role matrix (issue 19).

Two organisations share one installation. Organisation A is the usual test `world`; organisation
B ("Zetaby") gets a row in every table the routes take ids of, each carrying a marker string.
Then every user of A walks every route of `app.url_map` (so routes merged later are walked too):
- with A's own ids (lists, pages, fragments, exports, feeds): nothing of B appears;
- with B's ids in place of A's: 404 for roles the route is for, refused for others, never a
  marker; writes change no row of B and create no row pointing at B;
- A's figures and counts are the same before and after B exists;
- the push scheduler sends each organisation only its own reminders.
Runs on SQLite and, with BOFAST_TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import (
    make_appointment,
    make_checklist,
    make_disturbance,
    make_org,
    make_outcome,
    make_participant,
    make_team,
    make_user,
)
from tests.push_service import push_service_fixture  # noqa: F401 - the fixture
from tests.routewalk import ROLES, WRITE_METHODS, enrich_world, param_values
from tests.test_access import expectation
from webapp.extensions import db as _db
from webapp.models import (
    Absence,
    Apartment,
    AuditEvent,
    BreakdownAnalysis,
    Consent,
    Contract,
    CrisisPlan,
    Decision,
    FollowUpReport,
    Goal,
    GoalComment,
    HousingNotice,
    JointAction,
    JointMeeting,
    MissedVisit,
    Note,
    Offer,
    OpenSupportContact,
    Plan,
    PushSubscription,
    Reminder,
    ReminderAttempt,
    ReserveKey,
    Showing,
    Step,
    SupportAssignment,
    TransferCase,
    User,
    utcnow,
)

# Every string of organisation B contains one of these; none may reach a user of A.
MARKERS = ("Zeta", "zeta-", "Zacharias", "Zetterqvist", "070-999 00 11")
# Route arguments whose table the name alone does not give.
ID_ALIASES = {"checklist_id": "checklist_submissions", "missed_id": "missed_visits",
              "transfer_id": "transfer_cases", "analysis_id": "breakdown_analyses"}


# --- organisation B ------------------------------------------------------------------------

def build_zetaby() -> dict:
    """A complete second organisation; returns its main objects by name."""
    from webapp.checklist_defaults import ensure_default_template

    org = make_org("Zetaby kommun", preset="stockholm")
    org.oncall_phone = "070-999 00 11"
    team, housing = make_team(org, "Zeta-teamet"), make_team(org, "Zeta-bostad", kind="housing")
    users = {
        "staff": make_user(org, "staff", "zeta-staff", teams=[team],
                           display_name="Zelda Zetastöd"),
        "social_worker": make_user(org, "social_worker", "zeta-soc",
                                   display_name="Zeta Socialsekreterare"),
        "housing": make_user(org, "housing", "zeta-bostad", teams=[housing],
                             display_name="Zeta Bostadsförvaltare"),
        "admin": make_user(org, "admin", "zeta-admin", display_name="Zeta Samordnare"),
        "participant": make_user(org, "participant", "zeta-deltagare", totp=False,
                                 display_name="Zacharias Zetterqvist"),
    }
    ensure_default_template(org)
    person = make_participant(
        org, team, "Zacharias", "Zetterqvist", social_worker=users["social_worker"],
        user=users["participant"], housing_team=housing, assigned=[users["staff"]],
        phone="070-999 00 11")
    staff = users["staff"]
    now = utcnow().replace(second=0, microsecond=0)
    appointments = [make_appointment(person, staff, now + delta, location="Zetavägen 9",
                                     note="Zeta-besök")
                    for delta in (timedelta(minutes=50), timedelta(days=1), -timedelta(days=2))]
    make_outcome(appointments[2], staff, note="Zeta-utfall")
    disturbance = make_disturbance(person, description="Zeta-störning",
                                   reported_by_id=users["housing"].id)
    make_checklist(person, staff, date.today(), answers={"rent_paid": ("remark", "Zeta-hyra")})
    plan = _db.session.scalar(select(Plan).where(Plan.participant_id == person.id))
    goal = Goal(plan_id=plan.id, own_words="Zeta-mål i egna ord")
    _db.session.add(goal)
    _db.session.flush()
    _db.session.add_all([
        Step(goal_id=goal.id, text="Zeta-steg", who_name="Zelda Zetastöd"),
        GoalComment(goal_id=goal.id, author_id=users["participant"].id, text="Zeta-kommentar"),
        Note(participant_id=person.id, author_id=staff.id, text="Zeta-journalanteckning"),
        Absence(participant_id=person.id, start_date=date.today() - timedelta(days=3),
                end_date=date.today() - timedelta(days=1), reason="Zeta-frånvaroskäl"),
        Consent(participant_id=person.id, scope="Zeta-samtycke", given_on=date.today()),
        ReserveKey(participant_id=person.id, conditions="Zeta-nyckelvillkor"),
        HousingNotice(participant_id=person.id, occurred_on=now - timedelta(days=1)),
        OpenSupportContact(organisation_id=org.id, label="Zeta drop-in", phone="070-999 00 11",
                           address="Zetavägen 1"),
        PushSubscription(user_id=staff.id, endpoint="https://fcm.googleapis.com/fcm/send/zeta-1",
                         p256dh="zeta-key", auth="zeta-auth"),
        AuditEvent(user_id=staff.id, role="staff", action="read", object_type="identity",
                   participant_id=person.id, detail="Zeta-läsning", path="/zeta"),
        Decision(participant_id=person.id, decided_on=date.today() - timedelta(days=30),
                 starts_on=date.today() - timedelta(days=30), text="Zeta-beslut",
                 recorded_by_id=users["social_worker"].id),
        SupportAssignment(participant_id=person.id, purpose="Zeta-uppdrag",
                          sent_on=date.today(), created_by_id=users["social_worker"].id),
        FollowUpReport(participant_id=person.id, month=f"{date.today():%Y-%m}",
                       support_given="Zeta-rapport", author_id=staff.id),
        MissedVisit(participant_id=person.id, period_start=date.today() - timedelta(days=14)),
        CrisisPlan(participant_id=person.id, signals="Zeta-signaler"),
    ])
    _db.session.flush()
    # The tenancy records (issue 14): an offer with a showing, a transfer, a joint meeting with
    # an action, a breakdown analysis of an ended contract.
    contract = _db.session.scalar(select(Contract).where(Contract.participant_id == person.id))
    spare = Apartment(organisation_id=org.id, address="Zetagatan 2", city="Zetaby",
                      housing_team_id=housing.id, landlord="Zeta Bostäder AB")
    _db.session.add(spare)
    _db.session.flush()
    offer = Offer(participant_id=person.id, offered_on=date.today(),
                  first_apartment_id=contract.apartment_id, second_apartment_id=spare.id,
                  wishes="Zeta-önskemål")
    meeting = JointMeeting(participant_id=person.id, meets_at=now + timedelta(days=3),
                           place="Zeta-kontoret", summary="Zeta-möte")
    _db.session.add_all([offer, meeting])
    _db.session.flush()
    ended = Contract(participant_id=person.id, apartment_id=spare.id,
                     signed_on=date.today() - timedelta(days=400),
                     move_in_date=date.today() - timedelta(days=390),
                     ended_on=date.today() - timedelta(days=30))
    _db.session.add(ended)
    _db.session.flush()
    _db.session.add_all([
        Showing(offer_id=offer.id, apartment_id=spare.id, starts_at=now + timedelta(days=1),
                staff_id=staff.id, observation="Zeta-visning"),
        TransferCase(participant_id=person.id, contract_id=contract.id,
                     inspection_note="Zeta-besiktning"),
        JointAction(meeting_id=meeting.id, action="Zeta-åtgärd", who="Zelda"),
        BreakdownAnalysis(participant_id=person.id, contract_id=ended.id,
                          what_happened="Zeta-haveri"),
    ])
    _db.session.commit()
    # Its stored figures of the closed months (issue 17): A's entries never delete them.
    from webapp.admin.stored_figures import figure_months
    from webapp.timeutil import local_today

    figure_months(org, local_today(), local_today())
    # Its stored worklist of Idag (issue 17), worked out as a view of it would.
    from webapp.models import WorklistEntry
    from webapp.staff import worklist_store

    version = _db.session.scalar(select(WorklistEntry.version).where(
        WorklistEntry.participant_id == person.id)) or 0
    worklist_store.refresh({person.id: version}, org, local_today(), utcnow())
    assert _db.session.get(WorklistEntry, person.id).items
    # Its stored housing facts (issue 17), worked out as a housing view of it would.
    from webapp.housing import facts_store
    from webapp.models import HousingFacts, Participant

    facts_store.complete(_db.session.execute(facts_store.with_facts(
        select(Participant.id).where(Participant.id == person.id), local_today())).all(),
        org, local_today())
    assert _db.session.get(HousingFacts, person.id) is not None
    return {"org": org, "team": team, "housing_team": housing, "users": users,
            "participant": person, "appointments": appointments, "disturbance": disturbance}


# --- ids ------------------------------------------------------------------------------------

def _id_tables():
    return {t.name: t for t in _db.metadata.sorted_tables if "id" in t.c}


def max_ids() -> dict[str, int]:
    _db.session.commit()
    return {name: _db.session.scalar(select(func.coalesce(func.max(t.c.id), 0)))
            for name, t in _id_tables().items()}


def table_for(rule: str, arg: str) -> str | None:
    """The table a route argument holds ids of (None: not an id, e.g. a month or a token)."""
    names = set(_id_tables())
    if arg in ID_ALIASES:
        return ID_ALIASES[arg]
    if arg == "id":  # `/push/subscriptions/<id>`: the path segment before it names the table
        segment = rule.split("<")[0].rstrip("/").rsplit("/", 1)[-1]
        stem = segment[:-1] if segment.endswith("s") else segment
    elif arg.endswith("_id"):
        stem = arg[:-3]
    else:
        return None
    for candidate in (f"{stem}s", f"{stem}es", f"{stem[:-1]}ies"):
        if candidate in names:
            return candidate
    suffixed = [n for n in names if n.endswith(f"_{stem}s")]
    if len(suffixed) == 1:
        return suffixed[0]
    raise LookupError(f"map the argument {arg!r} of {rule} to a table in ID_ALIASES")


def rows_after(before: dict[str, int]) -> dict[str, list[int]]:
    """Ids created since `before`, per table."""
    found = {}
    for name, t in _id_tables().items():
        found[name] = list(_db.session.scalars(
            select(t.c.id).where(t.c.id > before.get(name, 0)).order_by(t.c.id)))
    return found


def snapshot(ids: dict[str, list[int]]) -> dict[tuple[str, int], tuple]:
    tables = _id_tables()
    _db.session.commit()
    rows = {}
    for name, wanted in ids.items():
        if wanted:
            t = tables[name]
            for row in _db.session.execute(select(t).where(t.c.id.in_(wanted))):
                rows[(name, row.id)] = tuple(row)
    return rows


def pointing_at(b_ids: dict[str, list[int]], new: dict[str, list[int]]) -> list[str]:
    """New rows whose foreign keys point at a row of organisation B."""
    tables = _id_tables()
    found = []
    for name, ids in new.items():
        if not ids:
            continue
        t = tables[name]
        for column in t.c:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                hit = [v for v in _db.session.scalars(select(column).where(t.c.id.in_(ids)))
                       if v in set(b_ids.get(target, ()))]
                if hit:
                    found.append(f"{name}.{column.name} -> {target} {hit}")
    return found


# --- the walk -------------------------------------------------------------------------------

@pytest.fixture
def two_orgs(app, world):
    extras = enrich_world(world)
    before = max_ids()
    zeta = build_zetaby()
    b_ids = rows_after(before)
    return world, extras, zeta, b_ids


def _b_values(app, a_values: dict, b_ids: dict[str, list[int]], zeta) -> dict[str, dict]:
    """Per rule: A's values with every id argument replaced by an id of organisation B."""
    preferred = {"users": zeta["users"]["staff"].id,
                 "participants": zeta["participant"].id}
    per_rule = {}
    for rule in app.url_map.iter_rules():
        values, swapped = dict(a_values), False
        for arg in rule.arguments:
            table = table_for(rule.rule, arg)
            if table is None:
                continue
            ids = b_ids.get(table) or []
            assert ids, f"give organisation B a row in {table} (used by {rule.rule})"
            values[arg] = preferred.get(table, ids[0])
            swapped = True
        if swapped:
            per_rule[rule.rule] = values
    return per_rule


def _leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace").replace("\r\n ", "").replace("\n ", "")
    return [m for m in MARKERS if m in text]


def _login_redirect(response) -> bool:
    return response.status_code in (302, 303) and "/login" in response.headers.get(
        "Location", "")


def _build(rule, values) -> str:
    return rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("role", ROLES)
def test_no_route_shows_or_touches_the_other_organisation(app, client, login_as, two_orgs,
                                                          role):
    world, extras, zeta, b_ids = two_orgs
    a_values = param_values(world, extra={
        "appointment_id": extras.appointment_ids[0],
        "token": world.users["participant"].calendar_token})
    b_rules = _b_values(app, a_values, b_ids, zeta)
    b_rows = snapshot(b_ids)
    walk_start = max_ids()
    problems, walked = [], 0
    form_with_b_ids = {"participant_id": zeta["participant"].id,
                       "user_id": zeta["users"]["staff"].id, "team_id": zeta["team"].id,
                       "team_ids": [zeta["team"].id],
                       "social_worker_id": zeta["users"]["social_worker"].id}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule == "/logout":
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            allowed = expectation(rule.rule, method)
            variants = [("A", _build(rule, a_values))]
            if rule.rule in b_rules:
                variants.append(("B", _build(rule, b_rules[rule.rule])))
            for which, url in variants:
                for htmx in (False, True):
                    login_as(role)
                    headers = {"HX-Request": "true"} if htmx else {}
                    data = form_with_b_ids if method in WRITE_METHODS else None
                    response = client.open(url, method=method, headers=headers, data=data)
                    walked += 1
                    where = f"{role} {method} {url}{' (htmx)' if htmx else ''}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                    if found := _leaks(response.get_data()):
                        problems.append(f"{where}: shows {found}")
                    if which != "B":
                        continue
                    if allowed is not None and role in allowed:
                        if response.status_code != 404:
                            problems.append(f"{where}: {response.status_code}, not 404")
                    elif not (response.status_code in (401, 403, 404)
                              or _login_redirect(response)):
                        problems.append(f"{where}: {response.status_code}, not refused")
    assert walked > 100, "the walk reached too few routes"
    changed = [key for key, row in snapshot(b_ids).items() if b_rows.get(key) != row]
    changed += [key for key in b_rows if key not in snapshot(b_ids)]
    problems += [f"row of B changed or gone: {key}" for key in changed]
    problems += [f"new row points at B: {p}" for p in pointing_at(b_ids, rows_after(walk_start))]
    assert not problems, "\n".join(problems)


def test_the_other_organisation_has_a_row_behind_every_route_id(app, two_orgs):
    """Keeps the walk honest: a route with ids of a new table needs a row of B to probe with."""
    world, extras, zeta, b_ids = two_orgs
    rules = _b_values(app, param_values(world), b_ids, zeta)
    assert any("participant_id" in r for r in rules) and any("team_id" in r for r in rules)


# --- counts ----------------------------------------------------------------------------------

def _counts(client, login_as, world) -> dict:
    from webapp.access import visible_participants
    from webapp.admin.first_day import setup_facts

    login_as("admin")
    figures = client.get("/admin/figures.csv").get_data(as_text=True)
    seen = {role: len(_db.session.scalars(visible_participants(world.users[role])).all())
            for role in ROLES}
    return {"figures": figures, "visible": seen, "setup": setup_facts(world.org.id)}


def test_figures_and_counts_of_one_organisation_ignore_the_other(app, client, login_as,
                                                                 world):
    enrich_world(world)
    before = _counts(client, login_as, world)
    build_zetaby()
    after = _counts(client, login_as, world)
    assert after == before
    assert "Zeta" not in after["figures"]


# --- push -----------------------------------------------------------------------------------

def test_the_scheduler_sends_each_organisation_only_its_own_reminders(app, client, login_as,
                                                                      world, push_service):
    from webapp.push.outbox import send_due
    from webapp.reminders import plan_daily

    devices = {}
    for role in ("participant", "staff"):
        login_as(role)
        sub = push_service.new_device()
        assert client.post("/push/subscriptions", json=sub).status_code == 201
        devices[sub["endpoint"]] = world.org.id
    now = utcnow().replace(second=0, microsecond=0)
    make_appointment(world.participant, world.users["staff"], now + timedelta(minutes=50))
    _db.session.commit()
    plan_daily(_db.session, now)
    _db.session.commit()
    ours = {r.dedupe_key: (r.user_id, r.title, r.body, r.url)
            for r in _db.session.scalars(select(Reminder))}

    zeta = build_zetaby()
    for role in ("participant", "staff"):
        login_as(zeta["users"][role])
        sub = push_service.new_device()
        assert client.post("/push/subscriptions", json=sub).status_code == 201
        devices[sub["endpoint"]] = zeta["org"].id
    plan_daily(_db.session, now)
    _db.session.commit()
    # A's reminders (and the counts in their text) are the same with B present.
    again = {r.dedupe_key: (r.user_id, r.title, r.body, r.url)
             for r in _db.session.scalars(select(Reminder)) if r.dedupe_key in ours}
    assert again == ours

    # Send everything planned now, quiet hours or not: which device gets what is the point.
    _db.session.execute(update(Reminder).where(Reminder.status == "pending").values(
        due_at=now - timedelta(minutes=1), next_attempt_at=None, expires_at=None))
    _db.session.commit()
    report = send_due(now=now)
    assert not report.errors
    org_of_user = dict(_db.session.execute(select(User.id, User.organisation_id)).all())
    attempts = _db.session.execute(
        select(Reminder.user_id, ReminderAttempt.endpoint)
        .join(ReminderAttempt, ReminderAttempt.reminder_id == Reminder.id)).all()
    reached = {devices[endpoint] for _user, endpoint in attempts if endpoint in devices}
    assert reached == {world.org.id, zeta["org"].id}, "both organisations got reminders"
    wrong = [(user, endpoint) for user, endpoint in attempts
             if endpoint in devices and devices[endpoint] != org_of_user[user]]
    assert not wrong
    for payload in push_service.delivered():
        assert not re.search("|".join(MARKERS), str(payload))
