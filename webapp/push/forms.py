from flask_wtf import FlaskForm
from wtforms import BooleanField


class ReminderPreferenceForm(FlaskForm):
    evening_before = BooleanField("Kvällen före, klockan 18")
    hour_before = BooleanField("En timme före")
    quiet_hours = BooleanField("Inga notiser på natten (klockan 21–08)")
