from ..rendering import render
from . import bp


@bp.route("/admin/users")
def users():
    return render("admin/users.html")
