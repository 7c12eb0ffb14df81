"""Admin: teams (issue 19). Create, rename, members, archive; support and housing teams."""
from __future__ import annotations

import pytest

from tests.conftest import utcnow_ts
from tests.factories import make_org, make_participant, make_team, make_user
from webapp.domain.first_day import STEP_ORDER, SetupFacts, next_step, setup_steps
from webapp.models import Apartment, AuditEvent, Team, TeamMembership, User


def _html(response) -> str:
    return response.get_data(as_text=True)


def _team(db, name) -> Team:
    return db.session.query(Team).filter_by(name=name).one()


def test_admin_creates_a_support_team_and_it_is_audited(db, client, login_as, world):
    login_as("admin")
    response = client.post("/admin/teams", data={"name": "  Team Norr ", "kind": "support"})
    team = _team(db, "Team Norr")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/teams/{team.id}")
    assert (team.organisation_id, team.kind, team.archived_at) == (world.org.id, "support", None)
    assert db.session.query(AuditEvent).filter_by(
        action="create", object_type="team", object_id=team.id).count() == 1
    page = _html(client.get("/admin/teams"))
    assert "Team Norr" in page and "Bostad" in page


@pytest.mark.parametrize("data, message", [
    ({"name": "", "kind": "support"}, "Skriv teamets namn."),
    ({"name": "   ", "kind": "support"}, "Skriv teamets namn."),
    ({"name": "team a", "kind": "support"}, "Det finns redan ett team med det namnet."),
    ({"name": "Nytt", "kind": "hemligt"}, "Välj sorts team i listan."),
    ({"name": "x" * 201, "kind": "support"}, "Högst 200 tecken."),
])
def test_bad_team_is_422_with_swedish_message_and_keeps_input(db, client, login_as, world,
                                                              data, message):
    login_as("admin")
    before = db.session.query(Team).count()
    response = client.post("/admin/teams", data=data)
    assert response.status_code == 422
    assert message in _html(response)
    assert db.session.query(Team).count() == before


def test_rename_team_and_refuse_a_taken_name(db, client, login_as, world):
    login_as("admin")
    url = f"/admin/teams/{world.team.id}/rename"
    assert client.post(url, data={"name": "Team B"}).status_code == 422
    response = client.post(url, data={"name": "Team Alfa"})
    assert response.status_code == 302
    db.session.refresh(world.team)
    assert world.team.name == "Team Alfa"
    assert "Team Alfa" in _html(client.get(f"/admin/teams/{world.team.id}"))


def test_members_add_and_remove_only_fitting_roles(db, client, login_as, world):
    login_as("admin")
    newcomer = make_user(world.org, "staff", "nyanstalld")
    db.session.commit()
    url = f"/admin/teams/{world.team.id}/members"
    page = _html(client.get(f"/admin/teams/{world.team.id}"))
    assert "nyanstalld" in page and "(housing)" not in page  # housing users are not offered
    # A housing user in a support team, a user of another organisation, nonsense: refused.
    other_org = make_org("Annanstad")
    stranger = make_user(other_org, "staff", "fremling")
    db.session.commit()
    for bad in (world.users["housing"].id, stranger.id, "x", ""):
        response = client.post(url, data={"user_id": bad})
        assert response.status_code == 422, bad
        assert "Välj en person" in _html(response)
    assert client.post(url, data={"user_id": newcomer.id}).status_code == 302
    assert world.team.id in newcomer.team_ids()
    # Already a member: no longer offered, a second add is refused.
    assert client.post(url, data={"user_id": newcomer.id}).status_code == 422
    remove = f"/admin/teams/{world.team.id}/members/{newcomer.id}/remove"
    assert client.post(remove).status_code == 302
    db.session.expire_all()
    assert world.team.id not in newcomer.team_ids()
    assert client.post(remove).status_code == 404


def test_membership_gives_staff_the_teams_caseload(db, client, login_as, world):
    login_as("admin")
    newcomer = make_user(world.org, "staff", "nyanstalld")
    db.session.commit()
    client.post(f"/admin/teams/{world.other_team.id}/members", data={"user_id": newcomer.id})
    login_as(newcomer)
    assert "Olle" in _html(client.get("/participants"))


def test_archive_is_refused_while_the_team_has_participants(db, client, login_as, world):
    login_as("admin")
    response = client.post(f"/admin/teams/{world.team.id}/archive")
    assert response.status_code == 422
    assert "Teamet har 1 deltagare" in _html(response)
    db.session.refresh(world.team)
    assert world.team.archived_at is None


def test_archived_team_leaves_every_choice_and_can_be_restored(db, client, login_as, world):
    empty = make_team(world.org, "Tomma teamet")
    db.session.commit()
    login_as("admin")
    assert client.post(f"/admin/teams/{empty.id}/archive").status_code == 302
    db.session.refresh(empty)
    assert empty.archived_at is not None
    client.get("/admin/teams")  # shows (and uses up) the flash that names the team
    assert "Tomma teamet" not in _html(client.get("/admin/participants/new"))
    assert "Tomma teamet" not in _html(client.get("/admin/users/new"))
    # A participant cannot be put in it by posting its id.
    response = client.post("/admin/participants/new", data={
        "first_name": "Ny", "last_name": "Person", "team_id": empty.id, "phase": 1})
    assert response.status_code == 422
    # No new members in an archived team.
    response = client.post(f"/admin/teams/{empty.id}/members",
                           data={"user_id": world.users["staff"].id})
    assert response.status_code == 422
    assert "Arkiverade team" in _html(client.get("/admin/teams"))
    assert client.post(f"/admin/teams/{empty.id}/restore").status_code == 302
    db.session.refresh(empty)
    assert empty.archived_at is None
    client.get("/admin/teams")
    assert f'value="{empty.id}">Tomma teamet<' in _html(client.get("/admin/participants/new"))


def test_saving_a_users_teams_keeps_archived_memberships(db, client, login_as, world):
    old = make_team(world.org, "Gamla teamet")
    staff = world.users["staff"]
    db.session.add(TeamMembership(team_id=old.id, user_id=staff.id))
    db.session.commit()
    login_as("admin")
    client.post(f"/admin/teams/{old.id}/archive")
    client.post(f"/admin/users/{staff.id}/teams", data={"team_ids": [world.team.id]})
    db.session.expire_all()
    assert set(staff.team_ids()) == {world.team.id, old.id}


def test_housing_team_members_and_archive_while_it_has_apartments(db, client, login_as,
                                                                  world):
    login_as("admin")
    client.post("/admin/teams", data={"name": "Bostadsbolaget", "kind": "housing"})
    team = _team(db, "Bostadsbolaget")
    page = _html(client.get(f"/admin/teams/{team.id}"))
    assert "Bostadsförvaltning" in page and "(housing)" in page
    url = f"/admin/teams/{team.id}/members"
    assert client.post(url, data={"user_id": world.users["staff"].id}).status_code == 422
    assert client.post(url, data={"user_id": world.users["housing"].id}).status_code == 302
    db.session.add(Apartment(organisation_id=world.org.id, address="Husgatan 1",
                             housing_team_id=team.id))
    db.session.commit()
    response = client.post(f"/admin/teams/{team.id}/archive")
    assert response.status_code == 422 and "förvaltar 1 lägenhet." in _html(response)


def test_another_organisations_team_is_404(db, client, login_as, world):
    other_org = make_org("Annanstad")
    theirs = make_team(other_org, "Deras team")
    db.session.commit()
    login_as("admin")
    for method, url in [("GET", f"/admin/teams/{theirs.id}"),
                        ("POST", f"/admin/teams/{theirs.id}/rename"),
                        ("POST", f"/admin/teams/{theirs.id}/members"),
                        ("POST", f"/admin/teams/{theirs.id}/archive"),
                        ("POST", f"/admin/teams/{theirs.id}/restore")]:
        response = client.open(url, method=method, data={"name": "Kapad"})
        assert response.status_code == 404, url
        assert "Deras team" not in _html(response)
    assert "Deras team" not in _html(client.get("/admin/teams"))
    db.session.refresh(theirs)
    assert (theirs.name, theirs.archived_at) == ("Deras team", None)


def test_new_user_form_opens_with_the_role_from_the_link(client, login_as, world):
    login_as("admin")
    page = _html(client.get("/admin/users/new?role=housing"))
    assert '<option selected value="housing">' in page or (
        'value="housing" selected' in page)


def test_participant_form_without_a_team_points_to_the_team_page(db, client, login_as):
    org = make_org("Nystad")
    admin = make_user(org, "admin", "nyadmin")
    db.session.commit()
    login_as(admin)
    page = _html(client.get("/admin/participants/new"))
    assert "Det finns inget stödteam än." in page and 'href="/admin/teams"' in page
    client.post("/admin/teams", data={"name": "Första teamet", "kind": "support"})
    team = _team(db, "Första teamet")
    response = client.post("/admin/participants/new", data={
        "first_name": "Första", "last_name": "Deltagaren", "team_id": team.id, "phase": 1})
    assert response.status_code == 302


# --- the first-day guide -------------------------------------------------------------------

def _facts(**kw) -> SetupFacts:
    base = dict(settings_saved=True, oncall_phone=True, support_teams=1, housing_teams=1,
                staff_in_teams=1, social_workers=1, housing_users=1, participants=1,
                apartments=1)
    return SetupFacts(**(base | kw))


def test_first_day_steps_in_order_and_done_when_all_are():
    assert [s.key for s in setup_steps(_facts())] == list(STEP_ORDER)
    assert next_step(setup_steps(_facts())) is None
    steps = setup_steps(_facts(support_teams=0, participants=0))
    assert next_step(steps).key == "teams"
    assert [s.key for s in steps if not s.done] == ["teams", "participants"]
    # Housing users without a housing team cannot administer anything yet.
    assert next_step(setup_steps(_facts(housing_teams=0))).key == "housing_users"


def test_guide_on_the_admins_home_walks_a_new_organisation(db, client, login_as):
    org = make_org("Nystad")
    org.oncall_phone = ""
    admin = make_user(org, "admin", "nyadmin")
    db.session.commit()
    login_as(admin)
    page = _html(client.get("/admin/users"))
    assert "Kom igång" in page and "0 av 8 steg klara" in page
    for href in ('href="/admin/settings"', 'href="/admin/teams"',
                 'href="/admin/users/new?role=staff"',
                 'href="/admin/users/new?role=social_worker"', 'href="/admin/participants/new"'):
        assert href in page, href
    client.post("/admin/settings/preset", data={"preset": "stockholm"})
    assert "1 av 8 steg klara" in _html(client.get("/admin/users"))
    # The guide's markup is kept per facts and language (first_day.first_day_guide).
    client.post("/language", data={"lang": "en", "next": "/admin/users"})
    english = _html(client.get("/admin/users"))
    assert "Get started" in english and "Kom igång" not in english
    client.post("/language", data={"lang": "sv", "next": "/admin/users"})
    team = make_team(org, "Stöd")
    housing = make_team(org, "Bo", kind="housing")
    make_user(org, "staff", "nystaff", teams=[team])
    make_user(org, "social_worker", "nysoc")
    make_user(org, "housing", "nybo", teams=[housing])
    make_participant(org, team, "Ny", "Deltagare", housing_team=housing)
    org.oncall_phone = "020-12 12 12"
    db.session.commit()
    assert "Kom igång" not in _html(client.get("/admin/users"))


def test_guide_counts_only_active_teams_and_staff_in_them(db, client, login_as):
    org = make_org("Nystad")
    admin = make_user(org, "admin", "nyadmin")
    team = make_team(org, "Stöd")
    make_user(org, "staff", "utanteam")
    db.session.commit()
    login_as(admin)
    page = _html(client.get("/admin/users"))
    assert 'aria-current="step"' in page
    # Settings not saved yet is the next step; staff without a team do not count.
    from webapp.admin.first_day import setup_facts

    facts = setup_facts(org.id)
    assert (facts.support_teams, facts.staff_in_teams) == (1, 0)
    client.post(f"/admin/teams/{team.id}/archive")
    assert setup_facts(org.id).support_teams == 0


def test_the_demo_organisation_shows_no_first_day_guide(db, app, client):
    from webapp.demo import seed_demo

    seed_demo()
    admin = db.session.query(User).filter_by(username="admin").one()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = admin.get_id(), True
        sess["last_seen"] = utcnow_ts()  # as a real sign-in does (idle timeout)
    page = _html(client.get("/admin/users"))
    assert "Maja Admin" in page and "Kom igång" not in page


def test_a_support_teams_page_links_its_programme_rules(client, login_as, world):
    login_as("admin")
    page = _html(client.get(f"/admin/teams/{world.team.id}"))
    assert f'href="/admin/teams/{world.team.id}/rules"' in page
    assert client.get(f"/admin/teams/{world.team.id}/rules").status_code == 200
