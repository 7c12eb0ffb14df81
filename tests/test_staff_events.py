"""The participant's events page: timeline, record forms (valid, invalid 422), the one-day rule."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import statements_and_page
from webapp.domain.disturbances import follow_up_deadline, is_overdue, needs_follow_up
from webapp.extensions import db
from webapp.models import (
    Absence,
    AuditEvent,
    Consent,
    Disturbance,
    Participant,
    PhaseChange,
    ReserveKey,
    utcnow,
)
from webapp.staff.events_routes import default_review_date
from webapp.timeutil import local_today

HTMX = {"HX-Request": "true"}


def _url(world, suffix=""):
    return f"/participants/{world.participant.id}/events{suffix}"


def _today():
    return local_today().isoformat()


def _rattelse(world, received_ago=timedelta(hours=2), **kw):
    d = Disturbance(participant_id=world.participant.id, occurred_on=local_today(),
                    received_at=utcnow() - received_ago, source="landlord", severity="rattelse",
                    description="Hög musik sent på kvällen.", **kw)
    db.session.add(d)
    db.session.commit()
    return d


# --- the page ----------------------------------------------------------------------------------

def test_events_page_lists_everything_newest_first(client, world, login_as):
    pid = world.participant.id
    db.session.add_all([
        Absence(participant_id=pid, start_date=date(2026, 2, 1), end_date=date(2026, 2, 5),
                reason="Sjukhusvistelse"),
        Consent(participant_id=pid, scope="Socialtjänst och hyresvärd", given_on=date(2026, 1, 20)),
        Disturbance(participant_id=pid, occurred_on=date(2026, 3, 2), source="neighbour",
                    severity="minor", description="Skrik i trapphuset"),
    ])
    participant = db.session.get(Participant, pid)
    participant.decision_date, participant.review_date = date(2025, 12, 1), date(2027, 6, 1)
    db.session.commit()
    login_as("staff")
    page = client.get(_url(world)).get_data(as_text=True).split("Allt som hänt")[1]
    order = [page.index(text) for text in (
        "Beslutet ska omprövas", "Skrik i trapphuset", "Sjukhusvistelse",
        "Socialtjänst och hyresvärd", "Fas 2 – andrahandskontrakt", "Beslut om stöd")]
    assert order == sorted(order)


def test_social_worker_reads_events_with_reasons_but_no_forms(client, world, login_as):
    db.session.add(Absence(participant_id=world.participant.id, start_date=date(2026, 2, 1),
                           reason="Behandlingshem"))
    db.session.commit()
    login_as("social_worker")
    response = client.get(_url(world))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Behandlingshem" in page
    assert "Logga störning" not in page and "Avsluta frånvaron" not in page


def test_social_worker_cannot_record_events(client, world, login_as):
    login_as("social_worker")
    response = client.post(_url(world, "/absences"), data={"start_date": _today()})
    assert response.status_code == 403
    assert db.session.scalar(select(Absence)) is None


def test_housing_cannot_open_events_page(client, world, login_as):
    login_as("housing")
    assert client.get(_url(world)).status_code == 403


def test_events_of_participant_outside_scope_is_404(client, world, login_as):
    login_as("staff")
    assert client.get(f"/participants/{world.other.id}/events").status_code == 404
    response = client.post(f"/participants/{world.other.id}/events/absences",
                           data={"start_date": _today()})
    assert response.status_code == 404
    assert db.session.scalar(select(Absence)) is None


# --- disturbances and the one-day rule ---------------------------------------------------------

def test_log_disturbance(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/disturbances"), data={
        "occurred_on": _today(), "source": "neighbour", "severity": "minor",
        "description": "Hunden skäller"})
    assert response.status_code == 303
    d = db.session.scalar(select(Disturbance))
    assert (d.source, d.severity, d.description) == ("neighbour", "minor", "Hunden skäller")
    assert d.reported_by_id == world.users["staff"].id and d.apartment_id is not None
    assert abs((utcnow() - d.received_at).total_seconds()) < 60
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "disturbance_create"))


def test_invalid_disturbance_is_422_with_values_kept(client, world, login_as):
    login_as("staff")
    future = (local_today() + timedelta(days=3)).isoformat()
    response = client.post(_url(world, "/disturbances"), data={
        "occurred_on": future, "source": "housing", "severity": "serious", "description": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Datumet kan inte vara senare än i dag." in page
    assert "Skriv kort vad som har hänt." in page
    assert f'value="{future}"' in page and '<option selected value="housing">' in page
    assert db.session.scalar(select(Disturbance)) is None


def test_invalid_disturbance_with_htmx_returns_only_the_form_panel(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/disturbances"), headers=HTMX, data={
        "occurred_on": "inte ett datum", "source": "landlord", "severity": "minor",
        "description": "Något"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<details id="disturbance-panel"')
    assert "<html" not in body and "Skriv datumet som ÅÅÅÅ-MM-DD" in body
    assert 'value="inte ett datum"' in body


def test_valid_form_with_htmx_navigates_back_to_the_page(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/disturbances"), headers=HTMX, data={
        "occurred_on": _today(), "source": "landlord", "severity": "minor",
        "description": "Något"})
    assert response.status_code == 200
    assert response.headers["HX-Location"] == _url(world)


def test_rattelse_shows_contact_deadline_and_overdue_badge(client, world, login_as):
    fresh = _rattelse(world, received_ago=timedelta(hours=2))
    late = _rattelse(world, received_ago=timedelta(days=7))  # §1d: next working day
    assert not is_overdue(fresh, utcnow()) and is_overdue(late, utcnow())
    assert follow_up_deadline(fresh) > fresh.received_at + timedelta(days=1)  # next working day
    login_as("staff")
    page = client.get(_url(world)).get_data(as_text=True)
    assert page.count("Kontakta hyresgästen senast") >= 2
    assert "Försenad" in page and "Följ upp" in page


def test_follow_up_records_when_who_and_note(client, world, login_as):
    d = _rattelse(world, received_ago=timedelta(days=2))
    login_as("staff")
    response = client.post(_url(world, f"/disturbances/{d.id}/follow-up"),
                           data={f"followup-{d.id}-note": "Ringde, vi ses i morgon."})
    assert response.status_code == 303
    db.session.refresh(d)
    assert d.followed_up_at is not None and d.followed_up_by_id == world.users["staff"].id
    assert d.follow_up_note == "Ringde, vi ses i morgon."
    assert not needs_follow_up(d) and not is_overdue(d, utcnow())
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Uppföljd" in page and "Försenad" not in page


def test_follow_up_without_note_is_422(client, world, login_as):
    d = _rattelse(world)
    login_as("staff")
    response = client.post(_url(world, f"/disturbances/{d.id}/follow-up"),
                           data={f"followup-{d.id}-note": ""})
    assert response.status_code == 422
    assert "Skriv kort hur ni tog kontakt" in response.get_data(as_text=True)
    db.session.refresh(d)
    assert d.followed_up_at is None


def test_minor_disturbance_has_no_contact_rule():
    d = Disturbance(severity="minor", received_at=utcnow() - timedelta(days=5))
    assert follow_up_deadline(d) is None and not is_overdue(d, utcnow())


# --- absences ----------------------------------------------------------------------------------

def test_log_ongoing_absence_and_end_it(client, world, login_as):
    login_as("staff")
    start = (local_today() - timedelta(days=10)).isoformat()
    response = client.post(_url(world, "/absences"), data={
        "start_date": start, "end_date": "", "reason": "Behandlingshem"})
    assert response.status_code == 303
    absence = db.session.scalar(select(Absence))
    assert absence.end_date is None and absence.reason == "Behandlingshem"
    assert "Pågår" in client.get(_url(world)).get_data(as_text=True)
    response = client.post(_url(world, f"/absences/{absence.id}/end"),
                           data={f"absence-{absence.id}-end_date": _today()})
    assert response.status_code == 303
    db.session.refresh(absence)
    assert absence.end_date == local_today()


def test_absence_ending_before_it_starts_is_422(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/absences"), data={
        "start_date": "2026-03-10", "end_date": "2026-03-01", "reason": "Resa"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Slutdatum kan inte vara före startdatum." in page
    assert 'value="2026-03-10"' in page and "Resa" in page
    assert db.session.scalar(select(Absence)) is None


def test_absence_far_in_the_future_or_empty_is_422(client, world, login_as):
    login_as("staff")
    far = client.post(_url(world, "/absences"), data={"start_date": "2062-01-01"})
    assert far.status_code == 422
    assert "Datumet ligger för långt fram" in far.get_data(as_text=True)
    empty = client.post(_url(world, "/absences"), data={"start_date": ""})
    assert empty.status_code == 422
    assert "Skriv när frånvaron började." in empty.get_data(as_text=True)


# --- phase -------------------------------------------------------------------------------------

def test_phase_change_updates_phase_and_keeps_history(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/phase"), data={
        "phase": "3", "started_on": _today(), "note": "Förstahandskontrakt skrivet"})
    assert response.status_code == 303
    participant = db.session.get(Participant, world.participant.id)
    db.session.refresh(participant)
    assert participant.phase == 3
    changes = db.session.scalars(select(PhaseChange).where(
        PhaseChange.participant_id == participant.id).order_by(PhaseChange.started_on)).all()
    assert [c.phase for c in changes] == [2, 3]
    assert changes[-1].recorded_by_id == world.users["staff"].id
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Fas 3 – förstahandskontrakt" in page and "Fas 2 – andrahandskontrakt" in page


def test_moving_to_phase_4_reminds_about_open_support(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/phase"), data={"phase": "4", "started_on": _today()})
    assert response.status_code == 303
    page = client.get(_url(world)).get_data(as_text=True)
    assert '<p class="flash warning">Fas 4: berätta för deltagaren om det öppna stödet' in page


@pytest.mark.parametrize("data, message", [
    ({"phase": "2", "started_on": "2026-03-01"}, "redan i den fasen"),
    ({"phase": "3", "started_on": "2020-01-01"}, "före när nuvarande fas började"),
    ({"phase": "3", "started_on": ""}, "Skriv när den nya fasen börjar."),
])
def test_invalid_phase_change_is_422(client, world, login_as, data, message):
    login_as("staff")
    response = client.post(_url(world, "/phase"), data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    participant = db.session.get(Participant, world.participant.id)
    db.session.refresh(participant)
    assert participant.phase == 2


# --- consent, reserve key, decision --------------------------------------------------------------

def test_record_and_withdraw_consent(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/consents"), data={
        "scope": "Socialtjänst, bostadsförvaltning och hyresvärd", "given_on": _today()})
    assert response.status_code == 303
    consent = db.session.scalar(select(Consent))
    assert consent.recorded_by_id == world.users["staff"].id
    response = client.post(_url(world, f"/consents/{consent.id}/withdraw"),
                           data={f"consent-{consent.id}-withdrawn_on": _today()})
    assert response.status_code == 303
    db.session.refresh(consent)
    assert consent.withdrawn_on == local_today()
    assert "Samtycke återkallat" in client.get(_url(world)).get_data(as_text=True)


def test_invalid_consent_is_422_with_values_kept(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/consents"), data={"scope": "", "given_on": "2099-01-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv vad deltagaren har samtyckt till." in page
    assert 'value="2099-01-01"' in page


def test_reserve_key_is_saved_and_updated(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/reserve-key"), data={
        "spare_key_at_office": "y", "conditions": "Bara om vi inte fått kontakt på tre dagar",
        "entrance_access": "y"})
    assert response.status_code == 303
    response = client.post(_url(world, "/reserve-key"), data={
        "conditions": "", "entrance_access": "y"})
    assert response.status_code == 303
    keys = db.session.scalars(select(ReserveKey)).all()
    assert len(keys) == 1
    assert not keys[0].spare_key_at_office and keys[0].entrance_access


def test_reserve_key_without_conditions_is_422(client, world, login_as):
    login_as("staff")
    response = client.post(_url(world, "/reserve-key"), data={"spare_key_at_office": "y"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Skriv villkoren för reservnyckeln." in page
    assert '<input checked id="spare_key_at_office"' in page


def test_decisions_are_the_social_workers_staff_only_read_them(client, world, login_as):
    """Issue 15 / DESIGN §2: the staff decision form is gone; the social worker records
    decisions (tests/test_social_pages.py) and the events page links to them."""
    login_as("staff")
    response = client.post(_url(world, "/decision"), data={"decision_date": "2026-01-31"})
    assert response.status_code in (403, 404, 405)
    page = client.get(_url(world)).get_data(as_text=True)
    assert "registreras av socialsekreteraren" in page and "/decisions" in page
    assert default_review_date(date(2026, 1, 31), 24) == date(2028, 1, 31)


def test_each_event_names_who_recorded_it_in_a_constant_number_of_statements(world, client,
                                                                            login_as):
    """Who recorded each event comes with the event (issue 17): no query of its own, so more
    events and more people cost no more statements."""

    from tests.factories import make_user

    staff = login_as("staff")

    def statements() -> tuple[int, str]:
        return statements_and_page(client, _url(world))

    empty, _page = statements()
    people = [make_user(world.org, "staff", f"person{n}", display_name=f"Person {n}")
              for n in range(11)]
    pid, today = world.participant.id, local_today()

    def one_of_each(first: int) -> list:
        by = people[first:first + 5]
        return [
            Disturbance(participant_id=pid, occurred_on=today - timedelta(days=3),
                        received_at=utcnow(), source="landlord", severity="rattelse",
                        description="Musik", reported_by_id=by[0].id,
                        followed_up_at=utcnow(), followed_up_by_id=by[1].id),
            Absence(participant_id=pid, start_date=today - timedelta(days=5), kind="other",
                    recorded_by_id=by[2].id),
            PhaseChange(participant_id=pid, phase=3, started_on=today - timedelta(days=7),
                        recorded_by_id=by[3].id),
            Consent(participant_id=pid, scope="Hyresvärden", given_on=today - timedelta(days=9),
                    recorded_by_id=by[4].id),
        ]

    db.session.add_all([*one_of_each(0), ReserveKey(participant_id=pid, spare_key_at_office=True,
                                                    updated_by_id=people[10].id)])
    db.session.commit()
    few, _page = statements()
    db.session.add_all(one_of_each(5))
    db.session.commit()
    more, page = statements()
    assert more == few, f"{few} vs {more} statements"
    # Lists without rows are not asked for (the key's query says which have rows).
    assert empty < few, f"{empty} vs {few} statements"
    for n in range(11):
        if n not in (1, 6):
            assert f"Person {n}" in page
    assert "av Person 1" in page and "av Person 6" in page  # followed up by
    assert staff.display_name not in page.split('id="timeline-heading"')[1]


def test_each_list_shows_when_it_alone_has_rows(client, world, login_as, db):
    """Only the lists with rows are asked for: each one alone still reaches the timeline."""
    login_as("staff")
    pid, today = world.participant.id, local_today()

    def timeline() -> str:
        page = client.get(_url(world)).get_data(as_text=True)
        return page.split('id="timeline-heading"')[1]

    assert "började" in timeline()  # the participant's phase change, nothing else
    db.session.query(PhaseChange).filter_by(participant_id=pid).delete()
    rows = [Consent(participant_id=pid, scope="Bara samtycket", given_on=today),
            Absence(participant_id=pid, start_date=today, kind="other"),
            Disturbance(participant_id=pid, occurred_on=today, received_at=utcnow(),
                        source="landlord", severity="minor", description="Bara störningen")]
    shown = ["Bara samtycket", "<strong>Frånvaro</strong>", "Bara störningen"]
    for row, text in zip(rows, shown, strict=True):
        db.session.add(row)
        db.session.commit()
        html = timeline()
        assert text in html and "började" not in html
        assert sum(other in html for other in shown) == 1
        db.session.delete(row)
        db.session.commit()
