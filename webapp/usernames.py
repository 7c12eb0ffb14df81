"""Usernames that do not reveal other organisations (issue 19).

Design choice (the simpler of the two sound designs): usernames stay unique across the whole
installation, because sign-in asks for a username and a password only, and nothing a user of
one organisation does tells them whether a name exists in another:
- participant logins are generated as a plain word (the first name folded to a-z, or
  "deltagare" for a protected identity) and four random digits. The digits come from a
  cryptographic random source, never from a counter or from the names already taken, so the
  name says nothing about other accounts; a collision silently draws again.
- when an admin picks a staff username that cannot be used, the message is the same whether the
  name is taken in their own organisation, taken in another one, or reserved, and it never says
  "exists" (`UNUSABLE`).
The alternative, unique per organisation, would need an organisation field at sign-in.
"""
from __future__ import annotations

import re
import secrets
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db
from .models import User

UNUSABLE = _l("Det användarnamnet går inte att använda. Välj ett annat, till exempel med "
              "efternamnets första bokstav eller en siffra.")
# Names that would look like the system speaking; refused with the same message as taken ones.
RESERVED = frozenset({"admin", "administrator", "root", "bofast", "system", "support", "help",
                      "info", "security", "postmaster", "webmaster", "test"})
DIGITS = 4


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())[:40]


def is_usable(username: str) -> bool:
    """Free anywhere on the installation and not reserved (one answer for every reason)."""
    if username in RESERVED:
        return False
    return db.session.scalar(select(User.id).where(User.username == username)) is None


def participant_username(first_name: str, protected: bool = False) -> str:
    """"kalle4821": easy to type on a phone, and says nothing about other accounts."""
    word = "deltagare" if protected else (ascii_slug(first_name) or "deltagare")
    while True:
        candidate = f"{word}{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
        if is_usable(candidate):
            return candidate
