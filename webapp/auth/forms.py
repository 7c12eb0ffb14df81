from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .credentials import password_problem

REMEMBER_LABEL = _l("Håll mig inloggad på den här telefonen i 30 dagar")


class LoginForm(FlaskForm):
    username = StringField(_l("Användarnamn"), validators=[
        DataRequired(_l("Skriv ditt användarnamn.")), Length(max=80)])
    password = PasswordField(_l("Lösenord"), validators=[
        DataRequired(_l("Skriv ditt lösenord.")), Length(max=200)])
    remember = BooleanField(REMEMBER_LABEL)


class TotpForm(FlaskForm):
    code = StringField(_l("Engångskod från appen"), validators=[
        DataRequired(_l("Skriv den sexsiffriga koden.")), Length(max=10)])


class ActivationCodeForm(FlaskForm):
    code = StringField(_l("Din kod"), validators=[DataRequired(_l("Skriv koden du fick.")),
                                                  Length(max=20)])


class ChoosePasswordForm(FlaskForm):
    code = StringField(_l("Din kod"), validators=[DataRequired(_l("Skriv koden du fick.")),
                                                  Length(max=20)])
    password = PasswordField(_l("Välj ett lösenord"), validators=[
        DataRequired(_l("Skriv ett lösenord.")), Length(max=200)])
    confirm = PasswordField(_l("Skriv lösenordet en gång till"), validators=[
        DataRequired(_l("Skriv lösenordet en gång till.")),
        EqualTo("password", _l("Lösenorden är inte likadana."))])
    remember = BooleanField(REMEMBER_LABEL)

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Nuvarande lösenord"), validators=[
        DataRequired(_l("Skriv ditt nuvarande lösenord.")), Length(max=200)])
    password = PasswordField(_l("Nytt lösenord"), validators=[
        DataRequired(_l("Skriv ett lösenord.")), Length(max=200)])
    confirm = PasswordField(_l("Skriv det nya lösenordet en gång till"), validators=[
        DataRequired(_l("Skriv lösenordet en gång till.")),
        EqualTo("password", _l("Lösenorden är inte likadana."))])

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        if field.data and field.data == self.current.data:
            raise ValidationError(_l("Välj ett annat lösenord än det nuvarande."))
