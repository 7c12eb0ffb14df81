from flask import jsonify

from . import bp


@bp.route("/manifest.webmanifest")
def manifest():
    response = jsonify(name="Bofast", short_name="Bofast", start_url="/", display="standalone")
    response.mimetype = "application/manifest+json"
    return response
