"""The social-services pages (issue 15) pass axe-core WCAG 2.1 AA at 390×844 and fit 320 px,
for the social worker, staff and admin, with content and in their error states."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_me_axe import axe_violations, fits_320
from tests.factories import PASSWORD, TOTP_SECRET
from webapp.extensions import db
from webapp.models import (
    Absence,
    CrisisPlan,
    Decision,
    FollowUpComment,
    FollowUpReport,
    HousingNotice,
    MissedVisit,
    SupportAssignment,
)
from webapp.timeutil import local_today, month_key


@pytest.fixture
def social_data(world):
    p, soc = world.participant, world.users["social_worker"]
    today = local_today()
    decision = Decision(participant_id=p.id, kind="support", decided_on=today - timedelta(days=40),
                        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=500),
                        review_date=today + timedelta(days=20), text="Boendestöd",
                        recorded_by_id=soc.id)
    db.session.add(decision)
    db.session.flush()
    db.session.add(SupportAssignment(participant_id=p.id, decision_id=decision.id,
                                     purpose="Stöd i boendet", sent_on=today, created_by_id=soc.id))
    report = FollowUpReport(participant_id=p.id, month=month_key(today), support_given="Bra",
                            participant_view="Jag trivs", author_id=world.users["staff"].id)
    db.session.add(report)
    db.session.flush()
    db.session.add(FollowUpComment(report_id=report.id, author_id=soc.id, text="Tack"))
    db.session.add(CrisisPlan(participant_id=p.id, signals="Sover dåligt", what_helps="Promenad",
                              whom_to_call="Anna"))
    notice = HousingNotice(participant_id=p.id, kind="period_without_visit")
    db.session.add(notice)
    db.session.flush()
    monday = today - timedelta(days=today.weekday() + 14)
    missed = MissedVisit(participant_id=p.id, period_start=monday, period="week",
                         housing_notice_id=notice.id)
    db.session.add(missed)
    db.session.add(Absence(participant_id=p.id, kind="relief_acute",
                           start_date=date(today.year, 1, 1), end_date=date(today.year, 1, 20)))
    world.org.apply_preset("stockholm")
    db.session.commit()
    return dict(pid=p.id, report=report.id, decision=decision.id, missed=missed.id,
                team=world.team.id)


def _check(page, paths, name) -> dict:
    problems = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        found = axe_violations(page)
        if not fits_320(page):
            found.append("horizontal overflow at 320 px")
        if found:
            problems[path] = found
        screenshot(page, name + path.replace("/", "-"))
    return problems


def test_social_worker_pages_pass_axe_and_fit_320(social_data, phone):
    sign_in(phone, "soc", PASSWORD, TOTP_SECRET)
    pid = social_data["pid"]
    problems = _check(phone, [
        "/social", f"/participants/{pid}/decisions",
        f"/participants/{pid}/decisions/{social_data['decision']}/edit",
        f"/participants/{pid}/reports", f"/participants/{pid}/reports/{social_data['report']}/read",
        f"/participants/{pid}/crisis-plan", f"/participants/{pid}/plan/details",
    ], "social")
    # The error state: a review after the decision ends.
    phone.goto(f"/participants/{pid}/decisions")
    phone.fill("#ends_on", "2027-01-01")
    phone.fill("#review_date", "2027-02-01")
    phone.locator("form[action$='/decisions/new'] button[type=submit]").click()
    phone.wait_for_selector(".field-error")
    found = axe_violations(phone)
    if found:
        problems["decision error"] = found
    assert not problems, problems


def test_staff_pages_pass_axe_and_fit_320(social_data, phone):
    sign_in(phone, "staff", PASSWORD, TOTP_SECRET)
    pid = social_data["pid"]
    problems = _check(phone, [
        "/today", f"/participants/{pid}", f"/participants/{pid}/decisions",
        f"/participants/{pid}/reports", f"/participants/{pid}/visits/after-the-fact",
        f"/participants/{pid}/missed-visits/{social_data['missed']}",
        f"/participants/{pid}/crisis-plan", f"/participants/{pid}/plan/details",
        f"/participants/{pid}/events",
    ], "social-staff")
    assert not problems, problems


def test_admin_rules_pages_pass_axe_and_fit_320(social_data, phone):
    sign_in(phone, "admin", PASSWORD, TOTP_SECRET)
    problems = _check(phone, ["/admin/settings", f"/admin/teams/{social_data['team']}/rules"],
                      "social-admin")
    assert not problems, problems
