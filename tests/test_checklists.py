"""The monthly checklist for staff (DESIGN §4, §5): fill, validate, idempotent submit, correct."""
from __future__ import annotations

import json
from datetime import date, timedelta

from tests.factories import make_checklist
from webapp.domain.checklists import month_of, shift_month
from webapp.models import AuditEvent, ChecklistSubmission, ChecklistTemplate
from webapp.timeutil import local_today


def newest_template(db, world):
    return db.session.scalar(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id).order_by(
        ChecklistTemplate.version.desc()))


def filled(db, world, held_on=None, **overrides):
    data = {f"answer-{item.key}": "ok" for item in newest_template(db, world).items}
    data.update({
        "held_on": (held_on or local_today()).isoformat(),
        "present": "Hyresgästen och stödpersonal",
        "general_comment": "Allt gicks igenom.",
        "tenant_agrees": "y",
        "tenant_comment": "",
    })
    data.update(overrides)
    return data


def new_url(world, participant=None):
    return f"/participants/{(participant or world.participant).id}/checklists/new"


def stored(db):
    return db.session.scalars(
        db.select(ChecklistSubmission).order_by(ChecklistSubmission.id)).all()


# --- the form --------------------------------------------------------------------------------

def test_form_has_the_fixed_field_names_and_progress(client, db, world, login_as):
    login_as("staff")
    response = client.get(new_url(world))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-outbox="checklist"' in html
    for item in newest_template(db, world).items:
        for value in ("ok", "remark", "na"):
            assert f'name="answer-{item.key}" value="{value}"' in html
        assert f'name="remark-{item.key}"' in html
    for name in ("held_on", "present", "general_comment", "tenant_agrees", "tenant_comment",
                 "idempotency_key"):
        assert f'name="{name}"' in html
    assert 'name="tenant_agrees" type="checkbox" value="y"' in html
    assert "<strong data-progress-count>0</strong> av <span data-progress-total>22</span>" in html
    assert "js/checklist.js" in html


def test_boosted_navigation_to_the_form_becomes_a_full_load(client, world, login_as):
    """checklist.js (drafts, progress) only runs on a full page load."""
    login_as("staff")
    response = client.get(new_url(world), headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.headers["HX-Redirect"] == new_url(world)


def test_submit_stores_one_checklist_for_the_month_of_the_date(client, db, world, login_as):
    login_as("staff")
    held = local_today().replace(day=1)
    response = client.post(new_url(world), data=filled(
        db, world, held_on=held, idempotency_key="key-submit-1",
        **{"answer-damp_none": "remark", "remark-damp_none": "Fukt under fönstret"}))
    assert response.status_code == 303
    [submission] = stored(db)
    assert submission.month == month_of(held)
    assert submission.version_no == 1 and submission.supersedes_id is None
    assert submission.template_id == newest_template(db, world).id
    assert submission.apartment_id is not None
    assert submission.tenant_agrees is True
    answers = {a.item_key: a for a in submission.answers}
    assert len(answers) == 22
    assert answers["damp_none"].answer == "remark"
    assert answers["damp_none"].remark == "Fukt under fönstret"
    assert response.headers["Location"].endswith(
        f"/participants/{world.participant.id}/checklists/{submission.id}")
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "create", AuditEvent.object_type == "checklist",
        AuditEvent.object_id == submission.id)) is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fukt under fönstret" in page
    assert 'data-checklist-saved="key-submit-1"' in page


def test_same_submission_posted_five_times_gives_one_record(client, db, world, login_as):
    login_as("staff")
    data = filled(db, world, idempotency_key="0b7f9a52-5d3e-4c1b-9a43-2f7f0c1d9e11")
    responses = [client.post(new_url(world), data=data) for _ in range(5)]
    assert len(stored(db)) == 1
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    assert all(r.headers.get("Idempotent-Replay") == "true" for r in responses[1:])


def test_same_json_submission_posted_five_times_answers_the_same(client, db, world, login_as):
    login_as("staff")
    data = filled(db, world, idempotency_key="outbox-key-123456")
    headers = {"Accept": "application/json"}
    responses = [client.post(new_url(world), data=data, headers=headers) for _ in range(5)]
    [submission] = stored(db)
    bodies = [json.loads(r.get_data(as_text=True)) for r in responses]
    assert {r.status_code for r in responses} == {201}
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["ok"] is True and bodies[0]["id"] == submission.id
    assert bodies[0]["url"].endswith(f"/checklists/{submission.id}")


def test_idempotency_key_from_header_works_too(client, db, world, login_as):
    login_as("staff")
    headers = {"Accept": "application/json", "Idempotency-Key": "header-key-0001"}
    for _ in range(3):
        assert client.post(new_url(world), data=filled(db, world), headers=headers
                           ).status_code == 201
    assert len(stored(db)) == 1


def test_without_a_key_each_post_is_a_new_checklist(client, db, world, login_as):
    """No key (no JS): nothing to deduplicate on; the later one counts for the month."""
    login_as("staff")
    client.post(new_url(world), data=filled(db, world))
    client.post(new_url(world), data=filled(db, world))
    assert len(stored(db)) == 2


# --- validation ------------------------------------------------------------------------------

def test_missing_answer_and_missing_remark_get_swedish_messages(client, db, world, login_as):
    login_as("staff")
    data = filled(db, world, general_comment="Det här ska finnas kvar",
                  **{"answer-damp_none": "remark", "remark-damp_none": " "})
    del data["answer-rent_paid"]
    response = client.post(new_url(world), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Välj OK, Anmärkning eller Ej aktuellt." in html
    assert 'id="answer-rent_paid-error"' in html
    assert "Skriv vad anmärkningen gäller." in html
    assert 'id="remark-damp_none-error"' in html
    assert "Det här ska finnas kvar" in html  # everything typed is kept
    assert 'value="remark" id="answer-damp_none-remark" checked' in html
    assert stored(db) == []


def test_validation_errors_as_json(client, db, world, login_as):
    login_as("staff")
    next_month = date.fromisoformat(shift_month(month_of(local_today()), 1) + "-01")
    data = filled(db, world, held_on=next_month, present="", tenant_agrees="",
                  **{"answer-no_such_item": "ok", "answer-stove_ok": "maybe"})
    response = client.post(new_url(world), data=data, headers={"Accept": "application/json"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["ok"] is False
    errors = body["errors"]
    assert errors["held_on"] == "Datumet kan inte vara i en kommande månad."
    assert "no_such_item" in errors["answer-no_such_item"]
    assert "finns inte" in errors["answer-no_such_item"]
    assert errors["answer-stove_ok"].startswith("Välj ett av svaren")
    assert errors["present"].startswith("Skriv vilka som var med")
    assert errors["tenant_comment"].startswith("Kryssa i att hyresgästen instämmer")
    assert stored(db) == []


def test_unreadable_or_missing_date_has_a_swedish_message(client, db, world, login_as):
    login_as("staff")
    headers = {"Accept": "application/json"}
    bad = client.post(new_url(world), data=filled(db, world) | {"held_on": "14/3"},
                      headers=headers).get_json()
    assert bad["errors"]["held_on"].startswith("Skriv datumet som ÅÅÅÅ-MM-DD")
    empty = client.post(new_url(world), data=filled(db, world) | {"held_on": ""},
                        headers=headers).get_json()
    assert empty["errors"]["held_on"] == "Ange datum för genomgången."


def test_tenant_comment_is_enough_when_the_tenant_does_not_agree(client, db, world, login_as):
    login_as("staff")
    data = filled(db, world, tenant_agrees="", tenant_comment="Jag tycker köket är rent.")
    assert client.post(new_url(world), data=data).status_code == 303
    assert stored(db)[0].tenant_agrees is False


def test_a_failed_submission_can_be_sent_again_with_the_same_key(client, db, world, login_as):
    """Only successes are remembered: fixing the form and resending the same key works."""
    login_as("staff")
    data = filled(db, world, idempotency_key="retry-key-0001", present="")
    assert client.post(new_url(world), data=data).status_code == 422
    data["present"] = "Hyresgästen"
    assert client.post(new_url(world), data=data).status_code == 303
    assert len(stored(db)) == 1


def test_empty_post_is_422_not_500(client, world, login_as):
    login_as("staff")
    assert client.post(new_url(world), data={}).status_code == 422


# --- who may do what -------------------------------------------------------------------------

def test_participant_outside_caseload_is_404(client, db, world, login_as):
    login_as("staff")
    assert client.get(new_url(world, world.other)).status_code == 404
    assert client.post(new_url(world, world.other), data=filled(db, world)).status_code == 404
    assert stored(db) == []


def test_social_worker_reads_but_cannot_submit(client, db, world, login_as):
    submission = make_checklist(world.participant, world.users["staff"], local_today())
    db.session.commit()
    login_as("social_worker")
    base = f"/participants/{world.participant.id}/checklists"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/{submission.id}").status_code == 200
    assert "Rätta genomgången" not in client.get(f"{base}/{submission.id}").get_data(as_text=True)
    assert client.post(f"{base}/new", data=filled(db, world)).status_code == 403
    assert client.post(f"{base}/{submission.id}/correct", data=filled(db, world)
                       ).status_code == 403


def test_submission_of_another_participant_is_404_under_this_one(client, db, world, login_as):
    theirs = make_checklist(world.other, world.users["other_staff"], local_today())
    db.session.commit()
    login_as("staff")
    base = f"/participants/{world.participant.id}/checklists"
    assert client.get(f"{base}/{theirs.id}").status_code == 404
    assert client.get(f"{base}/{theirs.id}/correct").status_code == 404


# --- immutability and corrections ------------------------------------------------------------

def test_no_route_can_change_or_delete_a_submission(app):
    for rule in app.url_map.iter_rules():
        if "submission_id" in rule.arguments:
            assert not rule.methods & {"PUT", "PATCH", "DELETE"}, rule.rule
            if "POST" in rule.methods:
                assert rule.rule.endswith("/correct"), rule.rule  # only makes a new version


def test_post_to_a_submission_page_is_refused(client, db, world, login_as):
    submission = make_checklist(world.participant, world.users["staff"], local_today())
    db.session.commit()
    login_as("staff")
    url = f"/participants/{world.participant.id}/checklists/{submission.id}"
    assert client.post(url, data=filled(db, world)).status_code == 405


def test_correction_is_a_new_linked_version_and_the_old_one_is_kept(client, db, world, login_as):
    old = make_checklist(world.participant, world.users["staff"], local_today(),
                         general_comment="Första versionen")
    db.session.commit()
    old_id = old.id
    login_as("staff")
    url = f"/participants/{world.participant.id}/checklists/{old_id}/correct"
    form = client.get(url).get_data(as_text=True)
    assert "Första versionen" in form  # prefilled
    assert 'name="idempotency_key" type="hidden" value=""' in form  # never the old key
    response = client.post(url, data=filled(db, world, general_comment="Rättad",
                                            idempotency_key="correct-key-01"))
    assert response.status_code == 303
    first, second = stored(db)
    assert first.id == old_id and first.general_comment == "Första versionen"
    assert len(first.answers) == 22
    assert second.supersedes_id == old_id and second.version_no == 2
    assert second.template_id == first.template_id
    assert second.general_comment == "Rättad"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 1" in page and "Version 2" in page
    old_page = client.get(f"/participants/{world.participant.id}/checklists/{old_id}")
    assert "ersatts av en rättelse" in old_page.get_data(as_text=True)


def test_correcting_an_old_version_leads_to_the_newest(client, db, world, login_as):
    first = make_checklist(world.participant, world.users["staff"], local_today())
    second = make_checklist(world.participant, world.users["staff"], local_today(),
                            supersedes=first)
    db.session.commit()
    login_as("staff")
    base = f"/participants/{world.participant.id}/checklists"
    response = client.get(f"{base}/{first.id}/correct")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{base}/{second.id}/correct")
    posted = client.post(f"{base}/{first.id}/correct", data=filled(db, world))
    assert posted.status_code == 422
    assert "redan rättad" in posted.get_data(as_text=True)
    assert len(stored(db)) == 2


def test_the_form_of_a_month_already_sent_opens_the_counting_version(client, db, world,
                                                                      login_as):
    """One checklist a month: the form opens the correction of the version that counts (the
    newest of its chain, the latest sent of two independent ones), whatever other months
    hold, and a correction filed in another month takes its original out of this one."""
    from datetime import datetime

    staff, today = world.users["staff"], local_today()
    last_month = date.fromisoformat(shift_month(month_of(today), -1) + "-15")
    login_as("staff")
    make_checklist(world.participant, staff, last_month)
    db.session.commit()
    assert client.get(new_url(world)).status_code == 200  # last month's does not count
    first = make_checklist(world.participant, staff, today,
                           submitted_at=datetime(today.year, today.month, today.day, 9))
    other = make_checklist(world.participant, staff, today,
                           submitted_at=datetime(today.year, today.month, today.day, 10))
    corrected = make_checklist(world.participant, staff, today, supersedes=first,
                               submitted_at=datetime(today.year, today.month, today.day, 11))
    db.session.commit()
    base = f"/participants/{world.participant.id}/checklists"
    response = client.get(new_url(world))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{base}/{corrected.id}/correct")
    # The newest correction moved to last month: the other one of this month counts.
    corrected.month, corrected.held_on = month_of(last_month), last_month
    db.session.commit()
    assert client.get(new_url(world)).headers["Location"].endswith(f"{base}/{other.id}/correct")
    flashed = client.get(f"{base}/{other.id}/correct").get_data(as_text=True)
    assert "Månadens genomgång är redan skickad" in flashed


def test_a_correction_keeps_the_template_version_of_the_original(client, db, world, login_as):
    old = make_checklist(world.participant, world.users["staff"], local_today())
    db.session.commit()
    login_as("admin")
    v1 = newest_template(db, world)
    rows = {"title": v1.title}
    for index, item in enumerate(v1.items[:3]):
        rows |= {f"items-{index}-section": item.section, f"items-{index}-key": item.key,
                 f"items-{index}-text": item.text, f"items-{index}-order": str(index)}
    assert client.post("/admin/settings/checklists", data=rows).status_code == 303
    login_as("staff")
    url = f"/participants/{world.participant.id}/checklists/{old.id}/correct"
    data = {f"answer-{item.key}": "ok" for item in v1.items} | {
        "held_on": local_today().isoformat(), "present": "Vi", "tenant_agrees": "y"}
    assert client.post(url, data=data).status_code == 303
    assert stored(db)[-1].template_id == v1.id


# --- history ---------------------------------------------------------------------------------

def test_history_shows_each_month_with_the_counting_version(client, db, world, login_as):
    today = local_today()
    two_back = date.fromisoformat(shift_month(month_of(today), -2) + "-15")
    first = make_checklist(world.participant, world.users["staff"], two_back,
                           answers={"pests_none": ("remark", "Silverfisk i badrummet")})
    make_checklist(world.participant, world.users["staff"], two_back, supersedes=first,
                   submitted_at=first.submitted_at + timedelta(hours=1))
    db.session.commit()
    login_as("staff")
    html = client.get(f"/participants/{world.participant.id}/checklists").get_data(as_text=True)
    assert "Inskickad" in html
    assert "Saknas" in html  # last month: none
    assert "Inte gjord ännu" in html  # this month: none yet
    assert "Äldre versioner (1)" in html
    assert "Fyll i månadens genomgång" in html


def test_history_fragment_for_htmx(client, world, login_as):
    login_as("staff")
    response = client.get(f"/participants/{world.participant.id}/checklists",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Genomgång av lägenhetens skötsel" in response.get_data(as_text=True)


def test_history_counts_each_versions_remarks_without_loading_its_answers(
        client, db, world, login_as):
    """The history lists versions as columns with their remarks counted (issue 17): one
    remark, two, none, the counting version's own count, and no more statements for more
    versions and answers."""
    from tests.conftest import statements_and_page

    login_as("staff")
    url = f"/participants/{world.participant.id}/checklists"
    empty, _page = statements_and_page(client, url)
    staff, today = world.users["staff"], local_today()

    def held(months_back):
        return date.fromisoformat(shift_month(month_of(today), -months_back) + "-10")

    make_checklist(world.participant, staff, held(1),
                   answers={"pests_none": ("remark", "Silverfisk")})
    make_checklist(world.participant, staff, held(2), answers={
        "pests_none": ("remark", "Myror"), "damp_none": ("remark", "Fukt")})
    old = make_checklist(world.participant, staff, held(3),
                         answers={"pests_none": ("remark", "Möss")})
    make_checklist(world.participant, staff, held(3), supersedes=old,
                   submitted_at=old.submitted_at + timedelta(hours=1))
    db.session.commit()
    count, html = statements_and_page(client, url)
    assert count == empty

    from webapp.checklists.submissions import month_label

    def month(months_back):
        shown = html.split('month-submitted">\n    <h3>')[1:]
        return next(part for part in shown
                    if part.startswith(month_label(shift_month(month_of(today), -months_back))))

    assert "1 anmärkning</span>" in month(1)
    assert "2 anmärkningar</span>" in month(2)
    assert "anmärkning" not in month(3) and "Version 2" in month(3)
