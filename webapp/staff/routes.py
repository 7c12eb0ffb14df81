from flask_login import current_user

from ..access import visible_participants
from ..extensions import db
from ..rendering import render
from . import bp


@bp.route("/today")
def today():
    return render("staff/today.html")


@bp.route("/participants")
def participants():
    people = db.session.scalars(visible_participants(current_user)).all()
    return render("staff/participants.html", participants=people)
