"""The text of each nudge, from templates/sms/<template>.<language>.txt: a link into the app,
a day and time where it helps, never anything about the person's health or goals."""
from __future__ import annotations

from wham.links import public_url
from wham.nudges.rules import Nudge
from wham.sms.texts import render_sms, sms_datetime

# Where each nudge's link leads (group texts lead to the group's page).
CHECK_IN_TEMPLATES = frozenset({"checkin_reminder", "checkin_followup", "group_check_in"})


class NudgeTexts:
    """Renders nudge bodies for one planning run. Many people get the very same text (same
    template, language, link and time), so links and bodies are built once each."""

    def __init__(self) -> None:
        self._links: dict[tuple, str] = {}
        self._bodies: dict[tuple, str] = {}
        self._times: dict[tuple, str] = {}

    def link(self, nudge: Nudge) -> str:
        if nudge.template in CHECK_IN_TEMPLATES:
            target = ("checkins.check_in", None)
        elif nudge.template == "flag_alert":
            target = ("groups.my_groups", None)  # each group with how many need a follow-up
        else:
            target = ("groups.group", nudge.group_id)
        if target not in self._links:
            endpoint, group_id = target
            values = {"group_id": group_id} if group_id is not None else {}
            self._links[target] = public_url(endpoint, **values)
        return self._links[target]

    def body(self, nudge: Nudge) -> str:
        when = None
        if nudge.session_starts_at:
            moment = (nudge.session_starts_at, nudge.time_zone, nudge.language)
            if moment not in self._times:
                self._times[moment] = sms_datetime(*moment)
            when = self._times[moment]
        link = self.link(nudge)
        key = (nudge.template, nudge.language, when, link)
        if key not in self._bodies:
            self._bodies[key] = render_sms(nudge.template, nudge.language, link=link, when=when)
        return self._bodies[key]
