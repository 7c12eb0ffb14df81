"""Template translations looked up once per page, not once per string.

Flask-Babel's Jinja callables and its lazy texts resolve the request's locale, domain and
catalog cache on every `_()` or str() (about 90 per staff page, a third of the template time).
`render` pins the catalog for the duration of one render; outside it (error pages, CLI) the
normal lookup is used.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from babel import support
from flask import current_app, has_request_context
from flask_babel import Domain, get_domain, get_locale, get_translations
from flask_wtf import i18n as flask_wtf_i18n
from jinja2 import pass_eval_context
from markupsafe import Markup
from wtforms.i18n import messages_path

_pinned: ContextVar = ContextVar("bofast_pinned_translations", default=None)
_pinned_locale: ContextVar = ContextVar("bofast_pinned_locale", default=None)


def _translations():
    pinned = _pinned.get()
    return pinned[1] if pinned else get_translations()


@contextmanager
def pinned_translations() -> Iterator[None]:
    token = _pinned.set((get_domain(), get_translations()))
    locale_token = _pinned_locale.set(str(get_locale()))
    try:
        yield
    finally:
        _pinned_locale.reset(locale_token)
        _pinned.reset(token)


def pinned_locale() -> str | None:
    """The language of the render under way (`pinned_translations`), else None: a list's
    dates ask it once each (`timeutil._locale`), and Flask-Babel's own answer takes ~35
    calls."""
    return _pinned_locale.get()


_domain_translations = Domain.get_translations


def _pinned_domain_translations(domain):
    """Lazy texts (form labels, menu items: `lazy_gettext`) resolve through their domain on
    every str(): during a render, the pinned catalog of that domain is the same answer."""
    pinned = _pinned.get()
    if pinned is not None and pinned[0] is domain:
        return pinned[1]
    return _domain_translations(domain)


Domain.get_translations = _pinned_domain_translations


# Jinja's own newstyle callables (and its `_` alias) take the whole template context: called
# inside a loop, each call first copies that context (`Context.derived`), i.e. for every `_()`
# in every row of a list. These need only the evaluation context (autoescape), nothing is copied.


# `_("text")` without variables, per catalog: a page has 50-100 of them, each a lookup, a
# Markup and a `%` formatting. Keyed by the catalog object itself (held here, so never another
# catalog's id); bounded, in case a template ever translates something that is not a literal.
_plain: dict[tuple, str] = {}
_PLAIN_SIZE = 8192


@pass_eval_context
def _gettext(eval_ctx, string: str, **variables):
    translations = _translations()
    if not variables:
        key = (translations, string, eval_ctx.autoescape)
        rv = _plain.get(key)
        if rv is None:
            rv = _translated(translations, eval_ctx.autoescape, string, variables)
            if len(_plain) < _PLAIN_SIZE:
                _plain[key] = rv
        return rv
    return _translated(translations, eval_ctx.autoescape, string, variables)


def _translated(translations, autoescape: bool, string: str, variables: dict):
    rv = translations.ugettext(string)
    if autoescape:
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


_wtforms_catalogs: dict[str, object] = {}


def _wtforms_translations():
    """Flask-WTF's lookup of WTForms' own messages ("Not a valid choice." …), the catalog kept
    per language and process: Flask-WTF opens and parses the file again for every request that
    builds a form (~1 ms of a page). Same answer as `flask_wtf.i18n._get_translations`."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    key = str(locale)
    if key not in _wtforms_catalogs:
        _wtforms_catalogs[key] = support.Translations.load(
            messages_path(), [locale], domain="wtforms")
    return _wtforms_catalogs[key]


def cache_wtforms_catalogs() -> None:
    # Flask-WTF's Translations.gettext looks the module function up on every call.
    flask_wtf_i18n._get_translations = _wtforms_translations
