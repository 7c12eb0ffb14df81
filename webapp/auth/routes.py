"""Sign-in: password, TOTP second factor (with enrolment), participant activation, logout."""
from __future__ import annotations

import pyotp
from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..audit import record
from ..extensions import db, limiter
from ..models import User
from ..rendering import render
from ..templating import HOME_ENDPOINT
from ..urlsafety import safe_next
from . import bp, credentials
from .forms import (
    ActivationCodeForm,
    ChangePasswordForm,
    ChoosePasswordForm,
    LoginForm,
    TotpForm,
)

# Lazy: the text is chosen in the language of the request that shows it.
WRONG_LOGIN = _l("Fel användarnamn eller lösenord.")
LOCKED = _l(
    "Kontot är låst en stund efter för många felaktiga försök. Försök igen om 15 minuter."
)
PENDING_KEY = "pending_login"


def _finish_login(user: User, remember: bool = False):
    next_url = safe_next(session.get("login_next"))
    # A fresh session at sign-in: nothing from before the login survives (session fixation).
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    credentials.register_success(user)
    login_user(user, remember=remember and user.role == "participant")
    session["last_seen"] = credentials.utcnow().timestamp()  # the idle clock starts at sign-in
    record("login", object_type="user", object_id=user.id, user=user)
    db.session.commit()
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(next_url or url_for(HOME_ENDPOINT[user.role]))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["login_next"] = safe_next(request.args["next"])
    if form.validate_on_submit():
        username = form.username.data.strip()
        # Counted per username and client, the same whether the account exists or not: the
        # answer (text and time) never tells which usernames are real, and a stranger's wrong
        # guesses lock only the stranger out.
        key = credentials.throttle_key(username, request.remote_addr)
        user = db.session.scalar(db.select(User).where(User.username == username))
        if credentials.throttled(key):
            credentials.spend_password_time(form.password.data)
            form.password.errors.append(LOCKED)
        elif user is None or not credentials.verify_password(user, form.password.data):
            if user is None:
                credentials.spend_password_time(form.password.data)
            locked = credentials.register_throttled_failure(key)
            db.session.commit()
            form.password.errors.append(LOCKED if locked else WRONG_LOGIN)
        elif not user.active:
            form.password.errors.append(_("Kontot är avstängt. Kontakta din samordnare."))
        elif user.needs_second_factor:
            credentials.clear_throttle(key)
            session[PENDING_KEY] = {"id": user.id, "token": user.session_token}
            db.session.commit()
            if user.totp_confirmed_at is None:
                return redirect(url_for("auth.totp_enrol"))
            return redirect(url_for("auth.login_totp"))
        else:
            credentials.clear_throttle(key)
            return _finish_login(user, remember=form.remember.data)
        return render("auth/login.html", form=form, status=422)
    return render("auth/login.html", form=form, status=422 if request.method == "POST" else 200)


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not pending:
        return None
    user = db.session.get(User, pending.get("id"))
    if user is None or not user.active or user.session_token != pending.get("token"):
        return None
    return user


def _check_code(user: User, form: TotpForm) -> bool:
    if credentials.is_locked(user):
        form.code.errors.append(LOCKED)
        return False
    if credentials.verify_totp(user, form.code.data):
        return True
    credentials.register_failure(user)
    db.session.commit()
    form.code.errors.append(
        LOCKED if credentials.is_locked(user)
        else _("Koden stämmer inte. Skriv den nya koden från appen.")
    )
    if credentials.is_locked(user):
        session.pop(PENDING_KEY, None)
    return False


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login_totp():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is None:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        if _check_code(user, form):
            return _finish_login(user)
        return render("auth/totp.html", form=form, status=422)
    return render("auth/totp.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/login/totp/enrol", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def totp_enrol():
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_confirmed_at is not None:
        return redirect(url_for("auth.login_totp"))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    form = TotpForm()
    if form.validate_on_submit():
        if _check_code(user, form):
            user.totp_confirmed_at = credentials.utcnow()
            record("totp_enrolled", object_type="user", object_id=user.id, user=user)
            return _finish_login(user)
        status = 422
    else:
        status = 200
    return render("auth/totp_enrol.html", form=form, qr=credentials.totp_qr_svg(user),
                  secret=user.totp_secret, status=status)


def _no_code_to_check() -> bool:
    return request.method == "GET" and not request.args.get("code")


@bp.route("/activate", methods=["GET", "POST"])
# A link with ?code= checks a code just like the form does: both count against one budget.
@limiter.limit("10 per minute", methods=["GET", "POST"], exempt_when=_no_code_to_check)
def activate():
    """Participants: code from the worker (QR or typed) -> choose a password -> home."""
    if request.method == "POST" and "password" in request.form:
        form = ChoosePasswordForm()
        code, problem = credentials.find_activation_code(form.code.data or "")
        if code is None:
            return render("auth/activate.html", code_form=ActivationCodeForm(formdata=None,
                          code=form.code.data), code_error=problem, status=422)
        if not form.validate_on_submit():
            return render("auth/choose_password.html", form=form, status=422)
        user = code.user
        code.used_at = credentials.utcnow()
        user.password_hash = credentials.hash_password(form.password.data)
        credentials.rotate_session(user)
        record("activated", object_type="user", object_id=user.id, user=user)
        return _finish_login(user, remember=form.remember.data)

    code_form = ActivationCodeForm(request.form if request.method == "POST" else None,
                                   code=request.args.get("code", ""))
    typed = code_form.code.data
    if typed and (request.method == "POST" and code_form.validate() or request.method == "GET"):
        code, problem = credentials.find_activation_code(typed)
        if code is not None:
            form = ChoosePasswordForm(formdata=None, code=credentials.normalise_code(typed))
            return render("auth/choose_password.html", form=form)
        return render("auth/activate.html", code_form=code_form, code_error=problem, status=422)
    return render("auth/activate.html", code_form=code_form, code_error=None,
                  status=422 if request.method == "POST" else 200)


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def change_password():
    """Every user changes their own password; a temporary one from the admin must be."""
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render("auth/change_password.html", form=form, forced=user.must_change_password,
                      status=422 if request.method == "POST" else 200)
    if not credentials.verify_password(user, form.current.data):
        form.current.errors.append(_("Det nuvarande lösenordet stämmer inte."))
        return render("auth/change_password.html", form=form, forced=user.must_change_password,
                      status=422)
    user.password_hash = credentials.hash_password(form.password.data)
    user.must_change_password = False
    credentials.rotate_session(user)  # other cookies with the old password's session end
    record("password_changed", object_type="user", object_id=user.id)
    db.session.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session["last_seen"] = credentials.utcnow().timestamp()
    flash(_("Ditt nya lösenord är sparat."), "success")
    return redirect(url_for(HOME_ENDPOINT[user.role]))


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user._get_current_object()
    credentials.rotate_session(user)  # every other cookie of this user stops working too
    record("logout", object_type="user", object_id=user.id)
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Du är utloggad."), "info")
    response = redirect(url_for("auth.login"))
    # Drop the HTTP cache; the page script clears Cache Storage and sent outbox items (§5).
    response.headers["Clear-Site-Data"] = "\"cache\""
    return response
