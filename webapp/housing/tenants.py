"""A participant as housing's lists show them: a row of columns, not an ORM object."""
from __future__ import annotations

from typing import NamedTuple

from ..models import Participant


class Tenant(NamedTuple):
    """The columns of a participant that housing's lists show, read as a row, not an ORM object
    (the scope is up to 1,000 tenants); `display_name` and `display_address` (access.py) take
    it like a participant."""

    id: int
    first_name: str
    last_name: str
    pseudonym: str | None
    protected_identity: bool
    user_id: int | None
    full_name = Participant.full_name
    masked_name = Participant.masked_name


TENANT_COLUMNS = (Participant.id, Participant.first_name, Participant.last_name,
                  Participant.pseudonym, Participant.protected_identity, Participant.user_id)
