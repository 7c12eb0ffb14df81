"""Logins the admin hands out: temporary passwords for staff-side users, activation codes (code,
link and QR) for participants. Each secret is shown once, on the page that created it."""
from __future__ import annotations

import secrets

from flask import current_app, url_for

from ..auth.credentials import activation_qr_svg, hash_password, issue_activation_code
from ..models import Participant, User

# No 0/O, 1/l: a temporary password is read from the screen and typed once.
TEMP_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def temporary_password() -> str:
    raw = "".join(secrets.choice(TEMP_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def set_temporary_password(user: User) -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True  # a password someone else has seen: changed at sign-in
    return password


def participant_login(participant: Participant) -> User:
    """The participant's own login: the same one the staff route creates (a protected identity
    gets a neutral username and the masked name, never the real one)."""
    from ..staff.participant_login import ensure_participant_user

    return ensure_participant_user(participant)


def activation(user: User, issued_by: User) -> dict:
    """Issue a code; return what the page shows once: code, link and QR."""
    code = issue_activation_code(user, issued_by)
    link = current_app.config["BOFAST_BASE_URL"].rstrip("/") + url_for("auth.activate",
                                                                         code=code)
    return {"code": code, "link": link, "qr": activation_qr_svg(link), "username": user.username}
