"""Keys of markup kept per content (templating.kept_form) on the participant's pages."""
from __future__ import annotations


def columns(obj) -> tuple | None:
    """A loaded row's column values, all of them: a key holding these changes with whatever
    the markup shows of the row (a name, a date, a flag), with no list of fields to keep up."""
    if obj is None:
        return None
    return tuple(getattr(obj, attr.key) for attr in obj.__mapper__.column_attrs)
