"""Passwords (Argon2id), TOTP, account lockout and participant activation codes."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from datetime import timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import ActivationCode, LoginThrottle, User, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
ACTIVATION_VALID = timedelta(hours=72)
MIN_PASSWORD_LENGTH = 10
# No 0/O, 1/I/L: the code is read aloud and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
COMMON_PASSWORDS = frozenset({
    "password123", "lösenord123", "1234567890", "qwertyuiop", "bofast-demo", "abcdefghij",
    "0123456789", "password12", "losenord123",
})


def _hasher() -> PasswordHasher:
    # Tests lower the cost; production uses argon2-cffi's RFC 9106 low-memory defaults (Argon2id).
    return PasswordHasher(**current_app.config.get("ARGON2_PARAMS", {}))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        _hasher().hash(password)  # spend the same time as a real check
        return False
    try:
        ok = _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return ok


def spend_password_time(password: str) -> None:
    """For an unknown username: verify against a dummy hash, so the answer takes as long as
    for a real account and timing does not confirm which usernames exist."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher().verify(_dummy_hash(), password)


def _dummy_hash() -> str:
    params = repr(sorted(current_app.config.get("ARGON2_PARAMS", {}).items()))
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[params]


_DUMMY_HASHES: dict[str, str] = {}


# --- Sign-in throttling: per username and client, the same for unknown usernames ----------

def throttle_key(username: str, client: str | None) -> str:
    raw = f"{username.strip().casefold()}|{client or ''}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _throttle(key: str) -> LoginThrottle | None:
    return db.session.scalar(db.select(LoginThrottle).where(LoginThrottle.key == key))


def throttled(key: str) -> bool:
    row = _throttle(key)
    return row is not None and row.locked_until is not None and row.locked_until > utcnow()


def register_throttled_failure(key: str) -> bool:
    """Count a failed sign-in for this username from this client; True if it is now locked.

    Only this client is locked out: the same account signs in normally from anywhere else, so
    guessing someone's password cannot keep them out of their work."""
    now = utcnow()
    db.session.execute(db.delete(LoginThrottle).where(
        LoginThrottle.updated_at < now - timedelta(days=1)))
    row = _throttle(key)
    if row is None:
        row = LoginThrottle(key=key, failures=0)
        db.session.add(row)
    if row.locked_until is not None and row.locked_until <= now:
        row.failures, row.locked_until = 0, None
    row.failures = (row.failures or 0) + 1
    row.updated_at = now
    if row.failures >= MAX_FAILED_LOGINS:
        row.locked_until = now + LOCKOUT
    return row.locked_until is not None


def clear_throttle(key: str) -> None:
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key == key))


def password_problem(password: str) -> str | None:
    """A plain-language reason (in the request's language) the password is not accepted."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Lösenordet behöver minst %(count)s tecken.", count=MIN_PASSWORD_LENGTH)
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return _("Lösenordet är för lätt att gissa. Välj ett annat.")
    return None


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def register_failure(user: User) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = utcnow() + LOCKOUT
        user.failed_logins = 0


def register_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()


def rotate_session(user: User) -> None:
    user.session_token = secrets.token_hex(16)


# --- TOTP -------------------------------------------------------------------------------

def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.username, issuer_name="Bofast"
    )


def totp_qr_svg(user: User) -> str:
    return segno.make(totp_uri(user), error="m").svg_inline(scale=4, dark="#000", light="#fff")


def verify_totp(user: User, code: str) -> bool:
    """Accept the current code (±1 step for clock drift), each time-step only once."""
    if not user.totp_secret:
        return False
    code = "".join(ch for ch in code if ch.isdigit())
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow().timestamp()
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        step = int(at // totp.interval)
        if hmac.compare_digest(totp.at(at), code) and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


# --- Activation codes ---------------------------------------------------------------------

def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def issue_activation_code(user: User, issued_by: User | None) -> str:
    """Invalidate earlier unused codes, store a new one, return it formatted 'ABCD-EFGH'."""
    for old in db.session.scalars(
        db.select(ActivationCode).where(
            ActivationCode.user_id == user.id, ActivationCode.used_at.is_(None)
        )
    ):
        old.used_at = utcnow()
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))
    db.session.add(ActivationCode(
        user_id=user.id, code_hash=_code_hash(raw), expires_at=utcnow() + ACTIVATION_VALID,
        created_by_id=issued_by.id if issued_by else None,
    ))
    return f"{raw[:4]}-{raw[4:]}"


def find_activation_code(code: str) -> tuple[ActivationCode | None, str | None]:
    """(code, None) if usable; else (None, reason in the request's language)."""
    if len(normalise_code(code)) != 8:
        return None, _("Koden har 8 tecken, till exempel ABCD-EFGH.")
    found = db.session.scalar(
        db.select(ActivationCode).where(ActivationCode.code_hash == _code_hash(code))
    )
    if found is None:
        return None, _("Koden stämmer inte. Kontrollera den och försök igen.")
    if found.used_at is not None:
        return None, _("Koden har redan använts. Be din kontaktperson om en ny kod.")
    if found.expires_at <= utcnow():
        return None, _("Koden har gått ut. Be din kontaktperson om en ny kod.")
    if not found.user.active:
        return None, _("Kontot är avstängt. Kontakta din kontaktperson.")
    return found, None


def activation_qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
