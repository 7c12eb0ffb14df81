"""Admin: checklist template versions (DESIGN §3, §4). Saving never changes an old version."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit import record
from ..checklists.submissions import current_template
from ..domain.checklists import validate_template_items
from ..extensions import db
from ..models import ChecklistItem, ChecklistSubmission, ChecklistTemplate, User
from ..rendering import render
from . import bp
from .checklist_forms import TemplateForm, row_labels

BLANK_ROWS = 3


@bp.route("/admin/settings/checklists", methods=["GET", "POST"])
def checklist_templates():
    versions = _versions()
    current = versions[0]
    form = TemplateForm()
    if request.method == "GET":
        _prefill(form, current, blank=min(_int_arg("extra", BLANK_ROWS), 30))
        return _page(form, versions)
    ok = form.validate()
    rows = form.kept_rows()
    errors = validate_template_items(rows) | form.order_errors()
    form.show_errors(errors)
    if not ok or errors:
        return _page(form, versions, errors.get("items"), status=422)
    if _same(current, form.title.data.strip(), rows):
        flash(_("Inget är ändrat, så ingen ny version sparades."), "info")
        return redirect(url_for(".checklist_templates"), 303)
    template = ChecklistTemplate(organisation_id=current_user.organisation_id,
                                 version=current.version + 1, title=form.title.data.strip(),
                                 active=True, created_by_id=current_user.id)
    db.session.add(template)
    db.session.flush()
    for position, row in enumerate(rows):
        db.session.add(ChecklistItem(template_id=template.id, section=row.section, key=row.key,
                                     text=row.text, position=position))
    record("create", object_type="checklist_template", object_id=template.id,
           detail=f"version {template.version}")
    db.session.commit()
    flash(_("Version %(version)s är sparad. Nya genomgångar använder den.",
            version=template.version), "success")
    return redirect(url_for(".checklist_templates"), 303)


def _versions() -> list[ChecklistTemplate]:
    """Every version with its items, newest (the one in use) first; version 1 is created on
    first use (`current_template`)."""
    query = (select(ChecklistTemplate)
             .where(ChecklistTemplate.organisation_id == current_user.organisation_id)
             .options(selectinload(ChecklistTemplate.items))
             .order_by(ChecklistTemplate.version.desc()))
    versions = db.session.scalars(query).all()
    if not versions:
        current_template(current_user.organisation_id)
        versions = db.session.scalars(query).all()
    return list(versions)


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def _prefill(form: TemplateForm, template: ChecklistTemplate, blank: int) -> None:
    form.title.data = template.title
    for position, item in enumerate(template.items):
        form.items.append_entry({"section": item.section, "key": item.key, "text": item.text,
                                 "order": str((position + 1) * 10)})
    for _blank in range(blank):
        form.items.append_entry()


def _same(template: ChecklistTemplate, title: str, rows) -> bool:
    old = [(i.section, i.key, i.text) for i in template.items]
    return template.title == title and old == [(r.section, r.key, r.text) for r in rows]


def _page(form, versions, items_error=None, status=200):
    used = dict(db.session.execute(
        select(ChecklistSubmission.template_id, func.count())
        .where(ChecklistSubmission.template_id.in_([v.id for v in versions]))
        .group_by(ChecklistSubmission.template_id)
    ).all())
    authors = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([v.created_by_id for v in versions if v.created_by_id]))).all())
    return render("admin/checklist_templates.html", status=status, form=form,
                  current=versions[0], versions=versions, used=used, authors=authors,
                  items_error=items_error, row_labels=row_labels())
