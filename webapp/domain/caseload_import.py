"""Importing an existing caseload from CSV (issue 14): participants, team, phase and its start,
apartment and contract dates. Parsing and checking only: a dry run lists every row's problems
before anything is saved. No Flask, no database: the caller passes the known teams.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from .figures import N_

# Column names (Swedish, as a coordinator would type them) → field.
COLUMNS = {
    "förnamn": "first_name",
    "efternamn": "last_name",
    "telefon": "phone",
    "team": "team",
    "fas": "phase",
    "fas_från": "phase_from",
    "beslutsdatum": "decision_date",
    "adress": "address",
    "lägenhetsnummer": "apartment_number",
    "hyresvärd": "landlord",
    "kontrakt_skrivet": "signed_on",
    "inflyttning": "move_in",
    "förstahand_från": "first_hand_on",
}
REQUIRED = ("first_name", "last_name", "team", "phase", "phase_from")
DATES = ("phase_from", "decision_date", "signed_on", "move_in", "first_hand_on")
MAX_ROWS = 2000
EXAMPLE = ("förnamn;efternamn;telefon;team;fas;fas_från;beslutsdatum;adress;lägenhetsnummer;"
           "hyresvärd;kontrakt_skrivet;inflyttning;förstahand_från\n"
           "Karin;Berg;070-123 45 67;Stödteam Centrum;2;2025-03-01;2025-01-15;Storgatan 9;1201;"
           "Bostadsbolaget;2025-02-20;2025-03-01;\n")

# Problem texts (Swedish msgids; the page translates them).
P_MISSING = N_("%(column)s saknas")
P_DATE = N_("%(column)s är inget datum (skriv ÅÅÅÅ-MM-DD)")
P_FUTURE = N_("%(column)s ligger i framtiden")
P_TEAM = N_("Okänt team: %(value)s")
P_PHASE = N_("Fas ska vara 1, 2, 3 eller 4")
P_MOVE_IN_NEEDED = N_("Fas 2–4 behöver inflyttningsdatum och adress")
P_MOVE_BEFORE_SIGN = N_("Inflyttning före kontraktet skrevs")
P_FIRST_HAND_NEEDED = N_("Fas 3–4 behöver datum för förstahandskontrakt")
P_FIRST_HAND_BEFORE = N_("Förstahandskontrakt före inflyttning")
P_DUPLICATE = N_("Samma person finns redan på rad %(line)s")
P_COLUMNS = N_("Okända kolumner: %(value)s")
P_TOO_MANY = N_("För många rader (högst %(max)s)")


@dataclass
class Problem:
    text: str  # a msgid with %(...)s placeholders
    values: dict = field(default_factory=dict)


@dataclass
class Row:
    line: int
    values: dict
    problems: list[Problem] = field(default_factory=list)
    dates: dict = field(default_factory=dict)
    team_id: int | None = None
    phase: int | None = None


@dataclass
class ImportCheck:
    rows: list[Row]
    problems: list[Problem]  # about the whole file

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and all(not r.problems for r in self.rows)


def _label(name: str) -> str:
    return next(key for key, value in COLUMNS.items() if value == name)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def check(text: str, teams: dict[str, int], today: date) -> ImportCheck:
    """Parse and check every row; nothing is saved here. `teams` maps a team name (any case)
    to its id."""
    text = text.lstrip("\ufeff")
    sample = (text.splitlines() or [""])[0]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    # newline="": the csv module itself splits rows on \n, \r\n or a lone \r (old Mac exports),
    # also inside quoted cells; without it a lone \r is an error.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().casefold() for cell in next(reader, [])]
    unknown = [cell for cell in header if cell and cell not in COLUMNS]
    problems = [Problem(P_COLUMNS, {"value": ", ".join(unknown)})] if unknown else []
    names = [COLUMNS.get(cell) for cell in header]
    team_ids = {name.casefold().strip(): tid for name, tid in teams.items()}
    rows: list[Row] = []
    seen: dict[tuple, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(Problem(P_TOO_MANY, {"max": MAX_ROWS}))
            break
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(names) if name}
        rows.append(_check_row(Row(line, values), team_ids, today, seen))
    return ImportCheck(rows, problems)


def _check_row(row: Row, team_ids: dict[str, int], today: date, seen: dict) -> Row:
    v, add = row.values, row.problems.append
    for name in REQUIRED:
        if not v.get(name):
            add(Problem(P_MISSING, {"column": _label(name)}))
    for name in DATES:
        if v.get(name):
            day = _parse_date(v[name])
            if day is None:
                add(Problem(P_DATE, {"column": _label(name)}))
            elif day > today:
                add(Problem(P_FUTURE, {"column": _label(name)}))
            else:
                row.dates[name] = day
    if v.get("team"):
        row.team_id = team_ids.get(v["team"].casefold())
        if row.team_id is None:
            add(Problem(P_TEAM, {"value": v["team"]}))
    if v.get("phase"):
        row.phase = int(v["phase"]) if v["phase"] in ("1", "2", "3", "4") else None
        if row.phase is None:
            add(Problem(P_PHASE))
    move_in, signed = row.dates.get("move_in"), row.dates.get("signed_on")
    if row.phase and row.phase >= 2 and not (v.get("move_in") and v.get("address")):
        add(Problem(P_MOVE_IN_NEEDED))
    if move_in and signed and move_in < signed:
        add(Problem(P_MOVE_BEFORE_SIGN))
    if row.phase and row.phase >= 3 and not v.get("first_hand_on"):
        add(Problem(P_FIRST_HAND_NEEDED))
    first_hand = row.dates.get("first_hand_on")
    if first_hand and move_in and first_hand < move_in:
        add(Problem(P_FIRST_HAND_BEFORE))
    key = (v.get("first_name", "").casefold(), v.get("last_name", "").casefold(),
           v.get("phone", ""))
    if key in seen:
        add(Problem(P_DUPLICATE, {"line": seen[key]}))
    else:
        seen[key] = row.line
    return row
