"""Figures (issue 16.11): the month that is not over is "pågår", not 0 %; labels fit the chart."""
from __future__ import annotations

import re

from webapp.charts import HEIGHT, WIDTH, bar_chart
from webapp.timeutil import local_today


def test_the_current_month_is_running(client, login_as, world):
    login_as("admin")
    html = client.get(f"/admin/figures?month={local_today():%Y-%m}").get_data(as_text=True)
    assert html.count("Pågår") == 9  # every figure's headline (issue 14 added three)
    assert "Månaden är inte slut än." in html
    assert html.count(">pågår<") >= 12  # in each chart and each table
    last_month = client.get("/admin/figures?month=2026-02").get_data(as_text=True)
    assert "Pågår" not in last_month or local_today().strftime("%Y-%m") == "2026-02"


def test_chart_labels_are_inside_the_drawing():
    svg = str(bar_chart("c", "T", [f"m{i:02d}" for i in range(12)], [100.0] * 11 + [None],
                        max_value=100, unit=" %", notes={11: "pågår"}))
    assert "m11: pågår" in svg
    for x, anchor, text in re.findall(
            r'<text class="chart-axis" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">([^<]*)<',
            svg):
        width = len(text) * 6.5  # generous for 10px text
        left = float(x) - (width if anchor == "end" else width / 2)
        right = float(x) + (0 if anchor == "end" else width / 2)
        assert left >= 0 and right <= WIDTH, text
    assert f'viewBox="0 0 {WIDTH} {HEIGHT}"' in svg
