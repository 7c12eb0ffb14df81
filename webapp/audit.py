"""Write audit events; committed with the request (see `commit_audit` in create_app)."""
from __future__ import annotations

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from .access import SAFE_METHODS
from .extensions import db
from .models import AuditEvent, utcnow

# Pages the phone fetches in the background to keep them for offline use (sw.js `warm`).
PREFETCH_ENDPOINTS = frozenset({"checklists.new", "staff.record_outcome", "me.contacts",
                                "me.appointments", "me.offline"})


def is_prefetch() -> bool:
    """A background fetch for offline use: recorded as such, not as someone reading the file.
    Only the pages the phone keeps, and only GET, so the header cannot hide an ordinary read."""
    return (has_request_context() and request.method == "GET"
            and request.headers.get("X-Bofast-Prefetch") == "1"
            and request.endpoint in PREFETCH_ENDPOINTS)


def record(action: str, *, participant_id: int | None = None, object_type: str = "",
           object_id: int | None = None, detail: str = "", user=None) -> AuditEvent | None:
    """Append one audit event for the current user (or `user`, e.g. at login). A read's event
    is kept as its row (a dict) until `commit_audit` inserts it; None is returned for it."""
    if action == "read" and is_prefetch():
        action = "prefetch"
    actor = user if user is not None else (
        current_user if has_request_context() and current_user.is_authenticated else None
    )
    fields = dict(
        user_id=actor.id if actor is not None else None,
        role=actor.role if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        participant_id=participant_id,
        detail=detail[:2000],
        path=request.path[:300] if has_request_context() else "",
        ip=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    if has_request_context():
        g.audit_pending = True
        if request.method in SAFE_METHODS:
            # A read's events are inserted once, after the response (commit_audit), as plain
            # rows: in the session, autoflush would insert each and the read's rollback undo
            # it again; as objects, a list page would build one per participant shown.
            fields["at"] = utcnow()
            g.setdefault("audit_events", []).append(fields)
            return None
    event = AuditEvent(**fields)
    if has_request_context():
        g.setdefault("audit_events", []).append(event)
    db.session.add(event)
    return event


def record_list(participant_ids, object_type: str) -> None:
    """A list page showed data about these participants: one "list" event per participant, so
    the log (and the monthly review) shows who saw what, without counting it as a burst."""
    ids = iter(dict.fromkeys(participant_ids))
    first = next(ids, None)
    if first is None:
        return
    record("list", participant_id=first, object_type=object_type)
    if not (has_request_context() and request.method in SAFE_METHODS):
        for participant_id in ids:
            record("list", participant_id=participant_id, object_type=object_type)
        return
    # A read's rows differ only in the participant: copies of the first (who, when, where),
    # not a `record` each (~90 Python calls a row; /housing lists 25).
    events = g.audit_events
    row = events[-1]
    events.extend({**row, "participant_id": participant_id} for participant_id in ids)


@sa_event.listens_for(Session, "after_commit")
def _audit_committed(_session) -> None:
    """Rows a handler committed itself are stored; `commit_audit` must not add them again."""
    if has_request_context():
        g.pop("audit_events", None)
