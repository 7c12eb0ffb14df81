"""The social-services side (issue 15): decisions with history, the assignment, monthly
reports and comments, quarterly follow-ups, Mina ärenden, the crisis plan, the plan per
SOSFS 2014:5, access per DESIGN §2."""
from __future__ import annotations

from datetime import date, timedelta

import time_machine
from sqlalchemy import select

from tests.conftest import statements_and_page
from tests.factories import make_disturbance
from webapp.models import (
    CrisisPlan,
    Decision,
    FollowUpComment,
    FollowUpReport,
    Goal,
    Plan,
    QuarterlyFollowUp,
    SupportAssignment,
)
from webapp.timeutil import local_today, month_key

TUESDAY = "2026-11-24 10:00 +01:00"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _decision(client, pid, **kw):
    data = dict(kind="support", decided_on="2026-11-01", starts_on="2026-11-01",
                ends_on="", review_date="", text="Boendestöd Bostad först") | kw
    return client.post(f"/participants/{pid}/decisions/new", data=data)


@time_machine.travel(TUESDAY, tick=False)
def test_social_worker_records_a_decision_and_a_new_one_supersedes_it(client, world, login_as,
                                                                      db):
    login_as("social_worker")
    pid = world.participant.id
    assert _decision(client, pid).status_code == 302
    first = db.session.scalar(select(Decision).where(Decision.participant_id == pid))
    # Göteborg: 18 months, reviewed a month before the end.
    assert first.ends_on == date(2028, 4, 30) and first.review_date == date(2028, 3, 30)
    db.session.refresh(world.participant)
    assert (world.participant.decision_date, world.participant.review_date) == (
        date(2026, 11, 1), date(2028, 3, 30))
    assert _decision(client, pid, starts_on="2026-11-20", decided_on="2026-11-20",
                     review_date="2027-05-01").status_code == 302
    rows = db.session.scalars(select(Decision).where(Decision.participant_id == pid)
                              .order_by(Decision.id)).all()
    assert rows[0].superseded_by_id == rows[1].id and rows[1].superseded_by_id is None
    db.session.refresh(world.participant)
    assert world.participant.review_date == date(2027, 5, 1)
    page = _html(client.get(f"/participants/{pid}/decisions"))
    assert "Ersatt" in page and "Gäller" in page  # the history stays


@time_machine.travel(TUESDAY, tick=False)
def test_a_review_date_after_the_decision_ends_is_refused(client, world, login_as, db):
    login_as("social_worker")
    response = _decision(client, world.participant.id, ends_on="2027-11-01",
                         review_date="2027-12-01", text="Behålls")
    assert response.status_code == 422
    html = _html(response)
    assert "Omprövningen måste ske innan beslutet upphör." in html and "Behålls" in html
    assert db.session.scalar(select(Decision.id)) is None


@time_machine.travel(TUESDAY, tick=False)
def test_social_worker_edits_a_decision(client, world, login_as, db):
    login_as("social_worker")
    _decision(client, world.participant.id)
    decision = db.session.scalar(select(Decision))
    url = f"/participants/{world.participant.id}/decisions/{decision.id}/edit"
    assert client.get(url).status_code == 200
    response = client.post(url, data=dict(kind="support", decided_on="2026-11-01",
                                          starts_on="2026-11-01", ends_on="2027-10-31",
                                          review_date="2027-09-30", text="Ändrat"))
    assert response.status_code == 302
    db.session.refresh(decision)
    assert decision.review_date == date(2027, 9, 30) and decision.text == "Ändrat"


def test_staff_read_decisions_but_cannot_write_them_and_housing_never_sees_them(
        client, world, login_as):
    pid = world.participant.id
    login_as("staff")
    assert client.get(f"/participants/{pid}/decisions").status_code == 200
    assert _decision(client, pid).status_code == 403
    login_as("housing")
    assert client.get(f"/participants/{pid}/decisions").status_code == 403
    login_as("participant")
    assert client.get(f"/participants/{pid}/decisions").status_code == 403


@time_machine.travel(TUESDAY, tick=False)
def test_the_assignment_is_shown_on_the_participant_page(client, world, login_as, db):
    pid = world.participant.id
    login_as("social_worker")
    response = client.post(f"/participants/{pid}/assignments", data=dict(
        decision_id="", purpose="Stöd i boendet och kontakt med vården", sent_on="2026-11-20"))
    assert response.status_code == 302
    assert db.session.scalar(select(SupportAssignment.purpose)).startswith("Stöd i boendet")
    login_as("staff")
    assert "Stöd i boendet och kontakt med vården" in _html(client.get(f"/participants/{pid}"))
    login_as("social_worker")
    empty = client.post(f"/participants/{pid}/assignments", data=dict(purpose="",
                                                                      sent_on="2026-11-20"))
    assert empty.status_code == 422 and "Skriv vad uppdraget gäller." in _html(empty)


@time_machine.travel(TUESDAY, tick=False)
def test_a_blank_decision_of_spaces_is_none_chosen_not_an_error(client, world, login_as, db):
    """Found by the fuzz test: " " passed the optional select and then failed as an id."""
    pid = world.participant.id
    login_as("social_worker")
    response = client.post(f"/participants/{pid}/assignments", data=dict(
        decision_id=" ", purpose="Stöd i boendet", sent_on="2026-11-20"))
    assert response.status_code == 302
    assert db.session.scalar(select(SupportAssignment.decision_id)) is None
    wrong = client.post(f"/participants/{pid}/assignments", data=dict(
        decision_id=" 7", purpose="Stöd i boendet", sent_on="2026-11-20"))
    assert wrong.status_code == 422


@time_machine.travel(TUESDAY, tick=False)
def test_staff_write_the_monthly_report_and_the_social_worker_reads_and_comments(
        client, world, login_as, db):
    pid = world.participant.id
    login_as("staff")
    data = dict(support_given="Tre hembesök", goals_progress="Har sökt jobb",
                housing_situation="Bra", concerns="", participant_view="Jag trivs")
    assert client.post(f"/participants/{pid}/reports/2026-11", data=data).status_code == 302
    assert client.post(f"/participants/{pid}/reports/2026-06", data=data).status_code == 404
    report = db.session.scalar(select(FollowUpReport))
    assert report.month == "2026-11" and report.read_at is None
    login_as("social_worker")
    home = _html(client.get("/social"))
    assert "Rapporter att läsa" in home and f"/reports/{report.id}/read" in home
    assert "Jag trivs" in _html(client.get(f"/participants/{pid}/reports/{report.id}/read"))
    db.session.refresh(report)
    assert report.read_at is not None
    response = client.post(f"/participants/{pid}/reports/{report.id}/comments",
                           data={"text": "Tack, bra jobbat"})
    assert response.status_code == 302
    assert db.session.scalar(select(FollowUpComment.text)) == "Tack, bra jobbat"
    login_as("staff")
    assert client.post(f"/participants/{pid}/reports/{report.id}/comments",
                       data={"text": "x"}).status_code == 403
    login_as("housing")
    assert client.get(f"/participants/{pid}/reports").status_code == 403


@time_machine.travel(TUESDAY, tick=False)
def test_a_missing_report_is_flagged_to_staff_and_the_social_worker(client, world, login_as):
    login_as("staff")
    today = _html(client.get("/today"))
    assert "Månadsrapporten till socialtjänsten saknas för 2026-10." in today
    login_as("social_worker")
    assert "Rapport saknas för 2026-10" in _html(client.get("/social"))


@time_machine.travel(TUESDAY, tick=False)
def test_stockholm_quarterly_follow_ups_assess_the_transfer_at_the_third(client, world,
                                                                         login_as, db):
    world.org.apply_preset("stockholm")
    db.session.commit()
    pid = world.participant.id
    login_as("social_worker")
    for held in ("2026-04-10", "2026-07-10"):
        client.post(f"/participants/{pid}/quarterly", data={"held_on": held, "note": "ok"})
    page = _html(client.get(f"/participants/{pid}/reports"))
    assert "Vid det mötet bedöms överlåtelsen" in page and "transfer_ready" in page
    client.post(f"/participants/{pid}/quarterly", data={"held_on": "2026-10-10",
                                                        "transfer_ready": "yes"})
    third = db.session.scalar(select(QuarterlyFollowUp).where(QuarterlyFollowUp.number == 3))
    assert third.transfer_ready is True


@time_machine.travel(TUESDAY, tick=False)
def test_mina_arenden_lists_reviews_rattelser_and_is_the_social_workers_home(
        client, world, login_as, db):
    world.participant.review_date = date(2026, 12, 10)
    make_disturbance(world.participant)
    db.session.commit()
    login_as("social_worker")
    assert client.get("/").headers["Location"].endswith("/social")
    page = _html(client.get("/social"))
    assert "Beslut att ompröva" in page and "Kalle Svensson" in page
    assert "Kontakt senast" in page
    assert "Olle Annan" not in page  # another social worker's case
    login_as("staff")
    assert client.get("/social").status_code == 403


@time_machine.travel(TUESDAY, tick=False)
def test_crisis_plan_staff_write_participant_reads_housing_never(client, world, login_as, db):
    pid = world.participant.id
    login_as("staff")
    response = client.post(f"/participants/{pid}/crisis-plan", data=dict(
        signals="Sover dåligt", what_helps="Promenad", whom_to_call="Syster Anna"))
    assert response.status_code == 302
    assert db.session.scalar(select(CrisisPlan.what_helps)) == "Promenad"
    login_as("participant")
    page = _html(client.get("/me/plan"))
    assert "Om det blir svårt" in page and "Syster Anna" in page
    login_as("social_worker")
    assert "Sover dåligt" in _html(client.get(f"/participants/{pid}/crisis-plan"))
    assert client.post(f"/participants/{pid}/crisis-plan", data={}).status_code == 403
    login_as("housing")
    assert client.get(f"/participants/{pid}/crisis-plan").status_code == 403


@time_machine.travel(TUESDAY, tick=False)
def test_plan_per_sosfs_links_the_decision_and_flags_a_goal_follow_up(client, world,
                                                                       login_as, db):
    pid = world.participant.id
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == pid))
    goal = Goal(plan_id=plan.id, own_words="Jag vill ha ett jobb", status="active")
    db.session.add(goal)
    login_as("social_worker")
    _decision(client, pid)
    decision = db.session.scalar(select(Decision))
    login_as("staff")
    response = client.post(f"/participants/{pid}/plan/details", data={
        "decision_id": str(decision.id), "participation": "Vi skrev planen hemma hos Kalle",
        "agreement": "yes", "sip_on": "2026-11-20", "sip_note": "Med vården",
        f"goal-{goal.id}-how_when": "Arbetsförmedlingen varje tisdag",
        f"goal-{goal.id}-follow_up_on": "2026-11-26"})
    assert response.status_code == 302
    db.session.refresh(plan)
    db.session.refresh(goal)
    assert plan.decision_id == decision.id and plan.agreement == "yes"
    assert goal.follow_up_on == date(2026, 11, 26) and plan.sip_on == date(2026, 11, 20)
    assert "Ett mål i planen ska följas upp" in _html(client.get("/today"))
    bad = client.post(f"/participants/{pid}/plan/details", data={
        "participation": "kvar", f"goal-{goal.id}-follow_up_on": "inte ett datum"})
    assert bad.status_code == 422 and "kvar" in _html(bad)


@time_machine.travel(TUESDAY, tick=False)
def test_admin_team_rules_override_and_plain_swedish(client, world, login_as, db):
    login_as("admin")
    settings = _html(client.get("/admin/settings"))
    assert "Reglerna som gäller" in settings and "hembesök per vecka" in settings
    url = f"/admin/teams/{world.team.id}/rules"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"rules_preset": "stockholm", "visit_period": "",
                                      "any_meeting_counts": "", "min_visits": ""})
    assert response.status_code == 302
    db.session.refresh(world.team)
    assert world.team.rules_preset == "stockholm"
    assert "Alla möten räknas" in _html(client.get(url))
    assert client.post(url, data={"rules_preset": "paris"}).status_code == 422
    login_as("staff")
    assert client.get(url).status_code == 403


def test_report_month_is_this_or_last(client, world, login_as):
    login_as("staff")
    last = month_key(local_today().replace(day=1) - timedelta(days=1))
    page = _html(client.get(f"/participants/{world.participant.id}/reports?month={last}"))
    assert f"/reports/{last}" in page


@time_machine.travel(TUESDAY, tick=False)
def test_the_plans_own_follow_up_date_is_flagged_when_due(client, world, login_as, db):
    plan = db.session.scalar(select(Plan).where(Plan.participant_id == world.participant.id))
    plan.follow_up_date = date(2026, 11, 23)
    db.session.commit()
    login_as("staff")
    assert "Planen ska följas upp" in _html(client.get("/today"))


@time_machine.travel(TUESDAY, tick=False)
def test_the_participant_sees_their_own_decision_dates(client, world, login_as, db):
    login_as("social_worker")
    _decision(client, world.participant.id, review_date="2027-05-01")
    login_as("participant")
    page = _html(client.get("/me/home"))
    assert "Ditt beslut om stöd" in page and "2027-05-01" in page
    assert "Boendestöd Bostad först" not in page  # the decision's text is not shown


@time_machine.travel(TUESDAY, tick=False)
def test_mina_arenden_lists_the_joint_meetings_to_attend(client, world, login_as, db):
    from webapp.models import JointMeeting, utcnow

    db.session.add(JointMeeting(participant_id=world.participant.id,
                                meets_at=utcnow() + timedelta(days=2), place="Bostadskontoret"))
    db.session.add(JointMeeting(participant_id=world.other.id,
                                meets_at=utcnow() + timedelta(days=2), place="Annat kontor"))
    db.session.commit()
    login_as("social_worker")
    page = _html(client.get("/social"))
    assert "Gemensamma möten" in page and "Bostadskontoret" in page
    assert "Annat kontor" not in page  # not this social worker's case
    assert f'href="/participants/{world.participant.id}/tenancy"' in page


@time_machine.travel(TUESDAY, tick=False)
def test_mina_arenden_relief_reports_and_team_rules_in_a_constant_number_of_statements(
        client, world, login_as, db):
    """The home reads its cases as columns with their team and last month's report (issue 17):
    a team's own relief cap and report rule apply to its cases, and more cases cost no more
    statements."""

    from tests.factories import make_participant
    from webapp.models import Absence, Team

    soc = world.users["social_worker"]
    capped = Team(organisation_id=world.org.id, name="Avlastning", relief_days_per_year=10)
    db.session.add(capped)
    db.session.flush()
    near = make_participant(world.org, capped, "Nära", "Taket", social_worker=soc)
    # A protected identity from the start: whether the worker is assigned comes with the cases.
    make_participant(world.org, world.team, "Sara", "Hemlig", social_worker=soc, protected=True)
    db.session.add(Absence(participant_id=near.id, kind="relief_acute",
                           start_date=date(2026, 3, 1), end_date=date(2026, 3, 8)))
    db.session.add(Absence(participant_id=world.participant.id, kind="relief_acute",
                           start_date=date(2026, 3, 1), end_date=date(2026, 3, 20)))
    db.session.add(FollowUpReport(participant_id=near.id, month="2026-10", author_id=soc.id))
    db.session.commit()
    login_as("social_worker")

    def statements() -> tuple[int, str]:
        return statements_and_page(client, "/social")

    few, page = statements()
    relief = page.split('id="relief-heading"')[1].split("</section>")[0]
    assert "Nära Taket" in relief and "av 10 dagar" in relief  # the team's cap
    assert "Kalle Svensson" not in relief  # the organisation has no cap
    missing = page.split("Rapport saknas för 2026-10")[1].split("</ul>")[0]
    assert "Kalle Svensson" in missing and "Nära Taket" not in missing  # written
    for n in range(6):
        person = make_participant(world.org, capped if n % 2 else world.team, "Fler",
                                  f"Ärenden {n}", social_worker=soc)
        make_disturbance(person)
    db.session.commit()
    more, page = statements()
    assert "Fler Ärenden 5" in page and "Sara Hemlig" in page  # their own case
    assert more == few, f"{few} vs {more} statements"


@time_machine.travel(TUESDAY, tick=False)
def test_quarterly_follow_ups_count_from_the_current_contracts_move_in(client, world, login_as,
                                                                       db):
    """The reports page reads the rules and the current contract's move-in with the team in
    one query (issue 17): an ended contract does not count, and no move-in means no schedule."""
    from webapp.models import Apartment, Contract

    world.org.apply_preset("stockholm")
    contract = db.session.scalar(select(Contract).where(
        Contract.participant_id == world.participant.id))
    contract.move_in_date = date(2026, 5, 1)
    flat = Apartment(organisation_id=world.org.id, address="Förra gatan 1", city="Stockholm")
    db.session.add(flat)
    db.session.flush()
    db.session.add(Contract(participant_id=world.participant.id, apartment_id=flat.id,
                            move_in_date=date(2025, 1, 1), ended_on=date(2025, 6, 1)))
    db.session.commit()
    login_as("social_worker")
    url = f"/participants/{world.participant.id}/reports"
    page = _html(client.get(url))
    assert "Nästa möte (nummer 1) senast 2026-08-01." in page  # a quarter after moving in
    contract.move_in_date = None
    db.session.commit()
    assert "Nästa möte" not in _html(client.get(url))


@time_machine.travel(TUESDAY, tick=False)
def test_mina_arenden_lists_keep_their_order_read_in_one_statement(client, world, login_as, db):
    """The four lists come in one statement and are put in order on the server (issue 17):
    reports by month, disturbances newest received first (those received together in the
    order recorded), joint meetings soonest first."""
    from tests.factories import make_participant
    from webapp.models import JointMeeting, utcnow

    soc = world.users["social_worker"]
    other = make_participant(world.org, world.team, "Berit", "Bok", social_worker=soc)
    now = utcnow()
    db.session.add_all([  # added out of order
        FollowUpReport(participant_id=other.id, month="2026-10", author_id=soc.id),
        FollowUpReport(participant_id=world.participant.id, month="2026-09", author_id=soc.id),
        JointMeeting(participant_id=other.id, meets_at=now + timedelta(days=3), place="Senare"),
        JointMeeting(participant_id=world.participant.id, meets_at=now + timedelta(days=1),
                     place="Tidigare")])
    third = make_participant(world.org, world.team, "Cecilia", "Ceder", social_worker=soc)
    make_disturbance(world.participant, received_at=now - timedelta(days=2))
    make_disturbance(third, received_at=now - timedelta(hours=1))
    make_disturbance(other, received_at=now - timedelta(hours=1))
    db.session.commit()
    login_as("social_worker")
    page = _html(client.get("/social"))

    def section(name: str) -> str:
        return page.split(f'id="{name}-heading"')[1].split("</section>")[0]

    reports = section("reports")
    assert reports.index("2026-09") < reports.index("2026-10")
    meetings = section("meetings")
    assert meetings.index("Tidigare") < meetings.index("Senare")
    rows = section("disturbances").split("<li>")[1:]
    assert [row.split("<strong>")[1].split("</strong>")[0] for row in rows] == [
        "Cecilia Ceder", "Berit Bok", "Kalle Svensson"]
