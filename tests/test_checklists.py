"""The monthly checklist (DESIGN §4): fill, validate, idempotent submit, corrections, views."""
from __future__ import annotations

from webapp.models import ChecklistSubmission, ChecklistTemplate
from webapp.timeutil import local_today


def template_keys(db, world):
    template = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id).order_by(
        ChecklistTemplate.version.desc()))
    return [item.key for item in template.items]


def filled(db, world, held_on=None, **overrides):
    data = {f"answer-{key}": "ok" for key in template_keys(db, world)}
    data.update({
        "held_on": (held_on or local_today()).isoformat(),
        "present": "Hyresgästen och stödpersonal",
        "general_comment": "Bra.",
        "tenant_agrees": "y",
        "tenant_comment": "",
    })
    data.update(overrides)
    return data


def new_url(world, participant=None):
    return f"/participants/{(participant or world.participant).id}/checklists/new"


def submissions(db):
    return db.session.scalars(db.select(ChecklistSubmission).order_by(
        ChecklistSubmission.id)).all()


def test_staff_sees_form_with_every_item(client, db, world, login_as):
    login_as("staff")
    response = client.get(new_url(world))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-outbox="checklist"' in html
    for key in template_keys(db, world):
        assert f'name="answer-{key}"' in html
        assert f'name="remark-{key}"' in html
    assert "0</strong> av <span data-progress-total>22</span>" in html


def test_submit_creates_one_submission_and_redirects(client, db, world, login_as):
    login_as("staff")
    response = client.post(new_url(world), data=filled(db, world, idempotency_key="abcdefgh-1"))
    assert response.status_code == 303
    [submission] = submissions(db)
    assert submission.month == local_today().strftime("%Y-%m")
    assert submission.version_no == 1 and submission.supersedes_id is None
    assert len(submission.answers) == 22
    assert response.headers["Location"].endswith(f"/checklists/{submission.id}")
