from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

COMMENT_KINDS = [SelectChoice("comment", _l("En kommentar")), SelectChoice("wish", _l("En önskan"))]


class GoalCommentForm(FlaskForm):
    """A comment or a wish on one goal; prefixed per goal so ids stay unique on the page."""

    kind = RadioField(_l("Vad vill du skriva?"), choices=COMMENT_KINDS, default="comment",
                      validators=[DataRequired(_l("Välj kommentar eller önskan."))])
    text = TextAreaField(_l("Skriv här"), validators=[
        DataRequired(_l("Skriv något först.")),
        Length(max=2000, message=_l("Texten är för lång. Skriv högst 2000 tecken.")),
    ])

    def validate_text(self, field):
        if not (field.data or "").strip():
            raise ValidationError(_l("Skriv något först."))


class StepDoneForm(FlaskForm):
    """Tick a step done (done=1) or take the tick back (done=0)."""

    done = HiddenField(default="1")


class NewCalendarLinkForm(FlaskForm):
    """A button-only POST still needs a form (CSRF)."""
