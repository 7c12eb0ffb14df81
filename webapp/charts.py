"""Small server-rendered SVG charts: no JavaScript, no chart framework.

Each chart is an `<svg role="img">` with a `<title>` and `<desc>` (referenced by
`aria-labelledby`), so a screen reader announces what it shows; the page puts a data table next
to it as the full text alternative. Colours come from classes styled in app.css (strict CSP: no
inline style attributes).
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 180
# Room for "100 %" left of the axis and the month names below it, so no label is clipped.
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 12, 28


def _nice_max(values: list[float]) -> float:
    top = max(values, default=0)
    if top <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top <= step:
            return float(step)
    return float(top)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")


def bar_chart(chart_id: str, title: str, labels: list[str], values: list[float | None],
              max_value: float | None = None, unit: str = "",
              notes: dict[int, str] | None = None) -> Markup:
    """Vertical bars, one per label; a missing value (None) is drawn as an empty slot, or with
    its note written in the slot (e.g. "pågår" for the month that is not over)."""
    notes = notes or {}
    present = [v for v in values if v is not None]
    top = max_value if max_value is not None else _nice_max(present)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(values))
    no_value = _("inget värde")
    summary = ", ".join(
        f"{label}: {_fmt(v) + unit if v is not None else notes.get(i, no_value)}"
        for i, (label, v) in enumerate(zip(labels, values, strict=True))
    )
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(summary)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(_fmt(top * fraction) + unit)}</text>')
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + index * slot
        if value is not None:
            height = plot_h * min(1.0, max(0.0, value / top))
            parts.append(f'<rect class="chart-bar" x="{x + slot * 0.15:.1f}" '
                         f'y="{TOP + plot_h - height:.1f}" width="{slot * 0.7:.1f}" '
                         f'height="{height:.1f}"/>')
        elif index in notes:
            nx, ny = x + slot / 2 + 3, TOP + plot_h - 4
            parts.append(f'<text class="chart-note" x="{nx:.1f}" y="{ny:.1f}" '
                         f'transform="rotate(-90 {nx:.1f} {ny:.1f})">'
                         f'{escape(notes[index])}</text>')
        parts.append(f'<text class="chart-axis" x="{x + slot / 2:.1f}" y="{HEIGHT - 10}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
