from flask import redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db
from ..templating import HOME_ENDPOINT
from ..urlsafety import safe_next
from . import bp


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_ENDPOINT[current_user.role]))


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in ("sv", "en"):
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
