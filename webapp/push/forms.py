from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class ReminderPreferenceForm(FlaskForm):
    evening_before = BooleanField(_l("Kvällen före, klockan 18"))
    hour_before = BooleanField(_l("En timme före"))
    quiet_hours = BooleanField(_l("Inga notiser på natten (klockan 21–08)"))
