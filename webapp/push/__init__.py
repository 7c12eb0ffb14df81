from flask import Blueprint

bp = Blueprint("push", __name__)


@bp.record_once
def _install_reminder_hooks(_state):
    # Appointments and disturbances re-plan their reminders on commit, whichever view changed
    # them (webapp/reminders.py).
    from ..reminders import install_hooks

    install_hooks()


from . import routes  # noqa: E402,F401
