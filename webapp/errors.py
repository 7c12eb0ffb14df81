"""Error pages in the user's language; htmx and JSON callers get a short body."""
from flask import jsonify, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from htmx_flask import request

from .rendering import wants_json

MESSAGES = {
    400: _l("Förfrågan kunde inte behandlas."),
    401: _l("Du behöver logga in."),
    403: _l("Du har inte behörighet till den här sidan."),
    404: _l("Sidan finns inte."),
    405: _l("Det går inte att göra så här."),
    413: _l("Det du skickade är för stort."),
    415: _l("Det går inte att skicka data i det formatet här."),
    429: _l("För många försök. Vänta en stund och försök igen."),
    500: _l("Något gick fel hos oss. Försök igen om en stund."),
}


def _respond(status: int, message: str | None = None):
    message = str(message or MESSAGES.get(status, MESSAGES[500]))
    if wants_json() or request.is_json:
        return jsonify(error=message), status
    if request.htmx:
        return f'<p class="error" role="alert">{message}</p>', status
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app):
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, s=status: _respond(s))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return _respond(400, _("Formuläret har gått ut. Ladda om sidan och försök igen."))
