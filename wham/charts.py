"""Server-rendered SVG charts drawn in Python rather than by Jinja macros (templates/_macros/
charts.html wraps them), and the rows of the tables behind them: a chart is hundreds of shapes,
each far cheaper as an f-string than as a step of a macro's loop. No inline style=: shapes use
presentation attributes and the .chart-* classes in wham.css. Every chart has a table or text
alternative next to it."""
from __future__ import annotations

from functools import lru_cache
from math import floor

from flask import Flask
from markupsafe import Markup, escape

# Only numbers computed here (a value that is not a number fails the arithmetic) and escaped
# texts go into the markup these functions return, hence the noqa: S704 on each Markup().


def rating_bars(rows, chart_id: str, title: str, compare_label=None, value_label=None,
                scale=5) -> Markup:
    """Horizontal 1..`scale` bars, one row per item: rows are objects or dicts with .label,
    .value and an optional .compare (an earlier value drawn as an outlined marker)."""
    row_h, left, bar_w = 50, 2, 290
    top = 34 if compare_label else 4
    height = top + len(rows) * row_h + 6
    parts = [f'<svg class="chart rating-bars" viewBox="0 0 330 {height}" width="330" '
             f'height="{height}" role="img" aria-labelledby="{escape(chart_id)}-title" '
             f'preserveAspectRatio="xMinYMin meet"><title id="{escape(chart_id)}-title">'
             f'{escape(title)}</title>']
    if compare_label:
        parts.append(
            f'<g class="chart-legend" aria-hidden="true">'
            f'<rect x="{left + 1}" y="6" width="20" height="14" rx="3" class="chart-bar"/>'
            f'<text x="{left + 28}" y="18" class="chart-text">{escape(value_label)}</text>'
            f'<rect x="{left + 141}" y="6" width="20" height="14" rx="3" class="chart-before"/>'
            f'<text x="{left + 168}" y="18" class="chart-text">{escape(compare_label)}</text></g>')
    for n, row in enumerate(rows):
        y = top + n * row_h
        value, compare = _field(row, "value"), _field(row, "compare")
        # Widths to 0.1 as f"{:.1f}" writes them: the digits of str(round(w, 1)), faster.
        parts.append(
            f'<g aria-hidden="true"><text x="{left}" y="{y + 15}" class="chart-text">'
            f'{escape(_field(row, "label"))}</text>'
            f'<text x="{left + bar_w + 34}" y="{y + 37}" class="chart-value" text-anchor="end">'
            f'{_text(value)}</text>'
            f'<rect x="{left}" y="{y + 22}" width="{bar_w}" height="20" rx="4" class="chart-track"/>'
            f'<rect x="{left}" y="{y + 22}" width="{bar_w * value / scale:.1f}" height="20" '
            f'rx="4" class="chart-bar"/>')
        if compare is not None:
            parts.append(f'<rect x="{left + 1.5}" y="{y + 20.5}" '
                         f'width="{bar_w * compare / scale - 3:.1f}" height="23" rx="4" '
                         f'class="chart-before"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704


# ---- Weekly charts (the progress page) ---------------------------------------------------------
# One slot per week, oldest first: `labels` are short week names, `values` (and `compares`)
# numbers or None, which leaves a gap. Axis 0..`max_value`.


def week_bars(labels, values, compares, chart_id: str, title: str, max_value=7,
              value_label="", compare_label="", unit_label="") -> Markup:
    """Bars of `values` in front of wider bars of `compares` (e.g. days done and planned)."""
    left, top, plot_w, plot_h = 28, 44, 314, 150
    slot = plot_w / len(labels)
    parts = [f'<svg class="chart week-chart" viewBox="0 0 360 224" width="360" height="224" '
             f'role="img" aria-labelledby="{escape(chart_id)}-title" '
             f'preserveAspectRatio="xMinYMin meet"><title id="{escape(chart_id)}-title">'
             f'{escape(title)}</title>'
             f'<g class="chart-legend" aria-hidden="true">'
             f'<rect x="{left}" y="4" width="16" height="14" rx="3" class="chart-planned"/>'
             f'<text x="{left + 22}" y="16" class="chart-axis">{escape(compare_label)}</text>'
             f'<rect x="{left + 160}" y="4" width="16" height="14" rx="3" class="chart-bar"/>'
             f'<text x="{left + 182}" y="16" class="chart-axis">{escape(value_label)}</text></g>',
             _week_axes(tuple(labels), max_value, left, top, plot_w, plot_h, unit_label),
             '<g aria-hidden="true">']
    # Coordinates to 0.1 as f"{:.1f}" writes them (the same digits as str(round(v, 1)) for
    # a float, in a third of the time).
    for n, (value, compare) in enumerate(zip(values, compares, strict=True)):
        x, w = left + slot * n + slot * 0.18, slot * 0.64
        if compare is not None:
            h = plot_h * compare / max_value
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" '
                         f'height="{h:.1f}" rx="3" class="chart-planned"/>')
        if value is not None:
            h = plot_h * value / max_value
            parts.append(f'<rect x="{x + w * 0.2:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{w * 0.6:.1f}" height="{max(h, 0.0):.1f}" rx="3" '
                         f'class="chart-bar"/>')
    parts.append("</g></svg>")
    return Markup("".join(parts))  # noqa: S704


def week_line(labels, values, chart_id: str, title: str, max_value=10, unit_label="",
              class_="") -> Markup:
    """A line through `values`, with a dot on each."""
    left, top, plot_w, plot_h = 28, 14, 314, 150
    return Markup(  # noqa: S704
        f'<svg class="chart week-chart {escape(class_)}" viewBox="0 0 360 194" width="360" '
        f'height="194" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'preserveAspectRatio="xMinYMin meet"><title id="{escape(chart_id)}-title">'
        f'{escape(title)}</title>'
        f'{_week_axes(tuple(labels), max_value, left, top, plot_w, plot_h, unit_label)}'
        f'{_line_and_dots(values, max_value, left, top, plot_w, plot_h, 4.5)}</svg>')


@lru_cache(maxsize=256)
def _week_axes(labels: tuple[str, ...], max_value, left, top, plot_w, plot_h,
               unit_label) -> str:
    """Grid lines at 0, half and `max_value`, and every other week's label (the latest
    always) when there are more than six. Kept per process by its arguments: the same weeks
    and scale give the same axes, for every chart and participant of that week."""
    n = len(labels)
    parts = ['<g aria-hidden="true">']
    for tick in (0, int(floor(max_value / 2)), max_value):
        y = top + plot_h - plot_h * tick / max_value
        parts.append(f'<line x1="{left}" y1="{round(y, 1)}" x2="{left + plot_w}" '
                     f'y2="{round(y, 1)}" class="chart-grid"/>'
                     f'<text x="{left - 6}" y="{round(y + 4, 1)}" class="chart-axis" '
                     f'text-anchor="end">{tick}</text>')
    for i, label in enumerate(labels):
        if n <= 6 or (n - 1 - i) % 2 == 0:
            parts.append(f'<text x="{round(left + plot_w * (i + 0.5) / n, 1)}" '
                         f'y="{top + plot_h + 20}" class="chart-axis" text-anchor="middle">'
                         f'{escape(label)}</text>')
    if unit_label:
        parts.append(f'<text x="{left}" y="{top - 10}" class="chart-axis">{escape(unit_label)}</text>')
    parts.append("</g>")
    return "".join(parts)


def line_marks(rows, max_value, left, top, plot_w, plot_h, dot_r) -> Markup:
    """The line and dots of a weekly line chart: one slot per row (objects or dicts with
    .value), a gap in the line where a value is None. Coordinates rounded to 0.1."""
    return Markup(_line_and_dots([_field(row, "value") for row in rows],  # noqa: S704
                                 max_value, left, top, plot_w, plot_h, dot_r))


def _line_and_dots(values, max_value, left, top, plot_w, plot_h, dot_r) -> str:
    slot = plot_w / len(values)
    points = [None if v is None else (f"{left + slot * (i + 0.5):.1f}",
                                      f"{top + plot_h - plot_h * v / max_value:.1f}")
              for i, v in enumerate(values)]
    lines, segment = [], []
    for point in points + [None]:
        if point is not None:
            segment.append(f"{point[0]},{point[1]}")
        elif segment:
            if len(segment) > 1:
                lines.append(f'<polyline points="{" ".join(segment)}" class="chart-line"/>')
            segment = []
    radius = escape(dot_r)
    dots = [f'<circle cx="{x}" cy="{y}" r="{radius}" class="chart-dot"/>'
            for x, y in (p for p in points if p is not None)]
    return '<g aria-hidden="true">' + "".join(lines) + "".join(dots) + "</g>"


def sparkline(rows, chart_id: str, title: str, max_value=10, class_: str = "") -> Markup:
    """A word-sized weekly line with no axes (the group dashboard draws two per member, so it
    is drawn here rather than by a Jinja macro). `title` is the text alternative: give it the
    values, e.g. "Confidence by week: 7, 6, none, 4". Everything but the line is escaped."""
    return Markup(  # noqa: S704 - every value below is escaped or computed
        f'<svg class="sparkline {escape(class_)}" viewBox="0 0 112 34" width="112" height="34" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'preserveAspectRatio="xMinYMid meet"><title id="{escape(chart_id)}-title">'
        f'{escape(title)}</title><line x1="1" y1="31" x2="111" y2="31" class="chart-grid" '
        f'aria-hidden="true"/>{line_marks(rows, max_value, 1, 4, 110, 27, 2.6)}</svg>')


def table_rows(rows, missing: str = "—") -> Markup:
    """The rows of a chart's table alternative: each row a header (text, or Markup such as a
    link) and its cells; an empty cell (None) shows `missing`."""
    empty = f"<td>{escape(missing)}</td>"
    parts = []
    for header, *cells in rows:
        parts.append(f'<tr><th scope="row">{escape(header)}</th>')
        parts.extend(empty if cell is None else f"<td>{_text(cell)}</td>" for cell in cells)
        parts.append("</tr>")
    return Markup("".join(parts))  # noqa: S704


def _text(value) -> str:
    # A whole number needs no escaping (most cells are one); anything else is escaped.
    return str(value) if type(value) is int else escape(value)


def values_text(rows, none_word: str) -> str:
    """The values of a chart in words for its text alternative: "7, 6, none, 4"."""
    return ", ".join(none_word if v is None else str(v) for v in (_field(r, "value") for r in rows))


def _field(row, name: str):
    """A row's field, whether the row is a dict or an object; a dict may leave out .compare."""
    return row.get(name) if isinstance(row, dict) else getattr(row, name)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["chart_sparkline"] = sparkline
    app.jinja_env.globals["chart_values_text"] = values_text
    app.jinja_env.globals["chart_rating_bars"] = rating_bars
    app.jinja_env.globals["chart_week_bars"] = week_bars
    app.jinja_env.globals["chart_week_line"] = week_line
