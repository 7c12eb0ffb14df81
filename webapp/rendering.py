"""One template per page; an htmx request gets just the named block (STYLE §7)."""
from __future__ import annotations

from flask import make_response, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block

from .i18n import pinned_translations


def is_fragment_request() -> bool:
    """An htmx request that swaps part of a page (a boosted link wants the whole page)."""
    return bool(request.htmx) and not request.htmx.boosted


def wants_json() -> bool:
    """The outbox and the push API ask for JSON; a browser's navigation never prefers it."""
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json" and (
        accept["application/json"] >= accept["text/html"])


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render the whole page, or only `block` for a (non-boosted) htmx request."""
    with pinned_translations():
        if block and is_fragment_request():
            body = render_block(template, block, **context)
        else:
            body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
