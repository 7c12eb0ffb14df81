"""One template per page; an htmx request gets just the named block (STYLE §7)."""
from __future__ import annotations

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render the whole page, or only `block` for a (non-boosted) htmx request."""
    if block and request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-Boosted"
    ):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
