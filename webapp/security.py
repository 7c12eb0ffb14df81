"""Security headers and session hygiene applied to every response."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .models import utcnow

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated and request.endpoint != "static":
        # Personal data must not linger in shared caches or the browser's back-forward cache.
        headers.setdefault("Cache-Control", "no-store")
    if "HX-Request" not in headers.get("Vary", ""):
        response.vary.add("HX-Request")
    return response


# `last_seen` is rewritten at most once a minute: a changed session is signed and sent again as a
# Set-Cookie on every response, and the timeout is counted in minutes (it may end up to one
# step early, never late).
LAST_SEEN_STEP = 60


def enforce_idle_timeout():
    """Staff-side sessions end after BOFAST_IDLE_MINUTES without a request (DESIGN §7)."""
    if not current_user.is_authenticated or current_user.role == "participant":
        return None
    if request.endpoint in ("static", "pwa.service_worker", "pwa.manifest", "main.healthz"):
        return None
    now = utcnow().timestamp()
    last = session.get("last_seen")
    idle = timedelta(minutes=current_app.config["BOFAST_IDLE_MINUTES"]).total_seconds()
    # Every staff-side sign-in stamps `last_seen` (auth.routes._finish_login), so a cookie
    # without one is an old copy: it is timed out too, never exempt.
    if not isinstance(last, (int, float)) or now - last > idle:
        # A signed cookie cannot be recalled, and older copies of it (taken before the last
        # request) would still look fresh: end every cookie of this sign-in.
        from .auth.credentials import rotate_session
        from .extensions import db

        user = current_user._get_current_object()
        rotate_session(user)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Du har loggats ut eftersom du inte har använt Bofast på en stund."), "info")
        return redirect(url_for("auth.login"))
    if now - last >= LAST_SEEN_STEP:
        session["last_seen"] = now
    return None


# While a temporary password must be replaced, only these work (plus the static files).
PASSWORD_CHANGE_ENDPOINTS = frozenset({
    "auth.change_password", "auth.logout", "static", "main.set_language", "main.healthz",
    "pwa.service_worker", "pwa.manifest", "pwa.icon", "pwa.offline",
})


def enforce_password_change():
    """A password set by the admin is changed at the next sign-in before anything else."""
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        return redirect(url_for("auth.change_password"))
    abort(403)


# Only the push API takes JSON bodies (DESIGN §10); every other write is a form post, also from
# the offline outbox. Flask-WTF would read a JSON body as form data, and a number, list or bare
# value where a form expects text would be a 500.
JSON_BODY_BLUEPRINTS = frozenset({"push"})


def check_json_body():
    if not request.is_json or request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.blueprint not in JSON_BODY_BLUEPRINTS:
        abort(415)
    if not isinstance(request.get_json(silent=True), dict):
        abort(400)
    return None
