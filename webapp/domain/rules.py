"""Programme rules per municipality (DESIGN §1, presets table): what an organisation follows,
what a team may override, and the active rules in plain Swedish.

Pure: `effective_rules(org, team)` reads attributes of anything shaped like `Organisation` and
`Team` (the team's override columns are None where the team follows its organisation).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from flask_babel import lazy_gettext as _l

# Appointment kinds that count as a meeting where "any meeting counts" (Stockholm): everything
# but a phone call, which is contact but not a meeting.
MEETING_KINDS = frozenset({"home_visit", "meeting", "sip", "healthcare", "viewing",
                           "contract_signing", "planning"})
HOME_VISIT_KINDS = frozenset({"home_visit"})

PRESET_NAMES = {
    "goteborg": _l("Göteborg"),
    "stockholm": _l("Stockholm (plan 2010)"),
    "helsingborg": _l("Helsingborg"),
    "gavle": _l("Gävle (plan 2023)"),
}


@dataclass(frozen=True)
class Rules:
    """The programme rules a participant's team follows."""

    preset: str = "goteborg"
    min_visits: int = 1
    visit_period: str = "week"  # "week" = ISO week, "month" = calendar month
    visits_with_social_services: int = 0
    any_meeting_counts: bool = False  # False: only home visits count
    transfer_months: int = 18
    decision_months: int = 18
    checklist_monthly: bool = True
    monthly_report: bool = True  # monthly follow-up report to social services
    quarterly_follow_ups: bool = False  # Stockholm: transfer assessed at the 3rd
    transfer_at_follow_up: int = 0  # which quarterly follow-up assesses the transfer (0: none)
    relief_kind: str = ""  # "" | "acute" (Stockholm) | "svikt" (Helsingborg sviktlägenhet)
    relief_days_per_year: int = 0  # 0: no cap
    transfer_inspection: bool = False  # Helsingborg: inspection checklist before first-hand
    joint_action_plan: bool = True
    matching: bool = False  # Gävle: matching wishes and apartment
    breakdown_analysis: bool = False  # Gävle: haveri-analys when a tenancy ends

    @classmethod
    def of(cls, org, team=None) -> Rules:
        return effective_rules(org, team)

    @property
    def visit_rule(self):
        from .visits import VisitRule

        return VisitRule(self.min_visits, self.visit_period, self.visits_with_social_services,
                         self.counted_kinds)

    @property
    def counted_kinds(self) -> frozenset[str]:
        return MEETING_KINDS if self.any_meeting_counts else HOME_VISIT_KINDS


PRESETS: dict[str, Rules] = {
    "goteborg": Rules(preset="goteborg"),
    "stockholm": Rules(
        preset="stockholm", min_visits=4, visit_period="month", visits_with_social_services=1,
        any_meeting_counts=True, transfer_months=9, decision_months=24,
        quarterly_follow_ups=True, transfer_at_follow_up=3, relief_kind="acute",
        relief_days_per_year=14, joint_action_plan=False,
    ),
    "helsingborg": Rules(
        preset="helsingborg", transfer_months=12, decision_months=24, relief_kind="svikt",
        transfer_inspection=True,
    ),
    "gavle": Rules(preset="gavle", transfer_months=18, decision_months=18, matching=True,
                   breakdown_analysis=True, joint_action_plan=False),
}

# The rule values an organisation stores as columns (and a team may override, None = inherit).
OVERRIDABLE = ("min_visits", "visit_period", "visits_with_social_services", "any_meeting_counts",
               "transfer_months", "decision_months", "relief_days_per_year")


def preset_values(name: str) -> dict:
    """The column values of a preset (for Organisation.apply_preset)."""
    rules = PRESETS[name]
    return {"preset": name, "checklist_monthly": rules.checklist_monthly,
            **{key: getattr(rules, key) for key in OVERRIDABLE}}


def _org_rules(org) -> Rules:
    base = PRESETS.get(getattr(org, "preset", None) or "goteborg", PRESETS["goteborg"])
    values = {}
    for key in (*OVERRIDABLE, "checklist_monthly"):
        value = getattr(org, key, None)
        if value is not None:
            values[key] = value
    return replace(base, **values)


def has_override(team) -> bool:
    """The team sets any rule of its own."""
    return getattr(team, "rules_preset", None) in PRESETS or any(
        getattr(team, key, None) is not None for key in OVERRIDABLE)


def effective_rules(org, team=None) -> Rules:
    """The organisation's rules, then the team's preset (if it chose one), then the team's
    own values where it set them."""
    rules = _org_rules(org)
    if team is None:
        return rules
    team_preset = getattr(team, "rules_preset", None)
    if team_preset in PRESETS:
        rules = PRESETS[team_preset]
    overrides = {key: getattr(team, key, None) for key in OVERRIDABLE}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    rules = replace(rules, **overrides)
    if rules.visits_with_social_services > rules.min_visits:
        rules = replace(rules, visits_with_social_services=rules.min_visits)
    return rules


def describe(rules: Rules) -> list[str]:
    """The active rules as short plain-Swedish sentences (translated per request)."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    lines = []
    if rules.min_visits <= 0:
        lines.append(_("Inga krav på antal besök i fas 2."))
    else:
        what = (ngettext("%(num)d möte", "%(num)d möten", rules.min_visits)
                if rules.any_meeting_counts
                else ngettext("%(num)d hembesök", "%(num)d hembesök", rules.min_visits))
        if rules.visit_period == "month":
            lines.append(_("Minst %(what)s per kalendermånad i fas 2.", what=what))
        else:
            lines.append(_("Minst %(what)s per vecka (måndag–söndag) i fas 2.", what=what))
        if rules.any_meeting_counts:
            lines.append(_("Alla möten räknas, inte bara hembesök. Telefonsamtal räknas inte."))
        if rules.visits_with_social_services:
            lines.append(ngettext(
                "%(num)d av dem ska vara med socialtjänsten.",
                "%(num)d av dem ska vara med socialtjänsten.", rules.visits_with_social_services))
        lines.append(_("En period som slutat utan besök meddelas bostadsförvaltningen. "
                       "Dagar med registrerad frånvaro kräver inget besök."))
    if rules.checklist_monthly:
        lines.append(_("Genomgång av lägenhetens skötsel varje månad, skickas till "
                       "bostadsförvaltningen."))
    if rules.monthly_report:
        lines.append(_("Uppföljningsrapport till socialtjänsten varje månad."))
    if rules.quarterly_follow_ups:
        lines.append(_("Uppföljningsmöte varje kvartal."))
    if rules.transfer_at_follow_up:
        lines.append(_("Förstahandskontrakt tidigast efter %(months)d månader, bedöms vid "
                       "uppföljningsmöte nummer %(number)d.", months=rules.transfer_months,
                       number=rules.transfer_at_follow_up))
    else:
        lines.append(_("Förstahandskontrakt efter %(months)d månaders skötsamt boende, "
                       "frånvaro räknas bort.", months=rules.transfer_months))
    if rules.transfer_inspection:
        lines.append(_("Besiktning med checklista före förstahandskontraktet."))
    lines.append(_("Biståndsbeslut på %(months)d månader med omprövning.",
                   months=rules.decision_months))
    lines.append(_("Hyresgästen ska kontaktas senast nästa arbetsdag efter en "
                   "rättelseanmaning (helgdagar räknas inte)."))
    if rules.relief_kind == "acute":
        lines.append(_("Akut avlastning högst %(days)d dagar per år, räknas.",
                       days=rules.relief_days_per_year))
    elif rules.relief_kind == "svikt":
        lines.append(_("Sviktlägenhet kan användas som avlastning."))
    if rules.joint_action_plan:
        lines.append(_("Gemensam handlingsplan efter mycket allvarliga störningar."))
    if rules.matching:
        lines.append(_("Matchning av önskemål och lägenhet."))
    if rules.breakdown_analysis:
        lines.append(_("Haveri-analys när ett boende avslutas utan överlåtelse."))
    return lines


def rule_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Rules))
