"""Housing administration: overview, notices, tenancy counters, logging disturbances.

Housing sees only its apartments' tenants (`visible_participants`) and, about them, never plans,
visit notes, absence reasons or health: queries here select the columns housing may see.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from ..access import (
    assigned_sql,
    child_or_404,
    display_address,
    display_name,
    display_name_sql,
    housing_participants,
    housing_team_ids,
    remember_assignments,
)
from ..audit import record, record_list
from ..domain.disturbances import contacted_in_time, is_overdue
from ..domain.tenancy import TenancyStatus
from ..domain.tenancy_life import Eligibility, transfer_eligibility
from ..extensions import db
from ..form_fields import id_choices
from ..inputs import page_of
from ..models import (
    SEVERITIES,
    Absence,
    Apartment,
    Contract,
    Disturbance,
    HousingNotice,
    Participant,
    User,
    utcnow,
)
from ..models.participants import full_name_of
from ..queries import (
    IdArray,
    among_param,
    among_value,
    current_contracts,
    tenancy_for,
)
from ..rendering import render
from ..timeutil import local_day_bounds_utc, local_today, to_utc, tz
from . import bp
from .checklist_routes import (
    inbox_count_columns,
    inbox_counts,
    month_counts,
    with_tenancies,
)
from .facts_store import FACT_COLUMNS, complete, visit_periods, with_facts
from .forms import DisturbanceForm
from .statements import built_once, run, written_once
from .summaries import generation_of, store_all, stored, stored_rows
from .summaries import store as store_summary
from .summaries import summary as summary_row
from .tenants import TENANT_COLUMNS, Tenant

RECENT_DAYS = 90


def _scope() -> list[Tenant]:
    return [Tenant._make(row) for row in db.session.connection().execute(built_once(
        "scope", None, lambda: housing_participants(current_user).with_only_columns(
            *TENANT_COLUMNS).order_by(Participant.last_name, Participant.first_name))).all()]


def _scope_with_facts(day):
    """The participants housing sees as (id, phase, apartment id, move-in) with their stored
    facts (facts_store), one row per tenancy of the checklist inbox (`with_tenancies`), read
    in one statement: the scope's tests cost a few ms each time the database evaluates them."""
    return with_facts(with_tenancies(
        housing_participants(current_user).with_only_columns(Participant.id, Participant.phase)),
        day)


def _all_ids(column):
    """Every distinct value of `column` as one value: the array's text (PostgreSQL; passed on
    as it is, `queries.IdArray`), text (SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.array_agg(distinct(column)), Text)
    return func.group_concat(distinct(column))


def _overview_statement(day):
    """`_overview`'s statement for the signed-in user and `day` (`written_once`)."""
    return written_once("overview", day, lambda: _build_overview(day))


def _build_overview(day) -> Select:
    rows = _scope_with_facts(day).subquery()
    c = rows.c
    fas_2 = c.phase == 2

    def people(condition):  # participants, not tenancy rows: one may have two tenancies
        return func.count(distinct(case((condition, c.id))))

    return select(
        (func.count() - func.count(case((c.facts_valid, 1)))).label("stale"),
        *inbox_count_columns(rows, day), people(fas_2).label("fas_2"),
        people(and_(fas_2, c.visits_met)).label("met"),
        people(and_(fas_2, c.visits_met_before)).label("met_before"),
        _all_ids(c.id).label("ids"),
        # Read by the same statement as the facts: a write committed after it counts the
        # generation up, and the summary stored with this one is stale (summaries.py).
        generation_of(literal(current_user.organisation_id)).label("generation"))


_COUNTED = ("submitted", "missing", "fas_2", "met", "met_before")


def _summary_key(page: str = "home") -> str:
    """The key of a stored summary of the home (`page`: "home", the overview; "lists", the
    lists' windows): a housing user's scope is their organisation's tenants of their teams'
    apartments (`housing_participants`), the same for each user of those teams."""
    user = current_user._get_current_object()  # noqa: SLF001 - the proxy once
    who = (f"t{','.join(map(str, housing_team_ids(user)))}" if user.role == "housing"
           else f"u{user.id}")
    return f"{page}:{user.organisation_id}:{who}"


class Overview(NamedTuple):
    ids: list[int] | IdArray  # in scope
    checklists: dict
    visit_counts: list[dict]
    generation: int | None  # the housing generation the ids are of (None: not known)
    lists: object | None  # the lists' stored summary (`_home_lists`), if valid
    unstored: list[dict]  # summaries worked out, to store (`summaries.store_all`)


def _overview(org, day) -> Overview:
    """The ids in scope, the checklist counts, the visit counts, and the lists' stored
    summary. Usually the stored summaries of the user's scope for the day (summaries.py): one
    small statement. Otherwise one statement counts over the stored facts when all of them
    are valid (the scheduler works them out before the day's first view; a write makes its
    participant's stale until a view works them out again), and only the ids come back, not
    a row per tenant (1,000 rows cost ~5 ms to read and count); the result is stored as the
    summary. Otherwise the rows are read, the stale facts worked out and stored (`complete`)
    and counted here."""
    key, lists_key = _summary_key(), _summary_key("lists")
    found = {row.key: row for row in run(written_once("overview summary", day, lambda: (
        stored_rows((key, lists_key), current_user.organisation_id, day))))}
    summary, lists, unstored = found.get(key), found.get(lists_key), []
    if summary is not None:
        counted = SimpleNamespace(ids=summary.ids or None, generation=summary.generation,
                                  **json.loads(summary.counts))
    else:
        counted = run(_overview_statement(day)).one()
        if counted.stale:
            return Overview(*_overview_from_rows(org, day), None, lists, [])
        unstored.append(summary_row(
            key, current_user.organisation_id, day, counted.generation,
            {name: getattr(counted, name) for name in _COUNTED}, counted.ids or ""))
    if db.session.get_bind().dialect.name == "postgresql":
        ids = IdArray(counted.ids or "{}")
    else:
        ids = [int(i) for i in counted.ids.split(",")] if counted.ids else []
    return Overview(ids, month_counts(day, counted.submitted, counted.missing), _visit_counts(
        org, day, counted.fas_2, counted.met, counted.met_before), counted.generation, lists,
        unstored)


def _overview_from_rows(org, day) -> tuple[list[int], dict, list[dict]]:
    """`_overview` when some facts are stale: from the rows, the stale facts worked out."""
    in_scope = db.session.execute(_scope_with_facts(day)).all()
    phases = {row[0]: row[1] for row in in_scope}
    facts = complete(in_scope, org, day)
    phase_2 = [pid for pid, phase in phases.items() if phase == 2]
    checklists = inbox_counts(day, [(row[0], row[2], row[3]) for row in in_scope
                                    if row[2] is not None], facts)
    return list(phases), checklists, _visit_counts(
        org, day, len(phase_2), sum(1 for pid in phase_2 if facts[pid].visits_met),
        sum(1 for pid in phase_2 if facts[pid].visits_met_before))


def _visit_counts(org, day, fas_2: int, met: int, met_before: int) -> list[dict]:
    """Met / not met counts of the fas 2 tenants for this and last period: housing sees
    numbers, never notes. Whether each met the rule (the one Idag uses; Stockholm: any meeting
    counts) is a stored fact."""
    this_start, last_start = visit_periods(org, day)
    return [{"label": "Den här perioden", "start": this_start, "met": met,
             "not_met": fas_2 - met},
            {"label": "Förra perioden", "start": last_start, "met": met_before,
             "not_met": fas_2 - met_before}]


# The tenant of each row comes with it (labelled: the lists' own columns keep their names).
_TENANT_LABELLED = tuple(column.label(f"tenant_{column.key}") for column in TENANT_COLUMNS)


class Item(SimpleNamespace):
    """A row of the home's lists. Attributes, not a dict's keys: the template finds a key only
    after a failed attribute lookup (~1 µs each, a dozen a row)."""


class FollowUp(NamedTuple):
    done: bool
    in_time: bool


class Notice(NamedTuple):
    """What the home shows of a housing notice, as columns."""

    id: int
    kind: str
    occurred_on: datetime
    acknowledged_at: datetime | None


def _in_scope(column):
    """`column` among the scope's ids. On PostgreSQL the ids are written into the SQL text as
    it runs (`literal_execute`), not sent as a parameter: the text is then the same on each
    view of the scope, psycopg prepares it, and PostgreSQL plans it once (the array a constant
    it can hash), not on every view (~1.6 ms of planning with 1,000 ids); a new scope is a new
    text. The ids are integers from the database (`among_value`), never text typed in."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(bindparam("scope", type_=String(), literal_execute=True),
                                   ARRAY(Integer)))
    return among_param(column, "scope")


def _notices_statement(kept: bool = True) -> Select:
    """The notices' columns; `kept`: only the rows the list keeps (else for rows chosen by
    id, as `_lists_statement` does)."""
    rows = (select(HousingNotice.id, HousingNotice.kind, HousingNotice.occurred_on,
                   HousingNotice.acknowledged_at, Apartment.address, Apartment.protected_address,
                   HousingNotice.participant_id)
            .outerjoin(Apartment, Apartment.id == HousingNotice.apartment_id))
    if not kept:
        return rows
    return (rows.where(_in_scope(HousingNotice.participant_id))
            .where((HousingNotice.acknowledged_at.is_(None))
                   | (HousingNotice.occurred_on >= bindparam("notices_since"))))


def _notices_order(c) -> tuple:
    return c.acknowledged_at.is_not(None), c.occurred_on.desc(), c.id.desc()


def _notice_items(rows) -> list[Item]:
    return [Item(notice=Notice._make(row[:4]), participant=tenant,
                 apartment=Address(row[4], row[5]) if row[4] is not None else None)
            for row, tenant in rows]


def _follow_up(d, now) -> FollowUp:
    """The one-day rule as staff's Idag sees it (domain.disturbances): next working day."""
    if d.followed_up_at is None:
        return FollowUp(False, not is_overdue(d, now, tz()))
    return FollowUp(True, bool(contacted_in_time(d, tz())))


class Reported(NamedTuple):
    """What the home shows of a disturbance, as columns (`_disturbances_statement`'s)."""

    id: int
    participant_id: int
    occurred_on: date
    received_at: datetime
    severity: str
    source: str
    description: str
    followed_up_at: datetime | None
    letter_sent_at: datetime | None
    copy_received_at: datetime | None
    contacted_at: datetime | None
    by_housing: bool


def _disturbances_statement(kept: bool = True) -> Select:
    """As `_notices_statement`."""
    housing_users = select(User.id).where(User.role == "housing")
    rows = (select(Disturbance.id, Disturbance.participant_id, Disturbance.occurred_on,
                   Disturbance.received_at, Disturbance.severity, Disturbance.source,
                   Disturbance.description, Disturbance.followed_up_at,
                   Disturbance.letter_sent_at, Disturbance.copy_received_at,
                   Disturbance.contacted_at,
                   Disturbance.reported_by_id.in_(housing_users).label("by_housing")))
    if not kept:
        return rows
    return (rows.where(_in_scope(Disturbance.participant_id))
            .where((Disturbance.received_at >= bindparam("disturbances_since"))
                   | Disturbance.followed_up_at.is_(None)))


def _disturbances_order(c) -> tuple:
    return c.received_at.desc(), c.id.desc()


def _disturbance_items(rows, now) -> list[Item]:
    items = []
    for row, tenant in rows:
        d = Reported._make(row)
        items.append(Item(row=d, participant=tenant, follow_up=_follow_up(d, now),
                          # Decided by who wrote it, never by the `source` field: text written
                          # by support staff stays with them (whatever source they picked);
                          # housing sees its own words.
                          show_text=bool(d.by_housing)))
    return items


def _absences_statement(kept: bool = True) -> Select:
    """Dates only: the reason column is never selected for housing. `kept`: as
    `_notices_statement`."""
    rows = select(Absence.participant_id, Absence.start_date, Absence.end_date, Absence.id)
    if not kept:
        return rows
    return (rows.where(_in_scope(Absence.participant_id))
            .where(Absence.end_date.is_(None)
                   | (Absence.end_date >= bindparam("absences_since"))))


def _absences_order(c) -> tuple:
    return c.start_date.desc(), c.id.desc()


def _absence_items(rows) -> list[Item]:
    return [Item(participant=tenant, start=row[1], end=row[2]) for row, tenant in rows]


# The home's lists: (name, statement, order), in the order they come in `_lists`' statement.
_HOME_LISTS = (("notices", _notices_statement, _notices_order),
               ("disturbances", _disturbances_statement, _disturbances_order),
               ("absences", _absences_statement, _absences_order))
_LISTS: dict[tuple, tuple[Select, list[slice]]] = {}


def _lists_statement(whole: str | None) -> tuple[Select, list[slice]]:
    """`_lists`' statement, built once per process, list shown whole and database kind
    (building the three lists' took ~900 calls each a view), and where each list's own
    columns are in its rows.

    Each list is HOME_ROWS rows unless shown whole, in its order (ordered down to the id:
    the first rows are the same whichever plan the database picks), with its count alongside
    (a window over the rows the WHERE keeps, worked out before the LIMIT, over the ids and
    sort keys only: the rows' other columns are read for the rows kept). The three come in
    one statement, one round trip: each list's columns have places of their own in the
    rows, empty in the other lists' rows. The tenant's columns are joined to the rows shown
    (after the LIMIT: joined before it, all 1,000 disturbances were, 0.3 ms)."""
    key = (whole, db.session.get_bind().dialect.name)
    built = _LISTS.get(key)
    if built is not None:
        return built
    lists = []
    for name, build, order in _HOME_LISTS:
        rows = build()
        c = rows.selected_columns
        # Counted, sorted and cut down to the rows shown as ids and sort keys only; the wide
        # columns (texts, the housing-wrote-it test) read for those rows alone, not for all
        # 1,000 disturbances the count and the sort went through.
        keys = rows.with_only_columns(c.id.label("key"), func.count().over().label("listed"))
        keys = keys.order_by(*order(c))
        if name != whole:  # written in: planned for 20 rows (looked up by id), not a guess
            keys = keys.limit(bindparam("rows", HOME_ROWS, Integer, literal_execute=True))
        keys = keys.subquery()
        rows = build(kept=False)
        rows = rows.add_columns(keys.c.listed).join(keys, keys.c.key == rows.selected_columns.id)
        lists.append((rows.subquery(), order))
    places = _places([len(rows.c) - 1 for rows, _order in lists])  # without `listed`
    branches = []
    own = [list(rows.c)[:-1] for rows, _order in lists]  # without `listed`
    for number, (rows, order) in enumerate(lists):
        branches.append(select(
            literal(number).label("list"), rows.c.participant_id.label("tenant"),
            rows.c.listed,
            # Its place in its list: numbered over the rows kept (HOME_ROWS at most).
            func.row_number().over(order_by=order(rows.c)).label("place"),
            *_padded(number, own)))
    union = union_all(*branches).subquery()
    statement = (select(union, *_TENANT_LABELLED)
                 .join(Participant, Participant.id == union.c.tenant)
                 .order_by(union.c.list, union.c.place))
    _LISTS[key] = statement, places
    return statement, places


def _padded(number: int, columns: list[list]) -> list:
    """The columns of list `number` (`columns`: each list's own) in their places of a row of
    the three lists, NULL in the other lists' places."""
    padded = []
    for other, own in enumerate(columns):
        for index, column in enumerate(own):
            value = column if other == number else cast(null(), column.type)
            padded.append(value.label(f"list_{other}_{index}"))
    return padded


def _places(widths: list[int]) -> list[slice]:
    """Where each list's own columns are in a row of `_padded` columns."""
    places, start = [], 0
    for width in widths:
        places.append(slice(start, start + width))
        start += width
    return places


def _windows(now: datetime) -> dict:
    """The parameters of the lists' windows at `now` (RECENT_DAYS back)."""
    since = now - timedelta(days=RECENT_DAYS)
    return {"notices_since": since, "disturbances_since": since,
            "absences_since": local_today() - timedelta(days=RECENT_DAYS)}


def _lists(scope, whole: str | None, now: datetime) -> tuple[dict[str, list], dict[str, int]]:
    """The home's lists of Items (notices, disturbances, absences) and how many rows each
    has, in one statement (`_lists_statement`)."""
    statement, places = _lists_statement(whole)
    rows = db.session.connection().execute(statement, {
        "scope": among_value(scope), **_windows(now)}).all()
    size = len(_TENANT_LABELLED)
    per_list: list[list] = [[] for _list in _HOME_LISTS]
    totals = {name: 0 for name, _build, _order in _HOME_LISTS}
    for row in rows:
        number = row[0]
        per_list[number].append((row[4:][places[number]], Tenant._make(row[-size:])))
        totals[_HOME_LISTS[number][0]] = row[2]
    return _items(per_list, now), totals


def _items(per_list: list[list], now: datetime) -> dict[str, list]:
    notices, disturbances, absences = per_list
    return {"notices": _notice_items(notices),
            "disturbances": _disturbance_items(disturbances, now),
            "absences": _absence_items(absences)}


# --- the lists' windows stored per day ---------------------------------------------------------
#
# A list's rows and count change with the writes of its rows and of the scope (each counts the
# housing generation up: summaries.py) and with time alone: a notice acknowledged, or a
# disturbance followed up, leaves its list RECENT_DAYS after it occurred (was received); an
# absence that ended, on a new day. So what a list keeps at a moment of the day is stored
# (under the "lists" key, for the scope, day and generation), with the rows that can leave it
# before the day ends and when they do, and each view of the day takes those out as their
# time comes, and reads the rows it shows by id: not every row of the scope on each view.

# Per list that rows leave during the day: (the column that keeps a row while NULL, the
# column whose age takes it out).
_LEAVING = {"notices": ("acknowledged_at", "occurred_on"),
            "disturbances": ("followed_up_at", "received_at")}
_STORED: dict[str, Select] = {}


def _window_statement() -> Select:
    """What each list keeps at a moment (the "scope" and `_windows` parameters, and when the
    day ends as "<list>_until", RECENT_DAYS back): per row kept in the first HOME_ROWS plus
    as many as can leave the list before the day ends, and every row that can, in the list's
    order: (list, id, how many the list keeps, whether it can leave, the time that takes it
    out), and a last row (list 3) with the housing generation read with them. Ids and sort
    keys only. Built once per database kind."""
    dialect = db.session.get_bind().dialect.name
    statement = _STORED.get(dialect)
    if statement is not None:
        return statement
    branches = []
    for number, (name, build, order) in enumerate(_HOME_LISTS):
        rows = build()
        c = rows.selected_columns
        if name in _LEAVING:
            kept_while_null, aged = (c[column] for column in _LEAVING[name])
            leaving, at = and_(kept_while_null.is_not(None),
                               aged < bindparam(f"{name}_until")), aged
        else:  # kept or not all day
            leaving, at = literal(False), cast(null(), DateTime)
        ranked = rows.with_only_columns(
            c.id.label("key"), func.row_number().over(order_by=order(c)).label("place"),
            func.count().over().label("listed"), leaving.label("leaving"), at.label("at"),
            func.count(case((leaving, 1))).over().label("leaving_count")).subquery()
        r = ranked.c
        branches.append(
            select(literal(number).label("list"), r.key, r.listed, r.leaving, r.at, r.place)
            .where(or_(r.leaving, r.place <= HOME_ROWS + r.leaving_count)))
    branches.append(select(
        literal(len(_HOME_LISTS)), cast(null(), Integer),
        generation_of(bindparam("organisation", type_=Integer)),
        literal(False), cast(null(), DateTime), literal(0)))
    union = union_all(*branches).subquery()
    statement = _STORED[dialect] = select(union).order_by(union.c.list, union.c.place)
    return statement


def _stored_lists(summary, now: datetime) -> dict | None:
    """The lists' stored windows if they hold at `now` (stored earlier this day), else None."""
    windows = json.loads(summary.counts)
    if not (datetime.fromisoformat(windows["from"]) <= now
            < datetime.fromisoformat(windows["until"])):
        return None
    return windows["lists"]


def _work_out_lists(scope, generation: int | None, now: datetime, day,
                    unstored: list[dict]) -> dict:
    """The lists' windows at `now` over `scope`, to store for the rest of the day (put in
    `unstored`) when read at the generation the scope is of (`generation`)."""
    until = local_day_bounds_utc(day)[1]
    ending = until - timedelta(days=RECENT_DAYS)
    rows = db.session.connection().execute(_window_statement(), {
        "scope": among_value(scope), **_windows(now), "notices_until": ending,
        "disturbances_until": ending, "organisation": current_user.organisation_id}).all()
    lists = {name: [0, [], []] for name, _build, _order in _HOME_LISTS}
    read = None
    for number, key, listed, leaving, at, _place in rows:
        if number == len(_HOME_LISTS):
            read = listed  # the generation
            continue
        kept = lists[_HOME_LISTS[number][0]]
        kept[0] = listed
        kept[1].append(key)
        if leaving:
            kept[2].append([key, at.isoformat()])
    if generation is not None and read == generation:
        unstored.append(summary_row(
            _summary_key("lists"), current_user.organisation_id, day, generation,
            {"from": now.isoformat(), "until": until.isoformat(), "lists": lists}, ""))
    return lists


def _shown_statement() -> tuple[Select, list[slice]]:
    """The rows of the three lists whose ids are the parameters "ids_0", "ids_1", "ids_2"
    (`among_param`), with their tenants: (list, id, tenant id, the lists' columns as
    `_padded`, the tenant's). Built once per database kind."""
    dialect = db.session.get_bind().dialect.name
    key = f"shown {dialect}"
    built = _STORED.get(key)
    if built is not None:
        return built
    lists = [build(kept=False) for _name, build, _order in _HOME_LISTS]
    own = [list(rows.selected_columns) for rows in lists]
    branches = [rows.with_only_columns(
        literal(number).label("list"), rows.selected_columns.id.label("key"),
        rows.selected_columns.participant_id.label("tenant"), *_padded(number, own))
        .where(among_param(rows.selected_columns.id, f"ids_{number}", dialect))
        for number, rows in enumerate(lists)]
    union = union_all(*branches).subquery()
    built = _STORED[key] = (
        select(union, *_TENANT_LABELLED).join(Participant, Participant.id == union.c.tenant),
        _places([len(columns) for columns in own]))
    return built


def _home_lists(overview: Overview, now: datetime, day) -> tuple[dict[str, list],
                                                                 dict[str, int]]:
    """`_lists` with no list shown whole, from the windows stored for the day (worked out and
    stored first if there are none): the rows that left a list since taken out, and the
    HOME_ROWS rows of each read by id. Windows worked out go to `overview.unstored`."""
    lists = _stored_lists(overview.lists, now) if overview.lists is not None else None
    if lists is None:
        lists = _work_out_lists(overview.ids, overview.generation, now, day,
                                overview.unstored)
    since = now - timedelta(days=RECENT_DAYS)
    shown, totals = [], {}
    for name, _build, _order in _HOME_LISTS:
        listed, ids, leaving = lists[name]
        gone = {key for key, at in leaving if datetime.fromisoformat(at) < since}
        shown.append([key for key in ids if key not in gone][:HOME_ROWS] if gone
                     else ids[:HOME_ROWS])
        totals[name] = listed - len(gone)
    statement, places = _shown_statement()
    size, found = len(_TENANT_LABELLED), [{} for _list in _HOME_LISTS]
    for row in db.session.connection().execute(statement, {
            f"ids_{number}": among_value(ids) for number, ids in enumerate(shown)}).all():
        number = row[0]
        found[number][row[1]] = (row[3:][places[number]], Tenant._make(row[-size:]))
    # In the stored order; a row deleted since the windows were read is left out.
    return _items([[rows[key] for key in ids if key in rows]
                   for ids, rows in zip(shown, found, strict=True)], now), totals


HOME_ROWS = 20  # per list on the home page; "Visa alla" shows one list in full


@bp.route("/housing")
def home():
    """Costs what it shows: the scope is read once as ids with the inbox's tenancies and the
    stored facts the counts need, each list HOME_ROWS rows at a time with its count, and only
    the participants of the rows shown are loaded."""
    day, org, whole = local_today(), current_user.organisation, request.args.get("alla")
    overview = _overview(org, day)
    checklists, visit_counts = overview.checklists, overview.visit_counts
    if any(whole == name for name, _build, _order in _HOME_LISTS):
        lists, totals = _lists(overview.ids, whole, utcnow())
    else:
        lists, totals = _home_lists(overview, utcnow(), day)
    store_all(overview.unstored)  # in one transaction
    user = current_user._get_current_object()  # the proxy once, not once a row
    for rows in lists.values():
        for item in rows:
            item.name = display_name(item.participant, user)
            if getattr(item, "apartment", None) is not None:
                item.address = display_address(item.participant, item.apartment.address, user,
                                               apartment=item.apartment)
    record_list((item.participant.id for rows in lists.values() for item in rows),
                "housing_home")
    return render(
        "housing/home.html", block="notices", checklists=checklists,
        visit_counts=visit_counts, severities=SEVERITIES,
        totals=totals, **lists,
    )


@bp.route("/housing/notices/<int:notice_id>/acknowledge", methods=["POST"])
def acknowledge_notice(notice_id: int):
    notice = child_or_404(HousingNotice, notice_id, need="visit_counts", audit_action=None)
    if notice.acknowledged_at is None:
        notice.acknowledged_at = utcnow()
        notice.acknowledged_by_id = current_user.id
        record("update", participant_id=notice.participant_id, object_type="housing_notice",
               object_id=notice.id, detail="kvitterad")
        db.session.commit()
    flash(_("Meddelandet är kvitterat."), "info")
    return redirect(url_for("housing.home"))


TENANCIES_PER_PAGE = 50
_ONCE: dict[tuple[str, str], Select] = {}


def _once(name: str, build) -> Select:
    """`build(dialect)`, built once per process and database kind: the statement of a list
    whose ids come as the parameter "ids" (`among_param`), not built anew per view."""
    dialect = db.session.get_bind().dialect.name
    statement = _ONCE.get((name, dialect))
    if statement is None:
        statement = _ONCE[(name, dialect)] = build(dialect)
    return statement


def _disturbances_and_absences(ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:
    """(occurred_on, severity) of every disturbance, and (start, end) of every absence (dates
    only: never the reason), per participant, in one statement."""
    disturbances: dict[int, list] = {}
    absences: dict[int, list] = {}
    if ids:
        rows = db.session.connection().execute(
            _once("disturbances_and_absences", lambda dialect: union_all(
                select(literal(0).label("absence"), Disturbance.participant_id,
                       Disturbance.occurred_on.label("day"), Disturbance.severity,
                       cast(null(), Date).label("until"))
                .where(among_param(Disturbance.participant_id, "ids", dialect)),
                select(literal(1), Absence.participant_id, Absence.start_date,
                       cast(null(), String), Absence.end_date)
                .where(among_param(Absence.participant_id, "ids", dialect)))),
            {"ids": among_value(ids)}).all()
        for absence, pid, day, severity, until in rows:
            if absence:
                absences.setdefault(pid, []).append((day, until))
            else:
                disturbances.setdefault(pid, []).append((day, severity))
    return disturbances, absences


class Address(NamedTuple):
    """What `display_address` and the tenancy list read of an apartment."""

    address: str
    protected_address: bool


class Let(NamedTuple):
    """What the tenancy list reads of a current contract, as columns, not ORM objects."""

    kind: str
    move_in_date: date | None
    end_reason: str
    apartment: Address


# `queries.first_move_in_of` over its own alias of the contracts: asked with
# `Contract.participant_id` in a statement over `Contract`, that subquery's WHERE compared its
# own column with itself, and every tenant counted from the earliest move-in of all.
_EARLIER = aliased(Contract, name="earlier")
_first_move_in = (select(func.min(_EARLIER.move_in_date))
                  .where(_EARLIER.participant_id == Contract.participant_id).scalar_subquery())


def _lets(ids: list[int]) -> tuple[dict[int, Let], dict[int, date]]:
    """The open contract of each participant, picked as `current_contracts` picks it (the last
    by move-in), and each one's first move-in (`first_move_in`: the counter starts there; the
    list shows the counter only with an open contract), in one statement of columns."""
    contracts: dict[int, Let] = {}
    move_ins: dict[int, date] = {}
    if ids:
        for pid, kind, move_in, end_reason, address, protected, first in (
                db.session.connection().execute(_once("lets", lambda dialect: (
                    select(Contract.participant_id, Contract.kind, Contract.move_in_date,
                           Contract.end_reason, Apartment.address, Apartment.protected_address,
                           _first_move_in)
                    .join(Apartment, Apartment.id == Contract.apartment_id)
                    .where(among_param(Contract.participant_id, "ids", dialect),
                           Contract.ended_on.is_(None))
                    .order_by(Contract.move_in_date, Contract.id))),
                    {"ids": among_value(ids)})):
            contracts[pid] = Let(kind, move_in, end_reason, Address(address, protected))
            if first is not None:
                move_ins[pid] = first
    return contracts, move_ins


class TenancyRow(NamedTuple):
    """A row of the tenancy list. Attributes, not a dict's keys: the template finds a key
    only after a failed attribute lookup (an exception each, six a row)."""

    participant: Tenant
    name: str
    address: str | None
    contract: Let | None
    tenancy: TenancyStatus | None
    eligibility: Eligibility
    percent: int | None


@bp.route("/housing/tenancies")
def tenancies():
    """Second-hand tenants closest to their expected transfer first (a stored fact), then
    everyone else by name; the contract with its apartment, the counter and the transfer
    conditions are worked out for the page shown only."""
    day, user = local_today(), current_user._get_current_object()  # the proxy once
    # Pages of 50 keep the HTML within the 14 KB first-round-trip budget (DESIGN §9).
    order = _tenancy_order(user, day)
    if order is not None:  # every fact valid: the page's tenants read by id
        total = len(order)
        page = page_of(total, TENANCIES_PER_PAGE)[0]
        shown = _tenants(user, [int(pid) for pid in order[
            (page - 1) * TENANCIES_PER_PAGE:page * TENANCIES_PER_PAGE]])
    else:
        shown, total = _tenancy_page_from_rows(user, day)
    page, pages = page_of(total, TENANCIES_PER_PAGE)
    shown_ids = [p.id for p in shown]
    contracts, move_ins = _lets(shown_ids)
    notices, absences = _disturbances_and_absences(shown_ids)
    counters = tenancy_for(shown_ids, user.organisation, day, absences, move_ins=move_ins)
    rows = []
    for p in shown:
        contract, counter = contracts.get(p.id), counters.get(p.id)
        # The name and address decided here with the user resolved once: in the template each
        # went through the `current_user` proxy a few times a row.
        rows.append(TenancyRow(
            p, display_name(p, user),
            display_address(p, contract.apartment.address, user, apartment=contract.apartment)
            if contract else None,
            contract, counter,
            # Why a transfer is (not) possible yet: counter, rent, disturbances.
            transfer_eligibility(counter, contract.kind if contract else None,
                                 bool(contract and contract.end_reason), notices.get(p.id, [])),
            # The progress bar's value as the template's `round | int` gave it.
            int(round(counter.share * 100, 0)) if counter is not None else None))
    return render("housing/tenancies.html", rows=rows, total=total, page=page,
                  pages=pages, today=day)


def _tenancy_statement(user, day) -> Select:
    """The scope's ids in the list's order over the stored facts, each row with how many
    facts are stale and the housing generation (summaries.py) read with them
    (`written_once`)."""
    scope = with_facts(housing_participants(user).with_only_columns(
        Participant.id, Participant.last_name, Participant.first_name,
        display_name_sql(user).label("shown_name")), day).subquery()
    c = scope.c
    name = c.shown_name
    if db.session.get_bind().dialect.name == "postgresql":
        name = name.collate("C")  # by code point, as Python compares the names (SQLite: so)
    return (select(c.id, func.count(case((c.facts_valid.is_not(True), 1))).over(),
                   generation_of(literal(user.organisation_id)))
            # `_tenancy_page_from_rows`' order: expected transfer first, then the name shown;
            # ties as the scope is read (last name, first name).
            .order_by(c.expected_transfer.is_(None), c.expected_transfer,
                      case((c.expected_transfer.is_(None), name)), c.last_name, c.first_name))


def _tenancy_key(user) -> str:
    """The key of the tenancy list's stored summary: per user (whether a protected identity's
    name is shown, and so where it is sorted, depends on the user's assignments)."""
    return f"tenancies:{user.organisation_id}:u{user.id}"


def _tenancy_order(user, day) -> list[str] | None:
    """The ids of the list in its order (as text: a page's 50 are made ints, not 1,000):
    from its summary stored for the day while it is valid (summaries.py: every fact of the
    scope was valid when it was stored, and no write has counted the generation up since, so
    they still are), else ordered by the database over the stored facts (the 1,000 rows of
    the scope are not read to sort them) and stored; None when some facts are stale (then
    `_tenancy_page_from_rows`)."""
    row = run(written_once("tenancy summary", day, lambda: stored(
        _tenancy_key(user), user.organisation_id, day))).first()
    if row is not None:
        total = json.loads(row.counts)["total"]
        order = row.ids.split(",") if row.ids else []
        if len(order) == total:  # (a summary stored without the order: worked out again)
            return order
    rows = run(written_once("tenancy order", day, lambda: _tenancy_statement(user, day))).all()
    if rows and rows[0][1]:
        return None
    order = [str(row[0]) for row in rows]
    if rows:
        _store_tenancy_order(user, day, rows[0][2], order)
    return order


def _store_tenancy_order(user, day, generation: int, order: list) -> None:
    store_summary(_tenancy_key(user), user.organisation_id, day, generation,
                  {"total": len(order)}, ",".join(map(str, order)))


def _tenants(user, ids: list[int]) -> list[Tenant]:
    """The tenants of these ids, in their order, with whether the user is directly assigned
    (remembered: a protected identity among them asks nothing more)."""
    if not ids:
        return []
    size = len(TENANT_COLUMNS)
    found = {row[0]: row for row in db.session.connection().execute(built_once(
        "tenants", None, lambda: select(*TENANT_COLUMNS, assigned_sql(user)).where(
            among_param(Participant.id, "ids"))), {"ids": among_value(ids)}).all()}
    remember_assignments(user, ((pid, row[size]) for pid, row in found.items()))
    return [Tenant._make(found[pid][:size]) for pid in ids if pid in found]


def _tenancy_page_from_rows(user, day) -> tuple[list[Tenant], int]:
    """`_tenancy_page` when some facts are stale: the scope's rows read, the stale facts worked
    out (and stored) and sorted here. The list's size is stored as its summary when nothing
    else counted the generation up meanwhile."""
    in_scope = db.session.connection().execute(built_once("tenancies", day, lambda: with_facts(
        housing_participants(user).with_only_columns(
            *TENANT_COLUMNS, generation_of(literal(user.organisation_id)))
        .order_by(Participant.last_name, Participant.first_name), day))).all()
    size, width = len(TENANT_COLUMNS), len(FACT_COLUMNS)
    stale = any(not row[-width - 1] for row in in_scope)
    generations: dict[int, int] = {}
    facts = complete(in_scope, lambda: user.organisation, day, generations)
    read = in_scope[0][size] if in_scope else None

    def closeness(row):
        expected = facts[row[0]].expected_transfer
        if expected is None:  # first-hand, no contract or not moved in yet
            # `display_name`'s answer: the full name unless the identity is protected (then
            # asked); written out, as it is asked for up to 1,000 rows (~3 µs a call).
            return (1, f"{row[1]} {row[2]}" if not row[4]
                    else display_name(Tenant._make(row[:size]), user))
        return (0, expected)

    in_scope.sort(key=closeness)
    # Stored at the generation the facts' own store left only if that was the next one (no
    # other write between this view's read and its store).
    if in_scope and (not stale or generations.get(user.organisation_id) == read + 1):
        _store_tenancy_order(user, day, generations.get(user.organisation_id, read),
                             [row[0] for row in in_scope])
    page = page_of(len(in_scope), TENANCIES_PER_PAGE)[0]
    return [Tenant._make(row[:size]) for row in
            in_scope[(page - 1) * TENANCIES_PER_PAGE:page * TENANCIES_PER_PAGE]], len(in_scope)


def _form_choices(form: DisturbanceForm) -> None:
    # No tenant chosen in advance: a disturbance logged on the wrong person is hard to undo.
    # The options as (id, name) pairs, written once per content (KeptIdSelect): up to 1,000.
    user = current_user._get_current_object()  # the proxy once, not once a tenant
    id_choices(form.participant_id, (("", _("Välj hyresgäst")), *(
        (p.id, display_name(p, user) if p.protected_identity
         else full_name_of(p.first_name, p.last_name)) for p in _scope())))


@bp.route("/housing/disturbances/new", methods=["GET", "POST"])
def new_disturbance():
    form = DisturbanceForm()
    _form_choices(form)
    if request.method == "GET" and form.occurred_on.data is None:
        form.occurred_on.data = local_today()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render("housing/disturbance_new.html", form=form, status=status)
    contract = current_contracts([form.participant_id.data]).get(form.participant_id.data)
    disturbance = Disturbance(
        participant_id=form.participant_id.data,
        apartment_id=contract.apartment_id if contract else None,
        occurred_on=form.occurred_on.data, received_at=utcnow(), source="housing",
        severity=form.severity.data, description=form.description.data.strip(),
        reported_by_id=current_user.id,
        letter_sent_at=to_utc(form.letter_sent_at.data) if form.letter_sent_at.data else None,
        copy_received_at=to_utc(form.copy_received_at.data) if form.copy_received_at.data
        else None,
    )
    db.session.add(disturbance)
    db.session.flush()
    record("create", participant_id=disturbance.participant_id, object_type="disturbance",
           object_id=disturbance.id)
    db.session.commit()
    flash(_("Störningen är registrerad. Stödpersonalen ska kontakta hyresgästen senast nästa "
            "arbetsdag."),
          "info")
    return redirect(url_for("housing.home"))

