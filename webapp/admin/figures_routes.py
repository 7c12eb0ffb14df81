"""Admin: programme figures for the last twelve months, as charts, tables and CSV. The figures
are computed by webapp/domain/figures.py from facts that figure_facts.py loads in a fixed
number of statements; every month up to the open one is stored (stored_figures.py: closed
months for good, the open month as of today), so a view reads them in one statement."""
from __future__ import annotations

import dataclasses
from datetime import date
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..audit import record
from ..charts import bar_chart
from ..csv_export import csv_response, to_csv
from ..domain import figures as fig
from ..domain.tenancy import add_months
from ..rendering import render
from ..timeutil import format_month, local_today, month_key, month_name
from . import bp
from .choices import month_arg
from .stored_figures import figure_months, install_hooks


@bp.record_once
def _install_stored_figures_hooks(_state):
    # Entries dated in a closed month delete its stored figures on commit, whichever view
    # recorded them.
    install_hooks()


def _series(month: date):
    """(month, figures, ends per reason) of the twelve months ending with `month`."""
    return figure_months(current_user.organisation, month, local_today())


def _figures() -> list[fig.FigureDefinition]:
    """The figure definitions with title and definition in the reader's language."""
    return list(_figures_in(str(get_locale())))


@lru_cache(maxsize=8)
def _figures_in(_locale: str) -> tuple[fig.FigureDefinition, ...]:
    # Eighteen lookups a view otherwise; the texts change only with the language.
    return tuple(dataclasses.replace(d, title=_(d.title), definition=_(d.definition))
                 for d in fig.FIGURES)


def _chart(definition, series, labels: list[str], running: date | None = None) -> str:
    values = tuple(None if m == running else _scaled(definition, figures[definition.key])
                   for m, figures in series)
    notes = tuple(i for i, (m, _v) in enumerate(series) if m == running)
    return _chart_markup(str(get_locale()), definition.key, definition.title,
                         definition.unit, tuple(labels), values, notes)


@lru_cache(maxsize=256)
def _chart_markup(_locale: str, key: str, title: str, unit: str, labels: tuple[str, ...],
                  values: tuple[float | None, ...], running: tuple[int, ...]) -> str:
    """The same SVG for the same figures: charts are drawn once per language and values, not
    on every view (the stored months change seldom)."""
    return bar_chart(f"chart-{key}", _("%(title)s, senaste 12 månaderna", title=title),
                     list(labels), list(values), max_value=100 if unit == "percent" else None,
                     unit=" %" if unit == "percent" else "",
                     notes={i: _("pågår") for i in running})


def _scaled(definition, value: fig.FigureValue) -> float | None:
    if value.value is None:
        return None
    return value.value * 100 if definition.unit == "percent" else value.value


def _rows(definition, series, running: date, month_labels: dict, words: dict
          ) -> list[tuple[str, str, str]]:
    """(month, value, basis) cells of the definition's table, formatted here as the template
    did (Jinja's round, int and format filters): 108 cells a view."""
    rows = []
    for m, values in series:
        value = values[definition.key]
        scaled = _scaled(definition, value)
        if m == running:
            shown = words["running"]
        elif scaled is None:
            shown = "–"
        elif definition.unit == "percent":
            shown = f"{int(round(scaled, 0))} %"
        elif definition.unit == "rate":
            shown = f"{scaled:.1f}".replace(".", ",")
        else:
            shown = f"{int(round(scaled, 0))} {words['days']}"
        if definition.unit == "percent":
            basis = f"{int(value.numerator)} / {int(value.denominator)}"
        elif definition.unit == "rate":
            denominator = f"{value.denominator:.2f}".replace(".", ",")
            basis = f"{int(value.numerator)} / {denominator} {words['years']}"
        else:
            basis = f"{int(value.numerator)} {words['people']}"
        rows.append((month_labels[m], shown, basis))
    return rows


@bp.route("/admin/figures")
def figures():
    month = month_arg(local_today())
    months = _series(month)
    series = [(start, values) for start, values, _ends in months]
    definitions = _figures()
    short_names = [month_name(m.month, short=True) for m, _values in series]
    # The month that is not over yet is shown as running, not as a (misleading) 0 %.
    running = local_today().replace(day=1)
    ends = months[-1][2]
    month_labels = {m: format_month(m) for m, _values in series}
    words = {"days": _("dagar"), "people": _("personer"), "years": _("lägenhetsår"),
             "running": _("pågår")}
    return render("admin/figures.html", month=month, month_label=format_month(month),
                  running=running,
                  ends=[(_(fig.END_REASON_TITLES[key]), count) for key, count in ends.items()],
                  series=series, current=series[-1][1], definitions=definitions,
                  # Each month's names once, not once per chart and table row.
                  charts={d.key: _chart(d, series, short_names, running) for d in definitions},
                  rows={d.key: _rows(d, series, running, month_labels, words)
                        for d in definitions},
                  prev_month=month_key(add_months(month, -1)),
                  next_month=month_key(add_months(month, 1)))


def _number(value: float, pattern: str) -> str:
    """Swedish decimal comma, as a spreadsheet set to Swedish reads it."""
    return format(value, pattern).replace(".", ",")


@bp.route("/admin/figures.csv")
def figures_csv():
    month = month_arg(local_today())
    rows = []
    for start, values, _ends in _series(month):
        for definition in _figures():
            value = values[definition.key]
            scaled = _scaled(definition, value)
            rows.append([month_key(start), definition.title,
                         "" if scaled is None else _number(scaled, ".1f"),
                         _number(value.numerator, "g"),
                         _number(value.denominator, ".3f").rstrip("0").rstrip(",")])
    body = to_csv(["månad", "mått", "värde", "täljare", "nämnare"], rows)
    record("export", object_type="figures_csv", detail=month_key(month))
    return csv_response(body, f"uppfoljning-{month_key(month)}.csv")
