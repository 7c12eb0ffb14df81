"""A push endpoint registered to someone else is not moved silently (issue 19).

Knowing another device's push URL is not enough: the browser proves it holds the subscription
by sending the same keys with it. Every accepted post answers alike, known endpoint or not.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_org, make_user
from tests.push_service import push_service_fixture  # noqa: F401 - the fixture
from webapp.models import PushSubscription


def _rows(db):
    db.session.expire_all()
    return db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)).all()


def _register(db, user, sub) -> None:
    db.session.add(PushSubscription(user_id=user.id, endpoint=sub["endpoint"],
                                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"]))
    db.session.commit()


@pytest.mark.parametrize("owner", ["other_staff", "other_org"])
def test_someone_elses_endpoint_with_other_keys_is_409_and_stays(db, world, client, login_as,
                                                                 push_service, owner):
    victim = (world.users["other_staff"] if owner == "other_staff"
              else make_user(make_org("Annanstad"), "staff", "fremling"))
    sub = push_service.new_device()
    _register(db, victim, sub)
    thief = push_service.new_device()  # the attacker's own keys, the victim's URL
    login_as("staff")
    response = client.post("/push/subscriptions",
                           json={"endpoint": sub["endpoint"], "keys": thief["keys"]})
    assert response.status_code == 409
    assert response.json["ok"] is False and "endpoint" in response.json["errors"]
    [row] = _rows(db)
    assert (row.user_id, row.p256dh, row.auth) == (victim.id, sub["keys"]["p256dh"],
                                                   sub["keys"]["auth"])
    # Half the keys is not proof either.
    half = {"endpoint": sub["endpoint"],
            "keys": {"p256dh": sub["keys"]["p256dh"], "auth": thief["keys"]["auth"]}}
    assert client.post("/push/subscriptions", json=half).status_code == 409
    assert _rows(db)[0].user_id == victim.id


def test_the_same_browser_with_the_same_keys_takes_the_device_over(db, world, client,
                                                                   login_as, push_service):
    """A shared phone: whoever signs in and turns notifications on gets them."""
    sub = push_service.new_device()
    _register(db, world.users["other_staff"], sub)
    user = login_as("staff")
    response = client.post("/push/subscriptions", json=sub)
    assert response.status_code == 201
    [row] = _rows(db)
    assert row.user_id == user.id


def test_the_answer_does_not_tell_whether_the_endpoint_was_known(db, world, client, login_as,
                                                                 push_service):
    known = push_service.new_device()
    _register(db, world.users["other_staff"], known)
    fresh = push_service.new_device()
    login_as("staff")
    first = client.post("/push/subscriptions", json=fresh)
    second = client.post("/push/subscriptions", json=known)
    again = client.post("/push/subscriptions", json=fresh)
    assert first.status_code == second.status_code == again.status_code == 201
    assert first.get_data() == second.get_data() == again.get_data()


def test_another_organisations_device_cannot_be_unsubscribed(db, world, client, login_as,
                                                            push_service):
    stranger = make_user(make_org("Annanstad"), "staff", "fremling")
    sub = push_service.new_device()
    _register(db, stranger, sub)
    login_as("admin")
    response = client.delete("/push/subscriptions", json={"endpoint": sub["endpoint"]})
    assert response.status_code == 200 and response.json["deleted"] == 0
    assert client.post(f"/push/subscriptions/{_rows(db)[0].id}/delete").status_code == 404
    assert [row.user_id for row in _rows(db)] == [stranger.id]
