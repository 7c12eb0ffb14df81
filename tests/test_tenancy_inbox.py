"""Housing's checklist inbox lists only tenancies that owed a checklist that month, the home
shows the same count, and staff see last month's missing checklist until it is sent."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import make_checklist, make_checklist_submission, make_participant
from webapp.domain.due import Facts, Rules, due_for
from webapp.models import Absence, PhaseChange
from webapp.timeutil import local_today, month_key

TODAY = local_today()
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)
LAST_MONTH = month_key(LAST_MONTH_END)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The dates above as the app sees them when the test runs, not when the module was
    imported: a run that crosses local midnight would compare yesterday's with today's."""
    today = local_today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    for name, value in (("TODAY", today), ("LAST_MONTH_END", last_month_end),
                        ("LAST_MONTH", month_key(last_month_end))):
        monkeypatch.setitem(globals(), name, value)


def _inbox(client, month):
    return client.get(f"/housing/checklists?month={month}").get_data(as_text=True)


def test_inbox_skips_who_moved_in_later_fas_3_and_absent_all_month(client, db, world, login_as):
    team = world.team
    late = make_participant(world.org, team, "Sen", "Inflyttad", housing_team=world.housing_team,
                            move_in=LAST_MONTH_END - timedelta(days=3))
    first_hand = make_participant(world.org, team, "Förste", "Förstahandsson", phase=3,
                                  housing_team=world.housing_team, move_in=date(2024, 1, 10))
    away = make_participant(world.org, team, "Borta", "Hela", housing_team=world.housing_team,
                            move_in=date(2025, 1, 10))
    db.session.add(Absence(participant_id=away.id, start_date=LAST_MONTH_END.replace(day=1)
                           - timedelta(days=3), end_date=TODAY))
    db.session.commit()
    login_as("housing")
    page = _inbox(client, LAST_MONTH)
    assert "Svensson" in page  # world.participant: fas 2 since January, owed
    for name in ("Inflyttad", "Förstahandsson", "Hela"):
        assert name not in page, name
    assert late and first_hand


def test_a_submitted_checklist_is_listed_even_if_not_owed(client, db, world, login_as):
    late = make_participant(world.org, world.team, "Sen", "Inskickad",
                            housing_team=world.housing_team,
                            move_in=LAST_MONTH_END - timedelta(days=3))
    make_checklist(late, world.users["staff"], LAST_MONTH_END)
    db.session.commit()
    login_as("housing")
    assert "Inskickad" in _inbox(client, LAST_MONTH)


def test_home_count_is_the_inbox_count(client, db, world, login_as):
    make_participant(world.org, world.team, "Ny", "Denna", housing_team=world.housing_team,
                     move_in=TODAY.replace(day=1))
    db.session.commit()
    login_as("housing")
    home = client.get("/housing").get_data(as_text=True)
    # Only world.participant owes this month's checklist; the newcomer moved in this month.
    assert "av 1." in home


def test_past_phase_history_decides_who_owed(client, db, world, login_as):
    p = world.participant
    # Moved to fas 3 during last month: still fas 2 on its first day, so it owed.
    db.session.add(PhaseChange(participant_id=p.id, phase=3, started_on=LAST_MONTH_END))
    p.phase = 3
    db.session.commit()
    login_as("housing")
    assert "Svensson" in _inbox(client, LAST_MONTH)


def test_due_rule_last_month_until_sent():
    rules, today = Rules(), date(2026, 3, 10)
    now = today
    owed = Facts(participant_id=1, phase=2, owed_last_month=True)
    kinds = [i.kind for i in due_for(owed, rules, today, now)]
    assert "checklist_last_month" in kinds
    sent = Facts(participant_id=1, phase=2, owed_last_month=True,
                 checklist_months=frozenset({"2026-02"}))
    assert "checklist_last_month" not in [i.kind for i in due_for(sent, rules, today, now)]
    not_owed = Facts(participant_id=1, phase=2, owed_last_month=False)
    assert "checklist_last_month" not in [i.kind for i in due_for(not_owed, rules, today, now)]


def test_staff_today_shows_last_months_missing_checklist(client, db, world, login_as):
    staff = login_as("staff")
    page = client.get("/today").get_data(as_text=True)
    assert "Förra månadens genomgång av lägenheten saknas" in page
    make_checklist_submission(world.participant, staff, LAST_MONTH)
    db.session.commit()
    page = client.get("/today").get_data(as_text=True)
    assert "Förra månadens genomgång av lägenheten saknas" not in page


def test_due_rules_open_support_info_and_breakdown():
    today = date(2026, 3, 10)
    facts = Facts(participant_id=1, phase=3, open_support_info_due=date(2026, 3, 1),
                  breakdown_since=date(2026, 3, 1))
    items = {i.kind: i for i in due_for(facts, Rules(), today, today)}
    assert items["open_support_info"].overdue
    assert items["breakdown"].due == date(2026, 3, 15) and not items["breakdown"].overdue
    assert not {"open_support_info", "breakdown"} & {
        i.kind for i in due_for(Facts(participant_id=1, phase=3), Rules(), today, today)}


def test_staff_today_asks_for_breakdown_analysis_until_written(client, db, world, login_as):
    from webapp.models import BreakdownAnalysis, Contract

    contract = db.session.query(Contract).filter_by(participant_id=world.participant.id).one()
    contract.end_reason, contract.terminated_on = "moved_by_choice", TODAY
    db.session.commit()
    login_as("staff")
    assert "skriv haveri-analysen" in client.get("/today").get_data(as_text=True)
    db.session.add(BreakdownAnalysis(participant_id=world.participant.id,
                                     contract_id=contract.id, what_happened="Flyttade"))
    db.session.commit()
    assert "skriv haveri-analysen" not in client.get("/today").get_data(as_text=True)


def test_joint_action_follow_up_reaches_the_staff_worklist(client, db, world, login_as):
    from webapp.models import JointAction, JointMeeting, utcnow

    meeting = JointMeeting(participant_id=world.participant.id, meets_at=utcnow(),
                           called="staff")
    db.session.add(meeting)
    db.session.flush()
    action = JointAction(meeting_id=meeting.id, action="Ringa grannen", who="Stödpersonalen",
                         due_on=TODAY, follow_up_on=TODAY + timedelta(days=3))
    db.session.add(action)
    db.session.commit()
    login_as("staff")
    assert "Gemensam handlingsplan: uppföljning" in client.get("/today").get_data(as_text=True)
    action.done_on = TODAY
    db.session.commit()
    assert "Gemensam handlingsplan: uppföljning" not in client.get("/today").get_data(
        as_text=True)
