"""Time in one place: UTC now, local <-> UTC, week boundaries and quiet hours, via zoneinfo."""
from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name

# Shown first in the time zone list: where most participants of a US program live.
COMMON_TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_time_zone(name: str) -> bool:
    if not name or name not in all_time_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@cache
def all_time_zones() -> tuple[str, ...]:
    """Canonical Area/City zones, sorted; legacy aliases such as US/Eastern are left out."""
    areas = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
             "Europe/", "Indian/", "Pacific/")
    return tuple(sorted(z for z in available_timezones() if z.startswith(areas)))


def time_zone_label(name: str, language: str = "en") -> str:
    """A zone as people know it, in their language. The US zones by their time: "Eastern Time
    (New York)" / "Hora oriental (Nueva York)"; others by city and country: "Madrid, Spain" /
    "Madrid, España"."""
    return time_zone_labels(language).get(name) or name.replace("_", " ")


@cache
def time_zone_labels(language: str) -> dict[str, str]:
    """{zone: label} for every zone of all_time_zones(), from the CLDR names Babel carries."""
    locale = Locale.parse(language)
    territories, aliases = get_global("zone_territories"), get_global("zone_aliases")
    labels = {}
    for name in all_time_zones():
        # CLDR knows some cities under an older id (Buenos_Aires): fall back to the id's last part.
        city = get_timezone_location(name, locale, return_city=True).rsplit("/", 1)[-1]
        if name in COMMON_TIME_ZONES:
            kind = get_timezone_name(name, "long", zone_variant="generic", locale=locale)
            label = f"{kind[:1].upper()}{kind[1:]} ({city})"
        else:
            territory = territories.get(name) or territories.get(aliases.get(name, ""), "001")
            country = locale.territories.get(territory, "") if territory != "001" else ""
            label = city if not country or country == city else f"{city}, {country}"
        labels[name] = label
    return labels


@cache
def listed_time_zones() -> tuple[str, ...]:
    """The zones a list offers: one per place. Old names of a zone (Asia/Calcutta for
    Asia/Kolkata) read the same and are left out; they stay valid for whoever has one."""
    by_label: dict[str, list[str]] = {}
    for name, label in time_zone_labels("en").items():
        by_label.setdefault(label, []).append(name)

    def current_name(name: str) -> tuple[bool, int]:
        # The id that names the city shown wins (Kolkata over Calcutta), then the longer one
        # (America/Indiana/Indianapolis over America/Indianapolis).
        city = time_zone_labels("en")[name].split(",")[0].split(" (")[-1].rstrip(")")
        return name.rsplit("/", 1)[-1].replace("_", " ") == city, len(name)

    return tuple(sorted(max(names, key=current_name) for names in by_label.values()))


def sort_key(label: str) -> str:
    """Alphabetical order as a reader expects it: without case or accents (Á with A)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", label.casefold())
                   if not unicodedata.combining(ch))


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def local_today(now: datetime, tz_name: str) -> date:
    return to_local(now, tz_name).date()


def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    """The UTC instant of a local wall-clock time. A time skipped by a DST jump is moved
    forward by the jump (02:30 on spring-forward day becomes 03:30); a repeated time
    takes its first occurrence."""
    # PEP 495: fold=0 takes the offset in force before a transition, which gives exactly
    # these two behaviours for a gap and for a repeated hour.
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def week_start(day: date, first_weekday: int = 0) -> date:
    """The first day of the week holding `day`; first_weekday 0 is Monday, 6 is Sunday."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


def local_week_start(now: datetime, tz_name: str, first_weekday: int = 0) -> date:
    return week_start(local_today(now, tz_name), first_weekday)


def participant_week_start(now: datetime, tz_name: str) -> date:
    """The first day of the program week holding `now` in the person's own time zone.

    When a participant changes time zone, weeks follow the zone they have now. Nothing saved
    moves: a weekly plan or check-in belongs to the week (its first day's date) it was saved
    for. "This week" is the week holding today's date in the new zone, and a week's check-in
    closes two days after that week ends there. Moving east can start the next week a few
    hours early and close last week's check-in sooner; moving west can bring the week before
    back for a few hours, with its own plan and check-in, never a second one."""
    from flask import current_app

    return local_week_start(now, tz_name, current_app.config["WEEK_STARTS_ON"])


def in_quiet_hours(local_time: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a local time falls in quiet hours; the span may cross midnight (21:00-08:00)."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= local_time < quiet_end
    return local_time >= quiet_start or local_time < quiet_end


def quiet_hours_end(moment: datetime, tz_name: str, quiet_start: time, quiet_end: time) -> datetime:
    """`moment` itself outside the person's quiet hours, else the end of those quiet hours
    (next morning for a span across midnight such as 21:00-08:00): when a text may go out."""
    local = to_local(moment, tz_name)
    if not in_quiet_hours(local.time(), quiet_start, quiet_end):
        return moment
    day = local.date()
    if quiet_start > quiet_end and local.time() >= quiet_start:
        day += timedelta(days=1)
    return local_to_utc(day, quiet_end, tz_name)


def next_quiet_start(moment: datetime, tz_name: str, quiet_start: time,
                     quiet_end: time) -> datetime | None:
    """When the person's quiet hours next begin after `moment` (a text still waiting then
    expires, so a retry never arrives at night); None without quiet hours."""
    if quiet_start == quiet_end:
        return None
    day = to_local(moment, tz_name).date()
    for offset in range(3):
        start = local_to_utc(day + timedelta(days=offset), quiet_start, tz_name)
        if start > moment:
            return start
    raise AssertionError("quiet hours begin at least once a day")
