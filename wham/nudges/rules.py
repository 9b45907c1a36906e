"""The nudge rules as pure functions: given `now` and plain facts, which texts are due, when
they may go out (never in quiet hours) and until when they are still worth sending.

Nothing here reads the database or the clock; wham/nudges/planner.py gathers the facts, calls
these functions and queues what they return."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from wham.sms.models import SmsKind
from wham.timeutil import (
    local_to_utc,
    next_quiet_start,
    quiet_hours_end,
    to_local,
    week_start,
)

# How long after it falls due a nudge is still worth sending (e.g. after being moved to the
# end of quiet hours). A flag alert or a facilitator's message may wait for the next morning,
# whatever the quiet hours.
USEFUL_FOR = {
    SmsKind.CHECKIN_REMINDER: timedelta(hours=12),
    SmsKind.GROUP_REMINDER: timedelta(hours=12),
    SmsKind.GROUP_MESSAGE: timedelta(hours=24),
    SmsKind.FLAG_ALERT: timedelta(hours=24),
}
# A group reminder is pointless this close to the start of the session.
GROUP_REMINDER_CUTOFF = timedelta(hours=1)
# Local days either side of a UTC instant: zones run from UTC-12 to UTC+14.
_ZONE_SPAN = timedelta(hours=14)


@dataclass(frozen=True)
class Texter:
    """What the rules need to know about one person who gets texts."""

    user_id: int
    e164: str
    language: str
    time_zone: str
    quiet_start: time
    quiet_end: time


@dataclass(frozen=True)
class Window:
    """Plan what falls due after `start` and up to `end`; `now` is when the planning runs
    (nothing is placed before it)."""

    now: datetime
    start: datetime
    end: datetime

    @classmethod
    def around(cls, now: datetime, back: timedelta, ahead: timedelta = timedelta(0)) -> Window:
        return cls(now, now - back, now + ahead)


@dataclass(frozen=True)
class Rules:
    """The program's settings the rules depend on (from config; see NudgeRules.from_config)."""

    week_starts_on: int = 0
    grace_days: int = 2
    followup_after: timedelta = timedelta(hours=24)
    group_reminder_at: time = time(17, 0)


@dataclass(frozen=True)
class Nudge:
    """One text to queue. `key` makes it idempotent: (person, nudge, local date or session
    or flag). `week`, `session_starts_at` and `group_id` say what it is about."""

    key: str
    user_id: int
    to_e164: str
    language: str
    time_zone: str
    kind: SmsKind
    template: str
    send_at: datetime
    expires_at: datetime
    week: date | None = None
    session_starts_at: datetime | None = None
    group_id: int | None = None


# --- idempotency keys --------------------------------------------------------------------

CHECKIN_REMINDER = "checkin_reminder"
CHECKIN_FOLLOWUP = "checkin_followup"
CHECK_IN_NUDGES = (CHECKIN_REMINDER, CHECKIN_FOLLOWUP)


def check_in_key(nudge: str, user_id: int, week: date) -> str:
    return f"{nudge}:{user_id}:{week.isoformat()}"


def week_of_check_in_key(key: str) -> date | None:
    """The check-in week a reminder or follow-up key is about; None for any other key."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] not in CHECK_IN_NUDGES:
        return None
    try:
        return date.fromisoformat(parts[2])
    except ValueError:
        return None


def group_reminder_key(user_id: int, session_id: int, session_day: date) -> str:
    # The day is part of it: a session moved to another day is reminded again.
    return f"group_reminder:{user_id}:{session_id}:{session_day.isoformat()}"


def session_of_group_reminder_key(key: str) -> tuple[int, date] | None:
    """(session id, the session's local day) a group reminder key is about; else None."""
    parts = key.split(":")
    if len(parts) != 4 or parts[0] != "group_reminder":
        return None
    try:
        return int(parts[2]), date.fromisoformat(parts[3])
    except ValueError:
        return None


def flag_alert_key(user_id: int, hour: datetime) -> str:
    # One alert per supporter per hour of alerting, however many flags it covers.
    return f"flag_alert:{user_id}:{hour:%Y-%m-%dT%H}"


def group_message_key(user_id: int, group_id: int, template: str, day: date) -> str:
    return f"group_message:{user_id}:{group_id}:{template}:{day.isoformat()}"


# --- quiet hours -------------------------------------------------------------------------


def send_window(due: datetime, useful_until: datetime, now: datetime,
                texter: Texter) -> tuple[datetime, datetime] | None:
    """When a nudge due at `due` may go out and when it expires, or None when it is no longer
    worth sending. It goes at `due` (or now, if planned late), moved to the end of quiet hours
    if it would land in them; it expires when it stops being useful or when the next quiet
    hours begin, so even a retried send cannot arrive at night."""
    return _send_window(due, useful_until, now, texter.time_zone, texter.quiet_start,
                        texter.quiet_end)


@lru_cache(maxsize=16384)
def _send_window(due: datetime, useful_until: datetime, now: datetime, tz_name: str,
                 quiet_start: time, quiet_end: time) -> tuple[datetime, datetime] | None:
    # Cached: people with the same schedule, zone and quiet hours share one answer.
    send_at = quiet_hours_end(max(due, now), tz_name, quiet_start, quiet_end)
    if send_at >= useful_until:
        return None
    closes = next_quiet_start(send_at, tz_name, quiet_start, quiet_end)
    return send_at, useful_until if closes is None else min(useful_until, closes)


# --- weekly check-in reminder and follow-up ----------------------------------------------


def check_in_week(local_day: date, rules: Rules) -> date:
    """The week a reminder on `local_day` is about: last week during its grace days (it can
    still be filled in, and this week has barely started), otherwise this week."""
    start = week_start(local_day, rules.week_starts_on)
    if (local_day - start).days < rules.grace_days:
        return start - timedelta(days=7)
    return start


@lru_cache(maxsize=4096)
def check_in_deadline(week: date, tz_name: str, rules: Rules) -> datetime:
    """When the week's check-in closes: local midnight after its last grace day (as in
    wham.checkins.services.edit_deadline)."""
    return local_to_utc(week + timedelta(days=7 + rules.grace_days), time(0), tz_name)


@lru_cache(maxsize=32768)
def reminder_days(weekday: int, at: time, tz_name: str, start: datetime, end: datetime,
                  shift: timedelta = timedelta(0)) -> tuple[tuple[date, datetime], ...]:
    """Local days on `weekday` whose local time `at`, plus `shift` of wall-clock time, falls
    after `start` and up to `end`, each with that instant. A time skipped by a spring-forward
    jump is moved forward by the jump; a repeated time counts once (its first occurrence).
    Cached: everyone with the same schedule shares one answer within a planning run (7 days
    x 96 quarter hours x the zones in use, twice, fit the cache)."""
    first = (start - shift - _ZONE_SPAN).date() - timedelta(days=1)
    last = (end + _ZONE_SPAN).date() + timedelta(days=1)
    first += timedelta(days=(weekday - first.weekday()) % 7)
    found = []
    day = first
    while day <= last:
        wall = datetime.combine(day, at) + shift
        due = local_to_utc(wall.date(), wall.time(), tz_name)
        if start < due <= end:
            found.append((day, due))
        day += timedelta(days=7)
    return tuple(found)


def check_in_reminders(texter: Texter, weekday: int, at: time, window: Window, rules: Rules,
                       checked_in_weeks: Iterable[date] = ()) -> list[Nudge]:
    """The weekly reminder at the person's chosen local day and time, unless that week's
    check-in is already logged. Worth sending for 12 hours, and never after the week closes."""
    done = set(checked_in_weeks)
    nudges = []
    for day, due in reminder_days(weekday, at, texter.time_zone, window.start, window.end):
        week = check_in_week(day, rules)
        if week in done:
            continue
        useful_until = min(due + USEFUL_FOR[SmsKind.CHECKIN_REMINDER],
                           check_in_deadline(week, texter.time_zone, rules))
        placed = send_window(due, useful_until, window.now, texter)
        if placed:
            nudges.append(_check_in_nudge(texter, CHECKIN_REMINDER, week, placed))
    return nudges


def check_in_followups(texter: Texter, weekday: int, at: time, window: Window, rules: Rules,
                       checked_in_weeks: Iterable[date] = (),
                       reminded_weeks: Iterable[date] = ()) -> list[Nudge]:
    """One follow-up, `followup_after` (wall-clock) after the reminder, only when the reminder
    for that week was sent and the check-in is still not logged."""
    done, reminded = set(checked_in_weeks), set(reminded_weeks)
    nudges = []
    for day, due in reminder_days(weekday, at, texter.time_zone, window.start, window.end,
                                  rules.followup_after):
        week = check_in_week(day, rules)
        if week in done or week not in reminded:
            continue
        useful_until = min(due + USEFUL_FOR[SmsKind.CHECKIN_REMINDER],
                           check_in_deadline(week, texter.time_zone, rules))
        placed = send_window(due, useful_until, window.now, texter)
        if placed:
            nudges.append(_check_in_nudge(texter, CHECKIN_FOLLOWUP, week, placed))
    return nudges


def _check_in_nudge(texter: Texter, nudge: str, week: date,
                    placed: tuple[datetime, datetime]) -> Nudge:
    return Nudge(check_in_key(nudge, texter.user_id, week), texter.user_id, texter.e164,
                 texter.language, texter.time_zone, SmsKind.CHECKIN_REMINDER, nudge,
                 placed[0], placed[1], week=week)


def check_in_weeks_in(window: Window, rules: Rules) -> set[date]:
    """Every check-in week a reminder or follow-up planned in `window` can be about, in any
    time zone: the weeks whose check-ins the planner needs to know about."""
    first = (window.start - rules.followup_after - _ZONE_SPAN).date() - timedelta(days=1)
    last = (window.end + _ZONE_SPAN).date() + timedelta(days=1)
    weeks, day = set(), first
    while day <= last:
        weeks.add(check_in_week(day, rules))
        day += timedelta(days=1)
    return weeks


def reminder_slots(window: Window, tz_name: str, shift: timedelta = timedelta(0),
                   margin: timedelta = timedelta(hours=1)) -> list[tuple[int, time, time]] | None:
    """(weekday, earliest, latest local time) of the reminder settings in `tz_name` that can
    fall due in `window` once `shift` (the follow-up delay) is added: lets the planner read
    only the people whose reminder is near, not everyone, every minute. Generous by `margin`
    (a DST change moves wall-clock time by an hour); None when any setting can (6+ days)."""
    first = to_local(window.start - shift - margin, tz_name).replace(tzinfo=None)
    last = to_local(window.end - shift + margin, tz_name).replace(tzinfo=None)
    if last - first >= timedelta(days=6):
        return None
    slots, day = [], first.date()
    while day <= last.date():
        slots.append((day.weekday(), first.time() if day == first.date() else time.min,
                      last.time() if day == last.date() else time.max))
        day += timedelta(days=1)
    return slots


# --- group sessions, flags, facilitators' messages ---------------------------------------


@dataclass(frozen=True)
class UpcomingSession:
    session_id: int
    group_id: int
    starts_at: datetime


def group_reminders(texter: Texter, sessions: Iterable[UpcomingSession], window: Window,
                    rules: Rules) -> list[Nudge]:
    """A reminder the day before each session, at `group_reminder_at` in the member's own
    zone; not worth sending later than an hour before the session starts."""
    nudges = []
    for session in sessions:
        session_day = to_local(session.starts_at, texter.time_zone).date()
        due = local_to_utc(session_day - timedelta(days=1), rules.group_reminder_at,
                           texter.time_zone)
        if not window.start < due <= window.end:
            continue
        useful_until = min(due + USEFUL_FOR[SmsKind.GROUP_REMINDER],
                           session.starts_at - GROUP_REMINDER_CUTOFF)
        placed = send_window(due, useful_until, window.now, texter)
        if placed:
            nudges.append(Nudge(
                group_reminder_key(texter.user_id, session.session_id, session_day),
                texter.user_id, texter.e164, texter.language, texter.time_zone,
                SmsKind.GROUP_REMINDER, "group_reminder", placed[0], placed[1],
                session_starts_at=session.starts_at, group_id=session.group_id))
    return nudges


@dataclass(frozen=True)
class RaisedFlag:
    flag_id: int
    created_at: datetime


def flag_alerts(supporter: Texter, flags: Iterable[RaisedFlag], window: Window) -> list[Nudge]:
    """An alert to a person who supports the participants concerned, when new flags are
    raised. Flags whose alert would go out in the same hour (raised together by the hourly
    follow-up rules, or overnight and held until the end of quiet hours) share one text. The
    text names no one and no reason; it only asks them to open the app, which lists them all."""
    by_hour: dict[datetime, list[datetime]] = {}
    for flag in flags:
        if window.start < flag.created_at <= window.end:
            sends_at = quiet_hours_end(flag.created_at, supporter.time_zone,
                                       supporter.quiet_start, supporter.quiet_end)
            hour = sends_at.replace(minute=0, second=0, microsecond=0)
            by_hour.setdefault(hour, []).append(flag.created_at)
    nudges = []
    for hour, raised in sorted(by_hour.items()):
        first = min(raised)
        placed = send_window(first, first + USEFUL_FOR[SmsKind.FLAG_ALERT], window.now, supporter)
        if placed:
            nudges.append(Nudge(flag_alert_key(supporter.user_id, hour), supporter.user_id,
                                supporter.e164, supporter.language, supporter.time_zone,
                                SmsKind.FLAG_ALERT, "flag_alert", placed[0], placed[1]))
    return nudges


def group_message(member: Texter, group_id: int, template: str, group_day: date,
                  next_session_at: datetime | None, now: datetime) -> Nudge | None:
    """A facilitator's message to one member: now, or when the member's quiet hours end."""
    placed = send_window(now, now + USEFUL_FOR[SmsKind.GROUP_MESSAGE], now, member)
    if placed is None:
        return None
    return Nudge(group_message_key(member.user_id, group_id, template, group_day),
                 member.user_id, member.e164, member.language, member.time_zone,
                 SmsKind.GROUP_MESSAGE, f"group_{template}", placed[0], placed[1],
                 session_starts_at=next_session_at, group_id=group_id)
