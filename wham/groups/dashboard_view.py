"""The member table of a facilitator's dashboard (templates/groups/dashboard.html lays out the
page around it), in the reader's language: a row per member with their goal, flags, check-in,
days done, confidence and wellbeing by week, attendance and when they were last active.

Put together in Python: in Jinja, fifteen members' rows took a third of the page's time (two
sparklines, a dozen translated words and a few links each), for words and links that only the
member's numbers change. Each word is translated once per page and each link written from one
url_for; everything a member or facilitator typed (names, goal titles) is escaped."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from wham.charts import sparkline, values_text
from wham.goals.routes import factor_label
from wham.groups import flags as follow_up
from wham.groups.dashboard import CheckInStatus, MemberRow, WeekValue
from wham.i18n import format_day, translate
from wham.links import link_maker

# The words of the table, each translated once per page.
_WORDS = {
    "flags": _l("Flags"), "check_in": _l("Check-in"), "days_done": _l("Days done"),
    "confidence": _l("Confidence"), "wellbeing": _l("Wellbeing"), "attendance": _l("Attendance"),
    "last_active": _l("Last active"), "none": _l("None"), "no_value": _l("none"),
    "no_goal": _l("No active goal"), "no_plan": _l("No plan"), "crisis": _l("Crisis:"),
    CheckInStatus.DONE: _l("Done"), CheckInStatus.DUE: _l("Due"),
    CheckInStatus.MISSED: _l("Missed"),
}
# Filled in per member: the texts are ours (trusted as markup), the values escaped.
_WEEK_OF = _l("week of %(day)s")
_DONE_OF_PLANNED = _l("%(done)s of %(planned)s")
_N_DONE = _l("%(n)s done")
_ATTENDED_OF_HELD = _l("%(x)s of %(n)s")
_TREND_TITLE = _l("%(label)s by week, oldest first, 0 to %(max)s: %(values)s")
_STATUS_ICONS = {CheckInStatus.DONE: "✓", CheckInStatus.DUE: "◷", CheckInStatus.MISSED: "✕"}


def member_table_rows(group_id: int, rows: Iterable[MemberRow], now: datetime) -> Markup:
    """The table body's rows, one per member in the order given."""
    words = {key: _word(key) for key in _WORDS}
    week_of, done_of_planned, n_done, attended_of_held, trend_title = (
        Markup(translate(text)) for text in (  # noqa: S704
            _WEEK_OF, _DONE_OF_PLANNED, _N_DONE, _ATTENDED_OF_HELD, _TREND_TITLE))
    member_href = link_maker("groups.member", "member_id", group_id=group_id)
    flag_href = link_maker("groups.flag", "member_id", "flag_id", group_id=group_id)
    day = cache(lambda value: escape(format_day(value)))

    def trend(row: MemberRow, points: list[WeekValue], point: WeekValue | None, max_value: int,
              name: str) -> str:
        title = trend_title % {"label": words[name], "max": max_value,
                               "values": values_text(points, words["no_value"])}
        chart = sparkline(points, f"spark-{name}-{row.user.id}", title, max_value, name)
        if point is None:
            value = '<span class="muted">—</span>'
        elif row.is_recent(point):
            value = f'<strong>{point.value}</strong><span class="muted">/{max_value}</span>'
        else:
            value = (f'<span class="muted">{point.value}/{max_value}<span class="small"> · '
                     f'{day(point.week_start)}</span></span>')
        return (f'<td role="cell" data-label="{words[name]}"><div class="trend">{chart} '
                f'<span class="trend-value">{value}</span></div></td>')

    def flag_badges(row: MemberRow) -> str:
        if not row.flags:
            return f'<span class="muted">{words["none"]}</span>'
        badges = []
        for flag in row.flags:
            crisis = follow_up.is_crisis(flag.reason)
            badges.append(
                f'<li><a class="flag-badge {"flag-crisis" if crisis else "flag-follow-up"}" '
                f'href="{flag_href(row.user.id, flag.id)}">'
                f'<span class="flag-icon" aria-hidden="true">{"⚠" if crisis else "●"}</span> '
                + (f'<span class="visually-hidden">{words["crisis"]}</span> ' if crisis else "")
                + f'{escape(follow_up.reason_label(flag.reason))}'
                f'<span class="flag-when"> · {day(flag.created_at)}</span></a></li>')
        return f'<ul class="flag-list">{"".join(badges)}</ul>'

    def days(row: MemberRow) -> str:
        if row.days_planned is not None:
            return done_of_planned % {"done": row.days_done or 0, "planned": row.days_planned}
        extra = (f' <span class="small">{n_done % {"n": row.days_done}}</span>'
                 if row.days_done else "")
        return f'<span class="muted">{words["no_plan"]}</span>{extra}'

    html = []
    for row in rows:
        state = "is-crisis" if row.has_crisis else "is-flagged" if row.flags else ""
        if row.goal:
            goal = (f'<span class="goal-factor">{escape(factor_label(row.goal.factor))}</span> '
                    f'<span class="goal-title">{escape(row.goal.title)}</span>')
        else:
            goal = f'<span class="goal-factor muted">{words["no_goal"]}</span>'
        status = row.check_in_status
        html.append(
            f'<tr role="row" class="{state}">'
            f'<th scope="row" role="rowheader" class="member-cell">'
            f'<a href="{member_href(row.user.id)}">{escape(row.user.display_name)}</a> {goal}</th>'
            f'<td role="cell" data-label="{words["flags"]}" class="flags-cell">{flag_badges(row)}</td>'
            f'<td role="cell" data-label="{words["check_in"]}"><div>'
            f'<span class="checkin-status status-{status.value}">'
            f'<span aria-hidden="true">{_STATUS_ICONS[status]}</span> {words[status]}</span> '
            f'<span class="small muted nowrap">{week_of % {"day": format_day(row.check_in_week)}}'
            f'</span></div></td>'
            f'<td role="cell" data-label="{words["days_done"]}"><div>{days(row)}</div></td>'
            f'{trend(row, row.confidence, row.latest_confidence_point, 10, "confidence")}'
            f'{trend(row, row.wellbeing, row.latest_wellbeing_point, 100, "wellbeing")}'
            f'<td role="cell" data-label="{words["attendance"]}" class="nowrap">'
            f'{attended_of_held % {"x": row.attended, "n": row.held}}</td>'
            f'<td role="cell" data-label="{words["last_active"]}">'
            f'{escape(format_timedelta(row.last_active - now, add_direction=True))}</td></tr>')
    # Numbers written as numbers, everything else escaped above or our own words.
    return Markup("".join(html))  # noqa: S704


def _word(key) -> Markup:
    # The catalog's words are ours, trusted as markup as Jinja's _() trusts them.
    return Markup(translate(_WORDS[key]))  # noqa: S704
