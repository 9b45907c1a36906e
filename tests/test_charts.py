"""The SVG charts and table rows drawn in Python (wham/charts.py): gaps, labels, escaping."""
from __future__ import annotations

import re

from markupsafe import Markup

from wham import charts

LABELS = [f"W{n}" for n in range(1, 9)]


def test_week_line_leaves_a_gap_for_a_missing_week_and_dots_each_value():
    svg = charts.week_line(LABELS, [3, 4, None, 5, 6, 7, None, 8], "c", "Confidence", 10)
    assert svg.count("<polyline") == 2  # weeks 1-2 and 4-6; week 8 alone is a dot only
    assert svg.count("<circle") == 6
    assert 'role="img"' in svg and '<title id="c-title">Confidence</title>' in svg


def test_week_charts_label_every_other_week_ending_with_the_latest_when_crowded():
    svg = charts.week_bars(LABELS, [1] * 8, [2] * 8, "d", "Days", 7, "Done", "Planned")
    axis_labels = re.findall(r'text-anchor="middle">([^<]+)<', svg)
    assert axis_labels == ["W2", "W4", "W6", "W8"]
    few = charts.week_line(LABELS[:5], [1] * 5, "c", "Confidence", 10)
    assert re.findall(r'text-anchor="middle">([^<]+)<', few) == LABELS[:5]


def test_week_bars_draw_planned_and_done_only_where_there_is_a_number():
    svg = charts.week_bars(LABELS[:3], [2, None, 0], [3, 4, None], "d", "Days", 7, "Done",
                           "Planned")
    assert svg.count('class="chart-planned"') == 1 + 2  # the legend's, then two weeks
    assert svg.count('class="chart-bar"') == 1 + 2
    assert 'height="0.0" rx="3" class="chart-bar"' in svg  # zero days done: a flat bar


def test_charts_escape_their_texts():
    svg = charts.week_line(["<b>"], [1], 'x"y', "A & <B>", 10, class_='"c"')
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "A &amp; &lt;B&gt;" in svg and 'x&#34;y-title' in svg and "&#34;c&#34;" in svg
    bars = charts.rating_bars([{"label": "<i>", "value": 2, "compare": None}], "r", "T",
                              compare_label="First <", value_label="Latest")
    assert "<i>" not in bars and "First &lt;" in bars
    assert 'class="chart-before"' in bars  # the legend's outlined marker only
    assert bars.count("chart-before") == 1


def test_table_rows_show_a_word_for_a_missing_value_and_keep_a_link_as_markup():
    link = Markup('<a href="/check-in/2026-03-02">Mar 2, 2026</a>')
    rows = charts.table_rows([(link, 3, None), ("Feb <23>", None, 0)], missing="none")
    assert rows == ('<tr><th scope="row"><a href="/check-in/2026-03-02">Mar 2, 2026</a></th>'
                    "<td>3</td><td>none</td></tr>"
                    '<tr><th scope="row">Feb &lt;23&gt;</th><td>none</td><td>0</td></tr>')
