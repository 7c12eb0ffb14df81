"""Hostile input is refused at the door with a 4xx and a clear message, never a 500 (issue 13.8).

- `BoundedIntConverter` replaces Flask's `<int:…>`: ids past PostgreSQL's INTEGER range
  (2^31 - 1) do not match the route, so they are a plain 404 instead of a database error.
- `reject_bad_input` (before_request): NUL bytes anywhere in the path, query or form (the
  databases refuse them), and files sent to a form that takes none.
- `install_date_bounds`: every date typed into a form must lie in a sane range; a date like
  9999-12-31 would be stored and then break every page that calculates with it.
"""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

MAX_DB_INT = 2**31 - 1
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to what an INTEGER column holds."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def register_converters(app) -> None:
    """Must run before any route is added (rules bind their converter when added)."""
    app.url_map.converters["int"] = BoundedIntConverter


def accepts_files(view):
    """Mark a view that takes file uploads; every other view refuses multipart files."""
    view.accepts_files = True
    return view


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values.lists())


def reject_bad_input():
    if "\x00" in request.path:
        abort(404)
    if _has_nul(request.args):
        abort(400)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_nul(request.form):
            abort(400)
        view = current_app.view_functions.get(request.endpoint)
        if request.files and not getattr(view, "accepts_files", False):
            abort(415)
    return None


def sane_date(value: date | None) -> bool:
    return value is None or EARLIEST_YEAR <= value.year <= LATEST_YEAR


DATE_RANGE_MESSAGE = _l("Datumet måste ligga mellan år 1900 och 2199. Kontrollera året.")


def install_date_bounds() -> None:
    """Every wtforms date field (present and future forms) refuses years outside the range."""
    from wtforms import fields

    for cls in (fields.DateField, fields.DateTimeField, fields.DateTimeLocalField):
        original = cls.__dict__.get("process_formdata")
        if original is None or getattr(original, "_bounded", False):
            continue

        def process_formdata(self, valuelist, _original=original):
            _original(self, valuelist)
            if self.data is not None and not sane_date(
                    self.data if isinstance(self.data, date) else self.data.date()):
                self.data = None
                raise ValueError(str(DATE_RANGE_MESSAGE))

        process_formdata._bounded = True
        cls.process_formdata = process_formdata


def page_arg(name: str = "page") -> int:
    """A ?page= number ≥ 1; nonsense is page 1 and a huge number is capped (the caller clamps
    it to the pages there are), so no OFFSET ever overflows."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_DB_INT)


def page_of(total: int, size: int, name: str = "page") -> tuple[int, int]:
    """(page, pages) of a list of `total` rows, `size` a page: ?page= (or ?`name`=) clamped to
    the pages there are (an empty list has one, empty page)."""
    pages = max(1, -(-total // size))
    return min(page_arg(name), pages), pages
