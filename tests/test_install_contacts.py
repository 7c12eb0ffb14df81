"""Contacts removed in the admin settings disappear for participants at once (issue 19)."""
from __future__ import annotations

from webapp.models import OpenSupportContact


def test_removed_contact_is_gone_from_the_participants_contacts(db, client, login_as, world):
    kept = OpenSupportContact(organisation_id=world.org.id, label="Öppna stödet, telefon",
                              phone="031-11 11 11")
    gone = OpenSupportContact(organisation_id=world.org.id, label="Gamla drop-in",
                              address="Nedlagda gatan 3")
    db.session.add_all([kept, gone])
    db.session.commit()
    login_as("participant")
    page = client.get("/me/contacts").get_data(as_text=True)
    assert "Gamla drop-in" in page and "Öppna stödet, telefon" in page
    login_as("admin")
    assert client.post(f"/admin/settings/contacts/{gone.id}/remove").status_code == 302
    login_as("participant")
    response = client.get("/me/contacts")
    assert response.headers["Cache-Control"] == "no-store"  # no stale copy in the browser
    page = response.get_data(as_text=True)
    assert "Gamla drop-in" not in page and "Nedlagda gatan" not in page
    assert "Öppna stödet, telefon" in page
