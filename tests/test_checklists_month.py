"""One checklist per tenancy and month (issue 16.2): a second one is a correction, a new version."""
from __future__ import annotations

from tests.factories import make_checklist
from tests.test_checklists import filled, new_url, stored
from webapp.domain.checklists import shift_month
from webapp.timeutil import local_today


def test_a_second_checklist_for_the_same_month_becomes_version_2(client, db, world, login_as):
    login_as("staff")
    headers = {"Accept": "application/json"}
    first = client.post(new_url(world), data=filled(db, world, idempotency_key="month-key-001"),
                        headers=headers)
    second = client.post(new_url(world), data=filled(db, world, idempotency_key="month-key-002",
                                                     general_comment="Andra telefonen"),
                         headers=headers)
    assert first.status_code == second.status_code == 201
    rows = stored(db)
    assert [(r.version_no, r.supersedes_id) for r in rows] == [(1, None), (2, rows[0].id)]
    assert rows[1].general_comment == "Andra telefonen"


def test_a_new_month_is_version_1_again(client, db, world, login_as):
    login_as("staff")
    today = local_today()
    last_month_day = today.replace(day=1) - __import__("datetime").timedelta(days=1)
    make_checklist(world.participant, world.users["staff"], last_month_day)
    db.session.commit()
    assert client.post(new_url(world), data=filled(db, world, idempotency_key="month-key-003"),
                       headers={"Accept": "application/json"}).status_code == 201
    newest = stored(db)[-1]
    assert (newest.version_no, newest.supersedes_id) == (1, None)
    assert newest.month == shift_month(stored(db)[0].month, 1)


def test_the_form_for_a_sent_month_is_its_correction(client, db, world, login_as):
    sent = make_checklist(world.participant, world.users["staff"], local_today())
    db.session.commit()
    login_as("staff")
    response = client.get(new_url(world))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/participants/{world.participant.id}/checklists/{sent.id}/correct")


def test_history_main_action_after_the_month_is_sent(client, db, world, login_as):
    login_as("staff")
    base = f"/participants/{world.participant.id}/checklists"
    assert "Fyll i månadens genomgång" in client.get(base).get_data(as_text=True)
    sent = make_checklist(world.participant, world.users["staff"], local_today())
    db.session.commit()
    html = client.get(base).get_data(as_text=True)
    assert "Fyll i månadens genomgång" not in html
    assert f"{base}/{sent.id}/correct" in html


def test_draft_key_is_per_user(client, db, world, login_as):
    login_as("staff")
    html = client.get(new_url(world)).get_data(as_text=True)
    user = world.users["staff"]
    assert f'data-draft-key="bofast-checklist-draft:{user.id}:{world.participant.id}"' in html
