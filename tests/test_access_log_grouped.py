"""The participant's access log grouped per person and day; offline prefetches are recorded as
such and not shown as someone reading the file (issue 16.8, 16.10)."""
from __future__ import annotations

from datetime import timedelta

from webapp.extensions import db
from webapp.models import AuditEvent, utcnow


def test_reads_are_grouped_per_person_and_day(world, client, login_as):
    staff = world.users["staff"]
    staff.display_name = "Anna Andersson"
    now = utcnow()
    db.session.add_all([
        AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                   participant_id=world.participant.id, at=now - timedelta(minutes=m))
        for m in (1, 20, 40)
    ] + [AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                    participant_id=world.participant.id, at=now - timedelta(days=3))])
    db.session.commit()
    login_as("participant")
    page = client.get("/me/access-log").get_data(as_text=True)
    assert page.count("Anna Andersson") == 2  # today and three days ago
    assert "Tittade på din plan 3 gånger" in page
    assert "Idag" in page


def test_prefetch_is_recorded_as_prefetch_and_not_shown(world, client, login_as):
    login_as("staff")
    pid = world.participant.id
    client.get(f"/participants/{pid}/checklists/new", headers={"X-Bofast-Prefetch": "1"})
    client.get(f"/participants/{pid}/plan", headers={"X-Bofast-Prefetch": "1"})
    actions = {(e.path, e.action) for e in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.participant_id == pid))}
    assert (f"/participants/{pid}/checklists/new", "prefetch") in actions
    assert (f"/participants/{pid}/plan", "read") in actions  # not a page kept offline
    login_as("participant")
    page = client.get("/me/access-log").get_data(as_text=True)
    assert "Tittade på din plan" in page
    assert "genomgången av lägenheten" not in page
