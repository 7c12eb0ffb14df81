"""Template filters and globals shared by every area."""
from __future__ import annotations

from uuid import uuid4

from flask import current_app, render_template, url_for
from flask.globals import _cv_request  # the request context without a proxy (cached_url_for)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from . import access, timeutil
from .form_fields import blank_fields
from .i18n import cache_wtforms_catalogs, install_template_gettext

# The bottom navigation per role: (endpoint, label). Labels are lazy: translated per request.
NAVIGATION = {
    "staff": [("staff.today", _l("Idag")), ("staff.participants", _l("Deltagare"))],
    "social_worker": [("social.home", _l("Mina ärenden")),
                      ("staff.participants", _l("Deltagare"))],
    "participant": [
        ("me.plan", _l("Min plan")), ("me.appointments", _l("Mina tider")),
        ("me.contacts", _l("Kontakter")), ("me.home", _l("Min lägenhet")),
    ],
    "housing": [("housing.home", _l("Översikt")), ("housing.checklists", _l("Genomgångar")),
                ("housing.tenancies", _l("Hyresgäster")),
                ("housing.apartments", _l("Lägenheter"))],
    "admin": [("admin.users", _l("Användare")), ("admin.settings", _l("Inställningar")),
              ("admin.audit", _l("Logg")), ("admin.figures", _l("Uppföljning"))],
}

HOME_ENDPOINT = {
    "staff": "staff.today",
    "social_worker": "social.home",
    "participant": "me.plan",
    "housing": "housing.home",
    "admin": "admin.users",
}


def navigation() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label in NAVIGATION.get(current_user.role, []):
        items.append((endpoint, cached_url_for(endpoint), str(label)))
    return items


_per_locale: dict[tuple[str, str], Markup] = {}


def per_locale(template: str) -> Markup:
    """A partial that depends only on the language, rendered once per language and process:
    base.html's thirty outbox texts would otherwise cost thirty lookups on every page."""
    key = (template, str(get_locale()))
    if key not in _per_locale:
        _per_locale[key] = Markup(render_template(template))  # noqa: S704 - escaped output
    return _per_locale[key]


_URL_CACHE_SIZE = 20_000


def cached_url_for(endpoint: str, **values) -> str:
    """url_for for templates, each (endpoint, values) built once per app and script root: a
    page builds 15-130 URLs (its static files, menus, tabs, row links), most the same on every
    request. The request context is read once from Flask's context variable, not through the
    `current_app`/`request` proxies (a list of 100 rows paid ~3.5 µs a link for those). Relative
    (".x") endpoints and the `_anchor`/`_external`/... forms are built as usual, as is
    everything outside a request."""
    ctx = _cv_request.get(None)
    if ctx is None or endpoint[:1] == "." or ctx.app.url_default_functions:
        return url_for(endpoint, **values)
    items = tuple(sorted(values.items())) if len(values) > 1 else tuple(values.items())
    for name, _value in items:
        if name[:1] == "_":
            return url_for(endpoint, **values)
    key = (ctx.request.script_root, endpoint, items)
    cache = ctx.app.extensions.get("bofast_url_cache")
    if cache is None:
        cache = ctx.app.extensions["bofast_url_cache"] = {}
    try:
        return cache[key]
    except TypeError:  # a value that cannot be a key
        return url_for(endpoint, **values)
    except KeyError:
        url = url_for(endpoint, **values)
        if len(cache) < _URL_CACHE_SIZE:
            cache[key] = url
        return url


# The page's scripts, fetched by static/js/loader.js after the first paint and the load event,
# in the listed order. Names are paths under static/. htmx comes first: the others listen for
# its events; common.js before outbox.js, pwa.js and checklist.js, which use it.
HTMX_SCRIPTS = ("vendor/htmx-2.0.11.min.js",)
SHELL_SCRIPTS = ("js/app.js", "js/push.js", "js/common.js", "js/outbox.js", "js/pwa.js")
_loader_tags: dict[tuple, Markup] = {}


def load_scripts(names) -> Markup:
    """The page's one <script> tag: loader.js with the list it fetches. Written once per list
    and script root (as a macro it was ~270 Python calls of every page)."""
    ctx = _cv_request.get(None)
    key = (ctx.request.script_root if ctx is not None else "", tuple(names))
    tag = _loader_tags.get(key)
    if tag is None:
        urls = " ".join(cached_url_for("static", filename=name) for name in names)
        tag = _loader_tags[key] = Markup(
            '<script src="{}" defer data-scripts="{}"></script>').format(
            cached_url_for("static", filename="js/loader.js"), urls)
    return tag


# Markup written once per content (`kept_markup`): bounded, emptied when full.
_kept_markup: dict[tuple, Markup] = {}
KEPT_MARKUP_SIZE = 4096


def kept_markup(key: tuple, render, *args) -> Markup:
    """`render(*args)` (a macro) written once per `key`, language and script root, and process:
    Idag writes a dozen due groups of ~450 Python calls each, and the same groups again on
    every view. `key` must hold everything the markup shows (values, not objects that change),
    and the markup nothing per request (no CSRF token)."""
    ctx = _cv_request.get(None)
    full = (str(get_locale()), ctx.request.script_root if ctx is not None else "", key)
    markup = _kept_markup.get(full)
    if markup is None:
        markup = Markup(render(*args))  # noqa: S704 - a macro's output, escaped by Jinja
        if len(_kept_markup) >= KEPT_MARKUP_SIZE:
            _kept_markup.clear()  # one step, safe with other threads; refills as used
        _kept_markup[full] = markup
    return markup


# Holes in a kept form for what each request writes anew (`kept_form`).
_CSRF_HOLE, _KEY_HOLE = "\x00csrf\x00", "\x00key\x00"


def kept_form(key: tuple, render, *args) -> Markup:
    """`kept_markup` of markup holding a form whose only values per request are its CSRF
    token and a new idempotency key: `render(*args, csrf, key)` is written once with holes
    there, filled in on every call (Idag's visits: ~700 Python calls each)."""
    markup = kept_markup(("form", key), render, *args, _CSRF_HOLE, _KEY_HOLE)
    # Both values are URL-safe characters only: nothing to escape.
    return Markup(str(markup).replace(_CSRF_HOLE, generate_csrf())  # noqa: S704
                  .replace(_KEY_HOLE, uuid4().hex))


def register_template_helpers(app) -> None:
    install_template_gettext(app)
    cache_wtforms_catalogs()
    app.jinja_env.filters.update(
        local_datetime=timeutil.format_datetime,
        local_time=timeutil.format_time,
        local_day=timeutil.format_day,
        to_local=timeutil.to_local,
    )
    app.jinja_env.globals.update(
        url_for=cached_url_for,
        blank_fields=blank_fields,  # blank record forms of every area, rendered once
        load_scripts=load_scripts,
        kept_markup=kept_markup,
        kept_form=kept_form,
        HTMX_SCRIPTS=HTMX_SCRIPTS,
        SHELL_SCRIPTS=SHELL_SCRIPTS,
        navigation=navigation,
        per_locale=per_locale,
        get_locale=get_locale,
        current_app=current_app,
        display_name=access.display_name,
        display_address=access.display_address,
        may_see_identity=access.may_see_identity,
        can=lambda capability: current_user.is_authenticated and access.can(
            current_user, capability
        ),
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
