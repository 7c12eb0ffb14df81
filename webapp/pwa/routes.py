"""The installable shell (DESIGN §5): manifest, icons, service worker, offline page.

The service worker is served from a route (not /static/) so that its scope can be `/`; its
cache version is a hash of the precached files, computed once at start-up, so each deploy that
changes the shell installs a new worker and replaces the old cache.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Response, current_app, jsonify, render_template, send_from_directory, url_for

from . import bp

THEME_COLOUR = "#1d4e5f"
BACKGROUND_COLOUR = "#f6f7f5"  # --bg in app.css
# Globs under static/ that make up the app shell; other helpers' JS is picked up automatically.
SHELL_GLOBS = ("css/*.css", "vendor/*.js", "js/*.js", "icons/*.png")
SW_SOURCE = "js/sw.js"  # served by `service_worker`, not precached from /static/
OFFLINE_TEMPLATE = "pwa/offline.html"


@bp.record_once
def _compute_shell(state) -> None:
    """Hash the shell once per app: the version changes exactly when a shell file changes."""
    app = state.app
    static = Path(app.static_folder)
    files = sorted(
        {p for pattern in SHELL_GLOBS for p in static.glob(pattern) if p.is_file()},
        key=lambda p: p.relative_to(static).as_posix(),
    )
    digest = hashlib.sha256()
    for path in [*files, Path(app.root_path) / "templates" / OFFLINE_TEMPLATE]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    app.extensions["bofast_shell"] = {
        "version": digest.hexdigest()[:16],
        "static_files": [
            p.relative_to(static).as_posix() for p in files
            if p.relative_to(static).as_posix() != SW_SOURCE
        ],
    }


@bp.route("/manifest.webmanifest")
def manifest():
    def icon(filename: str, size: int, purpose: str) -> dict:
        return {"src": url_for("static", filename=f"icons/{filename}"),
                "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}

    response = jsonify({
        "id": "/",
        "name": "Bofast",
        "short_name": "Bofast",
        "description": "Stöd i Bostad först: dagens besök, planer och månadens genomgång.",
        "lang": "sv",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["productivity", "medical"],
        "icons": [
            icon("icon-192.png", 192, "any"),
            icon("icon-512.png", 512, "any"),
            icon("icon-maskable-192.png", 192, "maskable"),
            icon("icon-maskable-512.png", 512, "maskable"),
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/icons/<filename>")
def icon(filename: str):
    """The icons at a short, stable path too (some launchers and tools look here)."""
    return send_from_directory(Path(current_app.static_folder) / "icons", filename,
                               mimetype="image/png" if filename.endswith(".png") else None)


@bp.route("/sw.js")
def service_worker():
    shell = current_app.extensions["bofast_shell"]
    precache = [url_for("static", filename=name) for name in shell["static_files"]]
    precache.append(url_for("pwa.offline"))
    source = (Path(current_app.static_folder) / SW_SOURCE).read_text(encoding="utf-8")
    source = source.replace('"__BOFAST_VERSION__"', json.dumps(shell["version"])).replace(
        '"__BOFAST_PRECACHE__"', json.dumps(precache))
    response = Response(source, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # The browser must always see a new deploy's worker; the HTTP cache must not pin an old one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline():
    """Stands alone: no session, no user, no token, so the service worker can store it."""
    response = Response(render_template(OFFLINE_TEMPLATE), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response
