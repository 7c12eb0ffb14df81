from ..rendering import render
from . import bp


@bp.route("/housing")
def home():
    return render("housing/home.html")
