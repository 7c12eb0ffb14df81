"""`access.child_or_404`: an object of a participant is reached only through that participant,
also when it hangs off a parent (a step off a goal, a joint action off a meeting)."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import local_at, make_appointment, make_participant
from webapp.extensions import db
from webapp.models import AuditEvent, Goal, JointAction, JointMeeting, Plan, Step, utcnow
from webapp.timeutil import local_today


def _step_of(participant) -> Step:
    plan = db.session.scalar(db.select(Plan).where(Plan.participant_id == participant.id))
    goal = Goal(plan_id=plan.id, life_area="daily_life", own_words="Laga mat")
    db.session.add(goal)
    db.session.flush()
    step = Step(goal_id=goal.id, text="Köpa en kastrull", who="participant", position=0)
    db.session.add(step)
    db.session.commit()
    return step


def test_appointment_of_another_visible_participant_is_404_under_this_one(
        client, world, login_as):
    neighbour = make_participant(world.org, world.team, "Nils", "Granne")
    theirs = make_appointment(neighbour, world.users["staff"],
                              local_at(local_today() + timedelta(days=2), 10))
    db.session.commit()
    login_as("staff")
    url = f"/participants/{world.participant.id}/appointments/{theirs.id}/cancel"
    assert client.post(url).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "booked"
    # Under its own participant the same id is found.
    ok = client.post(f"/participants/{neighbour.id}/appointments/{theirs.id}/cancel")
    assert ok.status_code in (200, 302)


def test_participant_cannot_tick_a_step_of_someone_elses_goal(client, world, login_as):
    theirs = _step_of(world.other)
    login_as("participant")
    assert client.post(f"/me/steps/{theirs.id}/done", data={"done": "1"}).status_code == 404
    db.session.refresh(theirs)
    assert not theirs.done
    mine = _step_of(world.participant)
    assert client.post(f"/me/steps/{mine.id}/done", data={"done": "1"}).status_code == 302


def test_staff_cannot_edit_a_goal_of_another_participant_through_this_plan(
        client, world, login_as):
    theirs = _step_of(make_participant(world.org, world.team, "Nils", "Granne"))
    login_as("staff")
    base = f"/participants/{world.participant.id}/plan"
    assert client.get(f"{base}/goals/{theirs.goal_id}").status_code == 404
    assert client.get(f"{base}/steps/{theirs.id}").status_code == 404


def test_joint_action_of_a_tenant_out_of_scope_is_refused_and_logged(client, world, login_as):
    meeting = JointMeeting(participant_id=world.other.id, meets_at=utcnow() + timedelta(days=1),
                           place="Kontoret")
    db.session.add(meeting)
    db.session.flush()
    action = JointAction(meeting_id=meeting.id, action="Städa trapphuset", who="Hyresgästen")
    db.session.add(action)
    db.session.commit()
    user = login_as("housing")
    assert client.post(f"/housing/actions/{action.id}/done").status_code == 404
    db.session.refresh(action)
    assert action.done_on is None
    refused = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "refused", AuditEvent.user_id == user.id)).all()
    assert [row.participant_id for row in refused] == [world.other.id]
