"""Audit log view, CSV export with masking, monthly log review flags, programme figures page."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from tests.factories import make_participant
from webapp.domain.log_review import AccessEvent, burst_events, flag_events, sample_events
from webapp.models import AuditEvent, AuditReview
from webapp.timeutil import to_utc


def add_event(db, user, participant, local: datetime, action="read"):
    event = AuditEvent(at=to_utc(local), user_id=user.id, role=user.role, action=action,
                       object_type="identity", path="/x",
                       participant_id=participant.id if participant else None)
    db.session.add(event)
    db.session.flush()
    return event


# --- pure flag rules --------------------------------------------------------------------------

def ev(i, minute, pid, user=1, role="staff", hour=10, action="read"):
    return AccessEvent(id=i, at_local=datetime(2026, 2, 3, hour, 0) + timedelta(minutes=minute),
                       user_id=user, role=role, action=action, participant_id=pid)


def test_flags_outside_caseload_night_and_burst():
    events = [
        ev(1, 0, pid=1),  # in caseload, daytime: no flag
        ev(2, 0, pid=99),  # outside caseload
        ev(3, 0, pid=1, hour=23),  # night
        ev(4, 0, pid=1, hour=5),  # night (before 06)
        ev(5, 0, pid=99, role="admin"),  # admin sees everyone: not outside caseload
        ev(6, 0, pid=99, role="participant", user=7),  # participants are not reviewed here
        ev(7, 0, pid=99, action="create"),  # outside caseload applies to reads only
    ]
    flags = flag_events(events, {1: {1}})
    assert flags == {2: ["outside_caseload"], 3: ["night"], 4: ["night"]}


def test_burst_needs_more_than_twenty_people_within_ten_minutes():
    twenty = [ev(i, i * 0.4, pid=i) for i in range(1, 21)]  # 20 people in 8 minutes
    assert burst_events(twenty) == set()
    twenty_one = twenty + [ev(21, 9, pid=21)]
    assert burst_events(twenty_one) == set(range(1, 22))
    spread = [ev(i, i * 1.0, pid=i) for i in range(1, 22)]  # 21 people over 20 minutes
    assert burst_events(spread) == set()
    same_person = [ev(i, i * 0.1, pid=1) for i in range(1, 40)]
    assert burst_events(same_person) == set()


def test_sample_is_stable_for_a_month():
    events = [ev(i, i, pid=1) for i in range(100)]
    first = sample_events(events, 20, "2026-02")
    assert len(first) == 20 and first == sample_events(events, 20, "2026-02")


# --- pages ------------------------------------------------------------------------------------

def test_log_review_page_highlights_and_review_is_kept_apart(db, client, login_as, world):
    staff = world.users["staff"]
    night = add_event(db, staff, world.participant, datetime(2026, 2, 10, 23, 30))
    outside = add_event(db, staff, world.other, datetime(2026, 2, 11, 10, 0))
    normal = add_event(db, staff, world.participant, datetime(2026, 2, 12, 10, 0))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-02").get_data(as_text=True)
    assert f'id="event-{night.id}"' in html and "Nattetid" in html
    assert f'id="event-{outside.id}"' in html and "Utanför egna ärenden" in html
    assert f'id="event-{normal.id}"' in html  # in the sample
    response = client.post(f"/admin/audit/events/{outside.id}/review",
                           data={"comment": "Vikarie, ok", "month": "2026-02"})
    assert response.status_code == 302
    review = db.session.query(AuditReview).one()
    assert review.audit_event_id == outside.id and review.comment == "Vikarie, ok"
    assert db.session.query(AuditEvent).filter_by(action="review",
                                                  object_id=outside.id).count() == 1
    html = client.get("/admin/audit/review?month=2026-02").get_data(as_text=True)
    assert "Vikarie, ok" in html and "Granskad" in html


def test_log_review_flags_burst_of_records(db, client, login_as, world):
    staff = world.users["staff"]
    people = [make_participant(world.org, world.team, f"P{i}", f"Burst{i}") for i in range(21)]
    start = datetime(2026, 3, 2, 10, 0)
    for i, p in enumerate(people):
        add_event(db, staff, p, start + timedelta(seconds=20 * i))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-03").get_data(as_text=True)
    assert html.count("Många personer på kort tid") >= 21


def test_audit_filters_and_csv_masks_protected_identity(db, client, login_as, world):
    hidden = make_participant(world.org, world.team, "Hemlig", "Hemligsson", protected=True)
    staff = world.users["staff"]
    add_event(db, staff, hidden, datetime(2026, 1, 5, 10, 0))
    add_event(db, staff, world.participant, datetime(2026, 1, 20, 10, 0))
    add_event(db, world.users["housing"], world.participant, datetime(2026, 1, 6, 10, 0))
    db.session.commit()
    login_as("admin")
    html = client.get(f"/admin/audit?user_id={staff.id}&start=2026-01-01&end=2026-01-10"
                      ).get_data(as_text=True)
    assert "1 händelser" in html
    assert "Skyddad deltagare" in html and "Hemligsson" not in html
    response = client.get(f"/admin/audit.csv?user_id={staff.id}&start=2026-01-01&end=2026-01-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    lines = body.strip().splitlines()
    assert len(lines) == 3  # header + two events of staff in January
    assert "Skyddad deltagare" in body and "Hemlig" not in body.replace("Skyddad", "")
    assert "Kalle Svensson" in body


def test_csv_cells_cannot_start_formulas():
    from webapp.csv_export import csv_cell

    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("Kalle") == "Kalle"


def test_figures_page_shows_definitions_accessible_charts_and_csv(db, client, login_as, world):
    login_as("admin")
    html = client.get("/admin/figures?month=2026-02").get_data(as_text=True)
    assert "Kvarboende efter 12 månader" in html
    assert "Av deltagarna som flyttade in för minst 12 månader sedan" in html
    assert html.count('role="img"') >= 6
    assert "<title id=" in html and "<table>" in html
    assert "<script" not in html.split("</head>")[1]
    response = client.get("/admin/figures.csv?month=2026-02")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    from webapp.domain.figures import FIGURES

    assert len(lines) == 1 + 12 * len(FIGURES)  # issue 14 added figures
    assert lines[-1].startswith("2026-02;")
    # Only counts leave the figures export: no names.
    assert "Kalle" not in response.get_data(as_text=True)


def test_figures_on_known_data_through_the_page(db, client, login_as, world):
    """world.participant: fas 2 from 2026-01-09, moved in 2026-01-10; a checklist for February."""
    from webapp.models import ChecklistSubmission

    template_id = db.session.execute(db.text("SELECT id FROM checklist_templates")).scalar()
    db.session.add(ChecklistSubmission(
        participant_id=world.participant.id, template_id=template_id, month="2026-02",
        held_on=date(2026, 2, 10), submitted_by_id=world.users["staff"].id))
    db.session.commit()
    login_as("admin")
    body = client.get("/admin/figures.csv?month=2026-02").get_data(as_text=True)
    # Both world participants are in fas 2 since 2026-01-09; one checklist for February.
    assert "2026-02;Genomgångar i tid;50,0;1;2" in body


def test_caseloads_of_several_workers_are_read_in_one_statement(db, app, world):
    from sqlalchemy import event as sa_event

    from webapp.admin.audit_queries import caseloads
    from webapp.domain.log_review import flag_events

    users = world.users
    other_staff = users["other_staff"]
    events = [
        ev(1, 0, pid=world.participant.id, user=users["staff"].id),  # own team and assigned
        ev(2, 1, pid=world.other.id, user=users["staff"].id),  # another team's
        ev(3, 2, pid=world.participant.id, user=users["social_worker"].id, role="social_worker"),
        ev(4, 3, pid=world.other.id, user=users["social_worker"].id, role="social_worker"),
        ev(5, 4, pid=world.other.id, user=other_staff.id),
        ev(6, 5, pid=world.participant.id, user=other_staff.id),
    ]
    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context():
            loads = caseloads(events)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    assert loads[users["staff"].id] == {world.participant.id}
    assert loads[users["social_worker"].id] == {world.participant.id}
    assert loads[other_staff.id] == {world.other.id}
    assert sorted(flag_events(events, loads)) == [2, 4, 6]
    assert sum("UNION ALL" in statement for statement in seen) == 1


def test_log_review_pages_the_flagged_events_not_yet_reviewed_first(db, client, login_as,
                                                                    world):
    from webapp.admin.audit_routes import FLAGGED_PER_PAGE

    staff, admin = world.users["staff"], world.users["admin"]
    nights = [add_event(db, staff, world.participant, datetime(2026, 2, 10, 23, i % 60))
              for i in range(FLAGGED_PER_PAGE + 5)]
    done = nights[0]
    db.session.add(AuditReview(audit_event_id=done.id, reviewed_by_id=admin.id, comment="ok"))
    db.session.commit()
    login_as("admin")
    first = client.get("/admin/audit/review?month=2026-02").get_data(as_text=True)
    flagged = first.split('id="flagged-heading"')[1].split('id="sample-heading"')[0]
    assert f"Avvikande ({FLAGGED_PER_PAGE + 5})" in first
    assert flagged.count('id="event-') == FLAGGED_PER_PAGE
    assert f'id="event-{done.id}"' not in flagged  # reviewed ones come last
    assert 'href="/admin/audit/review?page=2&amp;month=2026-02"' in flagged
    second = client.get("/admin/audit/review?month=2026-02&page=2").get_data(as_text=True)
    rest = second.split('id="flagged-heading"')[1].split('id="sample-heading"')[0]
    assert rest.count('id="event-') == 5 and f'id="event-{done.id}"' in rest
    assert f"{FLAGGED_PER_PAGE + 4} avvikande" in second  # still to review, over all pages


# --- the review's caseloads, words and times (issue 17: read as columns, once per minute) ------

def _access_rules_caseload(user, read_ids):
    """What the review must count as a worker's caseload, straight from access.py."""
    from webapp.access import directly_assigned_ids, visible_participants
    from webapp.extensions import db as _db
    from webapp.models import Participant

    visible = set(_db.session.scalars(visible_participants(user).with_only_columns(
        Participant.id)))
    return {pid for pid in read_ids if pid in visible or pid in directly_assigned_ids(user)}


def test_caseloads_are_exactly_scope_or_direct_assignment_for_every_role(db, app, world):
    """Direct assignments come with the scopes in one statement: the same answer as
    access.directly_assigned_ids per worker, also for a social worker and a housing user with
    a stray assignment row (the flag must never go missing)."""
    from webapp.admin.audit_queries import caseloads
    from webapp.models import StaffAssignment

    users = world.users
    third = make_participant(world.org, world.other_team, "Tredje", "Person")
    for role in ("social_worker", "housing", "other_staff"):
        db.session.add(StaffAssignment(participant_id=third.id, user_id=users[role].id))
    db.session.commit()
    everyone = [world.participant.id, world.other.id, third.id]
    events, n = [], 0
    for role, kind in (("staff", "staff"), ("other_staff", "staff"),
                       ("social_worker", "social_worker"), ("housing", "housing")):
        for pid in everyone:
            n += 1
            events.append(ev(n, n, pid=pid, user=users[role].id, role=kind))
    with app.test_request_context():
        loads = caseloads(events)
        expected = {users[role].id: _access_rules_caseload(users[role], everyone)
                    for role in ("staff", "other_staff", "social_worker", "housing")}
    assert loads == expected
    assert third.id in loads[users["social_worker"].id]  # the stray assignment counts
    assert loads[users["staff"].id] == {world.participant.id}


def _review_statements(db, client, month):
    from sqlalchemy import event as sa_event

    seen = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/admin/audit/review?month={month}").status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_log_review_statements_do_not_grow_with_the_workers_who_read(db, client, login_as,
                                                                    world):
    from tests.factories import make_user

    login_as("admin")
    few = [world.users["staff"], world.users["other_staff"]]
    for i, user in enumerate(few):
        add_event(db, user, world.participant, datetime(2026, 4, 2, 10, i))
    db.session.commit()
    # The stored review adds the events since the last view: measure two such views alike
    # (each adding new readers of someone).
    _review_statements(db, client, "2026-04")
    for i, user in enumerate(few):
        add_event(db, user, world.other, datetime(2026, 4, 2, 11, i))
    db.session.commit()
    before = _review_statements(db, client, "2026-04")
    many = [make_user(world.org, "staff", f"extra-staff-{i}", teams=[world.team])
            for i in range(6)]
    for i, user in enumerate(many):
        add_event(db, user, world.other, datetime(2026, 4, 3, 10, i))
    db.session.commit()
    assert _review_statements(db, client, "2026-04") == before


def test_local_times_across_daylight_saving_are_exact(db, app, client, login_as, world):
    """Local time is worked out once per UTC minute: each event still gets its own seconds,
    the night flag its own hour, on both sides of the clock change."""
    from webapp.admin.audit_queries import month_access_events
    from webapp.timeutil import to_local

    staff = world.users["staff"]
    at_utc = [datetime(2026, 3, 29, 0, 59, 30), datetime(2026, 3, 29, 0, 59, 59, 999999),
              datetime(2026, 3, 29, 1, 0, 0), datetime(2026, 3, 29, 3, 59, 59),
              datetime(2026, 3, 29, 4, 0, 1), datetime(2026, 3, 29, 4, 0, 1, 5)]
    for at in at_utc:
        db.session.add(AuditEvent(at=at, user_id=staff.id, role="staff", action="read",
                                  object_type="identity", participant_id=world.participant.id))
    db.session.commit()
    with app.test_request_context():
        events = sorted(month_access_events(world.org.id, date(2026, 3, 1)), key=lambda e: e.id)
        assert [e.at_local for e in events] == [to_local(at).replace(tzinfo=None)
                                                for at in at_utc]
    assert [e.at_local.hour for e in events] == [1, 1, 3, 5, 6, 6]
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-03").get_data(as_text=True)
    flagged = html.split('id="flagged-heading"')[1].split('id="sample-heading"')[0]
    assert flagged.count('id="event-') == 4  # 01:59, 01:59, 03:00, 05:59 are at night
    assert "kl 01:59" in flagged and "kl 03:00" in flagged and "kl 05:59" in flagged
    autumn = [datetime(2026, 10, 25, 0, 59, 59), datetime(2026, 10, 25, 1, 0, 0)]
    for at in autumn:
        db.session.add(AuditEvent(at=at, user_id=staff.id, role="staff", action="read",
                                  object_type="identity", participant_id=world.participant.id))
    db.session.commit()
    html = client.get(f"/admin/audit?user_id={staff.id}&start=2026-10-25&end=2026-10-25"
                      ).get_data(as_text=True)
    assert "söndag 25 oktober kl 02:59" in html and "söndag 25 oktober kl 02:00" in html


def test_audit_log_rows_name_the_system_and_mask_in_the_filter_too(db, client, login_as,
                                                                   world):
    hidden = make_participant(world.org, world.team, "Hemlig", "Hemligsson", protected=True)
    db.session.add(AuditEvent(at=to_utc(datetime(2026, 5, 4, 9, 0)), user_id=None, role="",
                              action="update", object_type="plan",
                              participant_id=hidden.id))
    add_event(db, world.users["social_worker"], world.participant, datetime(2026, 5, 4, 9, 1))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit?start=2026-05-01&end=2026-05-31").get_data(as_text=True)
    assert "2 händelser" in html
    assert "<strong>Systemet</strong>" in html and "ändrade planen – Skyddad deltagare" in html
    assert "(Socialsekreterare)" in html and "läste uppgifterna – Kalle Svensson" in html
    assert "Hemligsson" not in html
    # The participant filter (a search) finds the protected identity by its number and shows
    # the masked name; by the name it hides it finds nobody.
    html = client.get(f"/admin/audit?participant={hidden.id}&start=2026-05-01&end=2026-05-31"
                      ).get_data(as_text=True)
    assert "1 händelser" in html and 'value="Skyddad deltagare"' in html
    assert f'name="participant_id" value="{hidden.id}"' in html and "Hemlig" not in html.replace(
        "Skyddad", "")
    html = client.get("/admin/audit?participant=Hemligsson").get_data(as_text=True)
    assert "Ingen deltagare heter så" in html and "Hemligsson" in html  # the admin's own text
    assert f'participant_id={hidden.id}' not in html and "Skyddad deltagare" not in html


def test_audit_participant_search_by_name_number_and_choice(db, client, login_as, world):
    """No list of every participant: a search resolved on the server, the error next to the
    field, several matches offered as links, and the choice kept in the pages and the CSV."""
    anna = make_participant(world.org, world.team, "Anna", "Berg")
    anders = make_participant(world.org, world.team, "Anders", "Bergström")
    staff = world.users["staff"]
    for who in (anna, anders, anders):
        add_event(db, staff, who, datetime(2026, 7, 1, 10, 0))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<option" in html and "Anna Berg</option>" not in html  # no participant options
    assert 'id="participant"' in html and 'for="participant"' in html
    html = client.get("/admin/audit?participant=berg").get_data(as_text=True)
    assert "Flera deltagare matchar" in html and 'aria-invalid="true"' in html
    field = re.search(r'<input[^>]*id="participant"[^>]*>', html).group(0)
    assert 'id="participant-error"' in html and "participant-error" in field  # tied to it
    assert f"/admin/audit?participant_id={anna.id}" in html and "händelser</h2>" not in html
    # htmx swaps the form with the results: the fragment carries the error and the matches.
    fragment = client.get("/admin/audit?participant=berg", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    part = fragment.get_data(as_text=True)
    assert "<html" not in part and 'id="audit-filter"' in part
    assert "Flera deltagare matchar" in part and f"participant_id={anders.id}" in part
    html = client.get("/admin/audit?participant=Bergstr").get_data(as_text=True)
    assert "2 händelser" in html and 'value="Anders Bergström"' in html
    assert f"/admin/audit.csv?participant_id={anders.id}" in html
    html = client.get(f"/admin/audit?participant_id={anna.id}").get_data(as_text=True)
    assert "1 händelser" in html and 'value="Anna Berg"' in html
    # Changing the text searches anew instead of keeping the earlier choice.
    html = client.get(f"/admin/audit?participant_id={anna.id}&participant=Anders"
                      ).get_data(as_text=True)
    assert "2 händelser" in html
    # The field cleared: everyone again, although the form still sends the earlier choice.
    html = client.get(f"/admin/audit?participant_id={anna.id}&participant=").get_data(
        as_text=True)
    assert "3 händelser" in html and 'name="participant_id"' not in html
    body = client.get(f"/admin/audit.csv?participant_id={anders.id}").get_data(as_text=True)
    assert body.count("Anders Bergström") == 2 and "Anna Berg" not in body
    assert client.get("/admin/audit.csv?participant=ingen-alls").status_code == 400


def test_log_review_masks_a_protected_identity_and_names_the_others(db, client, login_as,
                                                                   world):
    hidden = make_participant(world.org, world.team, "Hemlig", "Hemligsson", protected=True)
    staff = world.users["staff"]
    night = add_event(db, staff, hidden, datetime(2026, 6, 3, 23, 0))
    day = add_event(db, staff, world.participant, datetime(2026, 6, 3, 10, 0))
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/review?month=2026-06").get_data(as_text=True)
    flagged = html.split('id="flagged-heading"')[1].split('id="sample-heading"')[0]
    assert f'id="event-{night.id}"' in flagged and "Skyddad deltagare" in flagged
    assert f'id="event-{day.id}"' in html and "Kalle Svensson" in html
    assert "Hemligsson" not in html and "Staff (Stödpersonal)" in html


def test_audit_log_counts_no_further_than_the_cap(db, client, login_as, world, monkeypatch):
    """The log only grows: the page counts it no further than COUNT_CAP and says so."""
    from webapp.admin import audit_routes

    staff = world.users["staff"]
    for minute in range(5):
        add_event(db, staff, world.participant, datetime(2026, 8, 3, 10, minute))
    db.session.commit()
    login_as("admin")
    monkeypatch.setattr(audit_routes, "COUNT_CAP", 3)
    monkeypatch.setattr(audit_routes, "AUDIT_PAGE_SIZE", 2)
    html = client.get("/admin/audit?start=2026-08-01&end=2026-08-31").get_data(as_text=True)
    assert "Fler än 3 händelser" in html and "Välj person, deltagare eller datum" in html
    assert "Sida 1 av 2" in html  # paged as far as counted
    html = client.get("/admin/audit?start=2026-08-01&end=2026-08-31&page=3"
                      ).get_data(as_text=True)
    assert "Sida 2 av 2" in html and html.count("läste uppgifterna") == 2
    monkeypatch.setattr(audit_routes, "COUNT_CAP", 5)
    html = client.get("/admin/audit?start=2026-08-01&end=2026-08-31").get_data(as_text=True)
    assert "5 händelser" in html and "Fler än" not in html


def test_log_cards_and_person_select_as_the_template_wrote_them(app, db, client, login_as,
                                                                 world):
    """The log's cards come in words from audit_words.log_rows (the participant's name as
    the admin may see it worked out in the statement) and the person select's options are
    written once per content (form_fields.KeptIdSelect): names escaped, a protected identity
    shown in full only to an admin assigned to it, the chosen person marked, a new user
    listed at once; the select as FastSelect writes it."""
    from flask_login import login_user
    from wtforms import Form, SelectChoice

    from tests.factories import make_user
    from webapp.form_fields import SelectField, int_or_none
    from webapp.models import StaffAssignment, User

    admin, staff = world.users["admin"], world.users["staff"]
    odd = make_participant(world.org, world.team, "Ada & <Co>", 'O"Neil')
    known = make_participant(world.org, world.team, "Känd", "Skyddad", protected=True)
    db.session.add(StaffAssignment(participant_id=known.id, user_id=admin.id))
    add_event(db, staff, odd, datetime(2026, 6, 1, 9, 0))
    add_event(db, staff, known, datetime(2026, 6, 1, 9, 1))
    db.session.commit()

    def select_of(html: str) -> str:
        return re.search(r'<select id="user_id".*?</select>', html).group(0)

    class Old(Form):
        user_id = SelectField(coerce=int_or_none, validate_choice=False)

    with app.test_request_context(f"/admin/audit?user_id={staff.id}"):
        login_user(admin)
        old = Old(user_id=staff.id)
        users = db.session.scalars(db.select(User).where(User.organisation_id == world.org.id)
                                   .order_by(User.display_name))
        old.user_id.choices = [SelectChoice("", "Alla")] + [
            SelectChoice(u.id, f"{u.display_name} ({u.username})") for u in users]
        expected = old.user_id()
    login_as("admin")
    html = client.get(f"/admin/audit?user_id={staff.id}&start=2026-06-01&end=2026-06-01"
                      ).get_data(as_text=True)
    assert select_of(html) == expected
    assert f'<option selected value="{staff.id}">' in expected
    assert "2 händelser" in html
    assert "läste uppgifterna – Ada &amp; &lt;Co&gt; O&#34;Neil" in html
    assert "läste uppgifterna – Känd Skyddad" in html
    newcomer = make_user(world.org, "staff", "nykomling", display_name="Ny <Kollega>")
    db.session.commit()
    shown = select_of(client.get("/admin/audit").get_data(as_text=True))
    assert f'<option value="{newcomer.id}">Ny &lt;Kollega&gt; (nykomling)</option>' in shown
    assert '<option selected value="">Alla</option>' in shown


def test_a_blank_log_filter_is_kept_per_language_and_chosen_participant(db, client, login_as,
                                                                       world):
    """The filter's search and dates are written through blank_fields: a participant chosen
    by a link (`participant_id`) shows in the search field, the blank filter again after it
    shows an empty field, and English shows English."""
    login_as("admin")
    blank = client.get("/admin/audit").get_data(as_text=True)
    assert 'id="participant" maxlength="100" name="participant" type="text" value=""' in blank
    assert '<label for="start">Från och med</label>' in blank
    chosen = client.get(f"/admin/audit?participant_id={world.participant.id}"
                        ).get_data(as_text=True)
    assert 'name="participant" type="text" value="Kalle Svensson"' in chosen
    assert f'<input type="hidden" name="participant_id" value="{world.participant.id}">' in chosen
    assert client.get("/admin/audit").get_data(as_text=True).count('value="Kalle Svensson"') == 0
    client.post("/language", data={"lang": "en", "next": "/admin/audit"})
    english = client.get("/admin/audit").get_data(as_text=True)
    assert '<label for="start">From</label>' in english
    assert "Från och med" not in english and "Tomt: alla." not in english
