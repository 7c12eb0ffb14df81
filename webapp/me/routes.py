from ..access import own_participant
from ..rendering import render
from . import bp


@bp.route("/me/plan")
def plan():
    return render("me/plan.html", participant=own_participant())
