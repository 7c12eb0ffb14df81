"""Admin: users, participants, settings and contacts; every action audited, nothing deleted."""
from __future__ import annotations

from tests.conftest import sent_statements, utcnow_ts
from webapp.models import (
    ActivationCode,
    AuditEvent,
    Disturbance,
    OpenSupportContact,
    Participant,
    PhaseChange,
    StaffAssignment,
    TeamMembership,
    User,
)


def audited(db, action, object_type, object_id=None):
    query = db.session.query(AuditEvent).filter_by(action=action, object_type=object_type)
    if object_id is not None:
        query = query.filter_by(object_id=object_id)
    return query.count()


def test_create_staff_user_shows_temporary_password_once_and_needs_totp(db, client, login_as,
                                                                       world):
    login_as("admin")
    response = client.post("/admin/users/new", data={
        "role": "staff", "display_name": "Nina Ny", "username": "nina", "phone": "070-1",
        "email": "nina@example.org", "team_ids": [world.team.id]})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Tillfälligt lösenord" in html
    user = db.session.query(User).filter_by(username="nina").one()
    assert user.password_hash and user.totp_secret is None and user.totp_confirmed_at is None
    assert user.team_ids() == [world.team.id]
    assert audited(db, "create", "user", user.id) == 1
    # The password is not on the user's page afterwards.
    assert "Tillfälligt lösenord" not in client.get(f"/admin/users/{user.id}").get_data(
        as_text=True)


def test_create_participant_user_issues_activation_code_with_qr(db, client, login_as, world):
    from tests.factories import make_participant

    p = make_participant(world.org, world.team, "Ny", "Deltagare")
    db.session.commit()
    login_as("admin")
    response = client.post("/admin/users/new", data={
        "role": "participant", "display_name": "x", "username": "nydelt",
        "participant_id": p.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Aktiveringskod" in html and "<svg" in html
    db.session.refresh(p)
    assert p.user is not None and p.user.role == "participant"
    assert db.session.query(ActivationCode).filter_by(user_id=p.user_id).count() == 1


def test_create_user_invalid_keeps_input_with_swedish_errors(db, client, login_as, world):
    login_as("admin")
    response = client.post("/admin/users/new", data={
        "role": "participant", "display_name": "Kvar Namn", "username": "staff"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Det användarnamnet går inte att använda" in html  # neutral: issue 19
    assert "Välj vilken deltagare kontot hör till." in html
    assert "Kvar Namn" in html


def test_deactivation_keeps_data_and_ends_sessions(db, client, login_as, world):
    staff = world.users["staff"]
    db.session.add(Disturbance(participant_id=world.participant.id, source="staff",
                               severity="minor", reported_by_id=staff.id,
                               occurred_on=world.participant.created_at.date()))
    db.session.commit()
    login_as("staff")
    assert client.get("/today").status_code == 200
    old_token = staff.session_token
    admin_client = client.application.test_client()
    with admin_client.session_transaction() as sess:
        sess["_user_id"] = world.users["admin"].get_id()
        sess["_fresh"] = True
        sess["last_seen"] = utcnow_ts()  # a sign-in always stamps it (idle timeout)
    response = admin_client.post(f"/admin/users/{staff.id}/deactivate")
    assert response.status_code == 302
    db.session.refresh(staff)
    assert not staff.active and staff.deactivated_at is not None
    assert staff.session_token != old_token
    # The staff member's old session cookie no longer works.
    assert client.get("/today").status_code in (302, 401)
    # Everything they wrote is still there.
    assert db.session.query(Disturbance).filter_by(reported_by_id=staff.id).count() == 1
    assert db.session.get(User, staff.id) is not None
    assert audited(db, "deactivate", "user", staff.id) == 1


def test_admin_cannot_deactivate_self(db, client, login_as, world):
    admin = login_as("admin")
    client.post(f"/admin/users/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.active


def test_reset_second_factor_forces_reenrolment(db, client, login_as, world):
    login_as("admin")
    housing = world.users["housing"]
    assert client.post(f"/admin/users/{housing.id}/reset-second-factor").status_code == 302
    db.session.refresh(housing)
    assert housing.totp_secret is None and housing.totp_confirmed_at is None
    assert audited(db, "reset_totp", "user", housing.id) == 1


def test_issue_activation_code_for_participant_without_login(db, client, login_as, world):
    from tests.factories import make_participant

    p = make_participant(world.org, world.team, "Utan", "Konto")
    db.session.commit()
    login_as("admin")
    response = client.post(f"/admin/participants/{p.id}/activation-code")
    assert response.status_code == 200
    assert "Aktiveringskod" in response.get_data(as_text=True)
    db.session.refresh(p)
    assert p.user_id is not None
    assert audited(db, "activation_code", "user", p.user_id) == 1


def test_teams_and_assignments_are_saved_and_audited(db, client, login_as, world):
    login_as("admin")
    staff = world.users["other_staff"]
    client.post(f"/admin/users/{staff.id}/teams", data={"team_ids": [world.team.id]})
    assert {m.team_id for m in db.session.query(TeamMembership).filter_by(user_id=staff.id)} == {
        world.team.id}
    assert audited(db, "update", "user_teams", staff.id) == 1
    client.post(f"/admin/users/{staff.id}/assignments",
                data={"participant_id": world.participant.id})
    assert db.session.query(StaffAssignment).filter_by(
        user_id=staff.id, participant_id=world.participant.id).count() == 1
    client.post(f"/admin/users/{staff.id}/assignments/{world.participant.id}/remove")
    assert db.session.query(StaffAssignment).filter_by(user_id=staff.id).count() == 0
    assert audited(db, "create", "staff_assignment") == 1
    assert audited(db, "delete", "staff_assignment") == 1


def test_create_protected_participant_masked_in_lists(db, client, login_as, world):
    login_as("admin")
    response = client.post("/admin/participants/new", data={
        "first_name": "Hemlig", "last_name": "Hemligsson", "team_id": world.team.id,
        "phase": 1, "protected_identity": "y", "pseudonym": "Deltagare X"})
    assert response.status_code == 302
    p = db.session.query(Participant).filter_by(last_name="Hemligsson").one()
    assert p.protected_identity and p.phase == 1
    assert db.session.query(PhaseChange).filter_by(participant_id=p.id).count() == 1
    html = client.get("/admin/participants").get_data(as_text=True)
    assert "Deltagare X" in html and "Hemligsson" not in html
    assert audited(db, "create", "participant", p.id) == 1


def test_protected_participant_needs_pseudonym(db, client, login_as, world):
    login_as("admin")
    response = client.post("/admin/participants/new", data={
        "first_name": "A", "last_name": "B", "team_id": world.team.id, "phase": 1,
        "protected_identity": "y"})
    assert response.status_code == 422
    assert "Skriv ett namn som visas" in response.get_data(as_text=True)


def test_preset_then_fine_tune_settings(db, client, login_as, world):
    login_as("admin")
    client.post("/admin/settings/preset", data={"preset": "stockholm"})
    db.session.refresh(world.org)
    assert (world.org.min_visits, world.org.visit_period, world.org.transfer_months) == (
        4, "month", 9)
    response = client.post("/admin/settings", data={
        "min_visits": 5, "visit_period": "month", "visits_with_social_services": 1,
        "transfer_months": 10, "decision_months": 24, "checklist_monthly": "y",
        "oncall_phone": "031-1"})
    assert response.status_code == 302
    db.session.refresh(world.org)
    assert (world.org.min_visits, world.org.transfer_months, world.org.oncall_phone) == (
        5, 10, "031-1")
    assert audited(db, "update", "organisation") == 2


def test_settings_invalid_is_422_in_swedish(client, login_as, world):
    login_as("admin")
    response = client.post("/admin/settings", data={"min_visits": "1", "visit_period": "year",
                                                     "visits_with_social_services": "3"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Välj vecka eller månad." in html
    assert "Kan inte vara fler än minsta antalet hembesök." in html


def test_contacts_add_edit_and_remove_hides_without_deleting(db, client, login_as, world):
    login_as("admin")
    client.post("/admin/settings/contacts", data={
        "kind": "phone", "label": "Öppna stödet", "phone": "031-2", "position": 1})
    contact = db.session.query(OpenSupportContact).one()
    client.post(f"/admin/settings/contacts/{contact.id}", data={
        "kind": "office", "label": "Kontoret", "address": "Gatan 1"})
    db.session.refresh(contact)
    assert (contact.kind, contact.label) == ("office", "Kontoret")
    client.post(f"/admin/settings/contacts/{contact.id}/remove")
    db.session.refresh(contact)
    assert contact.active is False
    assert db.session.query(OpenSupportContact).count() == 1
    assert "Kontoret" not in client.get("/admin/settings").get_data(as_text=True)
    for action in ("create", "update", "delete"):
        assert audited(db, action, "open_support_contact", contact.id) == 1


def test_admin_cannot_touch_other_organisations_user(db, client, login_as, world):
    from tests.factories import make_org, make_user

    other = make_user(make_org("Annan kommun"), "staff", "frammande")
    db.session.commit()
    login_as("admin")
    assert client.get(f"/admin/users/{other.id}").status_code == 404
    assert client.post(f"/admin/users/{other.id}/deactivate").status_code == 404


def test_a_known_decision_date_on_the_participant_form_becomes_a_decision(client, login_as,
                                                                          world, db):
    from datetime import date

    from webapp.models import Decision, Participant

    login_as("admin")
    response = client.post("/admin/participants/new", data={
        "first_name": "Britt", "last_name": "Berg", "team_id": world.team.id, "phase": 2,
        "decision_date": "2025-06-01"})
    assert response.status_code == 302, response.get_data(as_text=True)
    britt = db.session.query(Participant).filter_by(first_name="Britt").one()
    decision = db.session.query(Decision).filter_by(participant_id=britt.id).one()
    assert (decision.kind, decision.decided_on) == ("support", date(2025, 6, 1))
    assert britt.decision_date == date(2025, 6, 1)


def test_participant_list_is_paged(db, client, login_as, world):
    from tests.factories import make_participant
    from webapp.admin.choices import PARTICIPANT_PAGE_SIZE

    for n in range(PARTICIPANT_PAGE_SIZE):
        make_participant(world.org, world.team, f"Sid{n:03d}", "Zäta")
    db.session.commit()
    login_as("admin")
    first = client.get("/admin/participants").get_data(as_text=True)
    assert "Sida 1 av 2" in first and 'href="/admin/participants?page=2"' in first
    assert "Kalle Svensson" in first and "Sid099 Zäta" not in first
    last = client.get("/admin/participants?page=99").get_data(as_text=True)
    assert "Sida 2 av 2" in last and "Sid099 Zäta" in last


def test_the_user_list_is_paged(client, db, world, login_as):
    from tests.factories import make_user
    from webapp.admin.user_routes import USERS_PER_PAGE

    for n in range(USERS_PER_PAGE):
        make_user(world.org, "staff", f"personal{n:03d}", display_name=f"Personal {n:03d}")
    db.session.commit()
    login_as("admin")
    first = client.get("/admin/users").get_data(as_text=True)
    rows = first.split('<ul class="list">')[-1]
    assert rows.count('class="row"') == USERS_PER_PAGE
    assert 'href="/admin/users?page=2"' in first
    rest = client.get("/admin/users?page=2").get_data(as_text=True).split('<ul class="list">')[-1]
    assert 0 < rest.count('class="row"') < USERS_PER_PAGE
    # Past the last page: the last page, counted and read again.
    past = client.get("/admin/users?page=999").get_data(as_text=True)
    assert past.split('<ul class="list">')[-1].count('class="row"') == rest.count('class="row"')
    assert "Sida 2 av 2" in past


def test_the_user_list_reads_its_page_with_the_total_and_no_organisation(client, db, world,
                                                                          login_as):
    """The page's users and their total come in one statement, the teams in a second, and the
    first-day guide's facts in a third: the organisation itself is not loaded."""
    login_as("admin")
    client.get("/admin/users")
    with sent_statements() as seen:
        page = client.get("/admin/users").get_data(as_text=True)
    assert 'class="row"' in page
    assert not any(s.lstrip().startswith("SELECT organisations.") for s in seen), seen
    assert not any(s.lstrip().startswith("SELECT count(users.id)") for s in seen), seen
    assert any("count(*) OVER ()" in s for s in seen), seen


def test_the_user_list_shows_each_users_teams_and_what_their_login_lacks(client, db, world,
                                                                          login_as):
    """Each row: name, username, role, the teams by name, and the badges for a deactivated
    login and a second factor not yet set up (only where the role needs one)."""
    from tests.factories import make_team, make_user

    south, north = make_team(world.org, "Söder"), make_team(world.org, "Norr")
    make_user(world.org, "staff", "zz-two-teams", teams=[south, north], display_name="Zz Två")
    make_user(world.org, "staff", "zz-no-totp", totp=False, display_name="Zz Utan")
    make_user(world.org, "participant", "zz-tenant", totp=False, display_name="Zz Hyresgäst")
    gone = make_user(world.org, "staff", "zz-gone", display_name="Zz Borta")
    gone.active = False
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)

    def row(username):
        return page.split(f"({username})")[1].split("</a>")[0]

    assert "Norr, Söder" in row("zz-two-teams")
    assert "Tvåstegsverifiering ej kopplad" in row("zz-no-totp")
    assert "Tvåstegsverifiering ej kopplad" not in row("zz-tenant")
    assert "Avstängd" in row("zz-gone") and "Avstängd" not in row("zz-two-teams")


def test_the_new_user_form_lists_participants_without_a_login_as_fast_select_would(
        app, db, client, login_as, world):
    """The participant select's options are written once per content (form_fields.KeptIdSelect,
    names worked out in the statement): the same select as FastSelect writes from the names
    access.display_names gives, masked where the admin may not see the identity, escaped,
    the chosen one marked after an invalid submission, and a new participant listed at once."""
    import re

    from flask_login import login_user
    from wtforms import Form

    from tests.factories import make_participant
    from webapp.admin.choices import participant_choices
    from webapp.form_fields import SelectField, int_or_none

    admin = world.users["admin"]
    make_participant(world.org, world.team, "Ada & <Co>", 'O"Neil')
    masked = make_participant(world.org, world.team, "Hemlig", "Person", protected=True)
    make_participant(world.org, world.team, "Synlig", "Skyddad", protected=True, assigned=[admin])
    blank = make_participant(world.org, world.team, "Utan", "Pseudonym", protected=True)
    blank.pseudonym = ""
    db.session.commit()

    def select_of(html: str) -> str:
        return re.search(r'<select [^>]*id="participant_id".*?</select>', html).group(0)

    class Old(Form):
        participant_id = SelectField(coerce=int_or_none, validate_choice=False)

    with app.test_request_context():
        login_user(admin)
        old = Old()
        old.participant_id.choices = participant_choices("Välj deltagare", unlinked=True)
        expected = old.participant_id(**{"aria-describedby": "participant_id-hint"})
    login_as("admin")
    shown = select_of(client.get("/admin/users/new").get_data(as_text=True))
    assert shown == expected
    assert "Ada &amp; &lt;Co&gt; O&#34;Neil" in shown and "Synlig Skyddad" in shown
    assert "Hemlig" not in shown and f">Skyddad #{blank.id}<" in shown
    assert '<option selected value="">Välj deltagare</option>' in shown
    response = client.post("/admin/users/new", data={
        "role": "participant", "display_name": "x", "username": "staff",
        "participant_id": masked.id})
    assert response.status_code == 422
    assert f'<option selected value="{masked.id}">Skyddad deltagare</option>' in select_of(
        response.get_data(as_text=True))
    late = make_participant(world.org, world.team, "Sen", "Ankomling")
    db.session.commit()
    assert f'<option value="{late.id}">Sen Ankomling</option>' in select_of(
        client.get("/admin/users/new").get_data(as_text=True))
