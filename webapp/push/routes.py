"""Push: the public key, device subscriptions, a test notification and the settings page."""
from __future__ import annotations

import hmac
import uuid
from datetime import timedelta

from flask import abort, flash, jsonify, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import PushSubscription, Reminder, ReminderPreference
from ..models.base import utcnow
from ..rendering import render, wants_json
from . import bp, delivery
from .forms import ReminderPreferenceForm

TEST_BODY = "Det här är en testnotis från Bofast. Notiserna fungerar."


@bp.route("/push/vapid-public-key")
def vapid_public_key():
    key = delivery.public_key_b64()
    if key is None:
        return jsonify(error="Bofast kan inte skicka notiser ännu."), 404
    if wants_json():
        response = jsonify(publicKey=key)
    else:
        response = make_response(key)
        response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-cache"
    return response


def subscription_errors(data) -> dict[str, str]:
    """Validate the browser's PushSubscription.toJSON(); Swedish messages per field."""
    if not isinstance(data, dict):
        return {"endpoint": "Skicka prenumerationen som JSON."}
    errors = {}
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if not isinstance(endpoint, str) or not endpoint.strip():
        errors["endpoint"] = "Adressen till notistjänsten saknas."
    elif not delivery.endpoint_allowed(endpoint):
        errors["endpoint"] = "Den här notistjänsten är inte tillåten."
    if not delivery.valid_p256dh(keys.get("p256dh")):
        errors["p256dh"] = "Enhetens nyckel saknas eller är ogiltig."
    if not delivery.valid_auth(keys.get("auth")):
        errors["auth"] = "Enhetens hemlighet saknas eller är ogiltig."
    return errors


def _holds(sub: PushSubscription, data: dict) -> bool:
    """The browser proves it holds a subscription by sending its keys along with the endpoint."""
    return (hmac.compare_digest(sub.p256dh, data["keys"]["p256dh"])
            and hmac.compare_digest(sub.auth, data["keys"]["auth"]))


@bp.route("/push/subscriptions", methods=["POST"])
def subscribe():
    """Turn notifications on for this device.

    An endpoint already registered to someone else moves to the poster only when the same keys
    come with it (a shared phone: whoever signed in and turned it on). Knowing another device's
    push URL is not enough to take its notifications: that answers 409. Every accepted post
    answers the same 201, whether or not the endpoint was known.
    """
    data = request.get_json(silent=True)
    errors = subscription_errors(data)
    if errors:
        return jsonify(ok=False, errors=errors), 422
    for _try in range(2):  # the same browser may post twice at once: the second one updates
        sub = db.session.scalar(select(PushSubscription).where(
            PushSubscription.endpoint == data["endpoint"]))
        if sub is None:
            sub = PushSubscription(endpoint=data["endpoint"])
            db.session.add(sub)
        elif sub.user_id != current_user.id and not _holds(sub, data):
            db.session.rollback()
            return jsonify(ok=False, errors={"endpoint": _(
                "Den här enheten är redan kopplad till ett annat konto. Slå av notiser i "
                "webbläsaren och slå på dem igen.")}), 409
        sub.user_id = current_user.id
        sub.p256dh, sub.auth = data["keys"]["p256dh"], data["keys"]["auth"]
        sub.user_agent = (request.user_agent.string or "")[:300]
        try:
            db.session.commit()
            break
        except IntegrityError:
            db.session.rollback()
    return jsonify(ok=True), 201


@bp.route("/push/subscriptions", methods=["DELETE"])
def unsubscribe():
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return jsonify(ok=False, errors={"endpoint": "Adressen till notistjänsten saknas."}), 422
    deleted = db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == current_user.id
    )).rowcount
    db.session.commit()
    return jsonify(ok=True, deleted=deleted)


@bp.route("/push/subscriptions/<int:id>/delete", methods=["POST"])
def delete_device(id):
    """The settings page's 'Sluta skicka hit' button: works without JavaScript."""
    deleted = db.session.execute(delete(PushSubscription).where(
        PushSubscription.id == id, PushSubscription.user_id == current_user.id)).rowcount
    db.session.commit()
    if not deleted:
        abort(404)
    flash(_("Telefonen får inte längre notiser."), "success")
    return redirect(url_for("push.settings"))


def send_test_notification(user) -> tuple[str, str]:
    """Send now to every device of `user`; return (category, Swedish message)."""
    from .outbox import deliver

    try:
        keys = delivery.load_keys()
    except delivery.VapidKeysMissing:
        return "error", _("Bofast kan inte skicka notiser ännu. Fråga den som sköter Bofast.")
    now = utcnow()
    reminder = Reminder(user_id=user.id, kind="test", dedupe_key=f"test:{user.id}:{uuid.uuid4()}",
                        due_at=now, expires_at=now + timedelta(minutes=10), title="Bofast",
                        body=TEST_BODY, url=url_for("push.settings"), status="sending",
                        claimed_at=now, claimed_by="web", attempts=0)
    db.session.add(reminder)
    db.session.flush()
    status, delivered = deliver(db.session, reminder, now, keys)
    db.session.commit()
    if status == "no_device":
        return "info", _("Du har inte slagit på notiser på någon telefon ännu.")
    if delivered:
        return "success", ngettext("Testnotisen skickades till %(num)s telefon.",
                                   "Testnotisen skickades till %(num)s telefoner.", delivered)
    if status == "pending":
        return "info", _("Notistjänsten svarade inte just nu. Vi försöker igen om en stund.")
    return "error", _("Testnotisen gick inte fram. Slå av och på notiser på telefonen och "
                     "försök igen.")


@bp.route("/push/test", methods=["POST"])
def test():
    category, message = send_test_notification(current_user)
    if wants_json() or request.is_json:
        return jsonify(ok=category == "success", message=message)
    if request.htmx:
        return render("push/settings.html", block="test_result",
                      test_result=(category, message), **_settings_context())
    flash(message, category)
    return redirect(url_for("push.settings"))


def device_label(user_agent: str) -> str:
    """A plain name for a device from its browser string ('Android, Chrome')."""
    ua = user_agent or ""
    system = next((name for token, name in (
        ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
        ("Mac OS", "Mac"), ("Linux", "Linux")) if token in ua), "Okänd telefon")
    browser = next((name for token, name in (
        ("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
        if token in ua), "")
    return f"{system}, {browser}" if browser else system


def _settings_context() -> dict:
    devices = db.session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == current_user.id).order_by(PushSubscription.created_at)).all()
    return dict(devices=devices, keys_ready=delivery.public_key_b64() is not None,
                device_label=device_label)


@bp.route("/push/settings", methods=["GET", "POST"])
def settings():
    pref = db.session.scalar(select(ReminderPreference).where(
        ReminderPreference.user_id == current_user.id))
    form = ReminderPreferenceForm(obj=pref or ReminderPreference(
        evening_before=True, hour_before=True, quiet_hours=True))
    if request.method == "POST":
        if not form.validate():
            return render("push/settings.html", status=422, form=form, **_settings_context())
        from ..reminders import replan_user

        if pref is None:
            pref = ReminderPreference(user_id=current_user.id)
            db.session.add(pref)
        form.populate_obj(pref)
        db.session.flush()
        replan_user(db.session, current_user.id)
        db.session.commit()
        flash(_("Dina val är sparade."), "success")
        return redirect(url_for("push.settings"))
    return render("push/settings.html", form=form, **_settings_context())
