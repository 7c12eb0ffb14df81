"""Admin lists run a constant number of SQL statements, however many people there are (§9)."""
from tests.conftest import sent_statements
from tests.factories import make_participant, make_team, make_user


def _statements(db, client, url):
    with sent_statements() as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def _grow(world, db, size):
    for n in range(size):
        team = make_team(world.org, f"Extra {n}")
        worker = make_user(world.org, "social_worker", f"soc-extra-{n}-{size}", teams=[team])
        user = make_user(world.org, "participant", f"p-extra-{n}-{size}", totp=False)
        make_participant(world.org, team, f"Extra{n}", "Person", social_worker=worker, user=user,
                         protected=n % 3 == 0)
    db.session.commit()


def test_admin_lists_do_not_query_per_row(world, db, client, login_as):
    login_as("admin")
    _grow(world, db, 3)
    small = {url: _statements(db, client, url) for url in ("/admin/users", "/admin/participants")}
    _grow(world, db, 30)
    big = {url: _statements(db, client, url) for url in ("/admin/users", "/admin/participants")}
    assert small == big


def _visits(world, db, count):
    """`count` done home visits for every participant of the organisation."""
    from datetime import timedelta

    from tests.factories import make_appointment, make_outcome
    from webapp.models import Participant, utcnow

    staff = world.users["staff"]
    for person in db.session.query(Participant).filter_by(organisation_id=world.org.id):
        for n in range(count):
            appointment = make_appointment(person, staff, utcnow() - timedelta(days=3 * n + 1))
            make_outcome(appointment, staff)
    db.session.commit()


def test_figures_do_not_query_per_participant_or_visit(world, db, client, login_as):
    login_as("admin")
    _grow(world, db, 2)
    _visits(world, db, 2)
    small = {url: _statements(db, client, url) for url in ("/admin/figures",
                                                          "/admin/figures.csv")}
    _grow(world, db, 20)
    _visits(world, db, 30)
    big = {url: _statements(db, client, url) for url in ("/admin/figures",
                                                        "/admin/figures.csv")}
    assert small == big


def test_selects_of_participants_do_not_query_per_row(world, db, client, login_as):
    login_as("admin")
    user_id = world.users["staff"].id
    urls = ("/admin/users/new", f"/admin/users/{user_id}", "/admin/audit",
            "/admin/audit/review")
    _grow(world, db, 3)
    client.get("/admin/audit/review")  # the month's stored review is filled on its first view
    small = {url: _statements(db, client, url) for url in urls}
    _grow(world, db, 30)
    big = {url: _statements(db, client, url) for url in urls}
    assert small == big
