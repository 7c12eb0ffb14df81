"""Idempotent writes for the offline outbox (DESIGN §5).

A queued write carries a client-generated key (form field `idempotency_key` or header
`Idempotency-Key`). The first successful handling stores its answer under that key (unique
constraint); a replay gets the stored answer and changes nothing.

    key = idempotency_key()
    if (replay := replay_response(key)) is not None:
        return replay
    ... do the write, build `response` ...
    remember(key, response)   # in the same transaction as the write
    db.session.commit()
"""
from __future__ import annotations

import re

from flask import Response, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import IdempotencyRecord

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key")
    if key and KEY_PATTERN.match(key):
        return key
    return None


def replay_response(key: str | None) -> Response | None:
    """The stored answer for `key` (only to the user who made it), else None."""
    if not key:
        return None
    record = db.session.scalar(
        db.select(IdempotencyRecord).where(IdempotencyRecord.key == key)
    )
    if record is None or record.user_id != current_user.id:
        return None
    response = Response(record.body, status=record.status_code,
                        mimetype="application/json" if record.body.startswith("{") else "text/html")
    if record.location:
        response.headers["Location"] = record.location
    response.headers["Idempotent-Replay"] = "true"
    return response


def remember(key: str | None, response: Response) -> None:
    """Store the answer; call before the commit that stores the write itself."""
    if not key:
        return
    db.session.add(IdempotencyRecord(
        key=key, user_id=current_user.id, endpoint=request.endpoint or "",
        status_code=response.status_code,
        body=response.get_data(as_text=True) if not response.direct_passthrough else "",
        location=response.headers.get("Location", ""),
    ))


def commit_or_replay(key: str | None) -> Response | None:
    """Commit; if a concurrent request with the same key won the race, return its answer."""
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        replay = replay_response(key)
        if replay is None:
            raise
        return replay
