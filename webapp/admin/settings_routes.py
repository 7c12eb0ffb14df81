"""Admin: the organisation's settings (programme rules, preset, on-call phone) and the contacts
for open support that participants see."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import contact_or_404
from ..audit import record
from ..domain.rules import describe, effective_rules
from ..extensions import db
from ..models import OpenSupportContact
from ..rendering import render
from . import bp
from .choices import org_id
from .forms import ContactForm, PresetForm, SettingsForm


def _contacts() -> list[OpenSupportContact]:
    return list(db.session.scalars(
        select(OpenSupportContact).where(OpenSupportContact.organisation_id == org_id(),
                                         OpenSupportContact.active)
        .order_by(OpenSupportContact.position, OpenSupportContact.id)))


def _settings_page(form=None, preset_form=None, contact_form=None, status=200):
    org = current_user.organisation
    return render(
        "admin/settings.html", status=status, org=org,
        form=form or SettingsForm(formdata=None, obj=org),
        preset_form=preset_form or PresetForm(formdata=None, preset=org.preset),
        contact_form=contact_form or ContactForm(formdata=None), contacts=_contacts(),
        rules_text=describe(effective_rules(org)))


def _saved(detail: str, message: str):
    """Record the organisation's change, commit, and go back to the settings page."""
    record("update", object_type="organisation", object_id=current_user.organisation_id,
           detail=detail)
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _settings_page()
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form=form, status=422)
    org = current_user.organisation
    before = {name: getattr(org, name) for name in form.data if hasattr(org, name)}
    form.populate_obj(org)
    changed = {k: (v, getattr(org, k)) for k, v in before.items() if getattr(org, k) != v}
    return _saved(str(changed), _("Inställningarna är sparade."))


@bp.route("/admin/settings/preset", methods=["POST"])
def settings_preset():
    form = PresetForm()
    if not form.validate_on_submit():
        return _settings_page(preset_form=form, status=422)
    current_user.organisation.apply_preset(form.preset.data)
    return _saved(f"förval {form.preset.data}",
                  _("Förvalet är använt. Justera fälten nedan om ni har andra regler."))


def _contact_saved(contact: OpenSupportContact, form: ContactForm) -> None:
    form.populate_obj(contact)
    contact.position = form.position.data or 0


@bp.route("/admin/settings/contacts", methods=["POST"])
def contact_add():
    form = ContactForm()
    if not form.validate_on_submit():
        return _settings_page(contact_form=form, status=422)
    contact = OpenSupportContact(organisation_id=org_id(), label=form.label.data.strip())
    _contact_saved(contact, form)
    db.session.add(contact)
    db.session.flush()
    record("create", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten är tillagd."), "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings/contacts/<int:contact_id>", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    contact = contact_or_404(contact_id)
    form = ContactForm(obj=contact)
    if not form.validate_on_submit():
        return render("admin/contact_edit.html", form=form, contact=contact,
                      status=422 if form.is_submitted() else 200)
    _contact_saved(contact, form)
    record("update", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten är sparad."), "info")
    return redirect(url_for("admin.settings"))


@bp.route("/admin/settings/contacts/<int:contact_id>/remove", methods=["POST"])
def contact_remove(contact_id: int):
    contact = contact_or_404(contact_id)
    contact.active = False  # hidden, not deleted
    record("delete", object_type="open_support_contact", object_id=contact.id)
    db.session.commit()
    flash(_("Kontakten visas inte längre."), "info")
    return redirect(url_for("admin.settings"))
