"""The stored worklist of Idag (issue 17, webapp/staff/worklist_store.py): it equals the due
rules worked out live over the whole caseload, and every kind of write the rules read changes it
on the next view, without anyone recomputing it by hand."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from tests import writes
from tests.factories import local_at, make_appointment, make_checklist, make_disturbance
from webapp.access import visible_participants
from webapp.checklists.submissions import followups_open
from webapp.domain.due import DueItem, Rules, due_items
from webapp.domain.worklist import group_by_participant
from webapp.extensions import db
from webapp.models import (
    BreakdownAnalysis,
    ChecklistAnswer,
    ChecklistFollowupDone,
    Disturbance,
    FollowUpReport,
    Goal,
    JointAction,
    JointMeeting,
    MissedVisit,
    Participant,
    Plan,
    TransferCase,
    WorklistEntry,
    utcnow,
)
from webapp.staff import caseload, worklist_store
from webapp.staff.today import scope_of
from webapp.timeutil import local_today, to_local, tz


def live(user, org, day: date, now: datetime) -> list[tuple]:
    """What Idag showed before the worklist was stored: the due rules over the whole caseload
    on every view (the reference the stored worklist must equal)."""
    people = list(db.session.scalars(visible_participants(user)))
    facts = caseload.due_facts(people, org, day, now)
    items = due_items(facts, Rules.of(org), day, now, lambda value: to_local(value).date(),
                      zone=tz(), rules_by_participant=caseload.rules_by_participant(people, org))
    items += [DueItem(kind="followup", participant_id=f.participant_id, due=f.due,
                      overdue=f.due < day, object_id=f.answer_id)
              for f in followups_open([p.id for p in people])]
    return [(g.participant_id, g.items) for g in group_by_participant(items)]


def stored(user, org, day: date, now: datetime) -> list[tuple]:
    """Every group of the stored worklist, in page order."""
    groups, total, followups = worklist_store.page(scope_of(user), org, day, now, (0, 12),
                                                   lambda total: (0, max(total, 1)))
    assert len(groups) == total
    # The follow-ups' details come stored too: as the checklist rows say now.
    wanted = {i.object_id for g in groups for i in g.items if i.kind == "followup"}
    assert followups == {f.answer_id: f for f in followups_open(
        [g.participant_id for g in groups]) if f.answer_id in wanted}
    return [(g.participant_id, g.items) for g in groups]


def _versions() -> dict[int, int]:
    return dict(db.session.execute(
        select(WorklistEntry.participant_id, WorklistEntry.version)).all())


def _now() -> tuple[date, datetime]:
    return local_today(), utcnow()


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_stored_worklist_equals_the_live_rules_on_the_demo_data_at_several_dates(app, role):
    from webapp.demo import seed_demo
    from webapp.models import User

    seed_demo()
    db.session.commit()
    user = db.session.scalar(select(User).where(User.username == (
        "anna" if role == "staff" else "admin")))
    org = user.organisation
    for days in (0, 1, 6, 13, 27, 45, 120):
        day = local_today() + timedelta(days=days)
        for hour in (7, 13, 22):
            now = local_at(day, hour)
            expected = live(user, org, day, now)
            assert stored(user, org, day, now) == expected, (days, hour)
            # Read again: now every row comes from the table.
            assert stored(user, org, day, now) == expected, (days, hour)
    assert db.session.scalar(select(WorklistEntry.participant_id).limit(1)) is not None


def test_pages_of_the_stored_worklist_follow_the_live_order(app):
    """Page by page (as Idag reads it: the page asked for in the first query), and a page asked
    for beyond the one shown (read again once the total is known)."""
    from webapp.demo import seed_demo
    from webapp.models import User

    seed_demo()
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    day, now = _now()
    expected = live(admin, admin.organisation, day, now)
    assert len(expected) > 6
    for first_view in (True, False):  # rows worked out in the view, then read from the table
        if first_view:
            db.session.execute(WorklistEntry.__table__.delete())
            db.session.commit()
        shown = []
        for offset in range(0, len(expected), 3):
            groups, total, _f = worklist_store.page(
                scope_of(admin), admin.organisation, day, now, (offset, 3),
                lambda total, o=offset: (o, 3))
            assert total == len(expected)
            shown += [(g.participant_id, g.items) for g in groups]
        assert shown == expected
    groups, _total, _f = worklist_store.page(scope_of(admin), admin.organisation, day, now,
                                             (300, 3), lambda total: (3, 3))
    assert [(g.participant_id, g.items) for g in groups] == expected[3:6]


def test_rows_are_reused_until_they_expire(app, world):
    day, now = _now()
    user, org = world.users["admin"], world.org
    stored(user, org, day, now)
    first = {row.participant_id: row.computed_at for row in db.session.scalars(
        select(WorklistEntry))}
    assert set(first) == {world.participant.id, world.other.id}
    stored(user, org, day, now)
    db.session.expire_all()
    assert {row.participant_id: row.computed_at
            for row in db.session.scalars(select(WorklistEntry))} == first
    # The next day every row is worked out again.
    tomorrow = day + timedelta(days=1)
    assert stored(user, org, tomorrow, local_at(tomorrow, 9)) == live(
        user, org, tomorrow, local_at(tomorrow, 9))
    db.session.expire_all()
    assert all(row.day == tomorrow for row in db.session.scalars(select(WorklistEntry)))


def test_a_booked_visit_that_starts_is_no_longer_counted_without_working_the_row_out(app,
                                                                                    world):
    day, now = _now()
    person, staff = world.participant, world.users["staff"]
    soon = now + timedelta(minutes=1)
    make_appointment(person, staff, soon, kind="home_visit")
    db.session.commit()
    user, org = world.users["admin"], world.org
    before = stored(user, org, day, now)
    visit = [i for pid, items in before if pid == person.id for i in items if i.kind == "visit"]
    assert visit and visit[0].booked == 1
    computed = db.session.get(WorklistEntry, person.id).computed_at
    later = soon + timedelta(seconds=1)
    if to_local(later).date() == day:  # (not on the last minute of the day)
        after = stored(user, org, day, later)
        assert after == live(user, org, day, later)
        assert [i.booked for pid, items in after if pid == person.id
                for i in items if i.kind == "visit"] == [0]
        db.session.expire_all()
        assert db.session.get(WorklistEntry, person.id).computed_at == computed


def test_a_rattelse_deadline_ends_the_rows_validity(app, world):
    day, now = _now()
    make_disturbance(writes.person(world), received_at=now - timedelta(days=10))
    db.session.commit()
    user, org = world.users["admin"], world.org
    stored(user, org, day, now - timedelta(days=9))
    row = db.session.get(WorklistEntry, world.participant.id)
    deadline = [item["deadline"] for item in row.items if item["kind"] == "rattelse"][0]
    assert row.valid_until == datetime.fromisoformat(deadline)


# --- every kind of write changes the worklist on the next view ------------------------------

def _appointment(world):
    yield
    make_appointment(writes.person(world), world.users["staff"],
                     utcnow() + timedelta(minutes=30), kind="home_visit")


def _appointment_deleted(world):
    _day, now = _now()
    booked = make_appointment(writes.person(world), world.users["staff"],
                              now + timedelta(minutes=30), kind="home_visit")
    yield
    db.session.delete(booked)


def _visit_outcome(world):
    from tests.factories import make_outcome

    _day, now = _now()
    visit = make_appointment(writes.person(world), world.users["staff"],
                             now - timedelta(minutes=1), kind="home_visit")
    yield
    make_outcome(visit, world.users["staff"])


def _followup_added(world):
    submission = make_checklist(writes.person(world), world.users["staff"], local_today(),
                                answers={"rent_paid": ("remark", "Hyran")})
    yield
    answer = db.session.scalar(select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == submission.id, ChecklistAnswer.item_key == "rent_paid"))
    answer.followup_action = "Ring hyresvärden"
    answer.followup_owner = "staff"


def _followup_done(world):
    submission = make_checklist(writes.person(world), world.users["staff"], local_today(),
                                answers={"rent_paid": ("remark", "Hyran")})
    answer = db.session.scalar(select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == submission.id, ChecklistAnswer.item_key == "rent_paid"))
    answer.followup_action = "Ring hyresvärden"
    yield
    db.session.add(ChecklistFollowupDone(answer_id=answer.id,
                                         done_by_id=world.users["staff"].id))


def _disturbance(world):
    yield
    make_disturbance(writes.person(world))


def _disturbance_followed_up(world):
    row = make_disturbance(writes.person(world))
    yield
    db.session.get(Disturbance, row.id).followed_up_at = utcnow()


def _phase(world):
    yield
    writes.person(world).phase = 3


def _review_date(world):
    yield
    writes.person(world).review_date = local_today() + timedelta(days=10)


def _breakdown_analysis(world):
    contract = writes.contract(world)
    contract.ended_on = local_today() - timedelta(days=1)
    contract.end_reason = "moved_by_choice"
    yield
    db.session.add(BreakdownAnalysis(participant_id=world.participant.id,
                                     contract_id=contract.id, what_happened="Flytt"))


def _transfer_case(world):
    yield
    db.session.add(TransferCase(participant_id=world.participant.id,
                                contract_id=writes.contract(world).id, decision="approved",
                                decided_on=local_today()))


def _missed_visit_bulk_insert(world):
    yield
    # As the scheduler stores them: a multi-row INSERT, no ORM objects (no flush events).
    db.session.execute(insert(MissedVisit), [dict(
        participant_id=world.participant.id, period_start=local_today() - timedelta(days=14),
        period="week", created_at=utcnow())])


def _missed_visit_explained(world):
    row = MissedVisit(participant_id=world.participant.id,
                      period_start=local_today() - timedelta(days=14), period="week")
    db.session.add(row)
    yield
    db.session.get(MissedVisit, row.id).reason = "absent"


def _follow_up_report(world):
    last_month = local_today().replace(day=1) - timedelta(days=1)
    yield
    db.session.add(FollowUpReport(participant_id=world.participant.id,
                                  month=f"{last_month:%Y-%m}", support_given="Stöd",
                                  author_id=world.users["staff"].id))


def _plan(world):
    yield
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == world.participant.id))
    plan.follow_up_date = local_today() + timedelta(days=2)


def _plan_bulk_update(world):
    yield
    db.session.execute(update(Plan).where(Plan.participant_id == world.participant.id)
                       .values(follow_up_date=local_today() + timedelta(days=3))
                       .execution_options(synchronize_session=False))


def _goal(world):
    yield
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == world.participant.id))
    db.session.add(Goal(plan_id=plan.id, own_words="Jobb", status="active",
                        follow_up_on=local_today() + timedelta(days=3)))


def _joint_action(world):
    meeting = JointMeeting(participant_id=world.participant.id,
                           meets_at=utcnow() - timedelta(days=3), place="Kontoret")
    db.session.add(meeting)
    db.session.flush()
    yield
    db.session.add(JointAction(meeting_id=meeting.id, action="Städa", who="Kalle",
                               follow_up_on=local_today() + timedelta(days=2)))


def _organisation_rules(world):
    yield
    world.org.min_visits = 3


def _team_override(world):
    yield
    world.team.min_visits = 2


def _participant_team(world):
    world.other_team.min_visits = 4
    yield
    writes.person(world).team_id = world.other_team.id


WRITES = [_appointment, _appointment_deleted, _visit_outcome, writes.checklist, _followup_added,
          _followup_done, _disturbance, _disturbance_followed_up, writes.absence, _phase,
          _review_date, writes.phase_change, writes.contract_ended, _breakdown_analysis,
          _transfer_case, _missed_visit_bulk_insert, _missed_visit_explained, _follow_up_report,
          _plan, _plan_bulk_update, _goal, _joint_action, _organisation_rules, _team_override,
          _participant_team]


@pytest.mark.parametrize("write", WRITES, ids=writes.ids(WRITES))
def test_each_kind_of_write_changes_the_worklist_on_the_next_view(app, world, write):
    steps = writes.before_write(write, world)
    day, now = _now()
    user, org = world.users["admin"], world.org
    before = stored(user, org, day, now)
    assert before == live(user, org, day, now)
    writes.make_write(steps)
    after = live(user, org, day, now)
    assert after != before, "the write must change what is due (else the case proves nothing)"
    assert stored(user, org, day, now) == after


def test_only_the_written_participant_is_worked_out_again(app, world):
    day, now = _now()
    user, org = world.users["admin"], world.org
    stored(user, org, day, now)
    other_before = db.session.get(WorklistEntry, world.other.id).computed_at
    make_disturbance(writes.person(world))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(WorklistEntry, world.participant.id).valid_until is None
    assert db.session.get(WorklistEntry, world.other.id).valid_until is not None
    stored(user, org, day, now)
    db.session.expire_all()
    assert db.session.get(WorklistEntry, world.other.id).computed_at == other_before


def test_a_rules_change_marks_the_whole_organisation_stale(app, world):
    day, now = _now()
    stored(world.users["admin"], world.org, day, now)
    world.org.checklist_monthly = False
    db.session.commit()
    db.session.expire_all()
    assert [row.valid_until for row in db.session.scalars(select(WorklistEntry))] == [None, None]


def test_settings_no_rule_reads_leave_the_rows_alone(app, world):
    day, now = _now()
    stored(world.users["admin"], world.org, day, now)
    world.org.oncall_phone = "010-111 22 33"
    world.team.name = "Team Norr"
    db.session.commit()
    db.session.expire_all()
    assert None not in set(db.session.scalars(select(WorklistEntry.valid_until)))


def test_a_rolled_back_write_keeps_the_rows(app, world):
    day, now = _now()
    stored(world.users["admin"], world.org, day, now)
    make_disturbance(writes.person(world))
    db.session.flush()
    db.session.rollback()
    assert None not in {row.valid_until for row in db.session.scalars(select(WorklistEntry))}


def test_a_computation_older_than_a_write_is_not_stored(app, world):
    """A view read the row's version, then a write marked it stale while the view worked it
    out: the view's result is not stored over the write."""
    day, now = _now()
    user, org = world.users["admin"], world.org
    read = _versions()[world.participant.id]
    rows = [dict(row, version=read)
            for row in worklist_store.compute([writes.person(world)], org, day, now)]
    make_disturbance(writes.person(world))
    db.session.commit()
    assert worklist_store.store(rows)
    db.session.expire_all()
    row = db.session.get(WorklistEntry, world.participant.id)
    assert (row.valid_until, row.version) == (None, read + 1)
    assert stored(user, org, day, now) == live(user, org, day, now)
    db.session.expire_all()
    assert db.session.get(WorklistEntry, world.participant.id).valid_until is not None


def test_storing_the_same_rows_twice_at_once_does_not_fail(app, world):
    """Two views computing the same participants store with an upsert: no unique-key error."""
    day, now = _now()
    versions = _versions()
    people = [writes.person(world), db.session.get(Participant, world.other.id)]
    rows = [dict(row, version=versions.get(row["participant_id"], 0))
            for row in worklist_store.compute(people, world.org, day, now)]
    results = []

    def store():
        with app.app_context():
            results.append(worklist_store.store(rows))

    threads = [threading.Thread(target=store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4
    assert db.session.scalar(select(db.func.count()).select_from(WorklistEntry)) == 2
    assert None not in set(db.session.scalars(select(WorklistEntry.valid_until)))


def test_idag_shows_a_new_rattelse_after_the_view_stored_the_worklist(app, client, login_as,
                                                                     world):
    login_as("staff")
    assert "Rättelseanmaning" not in client.get("/today").get_data(as_text=True)
    make_disturbance(writes.person(world))
    db.session.commit()
    assert "Rättelseanmaning" in client.get("/today").get_data(as_text=True)


def test_the_scheduler_pass_works_out_the_days_rows_before_the_first_view(app, world):
    from webapp.push.cli import run_pass

    day, now = _now()
    run_pass()
    db.session.expire_all()
    rows = {row.participant_id: row for row in db.session.scalars(select(WorklistEntry))}
    assert set(rows) == {world.participant.id, world.other.id}
    assert all(row.day == day and row.valid_until > now for row in rows.values())
    user, org = world.users["admin"], world.org
    assert stored(user, org, day, utcnow()) == live(user, org, day, utcnow())
    db.session.expire_all()
    assert {row.participant_id: row.computed_at
            for row in db.session.scalars(select(WorklistEntry))} == {
        pid: row.computed_at for pid, row in rows.items()}
