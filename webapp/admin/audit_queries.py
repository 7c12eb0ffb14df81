"""What the audit pages read: the filtered log, a month's access events for the log review,
the workers' caseloads those events are checked against, and the month's review state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from flask_login import current_user
from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from ..access import (
    NAME_COLUMNS,
    assigned_sql,
    assignments_among,
    display_name_sql,
    display_names,
    remember_assignments,
    visible_participants,
)
from ..domain.log_review import AccessEvent, flag_events, is_caseload_read, sample_events
from ..extensions import db
from ..models import AuditEvent, AuditReview, Participant, User
from ..queries import among, among_param, among_value, dialect_name, run
from ..timeutil import month_key, to_local, to_utc

SAMPLE_SIZE = 20
# SQLite allows 500 terms in one compound SELECT; caseloads are read in chunks below that.
UNION_CHUNK = 400
HOUR = timedelta(hours=1)


def local_range_utc(start: date | None, end: date | None) -> tuple[datetime | None,
                                                                  datetime | None]:
    """Local dates (end inclusive) -> the UTC interval [from, to)."""
    lo = to_utc(datetime.combine(start, datetime.min.time())) if start else None
    hi = to_utc(datetime.combine(end + timedelta(days=1), datetime.min.time())) if end else None
    return lo, hi


def _filter_values(organisation_id: int, user_id=None, participant_id=None, start=None,
                   end=None) -> tuple[tuple[bool, ...], dict]:
    """The filter as the shape of its statement (which filters are set) and their values."""
    lo, hi = local_range_utc(start, end)
    values = {"org": organisation_id, "user_id": user_id or None,
              "participant_id": participant_id or None, "lo": lo, "hi": hi}
    shape = tuple(values[name] is not None for name in ("user_id", "participant_id", "lo", "hi"))
    return shape, {name: value for name, value in values.items() if value is not None}


def _audit_where(shape: tuple[bool, ...]) -> list:
    """The filter of that shape with its values as parameters (`_filter_values`)."""
    by_user, by_participant, since, until = shape
    org = bindparam("org", type_=Integer)
    org_users = select(User.id).where(User.organisation_id == org)
    org_people = select(Participant.id).where(Participant.organisation_id == org)
    where = [AuditEvent.user_id.in_(org_users) | AuditEvent.participant_id.in_(org_people)]
    if by_user:
        where.append(AuditEvent.user_id == bindparam("user_id", type_=Integer))
    if by_participant:
        where.append(AuditEvent.participant_id == bindparam("participant_id", type_=Integer))
    if since:
        where.append(AuditEvent.at >= bindparam("lo", type_=AuditEvent.at.type))
    if until:
        where.append(AuditEvent.at < bindparam("hi", type_=AuditEvent.at.type))
    return where


# The log as rows (the page shows a hundred, the CSV up to 100,000): columns and the actor's
# names in the same statement, no ORM object and no lazy load of its user per row.
LOG_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.user_id, AuditEvent.role,
               AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
               AuditEvent.participant_id, AuditEvent.path, AuditEvent.ip,
               User.display_name.label("user_name"), User.username.label("username"))


class _Viewer(NamedTuple):
    """What `display_name_sql` and `assigned_sql` read of the user the names are for: the id
    as a parameter, so one statement serves every user of the role."""
    id: object
    role: str


VIEWER = bindparam("viewer", type_=Integer)


# The log's statements are built once per filter shape (and the viewer's role), with the
# organisation, filters, viewer and page as parameters: building them per view cost more
# than running them.
@cache
def _log_statement(shape: tuple[bool, ...], role: str | None) -> Select:
    query = select(*LOG_COLUMNS).outerjoin(User, AuditEvent.user_id == User.id)
    if role is not None:
        viewer = _Viewer(VIEWER, role)
        query = (query.add_columns(display_name_sql(viewer).label("participant_name"))
                 .outerjoin(Participant, AuditEvent.participant_id == Participant.id))
    return (query.where(*_audit_where(shape))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)))


def audit_events(organisation_id: int, user_id=None, participant_id=None, start=None,
                 end=None, *, limit: int, offset: int = 0, named_for=None):
    """The filtered log, newest first, as LOG_COLUMNS rows; with `named_for` (a user) also
    `participant_name`, the name of the participant an event is about as that user may see
    it (None: no participant), worked out in the same statement."""
    shape, values = _filter_values(organisation_id, user_id, participant_id, start, end)
    values |= {"limit": limit, "offset": offset}
    if named_for is not None:
        values["viewer"] = named_for.id
    return db.session.execute(
        _log_statement(shape, named_for.role if named_for is not None else None), values)


@cache
def _user_options_statement() -> Select:
    return (select(User.id, User.display_name + " (" + User.username + ")")
            .where(User.organisation_id == bindparam("org", type_=Integer))
            .order_by(User.display_name))


def user_options(organisation_id: int, everyone: str) -> tuple[tuple, ...]:
    """("", `everyone`) and (id, "name (username)") of the organisation's users by name: the
    log filter's person select (form_fields.KeptIdSelect)."""
    rows = db.session.execute(_user_options_statement(), {"org": organisation_id})
    return (("", everyone), *map(tuple, rows))


@cache
def _count_statement(shape: tuple[bool, ...], capped: bool) -> Select:
    where = _audit_where(shape)
    if not capped:
        return select(func.count(AuditEvent.id)).where(*where)
    shown = select(AuditEvent.id).where(*where).limit(bindparam("most", type_=Integer))
    return select(func.count()).select_from(shown.subquery())


def audit_count(organisation_id: int, user_id=None, participant_id=None, start=None,
                end=None, cap: int | None = None) -> int:
    """How many events the filter shows; with `cap`, counted no further than cap + 1 (the log
    only grows: counting all of it on every view would too)."""
    shape, values = _filter_values(organisation_id, user_id, participant_id, start, end)
    if cap is not None:
        values["most"] = cap + 1
    return db.session.scalar(_count_statement(shape, cap is not None), values)


def participant_names(events, known: dict[int, str] | None = None) -> dict[int, str]:
    """The names (as the admin may see them) of the participants the events are about;
    `known`: names already read (the filter's list), so only the others are asked for."""
    known = known or {}
    ids = {e.participant_id for e in events if e.participant_id} - set(known)
    names = {pid: known[pid] for pid in {e.participant_id for e in events} if pid in known}
    if ids:
        names |= display_names(db.session.execute(
            select(*NAME_COLUMNS).where(Participant.id.in_(ids))))
    return names


PARTICIPANT_MATCHES = 20  # a search naming more asks for more of the name


def find_participants(organisation_id: int, text: str) -> dict[int, str]:
    """The organisation's participants the admin's search names, as {id: name the admin may
    see}: the number (id), or a part of the name as shown. A protected identity is found by
    its shown (masked) name only, never by the name it hides."""
    text = text.strip()
    if text.isdigit():
        where = [Participant.id == int(text)] if len(text) < 10 else [false()]
    else:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = [or_((Participant.first_name + " " + Participant.last_name).ilike(
            pattern, escape="\\"), Participant.pseudonym.ilike(pattern, escape="\\"))]
    names = display_names(db.session.execute(
        select(*NAME_COLUMNS).where(Participant.organisation_id == organisation_id, *where)
        .order_by(Participant.last_name, Participant.first_name, Participant.id)
        .limit(4 * PARTICIPANT_MATCHES)))
    if not text.isdigit():
        folded = text.casefold()
        names = {pid: name for pid, name in names.items() if folded in name.casefold()}
    return dict(list(names.items())[:PARTICIPANT_MATCHES + 1])


@cache
def _shown(dialect: str, role: str) -> Select:
    """`shown_events`' statement, built once per database and viewer's role: with whether the
    viewer is directly assigned to the event's participant (`access.assigned_sql`), so a
    protected identity among them is named without asking again."""
    named = tuple(column.label(f"named_{column.key}") for column in NAME_COLUMNS)
    assigned = assigned_sql(_Viewer(VIEWER, role))
    return (select(*LOG_COLUMNS, *named, *(() if assigned is None else (assigned,)))
            .outerjoin(User, AuditEvent.user_id == User.id)
            .outerjoin(Participant, AuditEvent.participant_id == Participant.id)
            .where(among_param(AuditEvent.id, "ids", dialect)))


def shown_events(event_ids: list[int]) -> tuple[dict, dict[int, str]]:
    """The log review's shown events as LOG_COLUMNS rows by id, and the names (as the admin
    may see them) of the participants they are about, in one statement."""
    if not event_ids:
        return {}, {}
    user = current_user._get_current_object()
    dialect = dialect_name()
    statement = _shown(dialect, user.role)
    rows = run(statement, {"ids": among_value(event_ids, dialect), "viewer": user.id}).all()
    size = len(LOG_COLUMNS)
    if len(statement.selected_columns) > size + len(NAME_COLUMNS):  # the assigned flag
        remember_assignments(user, [(row[size], row[-1]) for row in rows
                                    if row[size] is not None])
    names = display_names((row[size:] for row in rows if row[size] is not None), user)
    return {row.id: row for row in rows}, names


def month_bounds_utc(month: date) -> tuple[datetime, datetime]:
    """The local calendar month starting on `month` as the UTC interval [from, to)."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return local_range_utc(month, next_month - timedelta(days=1))


# The parameters of the review's statements, built once per process (`month_values`).
REVIEW_ORG = bindparam("review_org", type_=Integer)
MONTH_FROM = bindparam("month_from", type_=DateTime)
MONTH_TO = bindparam("month_to", type_=DateTime)


@cache
def month_where() -> tuple:
    """The month's review events: every event about a participant of the organisation in the
    local calendar month (a phone's offline prefetch left out: not someone reading a file).
    Built once, with the organisation and month as parameters (`month_values`)."""
    return (*review_events_where(), *month_range(AuditEvent.at))


def review_events_where() -> tuple:
    """`month_where` but the month: the organisation's review events of any time."""
    org_people = select(Participant.id).where(Participant.organisation_id == REVIEW_ORG)
    org_users = select(User.id).where(User.organisation_id == REVIEW_ORG)
    # Refusals count even when the id named nobody (or someone in another organisation).
    return (or_(AuditEvent.participant_id.in_(org_people),
                (AuditEvent.action == "refused") & AuditEvent.user_id.in_(org_users)),
            AuditEvent.action != "prefetch")


def month_range(at) -> tuple:
    """`at` (an event's UTC time, or a column holding one) within the month."""
    return at >= MONTH_FROM, at < MONTH_TO


def month_values(organisation_id: int, month: date) -> dict:
    """The parameters of `month_where` for this organisation and month."""
    lo, hi = month_bounds_utc(month)
    return {"review_org": organisation_id, "month_from": lo, "month_to": hi}


ACCESS_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.user_id, AuditEvent.role,
                  AuditEvent.action, AuditEvent.participant_id)


def access_events(rows) -> list[AccessEvent]:
    """(ACCESS_COLUMNS) rows -> AccessEvents in local wall-clock time."""
    # The UTC offset once per UTC hour, not a time-zone conversion per event (a month holds
    # thousands); an hour whose offset changes (a daylight-saving switch) converts each event.
    offsets: dict[datetime, timedelta | None] = {}
    events = []
    for event_id, at, user_id, role, action, participant_id in rows:
        hour = at.replace(minute=0, second=0, microsecond=0)
        if hour not in offsets:
            first, last = (to_local(when).utcoffset() for when in (hour, hour + HOUR))
            offsets[hour] = first if first == last else None
        offset = offsets[hour]
        local = at + offset if offset is not None else to_local(at).replace(tzinfo=None)
        events.append(AccessEvent(event_id, local, user_id, role, action, participant_id))
    return events


@cache
def _month_events() -> Select:
    return select(*ACCESS_COLUMNS).where(*month_where())


def month_access_events(organisation_id: int, month: date) -> list[AccessEvent]:
    """Every review event of the month (`month_where`)."""
    # Plain rows on the session's connection: thousands, and no ORM entity among them.
    return access_events(run(_month_events(), month_values(organisation_id, month)))


def caseloads(events: list[AccessEvent]) -> dict[int, set[int]]:
    """Per worker: which of the participants they read are in their scope now or directly
    assigned to them (`caseloads_of` the events' caseload reads)."""
    read: dict[int, set[int]] = {}
    for event in events:
        if is_caseload_read(event):
            read.setdefault(event.user_id, set()).add(event.participant_id)
    return caseloads_of(read)


def caseloads_of(read: dict[int, set[int]]) -> dict[int, set[int]]:
    """Per worker (`read`: worker -> the participants they read): which of those are in their
    scope now or directly assigned to them. Only what they read is asked for, in one statement
    per chunk of workers, so the review costs the same however large the caseloads are and
    however many workers read something."""
    users = list(db.session.scalars(select(User).where(User.id.in_(read)))) if read else []
    result: dict[int, set[int]] = {user.id: set() for user in users}
    for start in range(0, len(users), UNION_CHUNK):
        chunk = users[start:start + UNION_CHUNK]
        scopes = [visible_participants(user).where(among(Participant.id, read[user.id]))
                  .with_only_columns(literal(user.id).label("user_id"), Participant.id)
                  for user in chunk]
        # Direct assignments for the whole chunk in the same statement, not one per worker.
        scopes.append(assignments_among([user.id for user in chunk],
                                        set().union(*(read[user.id] for user in chunk))))
        for user_id, participant_id in db.session.execute(union_all(*scopes)):
            if participant_id in read[user_id]:
                result[user_id].add(participant_id)
    return result


@dataclass(frozen=True)
class MonthReview:
    total: int  # the month's access events (background fetches left out)
    flags: dict[int, list[str]]
    flagged: list[AccessEvent]  # in time order
    sample: list[AccessEvent]  # a stable random sample of the rest


def month_review_of_events(organisation_id: int, month: date) -> MonthReview:
    """The month's review worked out from all of its events (the stored review,
    webapp/admin/audit_review_store.py, gives the same from what it keeps)."""
    events = month_access_events(organisation_id, month)
    flags = flag_events(events, caseloads(events))
    unflagged = [e for e in events if e.id not in flags and e.user_id is not None]
    sample = sample_events(unflagged, SAMPLE_SIZE, seed=month_key(month))
    flagged = sorted((e for e in events if e.id in flags), key=lambda e: (e.at_local, e.id))
    return MonthReview(len(events), flags, flagged, sample)


class Signoff(NamedTuple):
    at: datetime
    user_name: str


@cache
def _signoff() -> Select:
    return (select(AuditEvent.at, User.display_name.label("user_name"))
            .join(User, AuditEvent.user_id == User.id)
            .where(AuditEvent.action == "signoff", AuditEvent.object_type == "audit_review",
                   AuditEvent.detail == bindparam("detail", type_=String),
                   User.organisation_id == REVIEW_ORG)
            .order_by(AuditEvent.at.desc()).limit(1))


def signoff(organisation_id: int, month: date) -> Signoff | None:
    """The month's sign-off (its time and signer's name), or None: an audit event itself
    (the log keeps it, append-only)."""
    row = run(_signoff(), {"detail": month_key(month), "review_org": organisation_id}).first()
    return None if row is None else Signoff(*row)


@cache
def _marks(dialect: str) -> CompoundSelect:
    """`review_marks`' statement, built once per database: the events' marks ("m"), and the
    month's sign-off ("s": time and signer in reviewed_at and reviewer)."""
    marks = (select(literal("m").label("kind"), AuditReview.audit_event_id,
                    AuditReview.reviewed_at, AuditReview.reviewed_by_id, AuditReview.comment,
                    User.display_name.label("reviewer"), AuditReview.id.label("mark_id"))
             .join(User, User.id == AuditReview.reviewed_by_id)
             .where(among_param(AuditReview.audit_event_id, "ids", dialect)))
    signed = _signoff().subquery()
    none = null()
    both = union_all(marks, select(literal("s"), cast(none, Integer), signed.c.at,
                                   cast(none, Integer), cast(none, Text), signed.c.user_name,
                                   cast(none, Integer)))
    columns = both.selected_columns
    return both.order_by(columns.kind, columns.reviewed_at, columns.mark_id)


def review_marks(event_ids, organisation_id: int, month: date
                 ) -> tuple[dict[int, list], dict[int, str], Signoff | None]:
    """The review marks of these events (reviewed_at, reviewed_by_id, comment), oldest first,
    their reviewers' names, and the month's sign-off (`signoff`), in one statement."""
    reviews: dict[int, list] = {}
    reviewers: dict[int, str] = {}
    signed = None
    dialect = dialect_name()
    for mark in run(_marks(dialect), {"ids": among_value(event_ids, dialect),
                                      "detail": month_key(month),
                                      "review_org": organisation_id}):
        if mark.kind == "s":
            signed = Signoff(mark.reviewed_at, mark.reviewer)
        else:
            reviews.setdefault(mark.audit_event_id, []).append(mark)
            reviewers[mark.reviewed_by_id] = mark.reviewer
    return reviews, reviewers, signed
