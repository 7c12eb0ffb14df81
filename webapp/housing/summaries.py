"""Housing's stored summaries (issue 17; models `HousingSummary`, `HousingGeneration`).

/housing counted the stored facts of every tenant in scope and aggregated their ids on every
view (~1.5 ms of database time at 1,000 tenants, growing with the scope). Instead what it works
out is stored per scope (organisation and the user's teams) and local day, with the
organisation's housing generation it was worked out at, and read back while both are unchanged:

- the generation counts up in the transaction of every write that can change such a summary:
  every count-up of a `WorklistEntry.version` (staff/worklist_store.mark_stale: the facts'
  validity, and so every write of what the facts read, contracts included), every store of
  facts (facts_store.store: an older computation's row too), and every write of the scope's
  other inputs, participants (new and deleted ones too), apartments and offers, of the home's
  lists' rows, disturbances and absences (worklist rows too) and housing notices, and of
  direct assignments (a protected identity's name shown, and so where the tenancy list sorts
  it, depends on them) (`install_hooks`). A summary is stored only when every fact in it was
  valid, with the generation read by the same statement as the facts, so a write committed
  meanwhile leaves it stale, never wrong (tests/test_housing_summaries.py writes each and
  checks);
- a new day, or other teams (a membership changed), is another key or day: not read;
- what changes with time alone within the day (a row leaving the home's lists RECENT_DAYS
  after it occurred) is stored with when it does (housing/routes.py, `_home_lists`).

Only counts and ids are stored: nothing of a plan, a visit note, an absence reason or health.
"""
from __future__ import annotations

import json
import logging
from datetime import date

from sqlalchemy import event as sa_event
from sqlalchemy import func, literal, select, true, union
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import (
    Apartment,
    HousingGeneration,
    HousingNotice,
    HousingSummary,
    Offer,
    Participant,
    StaffAssignment,
)

log = logging.getLogger(__name__)


def generation_of(organisation_id):
    """The organisation's generation as a scalar subquery (0 without a row)."""
    return func.coalesce(
        select(HousingGeneration.generation)
        .where(HousingGeneration.organisation_id == organisation_id)
        .scalar_subquery(), 0)


def stored(key: str, organisation_id: int, day: date):
    """The statement reading summary `key` if it is valid: (counts, ids), or no row."""
    return (select(HousingSummary.counts, HousingSummary.ids)
            .where(HousingSummary.key == key, HousingSummary.day == day,
                   HousingSummary.generation == generation_of(literal(organisation_id))))


def stored_rows(keys: tuple[str, ...], organisation_id: int, day: date):
    """`stored` for several keys in one statement: (key, counts, ids, generation) of each
    valid one."""
    return (select(HousingSummary.key, HousingSummary.counts, HousingSummary.ids,
                   HousingSummary.generation)
            .where(HousingSummary.key.in_(keys), HousingSummary.day == day,
                   HousingSummary.generation == generation_of(literal(organisation_id))))


def summary(key: str, organisation_id: int, day: date, generation: int, counts: dict,
            ids: str) -> dict:
    """A summary's row, to `store_all`."""
    return dict(key=key, organisation_id=organisation_id, day=day, generation=generation,
                counts=json.dumps(counts, separators=(",", ":")), ids=ids)


def store(key: str, organisation_id: int, day: date, generation: int, counts: dict,
          ids: str) -> bool:
    """Upsert the summary in a transaction of its own (`store_all`)."""
    return store_all([summary(key, organisation_id, day, generation, counts, ids)])


def store_all(rows: list[dict]) -> bool:
    """Upsert these summaries (`summary`) in one transaction of their own (a read's session is
    rolled back; one commit, not one a summary). Failing to store only costs the next view the
    same work: logged, not raised."""
    if not rows:
        return True
    try:
        with db.engine.begin() as conn:
            statement = _insert(conn, HousingSummary)
            conn.execute(statement.on_conflict_do_update(
                index_elements=[HousingSummary.key],
                set_={name: statement.excluded[name]
                      for name in ("organisation_id", "day", "generation", "counts", "ids")}),
                rows)
    except SQLAlchemyError:
        log.warning("housing summaries %s: storing failed", [row["key"] for row in rows],
                    exc_info=True)
        return False
    return True


def _insert(bind, model):
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def bump(connection, organisations=(), participants_where=None) -> dict[int, int]:
    """Count up the generation of these organisations, and of the organisations of the
    participants `participants_where` selects (a condition on Participant), in the
    transaction of `connection` (or session); rows in organisation order (two writers lock
    them in the same order). Returns organisation id -> generation after the count-up."""
    queries = [select(literal(org).label("organisation_id")) for org in sorted(organisations)]
    if participants_where is not None:
        queries.append(select(Participant.organisation_id.label("organisation_id"))
                       .where(participants_where))
    if not queries:
        return {}
    orgs = (union(*queries) if len(queries) > 1 else queries[0]).subquery()
    bind = connection.get_bind() if hasattr(connection, "get_bind") else connection
    statement = _insert(bind, HousingGeneration).from_select(
        ["organisation_id", "generation"],
        # WHERE true: SQLite reads "ON CONFLICT" after a bare FROM as a join's ON.
        select(orgs.c.organisation_id, literal(1)).where(true()).distinct()
        .order_by(orgs.c.organisation_id))
    return dict(connection.execute(statement.on_conflict_do_update(
        index_elements=[HousingGeneration.organisation_id],
        set_=dict(generation=HousingGeneration.generation + 1)).returning(
            HousingGeneration.organisation_id, HousingGeneration.generation)).all())


# --- ORM hooks: the scope's inputs that the worklist's version does not follow ----------------

_INFO_KEY = "bofast_housing_generation"
_WATCHED = (Participant, Apartment, Offer, HousingNotice, StaffAssignment)


def _todo(session) -> dict:
    return session.info.setdefault(_INFO_KEY, {"organisations": set(), "participants": set()})


def _history(obj, attribute: str) -> set:
    from sqlalchemy import inspect

    history = inspect(obj).attrs[attribute].history
    return {value for value in (obj.__dict__.get(attribute), *history.added,
                                *history.unchanged, *history.deleted) if value is not None}


def _collect(session, _flush_context) -> None:
    """after_flush: note the organisations of new, changed and deleted watched rows."""
    changed = [obj for obj in session.dirty if isinstance(obj, _WATCHED)
               and session.is_modified(obj, include_collections=False)]
    for obj in (*session.new, *changed, *session.deleted):
        if isinstance(obj, Participant | Apartment):
            _todo(session)["organisations"].update(_history(obj, "organisation_id"))
        elif isinstance(obj, Offer | HousingNotice | StaffAssignment):
            _todo(session)["participants"].update(_history(obj, "participant_id"))


def _bulk_statement(state) -> None:
    """do_orm_execute: an INSERT/UPDATE/DELETE statement on a watched model bypasses the
    flush; every organisation is counted up then (rare: no such statement in the app)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in _WATCHED:
        _todo(state.session)["all"] = True


def _bump_before_commit(session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # let _collect see the last changes
    todo = session.info.pop(_INFO_KEY, None)
    if not todo:
        return
    if todo.get("all"):
        from ..models import Organisation

        todo["organisations"].update(session.scalars(select(Organisation.id)))
    participants = sorted(todo["participants"])
    bump(session, todo["organisations"],
         Participant.id.in_(participants) if participants else None)


def _forget(session, *_args) -> None:
    session.info.pop(_INFO_KEY, None)


def install_hooks() -> None:
    """Listen on the app's session (idempotent). Called when the housing blueprint registers,
    after the staff blueprint's worklist hooks: in a commit the worklist's rows are locked
    before the generation's, as in mark_stale, so two writers never wait on each other."""
    target = db.session
    for name, fn in (("after_flush", _collect), ("before_commit", _bump_before_commit),
                     ("do_orm_execute", _bulk_statement), ("after_rollback", _forget)):
        if not sa_event.contains(target, name, fn):
            sa_event.listen(target, name, fn)

