"""Usernames do not reveal other organisations (issue 19, design in webapp/usernames.py)."""
from __future__ import annotations

import re

from tests.factories import make_org, make_participant, make_team, make_user
from webapp.models import Participant, User
from webapp.usernames import participant_username


def _other_org_with_kalle(db):
    org = make_org("Annanstad")
    team = make_team(org, "Deras team")
    make_user(org, "staff", "kalle")
    make_user(org, "participant", "kalle.s", totp=False)
    db.session.commit()
    return org, team


def test_taken_names_get_one_neutral_answer_wherever_they_are_taken(db, client, login_as,
                                                                    world):
    _other_org_with_kalle(db)
    login_as("admin")
    answers = set()
    # Taken in another organisation, taken in this one, reserved, and free (for contrast).
    for username in ("kalle", "staff", "admin"):
        response = client.post("/admin/users/new", data={
            "role": "staff", "display_name": "Ny Person", "username": username})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        message = re.search(r'id="username-error">([^<]+)<', html).group(1)
        answers.add(message)
        assert "finns" not in message and "Annanstad" not in html
    assert answers == {"Det användarnamnet går inte att använda. Välj ett annat, till exempel "
                       "med efternamnets första bokstav eller en siffra."}
    response = client.post("/admin/users/new", data={
        "role": "staff", "display_name": "Ny Person", "username": "kalle.k"})
    assert response.status_code == 200


def test_activating_a_participant_does_not_reveal_names_elsewhere(db, client, login_as,
                                                                  world):
    """kalle exists in another organisation: our Kalle's login must not become kalle.k."""
    _other_org_with_kalle(db)
    login_as("staff")
    person = make_participant(world.org, world.team, "Kalle", "Karlsson")
    db.session.commit()
    assert client.post(f"/participants/{person.id}/activation-code").status_code == 200
    db.session.expire_all()
    username = db.session.get(Participant, person.id).user.username
    assert re.fullmatch(r"kalle\d{4}", username)


def test_admin_issued_participant_logins_are_random_too(db, client, login_as, world):
    login_as("admin")
    person = make_participant(world.org, world.team, "Åsa", "Öberg", protected=True)
    plain = make_participant(world.org, world.team, "Åsa", "Ek")
    db.session.commit()
    for p in (person, plain):
        assert client.post(f"/admin/participants/{p.id}/activation-code").status_code == 200
    db.session.expire_all()
    assert re.fullmatch(r"deltagare\d{4}", db.session.get(Participant, person.id).user.username)
    assert re.fullmatch(r"asa\d{4}", db.session.get(Participant, plain.id).user.username)


def test_generated_names_draw_again_on_a_collision(db, world, monkeypatch):
    draws = iter([1234, 1234, 42])
    monkeypatch.setattr("webapp.usernames.secrets.randbelow", lambda _n: next(draws))
    make_user(world.org, "participant", "bertil1234", totp=False)
    db.session.commit()
    assert participant_username("Bertil") == "bertil0042"
    assert db.session.query(User).filter_by(username="bertil0042").count() == 0
