from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .services import password_problem


class LoginForm(FlaskForm):
    username = StringField("Användarnamn", validators=[
        DataRequired("Skriv ditt användarnamn."), Length(max=80)])
    password = PasswordField("Lösenord", validators=[
        DataRequired("Skriv ditt lösenord."), Length(max=200)])
    remember = BooleanField("Håll mig inloggad på den här telefonen i 30 dagar")


class TotpForm(FlaskForm):
    code = StringField("Engångskod från appen", validators=[
        DataRequired("Skriv den sexsiffriga koden."), Length(max=10)])


class ActivationCodeForm(FlaskForm):
    code = StringField("Din kod", validators=[DataRequired("Skriv koden du fick."),
                                              Length(max=20)])


class ChoosePasswordForm(FlaskForm):
    code = StringField("Din kod", validators=[DataRequired(), Length(max=20)])
    password = PasswordField("Välj ett lösenord", validators=[
        DataRequired("Skriv ett lösenord."), Length(max=200)])
    confirm = PasswordField("Skriv lösenordet en gång till", validators=[
        DataRequired("Skriv lösenordet en gång till."),
        EqualTo("password", "Lösenorden är inte likadana.")])
    remember = BooleanField("Håll mig inloggad på den här telefonen i 30 dagar")

    def validate_password(self, field):
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
