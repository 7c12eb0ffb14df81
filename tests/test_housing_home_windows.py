"""The home's lists from their windows stored per day (issue 17, housing/routes.py
`_home_lists`): /housing shows from the stored windows exactly what it shows worked out anew,
after every kind of write that changes a list (its rows' and the scope's), and as rows leave a
list with time alone during the day; and the same HTML as the lists' statement before."""
from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import delete, select, update

from tests import writes
from tests.conftest import sent_statements
from tests.factories import make_disturbance, make_participant
from tests.test_housing_summaries import (
    _apartment_to_my_team,
    _generation,
    _shown,
    _worked_out_anew,
    shows_the_write,
)
from webapp.extensions import db
from webapp.housing import routes
from webapp.housing.routes import HOME_ROWS, RECENT_DAYS
from webapp.models import Absence, Disturbance, HousingNotice, HousingSummary, utcnow
from webapp.timeutil import local_today, to_utc

LISTS = HousingSummary.key.like("lists:%")


def _fill(world, now: datetime) -> None:
    """More rows than a page in each list, over several tenants, some of each kind that a
    list keeps only for RECENT_DAYS."""
    today = local_today()
    others = [make_participant(world.org, world.team, f"Hyr{n}", "Gäst",
                               housing_team=world.housing_team) for n in range(2)]
    people = [world.participant, *others]
    for n in range(HOME_ROWS + 3):
        tenant = people[n % len(people)]
        db.session.add(HousingNotice(participant_id=tenant.id,
                                     occurred_on=now - timedelta(days=n * 5),
                                     acknowledged_at=now if n % 3 == 0 else None))
        make_disturbance(tenant, received_at=now - timedelta(days=n * 5),
                         followed_up_at=now if n % 2 else None,
                         description=f"Störning {n:02d}")
        start = today - timedelta(days=n * 6 + 2)
        db.session.add(Absence(participant_id=tenant.id, start_date=start,
                               end_date=None if n % 4 == 0 else start + timedelta(days=1),
                               reason="HEMLIG"))
    db.session.commit()


def _change_windows(disturbances: int, start: datetime | None = None, **columns) -> None:
    """The stored windows with the disturbances counted as `disturbances`, stored at `start`
    if given, and `columns` of their row changed."""
    windows = json.loads(db.session.scalar(select(HousingSummary.counts).where(LISTS)))
    windows["lists"]["disturbances"][0] = disturbances
    if start is not None:
        windows["from"] = start.isoformat()
    db.session.execute(update(HousingSummary).where(LISTS).values(
        counts=json.dumps(windows), **columns))
    db.session.commit()


def _disturbances(html: str) -> str:
    return html.split('id="disturbances-heading"')[1].split('id="absences-heading"')[0]


# --- every kind of write that changes a list ---------------------------------------------------

def _notice_acknowledged(world):
    notice = HousingNotice(participant_id=world.participant.id, occurred_on=utcnow())
    db.session.add(notice)
    db.session.flush()
    yield
    db.session.get(HousingNotice, notice.id).acknowledged_at = utcnow()


def _notice_new(world):
    yield
    db.session.add(HousingNotice(participant_id=world.participant.id,
                                 occurred_on=utcnow() - timedelta(days=1)))


def _notice_deleted(world):
    notice = HousingNotice(participant_id=world.participant.id, occurred_on=utcnow())
    db.session.add(notice)
    db.session.flush()
    yield
    db.session.delete(db.session.get(HousingNotice, notice.id))


def _disturbance_new(world):
    yield
    make_disturbance(world.participant, description="Ny störning")


def _disturbance_followed_up(world):
    """An old disturbance kept only while nobody followed it up."""
    row = make_disturbance(world.participant, received_at=utcnow() - timedelta(days=200),
                           description="Gammal störning")
    yield
    db.session.get(Disturbance, row.id).followed_up_at = utcnow()


def _disturbance_deleted(world):
    row = make_disturbance(world.participant, description="Felregistrerad")
    yield
    db.session.delete(db.session.get(Disturbance, row.id))


def _absence_ended_long_ago(world):
    absence = Absence(participant_id=world.participant.id,
                      start_date=local_today() - timedelta(days=300), reason="Resa")
    db.session.add(absence)
    db.session.flush()
    yield
    db.session.get(Absence, absence.id).end_date = local_today() - timedelta(
        days=RECENT_DAYS + 10)


def _other_tenant_with_a_disturbance(world):
    """The scope: the other team's tenant (with a disturbance) comes into my team's."""
    make_disturbance(world.other, description="Grannens störning")
    yield from _apartment_to_my_team(world)


LIST_WRITES = [_notice_acknowledged, _notice_new, _notice_deleted, _disturbance_new,
               _disturbance_followed_up, _disturbance_deleted, writes.absence,
               _absence_ended_long_ago, _other_tenant_with_a_disturbance]


@pytest.mark.parametrize("write", LIST_WRITES, ids=writes.ids(LIST_WRITES))
def test_each_kind_of_write_shows_in_the_lists_on_the_next_view(client, world, login_as,
                                                               write):
    login_as("housing")
    _fill(world, utcnow())
    shows_the_write(client, world, write, LISTS)


# --- rows leaving a list with time alone -------------------------------------------------------

def test_rows_leave_the_lists_as_their_time_comes_within_the_day(client, world, login_as,
                                                                 monkeypatch):
    """An acknowledged notice and a followed-up disturbance that turn RECENT_DAYS old
    between two views of the day: the later view (from the windows stored by the first)
    leaves them out, counts one less and shows the next row in their place, as worked out
    anew at that moment."""
    today = local_today()
    noon = to_utc(datetime.combine(today, time(12)))
    clock = {"now": noon}
    monkeypatch.setattr(routes, "local_today", lambda: today)
    monkeypatch.setattr(routes, "utcnow", lambda: clock["now"])
    login_as("housing")
    leaving, older = (make_participant(world.org, world.team, first, last,
                                       housing_team=world.housing_team)
                      for first, last in (("Lämnar", "Listan"), ("Gammal", "Kvar")))
    edge = noon - timedelta(days=RECENT_DAYS) + timedelta(minutes=30)
    for n in range(HOME_ROWS - 1):  # newer, kept all day
        db.session.add(HousingNotice(participant_id=world.participant.id,
                                     occurred_on=noon - timedelta(days=n, minutes=1),
                                     acknowledged_at=noon))
        make_disturbance(world.participant, received_at=noon - timedelta(days=n, minutes=1),
                         followed_up_at=noon, description=f"Ny {n:02d}")
    db.session.add(HousingNotice(participant_id=leaving.id, occurred_on=edge,
                                 acknowledged_at=noon))
    make_disturbance(leaving, received_at=edge, followed_up_at=noon)
    for n in range(3):  # older, kept while not acknowledged / followed up
        db.session.add(HousingNotice(participant_id=older.id,
                                     occurred_on=edge - timedelta(days=10 + n)))
        make_disturbance(older, received_at=edge - timedelta(days=10 + n))
    db.session.commit()
    _shown(client)
    first = _shown(client)
    assert "Lämnar" in _disturbances(first) and "Gammal" not in _disturbances(first)
    assert f"Visa alla ({HOME_ROWS + 3})" in first
    assert db.session.scalar(select(HousingSummary.key).where(LISTS)) is not None
    clock["now"] = noon + timedelta(hours=1)
    with sent_statements() as seen:
        later = _shown(client)
    assert not any("count(*) OVER" in statement for statement in seen), \
        "read from the windows stored this day"
    assert "Lämnar" not in _disturbances(later) and "Gammal" in _disturbances(later)
    assert f"Visa alla ({HOME_ROWS + 2})" in later
    assert later.count(f"Visa alla ({HOME_ROWS + 2})") == 2  # the notices too
    assert later == _worked_out_anew(client)


def test_windows_stored_later_than_the_view_are_not_read(client, world, login_as,
                                                         monkeypatch):
    """A view whose moment is before the one the windows were stored at (another process's
    clock) works them out anew: rows that left the list since may be back in it then."""
    login_as("housing")
    _fill(world, utcnow())
    _shown(client)
    right = _shown(client)
    _change_windows(97, start=utcnow() + timedelta(minutes=5))
    assert _shown(client) == right


# --- what a view reads --------------------------------------------------------------------------

def test_the_stored_windows_are_what_a_view_reads(client, world, login_as):
    login_as("housing")
    _fill(world, utcnow())
    _shown(client)
    right = _shown(client)
    with sent_statements() as seen:
        assert _shown(client) == right
    assert not any("count(*) OVER" in statement for statement in seen), \
        "valid windows: the lists are not counted again"
    _change_windows(97)
    assert "Visa alla (97)" in _shown(client)


def test_windows_of_an_older_generation_are_not_read(client, world, login_as):
    login_as("housing")
    _fill(world, utcnow())
    _shown(client)
    right = _shown(client)
    _change_windows(97, generation=_generation(world) - 1)
    assert _shown(client) == right


def test_the_lists_are_the_same_html_as_with_the_statement_before(client, world, login_as,
                                                                   monkeypatch):
    """The overview from the stored windows, and from the windows just worked out, is the
    same HTML as from the lists' one statement (`_lists`, as every view read them before)."""
    login_as("housing")
    _fill(world, utcnow())

    def page():
        # The CSRF token is signed with the second it was made: left out.
        return re.sub(r'(name="csrf_token" value=|"X-CSRFToken": )"[^"]*"', "",
                      client.get("/housing").get_data(as_text=True))

    page()
    worked_out = page()
    stored = page()
    monkeypatch.setattr(routes, "_home_lists",
                        lambda overview, now, _day: routes._lists(overview.ids, None, now))
    before = page()
    assert worked_out == stored == before
    assert "Visa alla (21)" in before and "Hyr1" in before  # notices, disturbances


# --- the tenancy list's and the inbox's pages read by id from their stored order ---------------

@pytest.mark.parametrize("url", ["/housing/tenancies", "/housing/checklists"])
def test_the_lists_pages_are_the_same_from_the_stored_order(client, world, login_as,
                                                           monkeypatch, url):
    """More than a page: worked out from the rows (`_tenancy_page_from_rows`, `_inbox`, as
    when a fact is stale), ordered by the database over the stored facts, and read by id in
    the stored order: the same HTML on each page (a page past the last clamped to it)."""
    from webapp.housing import checklist_routes

    for n in range(53):
        make_participant(world.org, world.team, "Hyres", f"Gäst{n:03d}",
                         housing_team=world.housing_team, protected=n % 10 == 0,
                         move_in=local_today() - timedelta(days=40 + 7 * n))
    db.session.commit()
    login_as("housing")

    def pages() -> list[str]:
        return [re.sub(r'name="csrf_token"[^>]*', "", client.get(f"{url}?page={page}")
                       .get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0])
                for page in (1, 2, 99)]

    monkeypatch.setattr(routes, "_tenancy_order", lambda *_args: None)
    monkeypatch.setattr(checklist_routes, "_current_page", lambda *_args: None)
    from_rows = pages()
    monkeypatch.undo()
    db.session.execute(delete(HousingSummary))
    db.session.commit()
    with sent_statements() as seen:
        ordered = pages()[0]
    assert any("ORDER BY" in statement and "OVER" in statement for statement in seen), \
        "ordered by the database"
    stored = pages()
    assert [ordered, *stored[1:]] == stored == from_rows
    assert from_rows[1] == from_rows[2] != from_rows[0]
    assert "Skyddad deltagare" in from_rows[0] + from_rows[1]
