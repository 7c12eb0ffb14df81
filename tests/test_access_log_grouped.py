"""The participant's access log grouped per person and day; offline prefetches are recorded as
such and not shown as someone reading the file (issue 16.8, 16.10)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from webapp.extensions import db
from webapp.models import AuditEvent, utcnow
from webapp.timeutil import local_day_bounds_utc, local_today


def test_reads_are_grouped_per_person_and_day(world, client, login_as):
    staff = world.users["staff"]
    staff.display_name = "Anna Andersson"
    now = utcnow()
    # Three reads today (local time), between local midnight and now: "the last 40 minutes"
    # was yesterday too just after midnight.
    midnight = local_day_bounds_utc(local_today())[0]
    db.session.add_all([
        AuditEvent(user_id=staff.id, role="staff", action="read", object_type="plan",
                   participant_id=world.participant.id, at=midnight + (now - midnight) * share)
        for share in (0.25, 0.5, 0.75)
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


def _shown_entries(app, client, path):
    from flask import template_rendered

    shown = []

    def keep(_sender, template, context, **_extra):
        if template.name == "me/access_log.html":
            shown.append((context["entries"], context["has_more"]))

    template_rendered.connect(keep, app)
    try:
        assert client.get(path).status_code == 200
    finally:
        template_rendered.disconnect(keep, app)
    return shown[-1]


def _events_around_midnight_and_the_clock_change(world):
    """Reads and writes by three actors, on both sides of local midnight and of the spring
    clock change, some with different action and object types that read alike."""
    from datetime import datetime

    staff, social = world.users["staff"], world.users["social_worker"]
    stamps = [datetime(2026, 3, 28, 22, 59, 59), datetime(2026, 3, 28, 23, 0, 0),  # 23:59/00:00
              datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 0),  # 01:30 / 03:00
              datetime(2026, 3, 29, 21, 59), datetime(2026, 3, 29, 22, 0),  # 23:59 / 00:00
              datetime(2026, 11, 2, 22, 59), datetime(2026, 11, 2, 23, 1),  # 23:59 / 00:01
              datetime(2026, 11, 3, 18, 15), datetime(2026, 11, 3, 18, 45)]  # Kolkata 23:45/00:15
    kinds = [(staff, "read", "plan"), (staff, "read", "plan_write"), (social, "read", "plan"),
             (None, "update", "plan"), (staff, "update", "goal"), (staff, "list", "visits")]
    for i in range(60):
        stamp = stamps[i % len(stamps)] + timedelta(days=7 * (i // len(stamps)))
        user, action, object_type = kinds[i % len(kinds)]
        db.session.add(AuditEvent(user_id=user.id if user else None,
                                  role=user.role if user else "", action=action,
                                  object_type=object_type, participant_id=world.participant.id,
                                  at=stamp))
    db.session.commit()


def test_grouping_in_the_database_equals_grouping_each_event(app, world, client, login_as,
                                                            monkeypatch):
    """Counted per UTC hour in SQL and joined into local days: the same groups, in the same
    order, as grouping the events one by one, across midnight and the clock change."""
    from webapp.me import routes

    _events_around_midnight_and_the_clock_change(world)
    login_as("participant")
    with monkeypatch.context() as patch:
        patch.setattr(routes, "_access_log_by_event", None)  # not used: whole-hour offsets
        first, more = _shown_entries(app, client, "/me/access-log")
    with app.test_request_context():
        from flask_login import login_user

        login_user(world.users["participant"])
        expected = routes._access_log_by_event(world.participant)
    assert [tuple(e) for e in first] == [tuple(e) for e in expected[:routes.LOG_PAGE_SIZE]]
    assert more == (len(expected) > routes.LOG_PAGE_SIZE)
    assert any(count > 1 for *_rest, count, _at in first)  # some groups join several hours


def test_a_time_zone_with_half_hours_groups_each_event(app, world, client, login_as,
                                                      monkeypatch):
    from webapp.me import routes

    by_event = []
    original = routes._access_log_by_event
    monkeypatch.setattr(routes, "_access_log_by_event",
                        lambda participant: by_event.append(1) or original(participant))
    _events_around_midnight_and_the_clock_change(world)
    app.config["BOFAST_TIMEZONE"] = "Asia/Kolkata"  # UTC+5:30: an hour spans two days
    try:
        login_as("participant")
        shown, _more = _shown_entries(app, client, "/me/access-log")
        with app.test_request_context():
            from flask_login import login_user

            login_user(world.users["participant"])
            expected = routes._access_log_by_event(world.participant)
    finally:
        app.config["BOFAST_TIMEZONE"] = "Europe/Stockholm"
    assert by_event == [1, 1]  # the page fell back to grouping each event
    assert [tuple(e) for e in shown] == [tuple(e) for e in expected[:routes.LOG_PAGE_SIZE]]


@pytest.mark.parametrize("burst", [datetime(2026, 3, 20, 9, 0), datetime(2026, 5, 3, 9, 0)],
                         ids=["older-burst", "newest-burst"])
def test_reading_in_parts_shows_the_same_pages_as_the_whole_window(app, world, client,
                                                                   login_as, monkeypatch, burst):
    """The page reads the newest events in parts and stops once its groups are complete: every
    page, and whether there is an older one, equals grouping the whole window event by event,
    with a read that ends inside an hour, an hour that holds more than a read (among older
    events; the newest, as a benchmark run reads one participant), and the window cut inside a
    day."""

    from webapp.me import routes

    monkeypatch.setattr(routes, "LOG_FIRST_READ", 7)
    monkeypatch.setattr(routes, "LOG_PAGE_SIZE", 6)
    monkeypatch.setattr(routes, "LOG_WINDOW", 400)
    staff, social = world.users["staff"], world.users["social_worker"]
    kinds = [(staff, "read", "plan"), (social, "read", "plan"), (staff, "update", "goal"),
             (None, "update", "plan"), (staff, "list", "visits")]
    start = datetime(2026, 3, 1, 6, 0)
    stamps = [start + timedelta(hours=5 * i, minutes=7 * (i % 8)) for i in range(300)]
    stamps += [burst + timedelta(seconds=13 * i) for i in range(150)]
    for i, stamp in enumerate(stamps):
        user, action, object_type = kinds[(i * 7) % len(kinds)]
        db.session.add(AuditEvent(user_id=user.id if user else None,
                                  role=user.role if user else "", action=action,
                                  object_type=object_type, participant_id=world.participant.id,
                                  at=stamp))
    db.session.commit()
    login_as("participant")
    with app.test_request_context():
        from flask_login import login_user

        login_user(world.users["participant"])
        expected = routes._access_log_by_event(world.participant)
    assert len(expected) > 10 * routes.LOG_PAGE_SIZE
    pages = len(expected) // routes.LOG_PAGE_SIZE + 2
    for page in range(1, pages + 1):
        shown, more = _shown_entries(app, client, f"/me/access-log?page={page}")
        first = (page - 1) * routes.LOG_PAGE_SIZE
        assert [tuple(e) for e in shown] == [
            tuple(e) for e in expected[first:first + routes.LOG_PAGE_SIZE]], page
        assert more == (len(expected) > first + routes.LOG_PAGE_SIZE), page
