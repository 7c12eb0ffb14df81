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
from jinja2 import pass_eval_context
from markupsafe import Markup

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


# Jinja's own newstyle callables (and its `_` alias) take the whole template context: called
# inside a loop, each call first copies that context (`Context.derived`), i.e. for every `_()`
# in every row of a list. These need only the evaluation context (autoescape), nothing is copied.


@pass_eval_context
def _gettext(eval_ctx, string: str, **variables):
    rv = _translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalog, as in Jinja's newstyle gettext
    return rv % variables  # always a format string, as Jinja's newstyle gettext


@pass_eval_context
def _ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    rv = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalog, as in Jinja's newstyle gettext
    return rv % variables


@pass_eval_context
def _pgettext(eval_ctx, context: str, string: str, **variables):
    variables.setdefault("context", context)
    rv = _translations().upgettext(context, string)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalog, as in Jinja's newstyle gettext
    return rv % variables


@pass_eval_context
def _npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    rv = _translations().unpgettext(context, singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalog, as in Jinja's newstyle gettext
    return rv % variables


def install_template_gettext(app) -> None:
    """Replace Flask-Babel's Jinja callables (same behaviour, newstyle gettext)."""
    env = app.jinja_env
    # Registers the i18n extension's newstyle mode ({% trans %} compiles to these calls)...
    env.install_gettext_callables(gettext=_translations, ngettext=_translations, newstyle=True)
    # ...then the callables themselves, `_` included (Jinja's `_` looks `gettext` up per call).
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext,
                       npgettext=_npgettext)
