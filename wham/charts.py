"""Chart geometry for the server-rendered SVG charts (templates/_macros/charts.html) that is
cheaper in Python than in Jinja: the group dashboard draws two sparklines per member."""
from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape


def line_marks(rows, max_value, left, top, plot_w, plot_h, dot_r) -> Markup:
    """The line and dots of a weekly line chart: one slot per row (objects or dicts with
    .value), a gap in the line where a value is None. Coordinates rounded to 0.1."""
    slot = plot_w / len(rows)
    values = [_value(row) for row in rows]
    points = [None if v is None else (round(left + slot * (i + 0.5), 1),
                                      round(top + plot_h - plot_h * v / max_value, 1))
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
    # Only numbers computed above go into the markup (a value that is not a number fails the
    # arithmetic), and the radius is escaped.
    return Markup('<g aria-hidden="true">' + "".join(lines) + "".join(dots) + "</g>")  # noqa: S704


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


def values_text(rows, none_word: str) -> str:
    """The values of a chart in words for its text alternative: "7, 6, none, 4"."""
    return ", ".join(none_word if v is None else str(v) for v in map(_value, rows))


def _value(row):
    return row["value"] if isinstance(row, dict) else row.value


def init_app(app: Flask) -> None:
    app.jinja_env.globals["chart_line_marks"] = line_marks
    app.jinja_env.globals["chart_sparkline"] = sparkline
    app.jinja_env.globals["chart_values_text"] = values_text
