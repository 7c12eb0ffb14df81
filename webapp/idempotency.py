"""Idempotent writes for the offline outbox (DESIGN §5).

A queued write carries a client-generated key (form field `idempotency_key` or header
`Idempotency-Key`). The first successful handling stores its answer under that key (unique
constraint); a replay gets the stored answer and changes nothing. The key is bound to the user,
the endpoint and a fingerprint of the request (path and form fields): the same key with another
body, on another endpoint or from another user is refused with 422 ("needs attention" in the
outbox), never answered with someone else's stored result.

    key = idempotency_key()
    if (replay := replay_response(key)) is not None:
        return replay
    ... do the write, build `response` ...
    remember(key, response)   # in the same transaction as the write
    db.session.commit()
"""
from __future__ import annotations

import hashlib
import json
import re

from flask import Response, jsonify, render_template, request
from flask_babel import gettext as _
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


# Fields that differ between two sends of the same write, or carry the key itself.
UNHASHED_FIELDS = frozenset({"csrf_token", "idempotency_key"})


def request_fingerprint() -> str:
    """A hash of what this write says: method, path and every form field (files by name)."""
    fields = sorted((name, value) for name, value in request.form.items(multi=True)
                    if name not in UNHASHED_FIELDS)
    files = sorted((name, f.filename or "") for name, f in request.files.items(multi=True))
    payload = json.dumps([request.method, request.path, fields, files], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def key_mismatch() -> Response:
    """422: the key was already used for a different write (the outbox: needs attention)."""
    message = _("Det här har redan skickats med annat innehåll. Kontrollera och skicka igen "
                "som en ny ändring.")
    if request.accept_mimetypes.best == "application/json" or (
            request.accept_mimetypes["application/json"]
            >= request.accept_mimetypes["text/html"] > 0):
        response = jsonify(ok=False, errors={"form": message})
    elif request.headers.get("HX-Request") == "true":
        response = Response(f'<p class="error" role="alert">{message}</p>')
    else:
        response = Response(render_template("error.html", status=422, message=message))
    response.status_code = 422
    return response


def replay_response(key: str | None) -> Response | None:
    """The stored answer for `key` if this is the same write again; 422 if the key was used for
    another write (other user, endpoint or body); None if the key is new."""
    if not key:
        return None
    record = db.session.scalar(
        db.select(IdempotencyRecord).where(IdempotencyRecord.key == key)
    )
    if record is None:
        return None
    if (record.user_id != current_user.id or record.endpoint != (request.endpoint or "")
            or (record.request_hash and record.request_hash != request_fingerprint())):
        return key_mismatch()
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
        request_hash=request_fingerprint(),
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
