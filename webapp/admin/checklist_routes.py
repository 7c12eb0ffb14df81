"""Admin: checklist template versions (DESIGN §3, §4). Saving never changes an old version."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
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
EDITOR_TEMPLATE = "admin/_checklist_editor.html"
# A blank editor's fields by what they show (title, items, blank rows, language): the same
# markup for every view of a version, so written once per process. Emptied when full.
_blank_editors: dict[tuple, Markup] = {}
_BLANK_EDITORS_SIZE = 64


@bp.route("/admin/settings/checklists", methods=["GET", "POST"])
def checklist_templates():
    versions = _versions()
    current = versions[0]
    form = TemplateForm()
    if request.method == "GET":
        return _page(form, versions, editor=_blank_editor(
            form, current, blank=min(_int_arg("extra", BLANK_ROWS), 30)))
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


def _blank_editor(form: TemplateForm, template: ChecklistTemplate, blank: int) -> Markup:
    """The fields of a blank editor holding `template` and `blank` empty rows: building and
    writing its 125 fields was most of the page's time, and they only change with the
    version shown (a version's items are never changed) and the language."""
    key = (str(get_locale()), template.title,
           tuple((item.section, item.key, item.text) for item in template.items), blank)
    html = _blank_editors.get(key)
    if html is None:
        _prefill(form, template, blank)
        html = editor_fields(form)
        if len(_blank_editors) >= _BLANK_EDITORS_SIZE:
            _blank_editors.clear()  # one step, safe with other threads; refills as used
        _blank_editors[key] = html
    return html


def editor_fields(form: TemplateForm) -> Markup:
    """The editor's title and item rows as the page writes them (without the CSRF token)."""
    write = current_app.jinja_env.get_template(EDITOR_TEMPLATE).module.editor_fields
    return Markup(write(form, row_labels()))  # noqa: S704 - an autoescaped template's output


def _same(template: ChecklistTemplate, title: str, rows) -> bool:
    old = [(i.section, i.key, i.text) for i in template.items]
    return template.title == title and old == [(r.section, r.key, r.text) for r in rows]


def _page(form, versions, items_error=None, status=200, editor=None):
    used = dict(db.session.execute(
        select(ChecklistSubmission.template_id, func.count())
        .where(ChecklistSubmission.template_id.in_([v.id for v in versions]))
        .group_by(ChecklistSubmission.template_id)
    ).all())
    authors = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([v.created_by_id for v in versions if v.created_by_id]))).all())
    return render("admin/checklist_templates.html", status=status, form=form,
                  current=versions[0], versions=versions, used=used, authors=authors,
                  items_error=items_error,
                  editor=editor if editor is not None else editor_fields(form))
