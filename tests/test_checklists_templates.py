"""Admin edits the checklist template; every save is a new version (DESIGN §4)."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import make_checklist
from webapp.models import ChecklistSubmission, ChecklistTemplate
from webapp.timeutil import local_today

URL = "/admin/settings/checklists"


def versions(db, world):
    return db.session.scalars(db.select(ChecklistTemplate).where(
        ChecklistTemplate.organisation_id == world.org.id).order_by(
        ChecklistTemplate.version)).all()


def rows_of(template, drop=(), change=None):
    data = {"title": template.title}
    for index, item in enumerate(template.items):
        data |= {f"items-{index}-section": item.section, f"items-{index}-key": item.key,
                 f"items-{index}-text": (change or {}).get(item.key, item.text),
                 f"items-{index}-order": str((index + 1) * 10)}
        if item.key in drop:
            data[f"items-{index}-remove"] = "y"
    return data


def test_admin_sees_versions_and_an_editable_copy_of_the_newest(client, world, login_as):
    login_as("admin")
    html = client.get(URL).get_data(as_text=True)
    assert "Version 1" in html and "Används nu" in html
    assert 'name="items-0-key"' in html and 'value="rent_paid"' in html
    assert 'name="items-24-key"' in html  # 22 items + 3 blank rows for new ones
    assert "version 2" in html


def test_saving_creates_version_two_and_leaves_version_one(client, db, world, login_as):
    v1 = versions(db, world)[0]
    v1_items = [(i.section, i.key, i.text) for i in v1.items]
    login_as("admin")
    data = rows_of(v1, drop={"laundry_rules"}, change={"rent_paid": "Hyran är betald"})
    data |= {"items-22-section": "Kök", "items-22-key": "dishes_done",
             "items-22-text": "Disken är diskad", "items-22-order": "55"}
    response = client.post(URL, data=data)
    assert response.status_code == 303
    v1_again, v2 = versions(db, world)
    assert [(i.section, i.key, i.text) for i in v1_again.items] == v1_items
    assert v2.version == 2 and v2.created_by_id == world.users["admin"].id
    keys = [i.key for i in v2.items]
    assert "laundry_rules" not in keys and len(keys) == 22
    assert keys.index("dishes_done") == keys.index("stove_ok") + 1  # order 55 after 50
    assert v2.items[0].text == "Hyran är betald"


def test_new_checklists_use_the_new_version_old_ones_keep_theirs(client, db, world, login_as):
    # Last month's: this month's form would be its correction (one checklist per month).
    old = make_checklist(world.participant, world.users["staff"],
                         local_today().replace(day=1) - timedelta(days=1))
    db.session.commit()
    v1 = versions(db, world)[0]
    login_as("admin")
    client.post(URL, data=rows_of(v1, change={"rent_paid": "Hyran för månaden är inbetald"}))
    v2 = versions(db, world)[1]
    login_as("staff")
    form = client.get(f"/participants/{world.participant.id}/checklists/new")
    assert "Hyran för månaden är inbetald" in form.get_data(as_text=True)
    assert f'name="template_version" type="hidden" value="{v2.version}"' in form.get_data(
        as_text=True)
    shown = client.get(f"/participants/{world.participant.id}/checklists/{old.id}")
    assert "Hyran för månaden är betald" in shown.get_data(as_text=True)
    assert db.session.get(ChecklistSubmission, old.id).template_id == v1.id


def test_a_draft_opened_on_the_old_version_is_still_accepted(client, db, world, login_as):
    """A form filled offline before the admin's change posts template_version=1."""
    v1 = versions(db, world)[0]
    login_as("admin")
    client.post(URL, data=rows_of(v1, drop={"laundry_rules"}))
    login_as("staff")
    data = {f"answer-{i.key}": "ok" for i in v1.items} | {
        "held_on": local_today().isoformat(), "present": "Vi", "tenant_agrees": "y",
        "template_version": "1"}
    response = client.post(f"/participants/{world.participant.id}/checklists/new", data=data)
    assert response.status_code == 303
    submission = db.session.scalars(db.select(ChecklistSubmission)).one()
    assert submission.template_id == v1.id


def test_bad_rows_get_messages_next_to_the_field(client, db, world, login_as):
    v1 = versions(db, world)[0]
    login_as("admin")
    data = rows_of(v1) | {"items-1-key": "rent_paid", "items-2-key": "Bad Key",
                          "items-3-text": "", "items-4-order": "tio"}
    response = client.post(URL, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nyckeln finns redan på en annan rad." in html
    assert "Nyckeln får bara ha små bokstäver" in html
    assert "Skriv texten som visas." in html
    assert "Skriv ett heltal" in html
    assert 'value="Bad Key"' in html  # what was typed is kept
    assert len(versions(db, world)) == 1


def test_removing_every_item_is_refused(client, db, world, login_as):
    v1 = versions(db, world)[0]
    login_as("admin")
    data = rows_of(v1, drop={i.key for i in v1.items})
    response = client.post(URL, data=data)
    assert response.status_code == 422
    assert "minst en punkt" in response.get_data(as_text=True)


def test_saving_without_changes_makes_no_new_version(client, db, world, login_as):
    login_as("admin")
    assert client.post(URL, data=rows_of(versions(db, world)[0])).status_code == 303
    assert len(versions(db, world)) == 1


def test_only_admin_edits_templates(client, db, world, login_as):
    for role in ("staff", "housing", "participant", "social_worker"):
        login_as(role)
        assert client.get(URL).status_code == 403
        assert client.post(URL, data=rows_of(versions(db, world)[0])).status_code == 403


def _without_tokens(page: str) -> str:
    return re.sub(r'(X-CSRFToken": "|csrf_token" type="hidden" value="|name="csrf_token" value=")'
                  r'[^"]+', r"\1-", page)


def test_rows_written_directly_match_the_field_macro(client, db, world, login_as, monkeypatch):
    """The editor writes rows without errors as plain HTML (the field macro per field was most
    of the page's time): the same page as with every row through the macro, on a GET and on a
    re-rendered POST with an error, a ticked row and characters to escape."""
    from webapp.admin import checklist_routes
    from webapp.admin.checklist_forms import ItemRow

    login_as("admin")
    data = rows_of(versions(db, world)[0], drop={"bills_ok"})
    data |= {"items-0-text": 'Dörr "stängd" & <låst> \'ok\'', "items-3-order": "x",
             "items-22-section": "Kök", "items-22-key": "a&b"}
    fast_get = client.get(URL + "?extra=2").get_data(as_text=True)
    fast_post = client.post(URL, data=data)
    assert fast_post.status_code == 422
    monkeypatch.setattr(ItemRow, "errors", property(lambda self: {"forced": ["macro"]}))
    # A blank editor's fields are kept per content: written anew here, through the macro.
    monkeypatch.setattr(checklist_routes, "_blank_editors", {})
    slow_get = client.get(URL + "?extra=2").get_data(as_text=True)
    slow_post = client.post(URL, data=data).get_data(as_text=True)
    assert _without_tokens(fast_get) == _without_tokens(slow_get)
    fast_post = fast_post.get_data(as_text=True)
    assert _without_tokens(fast_post) == _without_tokens(slow_post)
    assert "Skriv ett heltal" in fast_post and "checked" in fast_post
    assert "Dörr &#34;stängd&#34; &amp; &lt;låst&gt; &#39;ok&#39;" in fast_post


def test_a_blank_form_shows_the_newest_items_and_the_chosen_language(client, db, world,
                                                                      login_as):
    """The blank form's items are rendered once per template content and language: a new
    version and another language are never answered with what an earlier form showed."""
    new_form = f"/participants/{world.participant.id}/checklists/new"
    login_as("staff")
    first = client.get(new_form).get_data(as_text=True)
    assert "Ej aktuellt" in first and "Hyran för månaden är betald" in first
    login_as("admin")
    client.post(URL, data=rows_of(versions(db, world)[0],
                                  change={"rent_paid": "Hyran för månaden är inbetald"}))
    login_as("staff")
    again = client.get(new_form).get_data(as_text=True)
    assert "Hyran för månaden är inbetald" in again and "Hyran för månaden är betald" not in again
    client.post("/language", data={"lang": "en", "next": new_form})
    english = client.get(new_form).get_data(as_text=True)
    assert "Not applicable" in english and "What is the remark about?" in english
    assert "Ej aktuellt" not in english


def test_the_kept_blank_editor_follows_the_newest_version_and_the_language(client, db, world,
                                                                          login_as):
    """A blank editor's fields are written once per version shown, blank rows and language
    (checklist_routes._blank_editor): a saved version, more rows or English are never
    answered with what an earlier view showed."""
    login_as("admin")
    first = client.get(URL).get_data(as_text=True)
    assert first.count('class="card template-row"') == 25 and "Hyran för månaden är betald" in first
    assert _without_tokens(client.get(URL).get_data(as_text=True)) == _without_tokens(first)
    more = client.get(URL + "?extra=5").get_data(as_text=True)
    assert more.count('class="card template-row"') == 27
    client.post(URL, data=rows_of(versions(db, world)[0],
                                  change={"rent_paid": "Hyran för månaden är inbetald"}))
    again = client.get(URL).get_data(as_text=True)
    assert 'value="Hyran för månaden är inbetald"' in again
    assert 'value="Hyran för månaden är betald"' not in again
    client.post("/language", data={"lang": "en", "next": URL})
    english = client.get(URL).get_data(as_text=True)
    assert ">Section</label>" in english and "> Remove</label>" in english
    assert ">Avsnitt</label>" not in english
