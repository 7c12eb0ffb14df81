"""The plan (genomförandeplan) as staff edit it: versions, history, conflicts, ticks, access."""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from tests.conftest import statements_and_page
from webapp.domain.plans import describe_changes, is_conflict, parse_version, snapshot
from webapp.extensions import db
from webapp.models import AuditEvent, Goal, GoalComment, Plan, PlanRevision, Step


def _plan(participant) -> Plan:
    return db.session.scalar(select(Plan).where(Plan.participant_id == participant.id))


def _goal(participant, words="Jag vill kunna laga mat själv.", steps=("Köpa en kastrull",)):
    plan = _plan(participant)
    goal = Goal(plan_id=plan.id, life_area="daily_life", own_words=words, position=0)
    db.session.add(goal)
    db.session.flush()
    for position, text in enumerate(steps):
        db.session.add(Step(goal_id=goal.id, text=text, who="together", position=position))
    db.session.commit()
    return goal


def _url(world, suffix=""):
    return f"/participants/{world.participant.id}/plan{suffix}"


def _goal_form(version, words="Jag vill bjuda hem min syster.", **kw):
    return {"version": str(version), "own_words": words, "life_area": "relations",
            "status": "active", **kw}


# --- reading -----------------------------------------------------------------------------------

def test_plan_shows_goals_in_the_participants_own_words(client, world, login_as):
    goal = _goal(world.participant)
    db.session.add(GoalComment(goal_id=goal.id, author_id=world.users["participant"].id,
                               kind="wish", text="Jag vill hellre börja med soppa."))
    db.session.commit()
    login_as("staff")
    response = client.get(_url(world))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Jag vill kunna laga mat själv." in page
    assert "Med deltagarens egna ord" in page
    assert "Jag vill hellre börja med soppa." in page and "Önskemål" in page
    assert "Lägg till mål" in page


def test_plan_shows_steps_the_participant_marked_done_themselves(client, world, login_as):
    goal = _goal(world.participant)
    step = goal.steps[0]
    step.done, step.done_by_id = True, world.users["participant"].id
    db.session.commit()
    login_as("staff")
    assert "Deltagaren har själv markerat klart" in client.get(_url(world)).get_data(as_text=True)


def test_social_worker_reads_plan_without_edit_controls(client, world, login_as):
    _goal(world.participant)
    login_as("social_worker")
    response = client.get(_url(world))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Jag vill kunna laga mat själv." in page
    assert "Lägg till mål" not in page and "Markera klart" not in page


def test_social_worker_cannot_write_the_plan(client, world, login_as):
    goal = _goal(world.participant)
    login_as("social_worker")
    response = client.post(_url(world, f"/goals/{goal.id}"), data=_goal_form(1))
    assert response.status_code == 403
    response = client.post(_url(world, f"/steps/{goal.steps[0].id}/done"), data={"done": "1"})
    assert response.status_code == 403
    db.session.refresh(goal)
    assert goal.own_words == "Jag vill kunna laga mat själv." and not goal.steps[0].done


def test_housing_cannot_open_the_plan(client, world, login_as):
    _goal(world.participant)
    login_as("housing")
    response = client.get(_url(world))
    assert response.status_code == 403
    assert "laga mat" not in response.get_data(as_text=True)


def test_plan_of_participant_outside_scope_is_404(client, world, login_as):
    login_as("staff")
    assert client.get(f"/participants/{world.other.id}/plan").status_code == 404
    response = client.post(f"/participants/{world.other.id}/plan/goals/new",
                           data=_goal_form(1))
    assert response.status_code == 404
    assert db.session.scalar(select(Goal).where(Goal.own_words.like("%syster%"))) is None


def test_goal_of_another_participants_plan_is_404(client, world, login_as):
    foreign = _goal(world.other, words="Annans mål")
    login_as("staff")
    assert client.get(_url(world, f"/goals/{foreign.id}")).status_code == 404
    response = client.post(_url(world, f"/goals/{foreign.id}"), data=_goal_form(1))
    assert response.status_code == 404
    db.session.refresh(foreign)
    assert foreign.own_words == "Annans mål"


# --- editing, versions, history ------------------------------------------------------------------

def test_adding_a_goal_bumps_the_version_and_stores_a_revision(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/goals/new"), data=_goal_form(1))
    assert response.status_code == 303
    plan = _plan(world.participant)
    db.session.refresh(plan)
    assert plan.version == 2
    assert [g.own_words for g in plan.goals] == ["Jag vill bjuda hem min syster."]
    revisions = db.session.scalars(select(PlanRevision).where(PlanRevision.plan_id == plan.id)
                                   .order_by(PlanRevision.version)).all()
    assert [r.version for r in revisions] == [1, 2]  # the state before, then the change
    assert revisions[1].changed_by_id == world.users["staff"].id
    assert json.loads(revisions[1].snapshot)["goals"][0]["own_words"].endswith("syster.")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan_goal_create"))


def test_editing_a_goal_saves_and_history_lists_who_and_what(client, world, login_as):
    goal = _goal(world.participant)
    login_as("staff")
    response = client.post(_url(world, f"/goals/{goal.id}"),
                           data=_goal_form(1, words="Jag vill laga middag till vänner."))
    assert response.status_code == 303
    db.session.refresh(goal)
    assert goal.own_words == "Jag vill laga middag till vänner." and goal.life_area == "relations"
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Historik" in page and "Version 2" in page
    assert "Mål ändrat: Jag vill laga middag till vänner." in page
    revision = client.get(_url(world, "/history/1")).get_data(as_text=True)
    assert "Jag vill kunna laga mat själv." in revision  # the old text is kept


def test_invalid_goal_is_422_and_keeps_what_was_typed(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/goals/new"),
                           data=_goal_form(1, words="   ", life_area="health"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv målet så som deltagaren säger det." in page
    assert '<option selected value="health">' in page
    assert _plan(world.participant).version == 1


def test_second_edit_from_the_same_version_is_a_conflict(client, world, login_as):
    goal = _goal(world.participant)
    login_as("staff")
    first = client.post(_url(world, f"/goals/{goal.id}"),
                        data=_goal_form(1, words="Text från Anna."))
    assert first.status_code == 303
    second = client.post(_url(world, f"/goals/{goal.id}"),
                         data=_goal_form(1, words="Text från Erik."))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Planen har ändrats av någon annan medan du skrev" in page
    assert "Text från Anna." in page  # what is stored now
    assert "Text från Erik." in page  # what this person typed, kept in the form
    assert 'name="version" type="hidden" value="2"' in page  # resubmitting keeps theirs
    db.session.refresh(goal)
    assert goal.own_words == "Text från Anna."  # nothing overwritten
    assert _plan(world.participant).version == 2

    kept = client.post(_url(world, f"/goals/{goal.id}"),
                       data=_goal_form(2, words="Text från Erik."))
    assert kept.status_code == 303
    db.session.refresh(goal)
    assert goal.own_words == "Text från Erik."


def test_edit_without_a_version_is_not_saved(client, world, login_as):
    goal = _goal(world.participant)
    login_as("staff")
    data = _goal_form(1, words="Utan version")
    del data["version"]
    assert client.post(_url(world, f"/goals/{goal.id}"), data=data).status_code == 409
    db.session.refresh(goal)
    assert goal.own_words == "Jag vill kunna laga mat själv."


def test_follow_up_date_conflict_is_409(client, world, login_as):
    login_as("staff")
    ok = client.post(_url(world, "/follow-up"), data={"version": "1",
                                                      "follow_up_date": "2026-06-01"})
    assert ok.status_code == 303
    stale = client.post(_url(world, "/follow-up"), data={"version": "1",
                                                         "follow_up_date": "2026-07-01"})
    assert stale.status_code == 409
    assert "2026-07-01" in stale.get_data(as_text=True)
    assert _plan(world.participant).follow_up_date == date(2026, 6, 1)


def test_removing_a_goal_sets_dropped_and_keeps_it(client, world, login_as):
    goal = _goal(world.participant)
    login_as("staff")
    response = client.post(_url(world, f"/goals/{goal.id}/drop"), data={"version": "1"})
    assert response.status_code == 303
    db.session.refresh(goal)
    assert goal.status == "dropped"
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Borttagna mål" in page and "Mål avslutat" in page


def test_step_add_edit_and_remove(client, world, login_as):
    goal = _goal(world.participant, steps=())
    login_as("staff")
    added = client.post(_url(world, f"/goals/{goal.id}/steps/new"), data={
        "version": "1", "text": "Ringa budget- och skuldrådgivningen", "who": "staff",
        "who_name": "Anna", "due_date": "2026-05-04"})
    assert added.status_code == 303
    step = db.session.scalar(select(Step).where(Step.goal_id == goal.id))
    assert (step.who, step.who_name, step.due_date) == ("staff", "Anna", date(2026, 5, 4))
    edited = client.post(_url(world, f"/steps/{step.id}"), data={
        "version": "2", "text": "Ringa rådgivningen", "who": "together", "who_name": "",
        "due_date": ""})
    assert edited.status_code == 303
    removed = client.post(_url(world, f"/steps/{step.id}/drop"), data={"version": "3"})
    assert removed.status_code == 303
    db.session.refresh(step)
    assert step.text == "Ringa rådgivningen" and step.due_date is None
    assert step.dropped_at is not None  # never hard-deleted
    assert "Ringa rådgivningen" not in client.get(_url(world)).get_data(as_text=True).split(
        "Historik")[0]


def test_invalid_step_is_422_with_swedish_messages(client, world, login_as):
    goal = _goal(world.participant, steps=())
    login_as("staff")
    response = client.post(_url(world, f"/goals/{goal.id}/steps/new"), data={
        "version": "1", "text": "", "who": "staff", "who_name": "Anna",
        "due_date": "2099-01-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv vad som ska göras." in page
    assert "Datumet ligger för långt fram" in page
    assert 'value="Anna"' in page


# --- ticking a step ----------------------------------------------------------------------------

def test_tick_step_with_htmx_returns_the_step_fragment(client, world, login_as):
    goal = _goal(world.participant)
    step = goal.steps[0]
    login_as("staff")
    response = client.post(_url(world, f"/steps/{step.id}/done"), data={"done": "1"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="step-{step.id}"')
    assert "<html" not in body and "✓" in body
    assert 'id="followup-version" hx-swap-oob="true"' in body and 'value="2"' in body
    db.session.refresh(step)
    assert step.done and step.done_by_id == world.users["staff"].id
    assert _plan(world.participant).version == 2


def test_tick_step_as_plain_form_redirects_and_repeat_changes_nothing(client, world, login_as):
    goal = _goal(world.participant)
    step = goal.steps[0]
    login_as("staff")
    url = _url(world, f"/steps/{step.id}/done")
    assert client.post(url, data={"done": "1"}).status_code == 303
    assert client.post(url, data={"done": "1"}).status_code == 303
    assert _plan(world.participant).version == 2
    assert client.post(url, data={"done": "0"}).status_code == 303
    db.session.refresh(step)
    assert not step.done and step.done_by_id is None


# --- domain rules --------------------------------------------------------------------------------

def test_conflict_rule():
    assert not is_conflict(3, 3)
    assert is_conflict(2, 3)
    assert is_conflict(None, 1)
    assert is_conflict(4, 3) and is_conflict(2**63 - 1, 3)  # never claims version 2^63
    assert parse_version("4") == 4 and parse_version("x") is None and parse_version(None) is None


def test_describe_changes_names_what_changed(world):
    goal = _goal(world.participant)
    plan = _plan(world.participant)
    before = snapshot(plan)
    goal.steps[0].done = True
    goal.own_words = "Nya ord"
    after = snapshot(plan)
    assert describe_changes(before, after) == [
        "Mål ändrat: Nya ord", "Steg klart: Köpa en kastrull"]


def test_every_goal_step_and_comment_is_shown_in_a_constant_number_of_statements(
        client, world, login_as):
    """The goals come joined to the plan and steps and comments a query each (issue 17): each
    shown once, in order, and a bigger plan costs no more statements."""

    staff = login_as("staff")

    def statements(url) -> tuple[int, str]:
        return statements_and_page(client, url)

    first = _goal(world.participant, "Första målet", steps=("Steg A",))
    db.session.add(GoalComment(goal_id=first.id, author_id=staff.id, text="En kommentar"))
    db.session.commit()  # a comment from the start: its author's name is asked for once
    small = {url: statements(url)[0] for url in (_url(world), _url(world, "/details"))}
    goals = [_goal(world.participant, f"Mål nummer {n}",
                   steps=[f"Steg {n}.{m}" for m in range(3)]) for n in range(4)]
    for n, goal in enumerate(goals):
        goal.position = n + 1
        db.session.add_all([GoalComment(goal_id=goal.id, author_id=staff.id,
                                        text=f"Kommentar {n}.{m}") for m in range(2)])
    db.session.commit()
    count, page = statements(_url(world))
    assert count == small[_url(world)]
    for n in range(4):
        assert page.count(f"Mål nummer {n}") == 1
        assert [page.count(f'"step-text">Steg {n}.{m}<') for m in range(3)] == [1, 1, 1]
        assert [page.count(f"Kommentar {n}.{m}") for m in range(2)] == [1, 1]
    assert page.index("Steg 0.0") < page.index("Steg 0.1") < page.index("Mål nummer 1")
    count, details = statements(_url(world, "/details"))
    assert count == small[_url(world, "/details")]
    assert all(f"Mål nummer {n}" in details for n in range(4))
