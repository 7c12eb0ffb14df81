"""Access control, in one place (DESIGN §2).

Two layers, both enforced here and nowhere else:
1. Areas: every endpoint maps to the roles that may call it (`ENDPOINT_ROLES`, falling back to
   `BLUEPRINT_ROLES`). `enforce_area_access` runs before every request; an endpoint with no rule
   is refused, so a new route is closed until someone decides who may use it.
2. Objects: `visible_participants(user)` is the one scope query every list uses,
   `get_participant_or_404(id, need)` returns a participant only if the user may see that kind of
   data about them, writing the read to the audit log, and `child_or_404(model, id, ...)` does
   the same for anything that belongs to a participant (an appointment, a goal, a checklist).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import NamedTuple, NoReturn

from flask import abort, g, has_request_context, redirect, url_for
from flask_login import current_user
from htmx_flask import request
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)

from .extensions import db
from .models import (
    Apartment,
    AuditEvent,
    ChecklistAnswer,
    Contract,
    Goal,
    JointAction,
    Offer,
    OpenSupportContact,
    Participant,
    Showing,
    StaffAssignment,
    Step,
    Team,
    TeamMembership,
    User,
)
from .models.participants import full_name_of
from .queries import among
from .rendering import wants_json

PUBLIC = frozenset({"anonymous"})
ANY_USER = frozenset({"participant", "staff", "social_worker", "housing", "admin"})
STAFF = frozenset({"staff"})
CASEWORK = frozenset({"staff", "social_worker"})
SOCIAL_WORKER = frozenset({"social_worker"})

# Default roles per blueprint (one blueprint per area a user sees).
BLUEPRINT_ROLES: dict[str, frozenset[str]] = {
    "staff": CASEWORK,
    "checklists": CASEWORK,
    "me": frozenset({"participant"}),
    "housing": frozenset({"housing"}),
    "admin": frozenset({"admin"}),
    "push": ANY_USER,
    "social": CASEWORK,
}

# Writes (POST/PUT/PATCH/DELETE) in these areas are for support staff only: social workers read.
BLUEPRINT_WRITE_ROLES: dict[str, frozenset[str]] = {
    "staff": STAFF,
    "checklists": STAFF,
    "social": STAFF,
}

# Endpoint rules override the blueprint defaults (every method). PUBLIC: no sign-in needed.
ENDPOINT_ROLES: dict[str, frozenset[str]] = {
    "static": PUBLIC,
    "main.index": PUBLIC,  # redirects to login or the role's home
    "main.healthz": PUBLIC,
    "main.set_language": PUBLIC,
    "auth.login": PUBLIC,
    "auth.login_totp": PUBLIC,  # guarded by the pending-login state in the session
    "auth.totp_enrol": PUBLIC,  # likewise
    "auth.activate": PUBLIC,
    "auth.logout": ANY_USER,
    "auth.change_password": ANY_USER,
    "staff.today": STAFF,
    "staff.colleague_visits": STAFF,
    "pwa.manifest": PUBLIC,
    "pwa.service_worker": PUBLIC,
    "pwa.offline": PUBLIC,
    "pwa.icon": PUBLIC,
    "push.vapid_public_key": PUBLIC,
    "me.calendar_feed": PUBLIC,  # authorised by the secret token in its URL
    # Social services (DESIGN §2): the social worker decides and assigns, and comments on the
    # monthly reports that staff write; quarterly follow-ups are recorded by either.
    "social.home": SOCIAL_WORKER,
    "social.new_decision": SOCIAL_WORKER,
    "social.edit_decision": SOCIAL_WORKER,
    "social.new_assignment": SOCIAL_WORKER,
    "social.comment_report": SOCIAL_WORKER,
    "social.new_quarterly": CASEWORK,
}

# What each role may see about a participant in its scope (the DESIGN §2 table as data).
CAPABILITIES: dict[str, frozenset[str]] = {
    "participant": frozenset({
        "identity", "plan", "plan_comment", "appointments", "checklist_read", "disturbances",
        "absence", "tenancy", "crisis_plan", "joint_meeting",
    }),
    "staff": frozenset({
        "identity", "plan", "plan_write", "appointments", "appointments_write", "visits",
        "visits_write", "checklist_read", "checklist_write", "disturbances", "disturbances_write",
        "absence", "absence_reason", "absence_write", "tenancy", "events_write", "notes",
        "activation", "decisions", "reports", "reports_write", "quarterly_write",
        "crisis_plan", "crisis_plan_write", "tenancy_observe", "joint_meeting", "breakdown",
        "breakdown_write",
    }),
    "social_worker": frozenset({
        "identity", "plan", "appointments", "visits", "checklist_read", "disturbances",
        "absence", "absence_reason", "tenancy", "notes", "decisions", "decisions_write",
        "reports", "reports_comment", "quarterly_write", "crisis_plan", "joint_meeting",
        "breakdown",
    }),
    "housing": frozenset({
        "identity", "visit_counts", "checklist_read", "disturbances",
        "disturbances_write", "absence", "tenancy", "tenancy_manage", "joint_meeting",
    }),
    "admin": frozenset({"identity", "activation", "assignment"}),
}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def roles_for_endpoint(endpoint: str | None, method: str = "GET") -> frozenset[str] | None:
    """The roles allowed on an endpoint, or None when no rule exists (then: refused)."""
    if endpoint is None:
        return None
    if endpoint in ENDPOINT_ROLES:
        return ENDPOINT_ROLES[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    if method not in SAFE_METHODS and blueprint in BLUEPRINT_WRITE_ROLES:
        return BLUEPRINT_WRITE_ROLES[blueprint]
    return BLUEPRINT_ROLES.get(blueprint)


def wants_fragment() -> bool:
    return bool(request.htmx) or wants_json()


def enforce_area_access():
    """before_request: refuse any endpoint the current role may not use."""
    if request.endpoint is None:  # unknown URL: let Flask answer 404
        return None
    allowed = roles_for_endpoint(request.endpoint, request.method)
    if allowed is None:
        abort(403)
    if allowed is PUBLIC:
        return None
    if not current_user.is_authenticated:
        if wants_fragment() or request.method != "GET":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed:
        abort(403)
    return None


def can(user: User, capability: str) -> bool:
    return capability in CAPABILITIES.get(user.role, frozenset())


def _team_ids(user_id) -> Select:
    # Correlated to the user of any statement around it (`user_id` a column, `visible_to`),
    # also from inside housing's EXISTS (only a direct enclosing one is correlated otherwise).
    return (select(TeamMembership.team_id).where(TeamMembership.user_id == user_id)
            .correlate_except(TeamMembership))


def _scope_criteria(role: str, organisation_id, user_id) -> tuple:
    """The conditions of `visible_participants` for a user of `role` in `organisation_id`
    with id `user_id` (values, or bound parameters for a statement built once)."""
    in_org = Participant.organisation_id == organisation_id
    if role == "participant":
        return in_org, Participant.user_id == user_id
    if role == "staff":
        assigned = exists().where(
            StaffAssignment.participant_id == Participant.id, StaffAssignment.user_id == user_id
        )
        return in_org, or_(Participant.team_id.in_(_team_ids(user_id)), assigned)
    if role == "social_worker":
        return in_org, Participant.social_worker_id == user_id
    if role == "housing":
        return in_org, _housing_condition(_team_ids(user_id))
    if role == "admin":
        return (in_org,)
    return in_org, false()


def visible_participants(user: User) -> Select:
    """The participants this user may see at all: the scope every list query starts from."""
    return select(Participant).where(*_scope_criteria(user.role, user.organisation_id, user.id))


def visible_to(role, organisation_id, user_id):
    """Whether Participant is in the scope of the user whose role, organisation and id are
    these columns: `visible_participants` for many users in one statement (the log review
    checks every worker's reads against today's scopes at once)."""
    return or_(*(and_(role == name, *_scope_criteria(name, organisation_id, user_id))
                 for name in sorted(ANY_USER)))


# The bound parameters of the statements built once per role (`scope_ids`, `assigned_flag`).
_SCOPE_ORG = bindparam("scope_org", type_=Integer)
_SCOPE_USER = bindparam("scope_user", type_=Integer)


@cache
def scope_ids(role: str) -> Select:
    """`visible_participants`' ids for any user of `role`, built once per process with the
    organisation and user as parameters (`scope_values(user)`): pages that run a fixed
    statement around the scope build nothing per request (building it cost more than the
    database took to run it on Idag)."""
    # Never correlated to a statement around it that reads participants too (a page's rows
    # joined with their participant's name): the scope is a set of its own.
    return (select(Participant.id).where(*_scope_criteria(role, _SCOPE_ORG, _SCOPE_USER))
            .correlate(None))


@cache
def visible_columns(role: str, columns: tuple) -> Select:
    """`visible_participants(user).with_only_columns(*columns)` for any user of `role`, with
    `assigned_flag(role)` last where the role has direct assignment, built once per process:
    bind with `scope_values(user)` (a caseload of 1,000 is read per view of its list)."""
    flag = assigned_flag(role)
    return select(*columns, *(() if flag is None else (flag,))).where(
        *_scope_criteria(role, _SCOPE_ORG, _SCOPE_USER))


def scope_values(user: User) -> dict:
    """The parameters of `scope_ids` and `assigned_flag` for this user."""
    return {"scope_org": user.organisation_id, "scope_user": user.id}


class Scope(NamedTuple):
    """The participants a user sees, for statements built once per role: `scope_ids(role)`
    and this user's parameters of it."""
    role: str
    ids: Select
    values: dict


def scope_of(user: User) -> Scope:
    return Scope(user.role, scope_ids(user.role), scope_values(user))


def _housing_condition(teams, whole: bool = False):
    """Whether a participant is one a housing user sees; `teams`: the user's team ids, as a
    subquery or written into the statement (`housing_participants`). `whole`: for a statement
    about the whole scope (see below)."""
    mine = Apartment.housing_team_id.in_(teams)
    # Fas 1 without an apartment yet: housing administration makes the offer (DESIGN §1b).
    waiting = (Participant.phase == 1) & ~exists().where(
        Contract.participant_id == Participant.id)
    if whole:
        # The same rule as sets: each worked out once (hashed) and looked up per participant.
        # Joined with more (facts, tenancies), PostgreSQL costs the EXISTS below high and
        # picks nested loops around them (/housing's overview 2.2 ms, 1.0 ms so); for one
        # participant the sets would be worked out whole (0.2 ms, the EXISTS 0.03 ms).
        # Not correlated: the query around may read contracts and apartments itself.
        housed = Participant.id.in_(
            select(Contract.participant_id).join(Apartment, Apartment.id == Contract.apartment_id)
            .where(mine).correlate(None))
        offered = Participant.id.in_(
            select(Offer.participant_id)
            .join(Apartment, Apartment.id.in_([Offer.first_apartment_id,
                                               Offer.second_apartment_id]))
            .where(mine).correlate(None))
        return or_(housed, offered, waiting)
    # Tenants of its apartments, present and past (a terminated tenant may get a new offer),
    # and those offered one. EXISTS over a join with the apartment, not over `apartment_id
    # IN (my apartments)`: the database hashes the join once for a whole scope (the IN
    # made it deduplicate the apartments first, ~40 % of the scope's time at 1,000) and
    # still checks one participant by index. Correlated to the participant only, whatever
    # the query around it joins.
    housed = exists().where(Contract.participant_id == Participant.id,
                            Apartment.id == Contract.apartment_id, mine
                            ).correlate(Participant)
    offered = exists().where(Offer.participant_id == Participant.id,
                             Apartment.id.in_([Offer.first_apartment_id,
                                               Offer.second_apartment_id]), mine
                             ).correlate(Participant)
    return or_(housed, offered, waiting)


def housing_team_ids(user: User) -> list[int]:
    """The housing user's team ids, read once per request (`forget_request_caches`)."""
    if not has_request_context():
        return list(db.session.scalars(_team_ids(user.id)))
    cache = g.setdefault("_housing_teams", {})
    if user.id not in cache:
        cache[user.id] = sorted(db.session.scalars(_team_ids(user.id)))
    return cache[user.id]


def _teams_written_in(user: User):
    """The user's teams as numbers in the statement's text (`literal_execute`), not a
    subquery: PostgreSQL then knows from its statistics how many apartments they have. Through
    `IN (SELECT team_id ...)` it expected ~1/20 of the apartments (the teams of every kind
    that memberships name) and joined contracts one apartment at a time: /housing/checklists'
    statement 4.8 ms, 1.3 ms so. The statement stays one compiled form; the numbers are
    written in when it runs."""
    return bindparam("housing_teams", housing_team_ids(user), expanding=True,
                     literal_execute=True, unique=True)


def housing_participants(user: User) -> Select:
    """`visible_participants(user)` for a housing user's own pages about the whole scope
    (lists, counts): the same rule, with the teams written into the statement
    (`_teams_written_in`), as sets (`_housing_condition`'s `whole`).
    tests/test_housing_scope.py checks both give the same participants."""
    if user.role != "housing":
        return visible_participants(user)
    return select(Participant).where(Participant.organisation_id == user.organisation_id,
                                     _housing_condition(_teams_written_in(user), whole=True))


def in_my_teams(user: User, apartment=Apartment):
    """The condition that `apartment` (Apartment or an alias of it) is one of housing user
    `user`'s teams' apartments, the teams written in (`_teams_written_in`)."""
    return apartment.housing_team_id.in_(_teams_written_in(user))


def housing_tenancies(user: User, *columns) -> Select:
    """(participant id, apartment id, move-in, *columns) of the open contracts in the
    apartments of the housing user's teams, of participants of the user's organisation: the
    rows of the checklist inbox. Every such participant is in `visible_participants(user)` (a
    contract in one of the team's apartments is what makes a tenant visible), so the scope's
    tests are not run again for them (tests/test_housing_scope.py checks this)."""
    return (select(Contract.participant_id, Contract.apartment_id, Contract.move_in_date,
                   *columns)
            .join(Apartment, Apartment.id == Contract.apartment_id)
            .join(Participant, Participant.id == Contract.participant_id)
            .where(Participant.organisation_id == user.organisation_id,
                   Contract.ended_on.is_(None),
                   in_my_teams(user)))


@cache
def _one_participant(role: str) -> tuple[Select, bool]:
    """`get_participant_or_404`'s statement for a role, built once with the user, organisation
    and participant as parameters: building the scope per request (and its cache key, every
    execution) cost more than running it. With the roles that have direct assignment, whether
    the user is directly assigned comes along as a second column (then True)."""
    query = select(Participant).where(*_scope_criteria(role, _SCOPE_ORG, _SCOPE_USER),
                                      Participant.id == bindparam("pid"))
    assigned = _assigned_condition(role, _SCOPE_USER)
    return (query, False) if assigned is None else (query.add_columns(assigned), True)


def get_participant_or_404(participant_id: int, need: str = "identity",
                           audit_action: str | None = "read") -> Participant:
    """Return the participant if the current user may see `need` about them; else 404.

    A refusal is audited too (action "refused"), so the monthly log review shows who tried to
    open what they may not see."""
    user = current_user._get_current_object()  # noqa: SLF001 - the proxy once, not per use
    if not can(user, need):
        _refused(participant_id, need)
    params = {**scope_values(user), "pid": participant_id}
    statement, with_assigned = _one_participant(user.role)
    if not with_assigned:
        participant = db.session.scalar(statement, params)
    else:
        # Whether they are directly assigned comes along: a protected identity's pages ask it.
        participant, is_assigned = db.session.execute(statement, params).first() or (
            None, False)
        if participant is not None:
            g.setdefault("_assigned_to", {})[user.id, participant.id] = is_assigned
    if participant is None:
        _refused(participant_id, need)
    if audit_action:
        from .audit import record

        record(audit_action, participant_id=participant.id, object_type=need)
    return participant


def org_object_or_404(model, object_id: int | None, kind: str):
    """A row of `model` (it has `organisation_id`) in the current user's organisation. Another
    organisation's row "does not exist" here: 404, and the attempt is audited like `_refused`."""
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None or obj.organisation_id != current_user.organisation_id:
        _refused_object(kind, object_id)
    return obj


def team_or_404(team_id: int) -> Team:
    """A team of the current user's organisation (another organisation's team: 404)."""
    return org_object_or_404(Team, team_id, "team")


def org_user_or_404(user_id: int) -> User:
    """A login of the current user's organisation (the admin's pages about one user)."""
    return org_object_or_404(User, user_id, "user")


def contact_or_404(contact_id: int) -> OpenSupportContact:
    """An open-support contact of the current user's organisation that is still shown."""
    contact = org_object_or_404(OpenSupportContact, contact_id, "open_support_contact")
    if not contact.active:  # hidden contacts are kept for the log, not edited
        abort(404)
    return contact


def audit_event_or_404(event_id: int) -> AuditEvent:
    """An audit event of the current user's organisation: written by one of its users, or about
    one of its participants (the admin's log review)."""
    event = db.session.get(AuditEvent, event_id)
    org_id = current_user.organisation_id
    in_org = event is not None and (
        (event.user is not None and event.user.organisation_id == org_id)
        or (event.participant_id is not None and db.session.scalar(select(Participant.id).where(
            Participant.id == event.participant_id, Participant.organisation_id == org_id))))
    if not in_org:
        _refused_object("audit_event", event_id)
    return event


def _refused_object(kind: str, object_id) -> NoReturn:
    from .audit import record

    # No object id in the row: the log must not point into another organisation.
    record("refused", object_type=kind, detail=f"{kind} {object_id} finns inte")
    abort(404)


def _refused(participant_id: int, need: str):
    from .audit import record

    # Another organisation's participant "does not exist" here: its log must not point there.
    exists = db.session.scalar(select(Participant.id).where(
        Participant.id == participant_id,
        Participant.organisation_id == current_user.organisation_id))
    record("refused", participant_id=exists, object_type=need,
           detail="" if exists else f"deltagare {participant_id} finns inte")
    abort(404)


# A child without a participant_id of its own belongs to the participant of its parent.
_PARENT: dict[type, str] = {
    Goal: "plan",
    Step: "goal",
    Showing: "offer",
    JointAction: "meeting",
    ChecklistAnswer: "submission",
}


def _owner_id(obj) -> int:
    while type(obj) in _PARENT:
        obj = getattr(obj, _PARENT[type(obj)])
    return obj.participant_id


def child_or_404(model, object_id: int, need: str = "tenancy", audit_action: str | None = "read",
                 *, of: Participant | None = None, options: Iterable = ()):
    """An object that belongs to a participant (its `participant_id`, or its parent's), if the
    current user may see `need` about that participant; else 404 (a refusal audited as in
    `get_participant_or_404`).

    `of`: the participant the URL names, already returned by `get_participant_or_404` (which
    checked the need and audited the read): the object must be theirs, else 404, so another
    participant's object answers like one that does not exist. `options`: loader options."""
    obj = db.session.get(model, object_id, options=options)
    if obj is None:
        abort(404)
    owner = _owner_id(obj)
    if of is None:
        get_participant_or_404(owner, need=need, audit_action=audit_action)
    elif owner != of.id:
        abort(404)
    return obj


def my_apartments(user: User) -> Select:
    """The apartments a housing user administers (its housing teams')."""
    return select(Apartment).where(Apartment.organisation_id == user.organisation_id,
                                   Apartment.housing_team_id.in_(_team_ids(user.id)))


def apartment_or_404(apartment_id: int) -> Apartment:
    apartment = db.session.scalar(my_apartments(current_user).where(Apartment.id == apartment_id))
    if apartment is None:
        abort(404)
    return apartment


def own_participant() -> Participant:
    """The signed-in participant's own record (404 if the login is not linked to one)."""
    participant = db.session.scalar(visible_participants(current_user))
    if participant is None:
        abort(404)
    return participant


def forget_request_caches() -> None:
    """before_request: the caches below are per request. In production each request has its
    own `g`; a test or benchmark holding one app context shares it across requests."""
    g.pop("_assigned_ids", None)
    g.pop("_assigned_to", None)
    g.pop("_housing_teams", None)


def _directly_assigned(user: User):
    """The condition `directly_assigned_ids` stands for, on the participant of the query (None
    for roles without direct assignment)."""
    return _assigned_condition(user.role, user.id)


def _assigned_condition(role: str, user_id):
    """`_directly_assigned` for a role and user id (a value or a `bindparam()`)."""
    if role not in ("staff", "social_worker"):
        return None
    assigned = exists().where(StaffAssignment.participant_id == Participant.id,
                              StaffAssignment.user_id == user_id)
    if role == "social_worker":
        return or_(assigned, Participant.social_worker_id == user_id)
    return assigned


@cache
def assigned_flag(role: str):
    """`with_assignment`'s column for a statement built once (bound with `scope_values`):
    whether the user is directly assigned to the row's participant; None for roles without
    direct assignment. Hand each row's answer to `remember_assignments`."""
    condition = _assigned_condition(role, _SCOPE_USER)
    return None if condition is None else condition.label("_assigned")


def remember_assignments(user: User, pairs: Iterable[tuple[int, bool]]) -> None:
    """(participant id, directly assigned) read with `assigned_flag`: a protected identity
    among them is masked without asking again."""
    known, uid = g.setdefault("_assigned_to", {}), user.id
    for participant_id, assigned in pairs:
        known[uid, participant_id] = bool(assigned)


def with_assignment(user: User, query) -> list:
    """The participants of `query`, each with whether `user` is directly assigned to them in the
    same statement, so masking a protected identity among them asks nothing more. A query of
    the entity gives objects; a query of columns (the first `Participant.id`) gives its rows
    (to index: a row's names are those of the query only without the added column)."""
    entity = query.column_descriptions[0]["expr"] is Participant and len(
        query.column_descriptions) == 1
    assigned = _directly_assigned(user)
    if assigned is None:
        return list(db.session.scalars(query) if entity else db.session.execute(query))
    known = g.setdefault("_assigned_to", {})
    uid, people = user.id, []
    for row in db.session.execute(query.add_columns(assigned.label("_assigned"))):
        known[uid, row[0] if not entity else row[0].id] = bool(row[-1])
        people.append(row[0] if entity else row[:-1])
    return people


def is_directly_assigned(user: User, participant_id: int) -> bool:
    """`participant_id in directly_assigned_ids(user)`, answered without a query for the
    participant a page opened with `get_participant_or_404`."""
    known = g.get("_assigned_to", {}).get((user.id, participant_id))
    if known is not None:
        return bool(known)
    return participant_id in directly_assigned_ids(user)


def directly_assigned_ids(user: User) -> set[int]:
    """Participants this user is directly assigned to (cached per request)."""
    cache = g.setdefault("_assigned_ids", {})
    if user.id not in cache:
        query = select(StaffAssignment.participant_id).where(StaffAssignment.user_id == user.id)
        if user.role == "social_worker":  # and their own cases: one statement, not two
            query = query.union(
                select(Participant.id).where(Participant.social_worker_id == user.id))
        cache[user.id] = set(db.session.scalars(query))
    return cache[user.id]


def assignments_among(user_ids: Iterable[int], participant_ids: Iterable[int]) -> Select:
    """(user id, participant id) of the staff_assignments rows between these users and these
    participants: `directly_assigned_ids` for many users at once (the log review), as a query
    to combine with others. A social worker's own cases are not in it: they are the social
    worker's scope (`visible_participants`) already."""
    return select(StaffAssignment.user_id, StaffAssignment.participant_id).where(
        among(StaffAssignment.user_id, user_ids),
        among(StaffAssignment.participant_id, participant_ids))


def may_see_identity(user: User, participant: Participant) -> bool:
    """Protected identities are shown only to directly assigned people and themselves."""
    if not participant.protected_identity:
        return True
    if user.role == "participant":
        return participant.user_id == user.id
    return is_directly_assigned(user, participant.id)


def display_name(participant: Participant, user: User | None = None) -> str:
    user = user or current_user
    if may_see_identity(user, participant):
        return participant.full_name
    return participant.masked_name


class Named(NamedTuple):
    """What deciding the name shown reads of a participant (`display_name`), as plain columns
    (`NAME_COLUMNS`): lists of hundreds read these, not objects (~35 µs each)."""
    id: int
    user_id: int | None
    first_name: str
    last_name: str
    pseudonym: str
    protected_identity: bool

    # The model's own wording of both names, not a copy of it.
    full_name = Participant.full_name
    masked_name = Participant.masked_name


NAME_COLUMNS = tuple(getattr(Participant, name) for name in Named._fields)


def named_with(typename: str, **more: type) -> type:
    """A row type with Named's fields, then `more` (rows read with a few columns besides the
    name's, e.g. Idag's phone): the same fields and wording, not a copy of them."""
    row = NamedTuple(typename, [*Named.__annotations__.items(), *more.items()])
    row.full_name = Named.full_name
    row.masked_name = Named.masked_name
    return row
_FIRST, _LAST, _PROTECTED = (Named._fields.index(name)
                             for name in ("first_name", "last_name", "protected_identity"))


def display_names(rows, user: User | None = None) -> dict[int, str]:
    """Rows that start with NAME_COLUMNS -> {participant id: the name `user` may see}, in the
    rows' order. Rows of `with_assignment` ask nothing more for a protected identity."""
    user = user or current_user
    user = getattr(user, "_get_current_object", lambda: user)()  # the proxy once, not per row
    size, names = len(NAME_COLUMNS), {}
    for row in rows:
        # Only a protected identity asks who may see it (`may_see_identity`); any other row is
        # named from its columns (a caseload of 1,000 is named per view of its list).
        if row[_PROTECTED]:
            names[row[0]] = display_name(Named._make(row[:size]), user)
        else:
            names[row[0]] = full_name_of(row[_FIRST], row[_LAST])
    return names


def assigned_sql(user: User):
    """`is_directly_assigned(user, participant)` as an SQL expression over Participant, to
    read with a list (then `remember_assignments`): a protected identity on the page then asks
    nothing more. (None for a participant's own login.)"""
    if user.role == "participant":
        return None
    return _directly_assigned(user) if user.role in ("staff", "social_worker") else exists(
        ).where(StaffAssignment.participant_id == Participant.id,
                StaffAssignment.user_id == user.id).correlate(Participant)


def display_name_sql(user: User):
    """`display_name(participant, user)` as an SQL expression over Participant, to order a
    list by it in the database: the full name, or the masked name of a protected identity the
    user may not see (`may_see_identity`: directly assigned, or the participant themself)."""
    full = Participant.first_name + " " + Participant.last_name
    masked = func.coalesce(func.nullif(Participant.pseudonym, ""),
                           "Skyddad #" + cast(Participant.id, String))
    if user.role == "participant":
        seen = Participant.user_id == user.id
    else:
        seen = exists().where(StaffAssignment.participant_id == Participant.id,
                              StaffAssignment.user_id == user.id).correlate(Participant)
        if user.role == "social_worker":  # their own cases count as assigned
            seen = or_(seen, Participant.social_worker_id == user.id)
    return case((or_(Participant.protected_identity.is_(False), seen), full), else_=masked)


def display_address(participant: Participant, address: str, user: User | None = None,
                    apartment: Apartment | None = None) -> str:
    """The address, or "Adress skyddad" for a protected identity or a protected address when
    the user is not directly assigned (or the participant themself)."""
    user = user or current_user
    if not may_see_identity(user, participant):
        return "Adress skyddad"
    if apartment is not None and apartment.protected_address and not (
            is_directly_assigned(user, participant.id)
            or (user.role == "participant" and participant.user_id == user.id)):
        return "Adress skyddad"
    return address


def apartment_address(apartment: Apartment, user: User | None = None) -> str:
    """An apartment's address in lists without a tenant: masked when the address is
    protected (only housing administration, who owns the apartment, sees it)."""
    user = user or current_user
    if apartment.protected_address and user.role != "housing":
        return "Adress skyddad"
    return apartment.address
