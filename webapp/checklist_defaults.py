"""The shipped checklist template versions (CHECKLIST.md) as data: checklist_v1.json, _v2.json.

Version 1 is created by `demo.ensure_default_template`; version 2 is added on top of it for an
organisation still on the shipped version 1 (migration 0007 does the same for existing data).
"""
from __future__ import annotations

import json
from pathlib import Path

from .extensions import db
from .models import ChecklistItem, ChecklistTemplate, Organisation


def shipped(version: int) -> dict:
    path = Path(__file__).parent / f"checklist_v{version}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def ensure_checklist_v2(org: Organisation) -> ChecklistTemplate:
    """Add version 2 unless the organisation already has a version after 1; the caller commits."""
    from .demo import ensure_default_template

    newest = ensure_default_template(org)
    if newest.version != 1:
        return newest
    data = shipped(2)
    template = ChecklistTemplate(organisation_id=org.id, version=data["version"],
                                 title=data["title"], active=True)
    db.session.add(template)
    db.session.flush()
    for position, item in enumerate(data["items"]):
        db.session.add(ChecklistItem(template_id=template.id, position=position, **item))
    db.session.flush()
    return template
