"""Batch queries shared by pages, reminders and figures: constant query count per page."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Integer, Select, TextClause, any_, bindparam, case, cast, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import joinedload
from sqlalchemy.types import NullType

from .domain.figures import period_starts
from .domain.tenancy import TenancyStatus, tenancy_status
from .domain.visits import period_bounds
from .extensions import db
from .models import Absence, Appointment, Contract, Organisation, VisitOutcome
from .timeutil import to_utc


def dialect_name() -> str:
    """The app database's dialect ("postgresql", "sqlite"): statements built once per process
    are built for it (`among_param`)."""
    return db.session.get_bind().dialect.name


def _array_text(ids) -> str:
    """PostgreSQL's text of an integer array: psycopg dumps a list element by element in
    Python (~1 ms for 1,000 ids); joining the text takes ~0.1 ms. A NULL id is left out."""
    if isinstance(ids, IdArray):
        return ids
    return "{" + ",".join([str(int(i)) for i in ids if i is not None]) + "}"


def among(column, ids):
    """`column IN ids` for a caseload-sized list of integer ids. On PostgreSQL the list is one
    array parameter (`= ANY(%s)`): expanded, 1,000 ids are 1,000 bind parameters that
    SQLAlchemy renders and psycopg parses on every request, most of Idag's time at that size.
    The array goes as its text, cast by the database (`_array_text`).
    (A NULL id matches nothing: it is left out.)"""
    if isinstance(ids, Select):  # already a query: the database joins it
        return column.in_(ids)
    if dialect_name() == "postgresql":
        # Untyped (no `::VARCHAR`): PostgreSQL reads the parameter as the array once. A text
        # parameter cast to an array is parsed again for every row it is compared with.
        return column == any_(cast(bindparam(None, _array_text(ids), type_=NullType()),
                                    ARRAY(Integer)))
    return column.in_(among_value(ids, "sqlite"))


def among_param(column, name: str, dialect: str | None = None):
    """`among` for a statement built once (per `dialect`, default the app database's): the
    ids come as the parameter `name`, its value `among_value(ids)` when the statement runs."""
    if (dialect or dialect_name()) == "postgresql":
        return column == any_(cast(bindparam(name, type_=NullType()), ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def id_rows(model, name: str, dialect: str | None = None) -> tuple:
    """(a FROM, its id column, criteria): the rows of `model` whose ids are the `among_param`
    parameter `name`, for a statement that needs only their ids. On PostgreSQL the ids
    themselves as rows (`unnest(ids) AS <table>_ids(id)`): filtering a table by an array scanned
    all of it (a caseload's 1,000 participants for a page of 50) and cost more to plan."""
    if (dialect or dialect_name()) == "postgresql":
        rows = (func.unnest(cast(bindparam(name, type_=NullType()), ARRAY(Integer)))
                .table_valued("id").render_derived(name=f"{model.__tablename__}_ids"))
        return rows, rows.c.id, ()
    return model, model.id, (among_param(model.id, name, dialect),)


def among_value(ids, dialect: str | None = None):
    """The value of an `among_param` parameter: the array's text on PostgreSQL, else the
    list (a NULL id matches nothing: it is left out)."""
    if (dialect or dialect_name()) == "postgresql":
        return _array_text(ids)
    return ids.ints() if isinstance(ids, IdArray) else [i for i in ids if i is not None]


class IdArray(str):
    """Ids as PostgreSQL's text of an integer array ("{1,2,3}"), as a statement returned them
    (`array_agg(...)::text`): `among` sends it as it is, without a list of 1,000 ints read
    from the result and joined into the same text again for each statement (~0.1 ms each)."""

    def ints(self) -> list[int]:
        return [int(i) for i in self.strip("{}").split(",") if i]


def written_sql(statement) -> TextClause:
    """`statement` compiled for the session's database with its values written into the SQL,
    as text: a statement without parameters has one plan, made when psycopg prepares it, where
    PostgreSQL planned some with parameters anew on every run. Only for values from code or
    the database (ids, dates, numbers), never text typed in."""
    dialect = db.session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    # As text: "%" as written (the compiler doubles it), no ":name" read as a parameter.
    return text(sql.replace("%%", "%").replace(":", "\\:"))


def run(statement, params: dict):
    """A statement of columns (built once, with bound parameters) on the session's connection,
    as Core: its rows come as the driver's, without the ORM's per-row loading (~0.35 ms for
    a caseload of 1,000)."""
    session = db.session
    if session.autoflush:  # what the ORM's execute does first: pending writes are read too
        session.flush()
    return session.connection().execute(statement, params)


def current_contracts(participant_ids: list[int]) -> dict[int, Contract]:
    """The open (not ended) contract of each participant, latest move-in first, apartment loaded."""
    if not participant_ids:
        return {}
    rows = db.session.scalars(
        select(Contract).options(joinedload(Contract.apartment))
        .where(among(Contract.participant_id, participant_ids), Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date, Contract.id)
    ).all()
    return {row.participant_id: row for row in rows}  # later move-ins overwrite earlier


def current_contract_id(participant_id):
    """The id of `current_contracts`' pick for one participant as a scalar subquery (to ask
    with other facts): the last open contract by move-in, then id. The order is reversed and
    the first taken, so a contract without a move-in date sorts as it does there on either
    database."""
    return (select(Contract.id)
            .where(Contract.participant_id == participant_id, Contract.ended_on.is_(None))
            .order_by(Contract.move_in_date.desc(), Contract.id.desc())
            .limit(1).scalar_subquery())


def contract_dates(participant_ids: list[int]) -> dict[int, tuple[date | None, date | None]]:
    """(move-in, start) of each participant's open contract, as current_contracts picks it,
    without loading contract and apartment objects (Idag needs only the dates)."""
    if not participant_ids:
        return {}
    rows = db.session.execute(
        select(Contract.participant_id, Contract.move_in_date, Contract.start_date)
        .where(among(Contract.participant_id, participant_ids), Contract.ended_on.is_(None))
        .order_by(Contract.move_in_date))
    return {pid: (move_in, start) for pid, move_in, start in rows}  # later move-ins win


Periods = list[tuple[date, date | None]]


def absences_by_participant(participant_ids: list[int]) -> dict[int, Periods]:
    result: dict[int, Periods] = defaultdict(list)
    if participant_ids:
        for row in db.session.execute(
            select(Absence.participant_id, Absence.start_date, Absence.end_date)
            .where(among(Absence.participant_id, participant_ids))
        ):
            result[row.participant_id].append((row.start_date, row.end_date))
    return result


def first_move_in_of(participant_id):
    """`first_move_in` of one participant as a scalar subquery (to ask with other facts)."""
    return (select(func.min(Contract.move_in_date))
            .where(Contract.participant_id == participant_id).scalar_subquery())


def first_move_in(participant_ids: list[int]) -> dict[int, date]:
    """Move-in date of the participant's first contract: the tenancy counter starts there."""
    result: dict[int, date] = {}
    if participant_ids:
        for pid, move_in in db.session.execute(
            select(Contract.participant_id, Contract.move_in_date)
            .where(among(Contract.participant_id, participant_ids),
                   Contract.move_in_date.is_not(None))
            .order_by(Contract.move_in_date.desc())
        ):
            result[pid] = move_in
    return result


def tenancy_for(participant_ids: list[int], org: Organisation, today: date,
                absences: dict[int, Periods] | None = None,
                move_ins: dict[int, date] | None = None) -> dict[int, TenancyStatus | None]:
    """Tenancy counter per participant in two queries (None before move-in); none when the
    caller already has their `absences_by_participant` and `first_move_in`."""
    if move_ins is None:
        move_ins = first_move_in(participant_ids)
    if absences is None:
        absences = absences_by_participant(participant_ids)
    result: dict[int, TenancyStatus | None] = {}
    for pid in participant_ids:
        move_in = move_ins.get(pid)
        result[pid] = (tenancy_status(move_in, absences.get(pid, []), org.transfer_months, today)
                       if move_in and move_in <= today else None)
    return result


__all__ = ["among", "contract_dates", "current_contracts", "absences_by_participant",
           "tenancy_for", "period_visits"]


def _utc(day: date) -> datetime:
    return to_utc(datetime.combine(day, datetime.min.time()))


def period_visits(participants, period: str, first: date, last: date, kinds, session=None
                  ) -> dict[int, dict[date, tuple[int, int]]]:
    """Done visits of these `kinds` per participant and visit period starting in [first, last]:
    participant id -> period start -> (visits, of them with social services). Counted by the
    database (GROUP BY), so the cost does not grow with the visits; period bounds are local
    midnights handed over in UTC, the same on SQLite and PostgreSQL and across daylight saving.
    `participants`: ids, or a SELECT of ids. `session`: another than the app's, if given."""
    starts = period_starts(first, last, period)
    if not starts:
        return {}
    ends = [period_bounds(start, period)[1] for start in starts]
    # Contiguous periods: the first end the visit falls before names its period.
    which = case(*[(Appointment.starts_at < _utc(end), index) for index, end in enumerate(ends)])
    visits = (
        select(Appointment.participant_id.label("pid"), which.label("period"),
               case((Appointment.with_social_services.is_(True), 1), else_=0).label("soc"))
        .join(VisitOutcome, VisitOutcome.appointment_id == Appointment.id)
        .where(among(Appointment.participant_id, participants),
               Appointment.kind.in_(sorted(kinds)),
               VisitOutcome.outcome == "done", Appointment.starts_at >= _utc(starts[0]),
               Appointment.starts_at < _utc(ends[-1]))
    ).subquery()
    result: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    for pid, index, done, with_soc in (session or db.session).execute(
            select(visits.c.pid, visits.c.period, func.count(), func.sum(visits.c.soc))
            .group_by(visits.c.pid, visits.c.period)):
        result[pid][starts[index]] = (done, int(with_soc or 0))
    return result
