"""The shipped checklist template versions (CHECKLIST.md) as data: checklist_v1.json, _v2.json.

Every organisation starts with version 1 (`ensure_default_template`); version 2 is added on top
of it for an organisation still on the shipped version 1 (migration 0004 does the same for
existing data). Submitted checklists keep the version they were filled on.
"""
from __future__ import annotations

import json
from pathlib import Path

from .extensions import db
from .models import ChecklistItem, ChecklistTemplate, Organisation


def shipped(version: int) -> dict:
    path = Path(__file__).parent / f"checklist_v{version}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _add_shipped(org: Organisation, version: int) -> ChecklistTemplate:
    data = shipped(version)
    template = ChecklistTemplate(organisation_id=org.id, version=data["version"],
                                 title=data["title"], active=True)
    db.session.add(template)
    db.session.flush()
    for position, item in enumerate(data["items"]):
        db.session.add(ChecklistItem(template_id=template.id, position=position, **item))
    db.session.flush()
    return template


def ensure_default_template(org: Organisation) -> ChecklistTemplate:
    """The organisation's newest template; version 1 is created when it has none."""
    existing = db.session.scalar(
        db.select(ChecklistTemplate).where(ChecklistTemplate.organisation_id == org.id)
        .order_by(ChecklistTemplate.version.desc())
    )
    return existing if existing is not None else _add_shipped(org, 1)


def ensure_checklist_v2(org: Organisation) -> ChecklistTemplate:
    """Add version 2 unless the organisation already has a version after 1; the caller commits."""
    newest = ensure_default_template(org)
    return newest if newest.version != 1 else _add_shipped(org, 2)
