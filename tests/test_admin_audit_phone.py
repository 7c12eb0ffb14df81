"""The audit log on a phone (issue 16.10): cards and actions in words; prefetches are not
reviewed as reads; the sample can be marked reviewed at once; the month is signed off."""
from __future__ import annotations

from datetime import datetime

from tests.test_admin_audit import add_event
from webapp.admin.audit_words import event_words
from webapp.models import AuditEvent, AuditReview


def test_actions_in_words():
    assert str(event_words("read", "plan")) == "läste planen"
    assert str(event_words("read", "checklist_write")) == "läste genomgången"
    assert str(event_words("prefetch", "checklist_write")) == (
        "hämtade till telefonen för offline genomgången")
    assert event_words("frobnicate", "widget") == "frobnicate widget"  # unknown: as stored


def test_audit_page_is_cards_in_words(db, client, login_as, world):
    staff = world.users["staff"]
    db.session.add(AuditEvent(at=datetime(2026, 1, 5, 10), user_id=staff.id, role="staff",
                              action="read", object_type="plan", path="/x",
                              participant_id=world.participant.id))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit?start=2026-01-01&end=2026-01-10").get_data(as_text=True)
    assert "<table" not in html and 'class="list audit-cards"' in html
    assert "läste planen" in html and "(Stödpersonal)" in html
    assert "read plan" not in html


def _month_events(db, world, count=5, action="read"):
    staff = world.users["staff"]
    return [add_event(db, staff, world.participant, datetime(2026, 1, 5 + i, 11), action=action)
            for i in range(count)]


def test_prefetches_are_not_in_the_review(db, client, login_as, world):
    _month_events(db, world, 3, action="prefetch")
    _month_events(db, world, 2)
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-01").get_data(as_text=True)
    assert "2 händelser om deltagare" in html
    assert "hämtade till telefonen" not in html


def test_mark_the_whole_sample_reviewed_then_sign_off(db, client, login_as, world):
    events = _month_events(db, world, 4)
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-01").get_data(as_text=True)
    assert "Markera urvalet som granskat" in html
    response = client.post("/admin/audit/review/sample", data={"month": "2026-01"})
    assert response.status_code == 303
    reviewed = set(db.session.scalars(db.select(AuditReview.audit_event_id)))
    assert reviewed == {e.id for e in events}
    client.post("/admin/audit/review/sample", data={"month": "2026-01"})  # twice: no doubles
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditReview)) == 4

    assert client.post("/admin/audit/review/signoff",
                       data={"month": "2026-01", "comment": "Inget avvikande"}
                       ).status_code == 303
    html = client.get("/admin/audit/review?month=2026-01").get_data(as_text=True)
    assert "Avslutad" in html and "Skriv under granskningen" not in html
    signoffs = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "signoff"))
    assert [e.detail for e in signoffs] == ["2026-01"]
    assert client.post("/admin/audit/review/signoff", data={"month": "bogus"}).status_code == 400


def test_review_actions_are_admin_only(client, login_as, world):
    login_as("staff")
    assert client.post("/admin/audit/review/signoff", data={"month": "2026-01"}
                       ).status_code in (403, 404)
