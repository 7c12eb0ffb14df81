"""Template translations looked up once per page, not once per string.

Flask-Babel's Jinja callables resolve the request's locale, domain and catalog cache on every
`_()` (about 90 per staff page, a third of the template time). `render` pins the catalog for
the duration of one render; outside it (error pages, CLI) the normal lookup is used.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import get_translations

_pinned: ContextVar = ContextVar("bofast_pinned_translations", default=None)


def _translations():
    return _pinned.get() or get_translations()


@contextmanager
def pinned_translations() -> Iterator[None]:
    token = _pinned.set(get_translations())
    try:
        yield
    finally:
        _pinned.reset(token)


def install_template_gettext(app) -> None:
    """Replace Flask-Babel's Jinja callables (same behaviour, newstyle gettext)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
