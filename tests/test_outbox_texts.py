"""The outbox texts in base.html are rendered once per language (templating.per_locale): each
language still gets its own words."""
from __future__ import annotations


def test_the_outbox_texts_follow_the_page_language(client, login_as):
    login_as("staff")
    swedish = client.get("/today").get_data(as_text=True)
    assert 'data-msg-sending="Skickar …"' in swedish
    client.post("/language", data={"lang": "en", "next": "/today"})
    english = client.get("/today").get_data(as_text=True)
    assert 'data-msg-sending="Sending …"' in english
    client.post("/language", data={"lang": "sv", "next": "/today"})
    assert 'data-msg-sending="Skickar …"' in client.get("/today").get_data(as_text=True)
