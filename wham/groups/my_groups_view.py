"""The cards of the My groups page (templates/groups/my_groups.html lays them out), in the
reader's language: each group's link, next session and place and, on a facilitator's cards,
who needs a follow-up and the dashboard link. Put together in Python: done per card in Jinja,
two url_for, a translated sentence and a date took most of the page's time, for words and
links that only the group's id and numbers change."""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import Row

from wham.i18n import format_moment, translate
from wham.links import link_maker
from wham.timeutil import to_local

_NEXT_SESSION = _l("Next session (%(n)s of %(total)s): %(when)s")
_NO_MORE_SESSIONS = _l("No more sessions planned.")
_VIDEO_MEETING = _l("Video meeting")


class GroupCard(NamedTuple):
    name: str
    href: str
    next_session: Markup  # "Next session (3 of 8): Tue, Sep 15, 6:00 PM", or that none is left
    where: Markup  # "Room 2, 10 Main St · Video meeting"; empty when neither is set
    # On a facilitator's cards only:
    dashboard_href: str | None = None
    crisis: Markup | None = None  # "1 in crisis or asking for support now"; None when no one
    follow_up: Markup | None = None  # "2 members need a follow-up"; None when no one


def group_cards(groups: Iterable[Row], *, facilitating: bool) -> list[GroupCard]:
    """One card per row of services.group_list, in its order; `facilitating`: the rows
    come with attention=True and the cards with who needs a follow-up."""
    # The catalog's words are ours, trusted as markup (as Jinja's _() trusts them); the values
    # filled in are escaped.
    next_session = translate(_NEXT_SESSION)
    no_more_sessions = Markup(translate(_NO_MORE_SESSIONS))  # noqa: S704
    video_meeting = Markup(translate(_VIDEO_MEETING))  # noqa: S704
    group_href = link_maker("groups.group", "group_id")
    dashboard_href = link_maker("groups.dashboard", "group_id") if facilitating else None

    # Per number, once per page (the language is the page's).
    @cache
    def needs_follow_up(num: int) -> Markup:
        return Markup(ngettext("%(num)s member needs a follow-up",  # noqa: S704
                               "%(num)s members need a follow-up", num))

    @cache
    def in_crisis(num: int) -> Markup:
        return Markup(ngettext("%(num)s in crisis or asking for support now",  # noqa: S704
                               "%(num)s in crisis or asking for support now", num))

    # Many groups meet in the same few places: each place's line written once.
    wheres: dict[tuple[str | None, bool], Markup] = {}
    cards = []
    # Rows unpacked in group_list's column order (quicker than reading each by name).
    for (group_id, name, time_zone, session_count, place, video_link, next_number,
         next_starts_at, *attention) in groups:
        if next_number is None:
            when = no_more_sessions
        else:
            moment = format_moment(to_local(next_starts_at, time_zone))
            when = Markup(next_session % {  # noqa: S704
                "n": next_number, "total": session_count, "when": escape(moment)})
        where = wheres.get((place, bool(video_link)))
        if where is None:
            where = wheres[place, bool(video_link)] = _BETWEEN.join(
                filter(None, (place, video_meeting if video_link else None)))
        if not facilitating:
            cards.append(GroupCard(name, group_href(group_id), when, where))
            continue
        flagged, crisis = attention
        cards.append(GroupCard(name, group_href(group_id), when, where, dashboard_href(group_id),
                               in_crisis(crisis) if flagged and crisis else None,
                               needs_follow_up(flagged) if flagged else None))
    return cards


_BETWEEN = Markup(" · ")  # a group's place and its video meeting
