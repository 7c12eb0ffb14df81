"""Checklist version 2 (issue 16.3): new items as a new template version, follow-ups on
remarks that stay open on next month's form and the worklist until done, seen by housing."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import make_checklist
from tests.test_checklists import filled, new_url
from webapp.checklist_defaults import ensure_checklist_v2, shipped
from webapp.models import ChecklistAnswer, ChecklistSubmission, ChecklistTemplate
from webapp.timeutil import local_today

V2_KEYS = {"home_insurance", "cooker_hood", "no_diy_electrics", "pets_ok", "balcony_ok"}


def test_version_2_adds_the_five_items_and_keeps_version_1(db, world):
    v1 = db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id))
    v2 = ensure_checklist_v2(world.org)
    assert (v1.version, v2.version) == (1, 2)
    keys_v1 = [i.key for i in v1.items]
    keys_v2 = [i.key for i in v2.items]
    assert len(keys_v1) == 22 and len(keys_v2) == 27
    assert set(keys_v2) - set(keys_v1) == V2_KEYS
    assert [i.key for i in v2.items if i.key in keys_v1] == keys_v1  # same order
    sections = [i.section for i in v2.items]
    assert sections == sorted(sections, key=sections.index)  # each section in one block
    assert ensure_checklist_v2(world.org).id == v2.id  # once
    assert shipped(2)["version"] == 2


def test_old_submissions_keep_version_1(client, db, world, login_as):
    old = make_checklist(world.participant, world.users["staff"],
                         local_today().replace(day=1) - timedelta(days=1))
    ensure_checklist_v2(world.org)
    db.session.commit()
    login_as("staff")
    html = client.get(f"/participants/{world.participant.id}/checklists/{old.id}").get_data(
        as_text=True)
    assert "Hemförsäkringen gäller" not in html
    form = client.get(new_url(world)).get_data(as_text=True)
    assert "Hemförsäkringen gäller" in form and "27" in form


def _with_followup(db, world, **overrides):
    return filled(db, world, **{
        "answer-damp_none": "remark", "remark-damp_none": "Fukt under fönstret",
        "followup_action-damp_none": "Felanmäla till hyresvärden",
        "followup_owner-damp_none": "landlord",
        "followup_due-damp_none": (local_today() + timedelta(days=10)).isoformat(),
        **overrides})


def test_a_remark_carries_a_follow_up(client, db, world, login_as):
    login_as("staff")
    response = client.post(new_url(world), data=_with_followup(db, world))
    assert response.status_code == 303
    answer = db.session.scalar(db.select(ChecklistAnswer).where(
        ChecklistAnswer.item_key == "damp_none"))
    assert answer.followup_action == "Felanmäla till hyresvärden"
    assert answer.followup_owner == "landlord"
    assert answer.followup_due == local_today() + timedelta(days=10)


def test_follow_up_without_action_is_refused_with_a_swedish_message(client, db, world, login_as):
    login_as("staff")
    response = client.post(new_url(world), data=_with_followup(
        db, world, **{"followup_action-damp_none": ""}),
        headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "followup_action-damp_none": "Skriv vilken åtgärd som ska göras."}


def test_open_follow_up_on_next_form_worklist_and_housing_until_done(client, db, world,
                                                                      login_as):
    last_month = local_today().replace(day=1) - timedelta(days=1)
    old = make_checklist(world.participant, world.users["staff"], last_month,
                         answers={"damp_none": ("remark", "Fukt")})
    answer = db.session.scalar(db.select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == old.id, ChecklistAnswer.item_key == "damp_none"))
    answer.followup_action, answer.followup_owner = "Byta tätningslist", "staff"
    db.session.commit()
    login_as("staff")
    form = client.get(new_url(world)).get_data(as_text=True)
    assert "Åtgärder från tidigare genomgångar" in form and "Byta tätningslist" in form
    today = client.get("/today").get_data(as_text=True)
    assert "Byta tätningslist" in today

    login_as("housing")
    shown = client.get(f"/housing/checklists/{old.id}").get_data(as_text=True)
    assert "Byta tätningslist" in shown and "Inte klar ännu" in shown

    login_as("staff")
    done_url = (f"/participants/{world.participant.id}/checklists/followups/{answer.id}/done")
    assert client.post(done_url, data={"next": "/today"}).status_code == 303
    assert "Byta tätningslist" not in client.get("/today").get_data(as_text=True)
    assert "Åtgärder från tidigare" not in client.get(new_url(world)).get_data(as_text=True)
    shown = client.get(f"/participants/{world.participant.id}/checklists/{old.id}").get_data(
        as_text=True)
    assert "Byta tätningslist" in shown and "Klar" in shown


def test_marking_done_is_staff_only_and_scoped(client, db, world, login_as):
    theirs = make_checklist(world.other, world.users["other_staff"], local_today(),
                            answers={"damp_none": ("remark", "Fukt")})
    answer = db.session.scalar(db.select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == theirs.id, ChecklistAnswer.item_key == "damp_none"))
    answer.followup_action, answer.followup_owner = "Åtgärda", "tenant"
    db.session.commit()
    login_as("staff")
    url = f"/participants/{world.other.id}/checklists/followups/{answer.id}/done"
    assert client.post(url).status_code == 404
    assert db.session.scalar(db.select(ChecklistSubmission).where(
        ChecklistSubmission.id == theirs.id)) is not None


def _followup_block(html: str, key: str) -> str:
    """The markup from an item's remark field up to the end of its follow-up."""
    start = html.index(f'id="remark-{key}"')
    return html[start:html.index("</details>", start) + len("</details>") + 40]


def test_follow_up_fields_wait_in_noscript_until_an_item_needs_them(client, db, world,
                                                                    login_as):
    login_as("staff")
    fresh = client.get(new_url(world)).get_data(as_text=True)
    # Without JavaScript the browser parses <noscript> as fields; with it, checklist.js adds them
    # when the item is answered "Anmärkning" (the form loads ~66 fields lighter).
    block = _followup_block(fresh, "damp_none")
    assert "<noscript data-followup-later>" in block and "</noscript>" in block
    assert 'name="followup_owner-damp_none"' in block
    assert fresh.count("<noscript data-followup-later>") == fresh.count('class="followup"')

    # Sent back with errors: the item answered "Anmärkning" has its follow-up as fields.
    response = client.post(new_url(world), data=_with_followup(
        db, world, **{"followup_action-damp_none": ""}))
    again = response.get_data(as_text=True)
    assert response.status_code == 422
    block = _followup_block(again, "damp_none")
    assert "noscript" not in block and "<details class=\"followup\" data-followup open>" in block
    assert "<noscript data-followup-later>" in _followup_block(again, "rent_paid")
