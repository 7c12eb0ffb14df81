"""Compressed responses from the app itself (issue 17): gunicorn alone sends everything as is,
and a phone on a slow connection should not depend on a proxy's configuration for small pages.

Pages, htmx fragments and JSON are compressed per response by Flask-Compress (brotli or gzip, as
the browser accepts). The shell's static files never change between deploys, so each is
compressed once per process at the highest level and kept in memory (keyed by file, size and
modification time), not per request. Behind the README's nginx, /static/ never reaches the app
and nginx leaves already-compressed answers as they are.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

# The same types as nginx's gzip_types in the README (HTML always). CSV downloads stay as they
# are: a spreadsheet import should get the bytes it asked for.
MIMETYPES = [
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "image/svg+xml", "text/calendar",
]
# Brotli first: ~15 % smaller than gzip for our HTML, as cheap to make at level 4.
CODINGS = ("br", "gzip")
# (static file path, coding) -> (modification time, size, compressed bytes)
_static_cache: dict[tuple[str, str], tuple[int, int, bytes]] = {}


def init_compression(app: Flask) -> None:
    """Register before the other after_request hooks, so compression runs last (Flask runs them
    in reverse order) and sees the final body and headers."""
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", list(CODINGS))
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    # Smaller answers (/healthz, empty htmx swaps) gain nothing and are left alone.
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    # Nothing else streams: static files (send_file) are handled below, from the cache.
    app.config.setdefault("COMPRESS_STREAMS", False)
    app.extensions["bofast_compress"] = Compress(app)
    # Registered after Flask-Compress, so it runs before it; Flask-Compress then sees
    # Content-Encoding and leaves the response alone.
    app.after_request(compress_static)


def compress_static(response: Response) -> Response:
    """A static file, compressed once and served from memory, with its own ETag per coding."""
    if (request.endpoint != "static" or response.status_code != 200
            or request.method not in ("GET", "HEAD")
            or "Content-Encoding" in response.headers
            or response.mimetype not in current_app.config["COMPRESS_MIMETYPES"]):
        return response
    response.vary.add("Accept-Encoding")
    coding = request.accept_encodings.best_match(CODINGS)
    filename = (request.view_args or {}).get("filename")
    path = safe_join(current_app.static_folder, filename) if filename else None
    if coding is None or path is None:
        return response
    body = compressed_file(Path(path), coding)
    if hasattr(response.response, "close"):
        response.response.close()  # the file send_file opened
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = coding
    etag, weak = response.get_etag()
    if etag:
        # Each coding is its own representation (RFC 9110 8.8.3), as Flask-Compress marks it.
        response.set_etag(f"{etag}:{coding}", weak=weak)
    return response.make_conditional(request)


def compressed_file(path: Path, coding: str) -> bytes:
    """The file's bytes in `coding`, made once while the file is unchanged."""
    stat = path.stat()
    key = (str(path), coding)
    cached = _static_cache.get(key)
    if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return cached[2]
    data = path.read_bytes()
    body = (brotli.compress(data, quality=11) if coding == "br"
            else gzip.compress(data, compresslevel=9, mtime=0))
    # Two threads may both compress a changed file once; the dict keeps either result.
    _static_cache[key] = (stat.st_mtime_ns, stat.st_size, body)
    return body
