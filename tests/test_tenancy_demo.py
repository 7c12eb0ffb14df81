"""The demo tells every stage of the tenancy, and its figures show an honest kvarboende."""
from __future__ import annotations

from tests.conftest import utcnow_ts
from webapp.admin.figure_facts import figure_facts
from webapp.demo import seed_demo
from webapp.domain import figures as fig
from webapp.models import (
    BreakdownAnalysis,
    Contract,
    Disturbance,
    JointMeeting,
    Offer,
    Organisation,
    Participant,
    TransferCase,
)
from webapp.timeutil import local_today


def test_demo_has_every_stage(app, db):
    seed_demo()
    people = {p.first_name: p for p in db.session.query(Participant)}
    assert len(people) == 13  # issue 15 added a Stockholm-rules participant
    nadia_offer = db.session.query(Offer).filter_by(participant_id=people["Nadia"].id).one()
    assert nadia_offer.second_apartment_id and len(nadia_offer.showings) == 2
    assert not db.session.query(Contract).filter_by(participant_id=people["Nadia"].id).count()
    peter = db.session.query(Contract).filter_by(participant_id=people["Peter"].id).one()
    assert peter.signed_on and peter.move_in_date > local_today()
    assert db.session.query(Disturbance).filter_by(participant_id=people["Lena"].id,
                                                   severity="unpaid_rent").count() == 1
    meeting = db.session.query(JointMeeting).filter_by(participant_id=people["Ahmed"].id).one()
    assert len(meeting.actions) == 3
    jonas = db.session.query(TransferCase).filter_by(participant_id=people["Jonas"].id).one()
    assert jonas.inspection_on > local_today() and not jonas.decision
    olle = db.session.query(TransferCase).filter_by(participant_id=people["Olle"].id).one()
    assert olle.decision == "approved" and olle.open_support_info_on
    eva = db.session.query(Contract).filter_by(participant_id=people["Eva"].id).one()
    assert eva.end_reason == "terminated" and eva.keys_returned_on and eva.ended_on
    assert db.session.query(Offer).filter_by(participant_id=people["Eva"].id).count() == 1
    assert db.session.query(BreakdownAnalysis).filter_by(participant_id=people["Eva"].id).one()
    assert people["Bengt"].phase == 4
    assert {p.phase for p in people.values()} == {1, 2, 3, 4}
    # The existing demo facts of DESIGN §10 still hold.
    assert people["Sara"].protected_identity
    assert db.session.query(Disturbance).filter_by(severity="rattelse",
                                                   followed_up_at=None).count() == 1


def test_demo_kvarboende_is_below_100_percent(app, db):
    seed_demo()
    org = db.session.query(Organisation).one()
    value = fig.retention(figure_facts(org.id), 12, local_today().replace(day=1), local_today())
    assert value.value is not None and value.value < 1


def test_demo_pages_render_for_every_role(app, db, client):
    from webapp.models import User

    seed_demo()
    people = {p.first_name: p for p in db.session.query(Participant)}

    def login(username):
        user = db.session.query(User).filter_by(username=username).one()
        with client.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["last_seen"] = utcnow_ts()  # as a real sign-in does (idle timeout)

    login("bostad")
    for name in ("Nadia", "Peter", "Lena", "Ahmed", "Jonas", "Olle", "Eva"):
        response = client.get(f"/housing/tenancies/{people[name].id}")
        assert response.status_code == 200, name
    assert client.get("/housing/apartments").status_code == 200
    login("anna")
    for name in ("Nadia", "Ahmed", "Eva", "Olle"):
        assert client.get(f"/participants/{people[name].id}/tenancy").status_code == 200
    login("kalle")
    assert client.get("/me/tenancy").status_code == 200
    login("admin")
    assert client.get("/admin/breakdowns").status_code == 200
    assert client.get("/admin/figures").status_code == 200
