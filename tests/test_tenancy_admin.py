"""Coordinator: CSV import of an existing caseload with a dry run, breakdown analyses, figures."""
from __future__ import annotations

from datetime import date, timedelta

from webapp.domain.caseload_import import check
from webapp.models import (
    AuditEvent,
    BreakdownAnalysis,
    Contract,
    Decision,
    Participant,
    PhaseChange,
)
from webapp.timeutil import local_today

HEADER = ("förnamn;efternamn;telefon;team;fas;fas_från;beslutsdatum;adress;lägenhetsnummer;"
          "hyresvärd;kontrakt_skrivet;inflyttning;förstahand_från\n")
GOOD = HEADER + ("Karin;Berg;070-1;Team A;2;2025-03-01;2025-01-15;Storgatan 9;1201;Bolaget;"
                 "2025-02-20;2025-03-01;\n"
                 "Per;Holm;;team a;3;2024-08-10;2023-01-01;Lillgatan 2;;Bolaget;2023-02-01;"
                 "2023-02-10;2024-08-10\n"
                 "Lisa;Ek;;Team A;1;2025-10-01;;;;;;;\n")
TODAY = date(2026, 1, 15)


def test_check_accepts_good_rows_with_past_dates():
    result = check(GOOD, {"Team A": 1}, TODAY)
    assert result.ok and len(result.rows) == 3
    assert result.rows[1].team_id == 1 and result.rows[1].phase == 3


def test_check_reads_any_line_ending_and_answers_a_stray_return():
    """Old spreadsheet exports end lines with a lone \\r; a stray \\r raised csv.Error (500)."""
    for ending in ("\r", "\r\n"):
        result = check(GOOD.replace("\n", ending), {"Team A": 1}, TODAY)
        assert result.ok and len(result.rows) == 3
    assert not check("\r0", {}, TODAY).ok


def test_check_lists_every_rows_problems():
    bad = HEADER + ("Karin;;;Team X;5;2025-13-01;;;;;;;\n"
                    "Per;Holm;;Team A;2;2025-03-01;;Gata 1;;;2025-03-05;2025-03-01;\n"
                    "Per;Holm;;Team A;3;2025-03-01;;Gata 1;;;;2025-03-01;2024-01-01\n"
                    "Ny;Framtid;;Team A;1;2099-01-01;;;;;;;\n")
    result = check(bad, {"Team A": 1}, TODAY)
    assert not result.ok
    texts = [[p.text % p.values for p in row.problems] for row in result.rows]
    assert "efternamn saknas" in texts[0] and "Okänt team: Team X" in texts[0]
    assert "Fas ska vara 1, 2, 3 eller 4" in texts[0]
    assert any("fas_från är inget datum" in t for t in texts[0])
    assert "Inflyttning före kontraktet skrevs" in texts[1]
    assert "Förstahandskontrakt före inflyttning" in texts[2]
    assert "Samma person finns redan på rad 3" in texts[2]
    assert "fas_från ligger i framtiden" in texts[3]


def test_check_reports_unknown_columns_and_accepts_commas():
    result = check("förnamn,efternamn,skostorlek\nA,B,42\n", {}, TODAY)
    assert result.problems and "skostorlek" in result.problems[0].values["value"]


def test_import_page_dry_run_saves_nothing_then_imports(client, login_as, db, world):
    login_as("admin")
    before = db.session.query(Participant).count()
    response = client.post("/admin/import", data={"csv_text": GOOD, "action": "check"})
    assert response.status_code == 200
    assert "Importera 3 deltagare" in response.get_data(as_text=True)
    assert db.session.query(Participant).count() == before
    bad = GOOD + "Fel;Rad;;Okänt;2;2025-01-01;;;;;;;\n"
    response = client.post("/admin/import", data={"csv_text": bad, "action": "import"})
    assert response.status_code == 422
    assert "Okänt team: Okänt" in response.get_data(as_text=True)
    assert db.session.query(Participant).count() == before  # one bad row: nothing saved
    response = client.post("/admin/import", data={"csv_text": GOOD, "action": "import"})
    assert response.status_code == 302
    per = db.session.query(Participant).filter_by(first_name="Per").one()
    assert per.phase == 3 and per.team_id == world.team.id
    phases = sorted((c.phase, c.started_on) for c in
                    db.session.query(PhaseChange).filter_by(participant_id=per.id))
    assert phases == [(2, date(2023, 2, 10)), (3, date(2024, 8, 10))]
    contract = db.session.query(Contract).filter_by(participant_id=per.id).one()
    assert contract.kind == "first_hand" and contract.move_in_date == date(2023, 2, 10)
    assert contract.entered_by_id == world.users["admin"].id and contract.entered_at
    assert db.session.query(AuditEvent).filter_by(action="import").count() == 1
    # The decision date comes in as the participant's support decision (issue 15's history).
    karin = db.session.query(Participant).filter_by(first_name="Karin").one()
    decision = db.session.query(Decision).filter_by(participant_id=karin.id).one()
    assert (decision.kind, decision.decided_on) == ("support", date(2025, 1, 15))
    assert karin.decision_date == date(2025, 1, 15)
    lisa = db.session.query(Participant).filter_by(first_name="Lisa").one()
    assert db.session.query(Decision).filter_by(participant_id=lisa.id).count() == 0


def test_coordinator_reads_breakdown_analyses(client, login_as, db, world):
    contract = db.session.query(Contract).filter_by(participant_id=world.participant.id).one()
    contract.end_reason, contract.terminated_on = "terminated", local_today()
    db.session.add(BreakdownAnalysis(participant_id=world.participant.id,
                                     contract_id=contract.id, what_happened="Svansen kom tillbaka",
                                     categories="disturbances"))
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/breakdowns").get_data(as_text=True)
    assert "Svansen kom tillbaka" in page and "Störningar och umgänge" in page
    analysis = db.session.query(BreakdownAnalysis).one()
    client.post(f"/admin/breakdowns/{analysis.id}/read")
    db.session.refresh(analysis)
    assert analysis.read_at is not None and analysis.read_by_id == world.users["admin"].id


def test_figures_show_ends_by_reason_and_honest_kvarboende(client, login_as, db, world):
    contract = db.session.query(Contract).filter_by(participant_id=world.participant.id).one()
    contract.move_in_date = local_today() - timedelta(days=500)
    contract.end_reason, contract.end_category = "terminated", "unpaid_rent"
    contract.terminated_on = local_today()  # this month, also on its first day
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/figures").get_data(as_text=True)
    assert "Avslutade boenden utan överlåtelse, per orsak" in page
    assert "<th scope=\"row\">Uppsagd</th><td>1</td>" in page
    assert "Erbjudanden med val mellan två lägenheter" in page


def test_inspection_template_new_version_keeps_old_inspections(client, login_as, db, world):
    from webapp.models import InspectionTemplate, TransferCase
    from webapp.tenancy_services import ensure_inspection_template

    first = ensure_inspection_template(world.org.id)
    contract = db.session.query(Contract).filter_by(participant_id=world.participant.id).one()
    db.session.add(TransferCase(participant_id=world.participant.id, contract_id=contract.id,
                                template_id=first.id))
    db.session.commit()
    login_as("admin")
    assert client.post("/admin/inspection-template", data={"items": "  "}).status_code == 422
    response = client.post("/admin/inspection-template", data={
        "items": "Väggar, golv och tak är utan skador\nBalkongen är i ordning"})
    assert response.status_code == 302
    latest = db.session.query(InspectionTemplate).order_by(InspectionTemplate.version.desc())[0]
    assert latest.version == 2 and "Balkongen" in latest.items_json
    assert '"walls_floors"' in latest.items_json  # an unchanged item keeps its key
    assert db.session.query(TransferCase).one().template_id == first.id
    assert ensure_inspection_template(world.org.id).id == latest.id  # new transfers use v2
