"""Absolute URLs that leave the request (QR codes, links in feeds and messages)."""
from __future__ import annotations

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    """The URL on BOFAST_BASE_URL, never built from the request: behind a proxy the Host header
    is whatever the client sent, and the scheme may be the proxy's http."""
    return current_app.config["BOFAST_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
