"""Programme figures for the coordinator (DESIGN §3 Admin), as plain functions of the data.

Each figure takes `ParticipantFacts` (everything needed about one participant, already loaded),
a month (its first day) and today, and returns a `FigureValue`: the value with its numerator and
denominator, so the page can show how it was reached. Definitions, in Swedish, are in `FIGURES`.
Nothing here reads the database or the clock.
"""
from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from .tenancy import add_months
from .visits import VisitRule, period_bounds, period_compliance

Contract = tuple[date, date | None]  # (move-in, last day or None while running)


@dataclass(frozen=True)
class ParticipantFacts:
    id: int
    decision_date: date | None = None
    phases: tuple[tuple[date, int], ...] = ()  # (started_on, phase), any order
    contracts: tuple[Contract, ...] = ()  # contracts with a move-in date
    visits: tuple[tuple[date, bool], ...] = ()  # done home visits: (local date, with soc.)
    # The same visits already counted per period of the visit rule, as the database gives them:
    # period start -> (done, of them with social services). When set, `visits` is not read.
    period_visits: Mapping[date, tuple[int, int]] | None = None
    checklist_months: frozenset[str] = field(default_factory=frozenset)  # "YYYY-MM"
    disturbances: tuple[date, ...] = ()  # occurred_on
    # (offered_on, two apartments shown, move-in of the contract that followed or None)
    offers: tuple[tuple[date, bool, date | None], ...] = ()
    # (move-in, first-hand contract date) of transferred tenancies
    transfers: tuple[tuple[date, date], ...] = ()
    # (end date, end reason) of tenancies that ended without a transfer
    ends: tuple[tuple[date, str], ...] = ()

    @cached_property
    def _phases_in_order(self) -> list[tuple[date, int]]:
        # Twelve months of figures ask every participant's phase about fifty times.
        return sorted(self.phases)

    def phase_on(self, day: date) -> int | None:
        current = None
        for started, phase in self._phases_in_order:
            if started > day:
                break
            current = phase
        return current

    def visits_in(self, start: date, end: date) -> tuple[int, int]:
        """(done home visits, of them with social services) in the period [start, end)."""
        if self.period_visits is not None:
            return self.period_visits.get(start, (0, 0))
        in_period = [with_soc for when, with_soc in self.visits if start <= when < end]
        return len(in_period), sum(in_period)

    @cached_property
    def first_move_in(self) -> date | None:
        return min((move_in for move_in, _end in self.contracts), default=None)

    def housed_on(self, day: date) -> bool:
        return any(move_in <= day and (end is None or end >= day)
                   for move_in, end in self.contracts)


@dataclass(frozen=True)
class FigureValue:
    value: float | None  # None: nobody to count this month
    numerator: float = 0
    denominator: float = 0

    @property
    def percent(self) -> int | None:
        return None if self.value is None else round(self.value * 100)


def N_(text: str) -> str:
    """Marks a text for the translation catalog; the view translates it (no Flask here)."""
    return text


@dataclass(frozen=True)
class FigureDefinition:
    key: str
    title: str
    definition: str
    unit: str  # "percent" | "rate" | "days"


FIGURES: list[FigureDefinition] = [
    FigureDefinition(
        "retention_12", N_("Kvarboende efter 12 månader"),
        N_("Av deltagarna som flyttade in för minst 12 månader sedan (räknat till månadens sista "
        "dag): andelen som fortfarande hade ett kontrakt (andrahand eller förstahand) 12 månader "
        "efter sin första inflyttning. Ett uppsagt kontrakt räknas inte som boende från "
        "uppsägningen."), "percent"),
    FigureDefinition(
        "retention_24", N_("Kvarboende efter 24 månader"),
        N_("Av deltagarna som flyttade in för minst 24 månader sedan (räknat till månadens sista "
        "dag): andelen som fortfarande hade ett kontrakt 24 månader efter sin första "
        "inflyttning."), "percent"),
    FigureDefinition(
        "visits", N_("Veckor med hembesök enligt kravet"),
        N_("Av alla avslutade perioder (veckor, eller månader om kravet gäller per månad) som "
        "börjar i månaden och där deltagaren var i fas 2 periodens första dag: andelen där "
        "minsta antalet hembesök blev gjorda."), "percent"),
    FigureDefinition(
        "checklists", N_("Genomgångar i tid"),
        N_("Av deltagarna som var i fas 2 månadens första dag: andelen som har en inskickad "
        "genomgång av lägenhetens skötsel för just den månaden."), "percent"),
    FigureDefinition(
        "disturbances", N_("Störningar per lägenhetsår"),
        N_("Antal störningar som hände under månaden, delat med antalet lägenhetsår under månaden "
        "(dagar med kontrakt för alla deltagare, delat med 365)."), "rate"),
    FigureDefinition(
        "decision_to_move_in", N_("Tid från beslut till inflyttning"),
        N_("Mediantid i dagar från beslutsdatum till första inflyttning, för deltagare som "
        "flyttade in under månaden."), "days"),
    FigureDefinition(
        "offer_to_move_in", N_("Tid från erbjudande till inflyttning"),
        N_("Mediantid i dagar från erbjudandet till inflyttningen i den valda lägenheten, för "
        "inflyttningar under månaden."), "days"),
    FigureDefinition(
        "choice_of_two", N_("Erbjudanden med val mellan två lägenheter"),
        N_("Av erbjudandena som lämnades under månaden: andelen där deltagaren fick se två "
        "lägenheter och välja (parallellval)."), "percent"),
    FigureDefinition(
        "time_to_transfer", N_("Tid till förstahandskontrakt"),
        N_("Mediantid i dagar från inflyttning till förstahandskontrakt, för överlåtelser under "
        "månaden."), "days"),
]

# Labels of the "ends by reason" table (the reasons of models.END_REASONS).
END_REASON_TITLES = {
    "terminated": N_("Uppsagd"),
    "moved_by_choice": N_("Flyttade på egen begäran"),
    "other_housing": N_("Flyttade till annat boende"),
    "died": N_("Avled"),
    "other": N_("Annat"),
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """Last day of the month that starts on `month`."""
    return add_months(month_start(month), 1) - timedelta(days=1)


def last_months(last: date, count: int = 12) -> list[date]:
    """The `count` months ending with the month of `last`, oldest first (first days)."""
    start = month_start(last)
    return [add_months(start, -back) for back in range(count - 1, -1, -1)]


def _ratio(numerator: int, denominator: int) -> FigureValue:
    if not denominator:
        return FigureValue(None, numerator, denominator)
    return FigureValue(numerator / denominator, numerator, denominator)


def retention(people: list[ParticipantFacts], months: int, month: date,
              today: date) -> FigureValue:
    """Share still housed `months` after first move-in, among those that far past move-in."""
    as_of = min(month_end(month), today)
    cohort = housed = 0
    for person in people:
        first = person.first_move_in
        if first is None:
            continue
        point = add_months(first, months)
        if point > as_of:
            continue
        cohort += 1
        housed += person.housed_on(point)
    return _ratio(housed, cohort)


def visit_share(people: list[ParticipantFacts], rule: VisitRule, month: date,
                today: date) -> FigureValue:
    """Share of finished fas-2 periods starting in the month with the minimum visits made."""
    periods = [(start, period_bounds(start, rule.period)[1])
               for start in period_starts(month_start(month), month_end(month), rule.period)]
    periods = [(start, end) for start, end in periods if end <= today]
    # Without absences every participant owes the same in a period: asked once per period.
    needs = [period_compliance(rule, start, end, 0, 0) for start, end in periods]
    counted = met = 0
    for person in people:
        for need in needs:
            if person.phase_on(need.period_start) != 2:
                continue
            counted += 1
            met += need.met_by(*person.visits_in(need.period_start, need.period_end))
    return _ratio(met, counted)


def period_starts(first: date, last: date, period: str) -> list[date]:
    """First days of the visit periods that start in [first, last] (as `visit_share` counts
    them), for loading their visits."""
    day = period_bounds(first, period)[0]
    if day < first:
        day = period_bounds(day, period)[1]
    starts = []
    while day <= last:
        starts.append(day)
        day = period_bounds(day, period)[1]
    return starts


def checklists_on_time(people: list[ParticipantFacts], month: date,
                       today: date) -> FigureValue:
    """Share of fas-2 participant-months (fas 2 on the 1st) with a checklist for that month."""
    first = month_start(month)
    if first > today:
        return FigureValue(None)
    key = f"{first.year:04d}-{first.month:02d}"
    counted = submitted = 0
    for person in people:
        if person.phase_on(first) != 2:
            continue
        counted += 1
        submitted += key in person.checklist_months
    return _ratio(submitted, counted)


def disturbances_per_apartment_year(people: list[ParticipantFacts], month: date,
                                    today: date) -> FigureValue:
    """Disturbances in the month per apartment-year of contracts running in the month."""
    first, last = month_start(month), min(month_end(month), today)
    if last < first:
        return FigureValue(None)
    days = count = 0
    for person in people:
        for move_in, end in person.contracts:
            lo, hi = max(move_in, first), min(end or last, last)
            if hi >= lo:
                days += (hi - lo).days + 1
        count += sum(1 for when in person.disturbances if first <= when <= last)
    if not days:
        return FigureValue(None, count, 0)
    years = days / 365
    return FigureValue(count / years, count, years)


def decision_to_move_in(people: list[ParticipantFacts], month: date) -> FigureValue:
    """Median days from decision to first move-in, for first move-ins in the month."""
    first, last = month_start(month), month_end(month)
    waits = [
        (person.first_move_in - person.decision_date).days
        for person in people
        if person.first_move_in and person.decision_date
        and first <= person.first_move_in <= last
    ]
    if not waits:
        return FigureValue(None)
    return FigureValue(float(statistics.median(waits)), len(waits), len(waits))


def _median_days(pairs: list[tuple[date, date]]) -> FigureValue:
    waits = [(last - first).days for first, last in pairs]
    if not waits:
        return FigureValue(None)
    return FigureValue(float(statistics.median(waits)), len(waits), len(waits))


def offer_to_move_in(people: list[ParticipantFacts], month: date) -> FigureValue:
    """Median days from offer to move-in, for move-ins in the month."""
    first, last = month_start(month), month_end(month)
    return _median_days([(offered, move_in) for person in people
                         for offered, _two, move_in in person.offers
                         if move_in is not None and first <= move_in <= last])


def choice_of_two(people: list[ParticipantFacts], month: date) -> FigureValue:
    """Share of the month's offers that showed two apartments (a real parallel choice)."""
    first, last = month_start(month), month_end(month)
    made = [two for person in people for offered, two, _m in person.offers
            if first <= offered <= last]
    return _ratio(sum(made), len(made))


def time_to_transfer(people: list[ParticipantFacts], month: date) -> FigureValue:
    """Median days from move-in to the first-hand contract, for transfers in the month."""
    first, last = month_start(month), month_end(month)
    return _median_days([(move_in, first_hand) for person in people
                         for move_in, first_hand in person.transfers
                         if first <= first_hand <= last])


def ends_by_reason(people: list[ParticipantFacts], first: date, last: date) -> dict[str, int]:
    """Tenancies that ended without a transfer in [first, last], counted per end reason."""
    counts = {reason: 0 for reason in END_REASON_TITLES}
    for person in people:
        for when, reason in person.ends:
            if first <= when <= last:
                counts[reason if reason in counts else "other"] += 1
    return counts


def monthly_figures(people: list[ParticipantFacts], rule: VisitRule, month: date,
                    today: date) -> dict[str, FigureValue]:
    """Every figure of `FIGURES` for one month."""
    return {
        "retention_12": retention(people, 12, month, today),
        "retention_24": retention(people, 24, month, today),
        "visits": visit_share(people, rule, month, today),
        "checklists": checklists_on_time(people, month, today),
        "disturbances": disturbances_per_apartment_year(people, month, today),
        "decision_to_move_in": decision_to_move_in(people, month),
        "offer_to_move_in": offer_to_move_in(people, month),
        "choice_of_two": choice_of_two(people, month),
        "time_to_transfer": time_to_transfer(people, month),
    }


def figure_series(people: list[ParticipantFacts], rule: VisitRule, last: date, today: date,
                  count: int = 12) -> list[tuple[date, dict[str, FigureValue]]]:
    """`monthly_figures` for each of the `count` months ending with `last`, oldest first."""
    return [(month, monthly_figures(people, rule, month, today))
            for month in last_months(last, count)]
