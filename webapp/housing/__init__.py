from flask import Blueprint

bp = Blueprint("housing", __name__)

from . import routes  # noqa: E402,F401
