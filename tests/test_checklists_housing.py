"""Housing administration's checklist inbox, CSV and print; the participant's own view."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from tests.factories import make_checklist, make_participant, make_team, make_user
from webapp.domain.checklists import month_of, shift_month
from webapp.timeutil import local_today


def last_month_day(day=15):
    return date.fromisoformat(shift_month(month_of(local_today()), -1) + f"-{day:02d}")


def housed(world, first, last, **kw):
    return make_participant(world.org, world.team, first, last, housing_team=world.housing_team,
                            assigned=[world.users["staff"]], **kw)


def test_inbox_lists_my_apartments_with_submitted_and_missing(client, db, world, login_as):
    held = last_month_day()
    second = housed(world, "Maria", "Lind")
    make_checklist(world.participant, world.users["staff"], held,
                   answers={"damp_none": ("remark", "Fukt i badrummet")})
    db.session.commit()
    login_as("housing")
    response = client.get(f"/housing/checklists?month={month_of(held)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Svenssongatan 1" in html and "Lindgatan 1" in html
    assert "1 av 2 lägenheter har en inskickad genomgång" in html
    assert "Inskickad" in html and "Saknas" in html
    assert "Fukt i badrummet" in html and "1 anmärkning" in html
    assert "has-remark" in html
    assert "Annan" not in html  # another team's tenant without my apartment
    assert second.id  # listed as missing above


def test_inbox_defaults_to_this_month_and_navigates(client, world, login_as):
    login_as("housing")
    this_month = month_of(local_today())
    html = client.get("/housing/checklists").get_data(as_text=True)
    assert f"month={shift_month(this_month, -1)}" in html
    assert f"month={shift_month(this_month, 1)}" not in html  # no future months
    assert "Inte gjord ännu" in html
    assert client.get("/housing/checklists?month=bogus").status_code == 200


def test_inbox_counts_the_latest_version(client, db, world, login_as):
    held = last_month_day()
    first = make_checklist(world.participant, world.users["staff"], held,
                           answers={"pests_none": ("remark", "Möss")})
    make_checklist(world.participant, world.users["staff"], held, supersedes=first,
                   submitted_at=first.submitted_at + timedelta(days=1))
    db.session.commit()
    login_as("housing")
    html = client.get(f"/housing/checklists?month={month_of(held)}").get_data(as_text=True)
    assert "Möss" not in html  # corrected away
    assert "Rättad, version 2" in html


def test_housing_opens_a_checklist_with_masked_identity_only(client, db, world, login_as):
    hidden = housed(world, "Sara", "Nilsson", protected=True)
    submission = make_checklist(hidden, world.users["staff"], last_month_day())
    db.session.commit()
    login_as("housing")
    html = client.get(f"/housing/checklists/{submission.id}").get_data(as_text=True)
    assert "Skyddad deltagare" in html and "Adress skyddad" in html
    assert "Sara" not in html and "Nilssongatan" not in html
    printed = client.get(f"/housing/checklists/{submission.id}/print").get_data(as_text=True)
    assert world.org.name in printed and "Sara" not in printed and "Nilssongatan" not in printed


def test_print_page_is_a_form_with_the_organisation_name(client, db, world, login_as):
    submission = make_checklist(world.participant, world.users["staff"], last_month_day())
    db.session.commit()
    login_as("housing")
    html = client.get(f"/housing/checklists/{submission.id}/print").get_data(as_text=True)
    assert world.org.name in html
    assert "Genomgång av lägenhetens skötsel" in html
    assert "Svenssongatan 1" in html and "Kalle Svensson" in html
    assert 'class="signatures"' in html and "print-page" in html


def test_csv_export_of_the_month(client, db, world, login_as):
    held = last_month_day()
    hidden = housed(world, "Sara", "Nilsson", protected=True)
    make_checklist(world.participant, world.users["staff"], held,
                   answers={"damp_none": ("remark", "Fukt under fönstret")})
    db.session.commit()
    login_as("housing")
    response = client.get(f"/housing/checklists.csv?month={month_of(held)}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"genomgangar-{month_of(held)}.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    by_name = {row["Hyresgäst"]: row for row in rows}
    assert set(by_name) == {"Kalle Svensson", "Skyddad deltagare"}
    kalle = by_name["Kalle Svensson"]
    assert kalle["Status"] == "Inskickad" and kalle["Adress"] == "Svenssongatan 1"
    assert kalle["Datum"] == held.isoformat() and kalle["Antal anmärkningar"] == "1"
    assert "Inga fuktfläckar" in kalle["Anmärkningar"]
    assert "Fukt under fönstret" in kalle["Anmärkningar"]
    protected = by_name["Skyddad deltagare"]
    assert protected["Adress"] == "" and protected["Lägenhetsnummer"] == ""
    assert protected["Status"] == "Saknas"
    assert "Sara" not in text and "Nilsson" not in text
    assert hidden.id


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from webapp.csv_export import csv_cell as _cell

    assert _cell("=1+1") == "'=1+1" and _cell("@x") == "'@x" and _cell("Bra") == "Bra"


def test_housing_cannot_reach_other_participant_data(client, db, world, login_as):
    submission = make_checklist(world.participant, world.users["staff"], last_month_day())
    db.session.commit()
    login_as("housing")
    pid = world.participant.id
    for url in (f"/participants/{pid}/plan", f"/participants/{pid}/checklists",
                f"/participants/{pid}/checklists/{submission.id}", f"/participants/{pid}"):
        assert client.get(url).status_code in (403, 404), url
    assert client.get(f"/housing/checklists/{submission.id}").status_code == 200


def test_another_housing_teams_checklist_is_404(client, db, world, login_as):
    other_team = make_team(world.org, "Bostad Väst", kind="housing")
    other_housing = make_user(world.org, "housing", "bostadvast", teams=[other_team])
    theirs = make_participant(world.org, world.team, "Nils", "Väst", housing_team=other_team)
    submission = make_checklist(theirs, world.users["staff"], last_month_day())
    mine = make_checklist(world.participant, world.users["staff"], last_month_day())
    db.session.commit()
    login_as("housing")
    for url in (f"/housing/checklists/{submission.id}",
                f"/housing/checklists/{submission.id}/print", "/housing/checklists/999999"):
        assert client.get(url).status_code == 404, url
    month = month_of(last_month_day())
    assert "Västgatan" not in client.get(f"/housing/checklists?month={month}").get_data(
        as_text=True)
    login_as(other_housing)
    assert client.get(f"/housing/checklists/{mine.id}").status_code == 404
    assert client.get(f"/housing/checklists/{submission.id}").status_code == 200


def test_checklist_of_a_former_apartment_is_not_shown_to_its_new_team(client, db, world,
                                                                       login_as):
    """Scope is the apartment the checklist was filled for, not only the tenant."""
    from webapp.models import Apartment, Contract

    old_apartment = Apartment(organisation_id=world.org.id, address="Gamla gatan 2",
                              housing_team_id=make_team(world.org, "Bostad Öst", "housing").id)
    db.session.add(old_apartment)
    db.session.flush()
    old = make_checklist(world.participant, world.users["staff"], last_month_day())
    old.apartment_id = old_apartment.id
    db.session.add(Contract(participant_id=world.participant.id, apartment_id=old_apartment.id,
                            move_in_date=date(2025, 1, 1), ended_on=date(2025, 12, 31)))
    db.session.commit()
    login_as("housing")
    assert client.get(f"/housing/checklists/{old.id}").status_code == 404


def test_reading_a_checklist_is_audited(client, db, world, login_as):
    from webapp.models import AuditEvent

    submission = make_checklist(world.participant, world.users["staff"], last_month_day())
    db.session.commit()
    login_as("housing")
    client.get(f"/housing/checklists/{submission.id}")
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.user_id == world.users["housing"].id, AuditEvent.action == "read"))
    assert event.participant_id == world.participant.id


# --- the participant -------------------------------------------------------------------------

def test_participant_sees_own_checklist(client, db, world, login_as):
    submission = make_checklist(world.participant, world.users["staff"], last_month_day(),
                                answers={"smoke_alarm": ("remark", "Batteriet var slut")})
    db.session.commit()
    login_as("participant")
    response = client.get(f"/me/checklists/{submission.id}")
    assert response.status_code == 200
    assert "Batteriet var slut" in response.get_data(as_text=True)


def test_participant_gets_404_for_someone_elses(client, db, world, login_as):
    theirs = make_checklist(world.other, world.users["other_staff"], last_month_day())
    db.session.commit()
    login_as("participant")
    assert client.get(f"/me/checklists/{theirs.id}").status_code == 404
    assert client.get("/me/checklists/999999").status_code == 404


def test_participant_is_pointed_from_a_corrected_checklist_to_the_new_one(client, db, world,
                                                                         login_as):
    first = make_checklist(world.participant, world.users["staff"], last_month_day())
    second = make_checklist(world.participant, world.users["staff"], last_month_day(),
                            supersedes=first)
    db.session.commit()
    login_as("participant")
    html = client.get(f"/me/checklists/{first.id}").get_data(as_text=True)
    assert f"/me/checklists/{second.id}" in html and "har rättats" in html


def test_inbox_is_paged_and_counts_every_apartment(client, db, world, login_as):
    from webapp.housing.checklist_routes import INBOX_PER_PAGE

    held = last_month_day()
    for n in range(INBOX_PER_PAGE + 2):
        housed(world, "Hyres", f"Gäst{n:03d}")
    db.session.commit()
    login_as("housing")
    first = client.get(f"/housing/checklists?month={month_of(held)}").get_data(as_text=True)
    total = INBOX_PER_PAGE + 3  # and the world's own tenant
    assert f"0 av {total} lägenheter har en inskickad genomgång" in first
    assert first.count('<li class="inbox-') == INBOX_PER_PAGE
    assert f'href="/housing/checklists?page=2&amp;month={month_of(held)}"' in first
    rest = client.get(f"/housing/checklists?month={month_of(held)}&page=2").get_data(
        as_text=True)
    assert rest.count('<li class="inbox-') == 3


def test_this_months_inbox_reads_the_same_pages_from_the_stored_facts(client, db, world,
                                                                       login_as, monkeypatch):
    """This month's inbox reads one page from the stored facts when all are valid (else from
    every row, working out the stale facts): the same rows, counts and pager either way, a
    page past the last clamped to the last."""
    from webapp.housing import checklist_routes
    from webapp.housing.checklist_routes import INBOX_PER_PAGE

    today = local_today()
    for n in range(INBOX_PER_PAGE + 2):
        housed(world, "Hyres", f"Gäst{n:03d}")
    housed(world, "Ny", "Inflyttad", move_in=today.replace(day=1) + timedelta(days=1))
    make_checklist(world.participant, world.users["staff"], today)
    db.session.commit()
    login_as("housing")

    def shown(page: int) -> str:
        html = client.get(f"/housing/checklists?page={page}").get_data(as_text=True)
        return html.split("<h1>")[1].split("</main>")[0]

    monkeypatch.setattr(checklist_routes, "_current_page", lambda *_args: None)
    from_rows = [shown(page) for page in (1, 2, 99)]
    assert "1 av 53 lägenheter har en inskickad genomgång" in from_rows[0]
    assert from_rows[0].count('<li class="inbox-') == INBOX_PER_PAGE
    assert from_rows[1].count('<li class="inbox-') == 3 and from_rows[2] == from_rows[1]
    monkeypatch.undo()

    def no_rows(*_args):
        raise AssertionError("all facts are valid: one page read")

    monkeypatch.setattr(checklist_routes, "_inbox", no_rows)
    assert [shown(page) for page in (1, 2, 99)] == from_rows


def test_this_months_inbox_from_the_stored_facts_masks_a_protected_tenant(
        client, db, world, login_as):
    """The first view works the facts out (`_inbox`), the next reads the page in one statement
    with the tenant's, apartment's and checklist's columns: both show the same rows, the
    protected tenant without name, address or apartment number."""
    from webapp.models import Apartment, Contract

    hidden = housed(world, "Sara", "Nilsson", protected=True)
    for person, number in ((world.participant, "1101"), (hidden, "1202")):
        contract = db.session.query(Contract).filter_by(participant_id=person.id).one()
        db.session.get(Apartment, contract.apartment_id).apartment_number = number
    make_checklist(world.participant, world.users["staff"], local_today(),
                   answers={"damp_none": ("remark", "Fukt i hallen")})
    db.session.commit()
    login_as("housing")
    pages = [client.get("/housing/checklists").get_data(as_text=True) for _ in range(2)]
    for html in pages:
        assert "Svenssongatan 1, lgh 1101" in html and "Kalle Svensson" in html
        assert "Inskickad" in html and "Fukt i hallen" in html and "1 anmärkning" in html
        assert "Skyddad deltagare" in html and "Adress skyddad" in html
        assert "Inte gjord ännu denna månad" in html
        assert "Sara" not in html and "Nilssongatan" not in html and "1202" not in html
        assert "1 av 2 lägenheter har en inskickad genomgång" in html
