"""`flask create-admin` (issue 19): an existing organisation is joined only when asked."""
from __future__ import annotations

from tests.factories import make_org
from webapp.models import Organisation, User

PASSWORD = "lång lösenfras för admin"


def _create_admin(app, *extra, username="ny.admin", organisation="Testkommunen"):
    return app.test_cli_runner().invoke(args=[
        "create-admin", "--username", username, "--name", "Ny Admin",
        "--organisation", organisation, "--password", PASSWORD, *extra])


def test_new_organisation_gets_the_preset_and_the_admin(app, db):
    result = _create_admin(app, "--preset", "stockholm", organisation="Nystad")
    assert result.exit_code == 0, result.output
    org = db.session.query(Organisation).filter_by(name="Nystad").one()
    assert (org.preset, org.min_visits, org.visit_period) == ("stockholm", 4, "month")
    user = db.session.query(User).filter_by(username="ny.admin").one()
    assert (user.role, user.organisation_id) == ("admin", org.id)


def test_existing_organisation_is_refused_without_join(app, db):
    org = make_org("Testkommunen", preset="goteborg")
    db.session.commit()
    result = _create_admin(app, "--preset", "stockholm")
    assert result.exit_code != 0
    assert "finns redan" in result.output and "--join" in result.output
    assert db.session.query(User).filter_by(username="ny.admin").count() == 0
    db.session.refresh(org)
    assert org.preset == "goteborg"


def test_join_adds_an_admin_to_the_existing_organisation_and_keeps_its_rules(app, db):
    org = make_org("Testkommunen", preset="goteborg")
    db.session.commit()
    result = _create_admin(app, "--join", "--preset", "stockholm")
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="ny.admin").one()
    assert user.organisation_id == org.id
    db.session.refresh(org)
    assert org.preset == "goteborg"  # --join never rewrites the organisation's rules
    assert db.session.query(Organisation).count() == 1


def test_join_needs_an_organisation_that_exists(app, db):
    result = _create_admin(app, "--join", organisation="Finns inte")
    assert result.exit_code != 0 and "finns inte" in result.output
    assert db.session.query(Organisation).count() == 0
    assert db.session.query(User).count() == 0
