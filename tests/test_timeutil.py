"""wham.timeutil: local <-> UTC across DST, week boundaries, quiet hours, time zone names."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from wham.timeutil import (
    all_time_zones,
    in_quiet_hours,
    is_valid_time_zone,
    listed_time_zones,
    local_to_utc,
    local_today,
    next_quiet_start,
    participant_week_start,
    quiet_hours_end,
    time_zone_label,
    week_start,
)


def test_local_to_utc_on_an_ordinary_day():
    # New York is UTC-5 in winter.
    assert local_to_utc(date(2026, 1, 15), time(9, 0), "America/New_York") == datetime(
        2026, 1, 15, 14, 0, tzinfo=UTC)


def test_local_to_utc_moves_a_skipped_time_forward_on_spring_forward_day():
    # 2026-03-08: clocks in New York jump from 02:00 to 03:00; 02:30 does not exist.
    moment = local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York")
    assert moment == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT
    local = moment.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (3, 30)


def test_local_to_utc_takes_the_first_of_a_repeated_time_on_fall_back_day():
    # 2026-11-01: 01:30 happens twice in New York; the first (EDT, UTC-4) is taken.
    assert local_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York") == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)


def test_local_to_utc_always_returns_aware_utc():
    moment = local_to_utc(date(2026, 6, 1), time(12, 0), "Asia/Kolkata")
    assert moment.tzinfo is UTC
    assert moment == datetime(2026, 6, 1, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(("day", "first", "expected"), [
    (date(2026, 11, 25), 0, date(2026, 11, 23)),  # Wednesday, Monday weeks
    (date(2026, 11, 23), 0, date(2026, 11, 23)),  # Monday itself
    (date(2026, 11, 29), 0, date(2026, 11, 23)),  # Sunday ends a Monday week
    (date(2026, 11, 25), 6, date(2026, 11, 22)),  # Wednesday, Sunday weeks
    (date(2026, 11, 22), 6, date(2026, 11, 22)),  # Sunday itself
    (date(2026, 11, 28), 6, date(2026, 11, 22)),  # Saturday ends a Sunday week
    (date(2027, 1, 1), 0, date(2026, 12, 28)),    # across a year boundary
])
def test_week_start(day, first, expected):
    assert week_start(day, first) == expected


def test_participant_week_start_follows_the_persons_time_zone(app_ctx):
    # Monday 2026-11-23 03:00 UTC is still Sunday evening in Los Angeles, Monday in Berlin.
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    app_ctx.config["WEEK_STARTS_ON"] = 0
    assert local_today(now, "America/Los_Angeles") == date(2026, 11, 22)
    assert participant_week_start(now, "America/Los_Angeles") == date(2026, 11, 16)
    assert participant_week_start(now, "Europe/Berlin") == date(2026, 11, 23)


def test_participant_week_start_uses_the_program_setting(app_ctx):
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday everywhere
    saved = app_ctx.config["WEEK_STARTS_ON"]
    try:
        app_ctx.config["WEEK_STARTS_ON"] = 6
        assert participant_week_start(now, "America/Chicago") == date(2026, 11, 22)
        app_ctx.config["WEEK_STARTS_ON"] = 0
        assert participant_week_start(now, "America/Chicago") == date(2026, 11, 23)
    finally:
        app_ctx.config["WEEK_STARTS_ON"] = saved


@pytest.mark.parametrize(("at", "expected"), [
    (time(21, 0), True), (time(23, 59), True), (time(0, 0), True), (time(7, 59), True),
    (time(8, 0), False), (time(12, 0), False), (time(20, 59), False),
])
def test_quiet_hours_spanning_midnight(at, expected):
    assert in_quiet_hours(at, time(21, 0), time(8, 0)) is expected


@pytest.mark.parametrize(("at", "expected"), [
    (time(12, 0), False), (time(13, 0), True), (time(13, 59), True), (time(14, 0), False),
])
def test_quiet_hours_within_a_day(at, expected):
    assert in_quiet_hours(at, time(13, 0), time(14, 0)) is expected


def test_quiet_hours_with_equal_start_and_end_are_off():
    assert in_quiet_hours(time(9, 0), time(9, 0), time(9, 0)) is False


NIGHT = ("America/New_York", time(21, 0), time(8, 0))


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2026, 3, 4, 17, 0, tzinfo=UTC), datetime(2026, 3, 4, 17, 0, tzinfo=UTC)),  # noon
    (datetime(2026, 3, 5, 1, 59, tzinfo=UTC), datetime(2026, 3, 5, 1, 59, tzinfo=UTC)),  # 20:59
    (datetime(2026, 3, 5, 2, 0, tzinfo=UTC), datetime(2026, 3, 5, 13, 0, tzinfo=UTC)),   # 21:00
    (datetime(2026, 3, 5, 7, 0, tzinfo=UTC), datetime(2026, 3, 5, 13, 0, tzinfo=UTC)),   # 02:00
    (datetime(2026, 3, 5, 13, 0, tzinfo=UTC), datetime(2026, 3, 5, 13, 0, tzinfo=UTC)),  # 08:00
    # Over the spring-forward night the morning comes an hour sooner in UTC.
    (datetime(2026, 3, 8, 3, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
])
def test_quiet_hours_end_is_the_moment_or_the_next_morning(moment, expected):
    assert quiet_hours_end(moment, *NIGHT) == expected


def test_quiet_hours_end_within_a_day_and_without_quiet_hours():
    lunch = ("America/New_York", time(13, 0), time(14, 0))
    assert quiet_hours_end(datetime(2026, 3, 4, 18, 30, tzinfo=UTC), *lunch) == datetime(
        2026, 3, 4, 19, 0, tzinfo=UTC)
    moment = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    assert quiet_hours_end(moment, "America/New_York", time(9, 0), time(9, 0)) == moment


def test_next_quiet_start_is_the_next_evening():
    assert next_quiet_start(datetime(2026, 3, 4, 17, 0, tzinfo=UTC), *NIGHT) == datetime(
        2026, 3, 5, 2, 0, tzinfo=UTC)  # 21:00 the same day
    assert next_quiet_start(datetime(2026, 3, 5, 2, 0, tzinfo=UTC), *NIGHT) == datetime(
        2026, 3, 6, 2, 0, tzinfo=UTC)  # at 21:00 itself: the next evening
    assert next_quiet_start(datetime(2026, 3, 5, 13, 0, tzinfo=UTC), *NIGHT) == datetime(
        2026, 3, 6, 2, 0, tzinfo=UTC)
    assert next_quiet_start(datetime(2026, 3, 5, 13, 0, tzinfo=UTC), "America/New_York",
                            time(9, 0), time(9, 0)) is None


@pytest.mark.parametrize("name", ["America/New_York", "Pacific/Honolulu", "Europe/Madrid",
                                  "America/Puerto_Rico"])
def test_valid_time_zones(name):
    assert is_valid_time_zone(name)
    assert name in all_time_zones()


@pytest.mark.parametrize("name", ["US/Eastern", "EST", "UTC", "GMT+5", "Mars/Olympus",
                                  "America/Nowhere", "", "../../etc/passwd", "America/New_York\x00",
                                  "america/new_york"])
def test_invalid_time_zones(name):
    assert not is_valid_time_zone(name)


@pytest.mark.parametrize(("name", "en", "es"), [
    ("America/New_York", "Eastern Time (New York)", "Hora oriental (Nueva York)"),
    ("America/Phoenix", "Mountain Time (Phoenix)", "Hora de las Montañas Rocosas (Phoenix)"),
    ("Europe/Madrid", "Madrid, Spain", "Madrid, España"),
    ("America/Mexico_City", "Mexico City, Mexico", "Ciudad de México, México"),
    ("America/Argentina/Buenos_Aires", "Buenos Aires, Argentina", "Buenos Aires, Argentina"),
    ("Antarctica/Troll", "Troll", "Troll"),
])
def test_time_zone_names_in_each_language(name, en, es):
    assert (time_zone_label(name, "en"), time_zone_label(name, "es")) == (en, es)


def test_the_list_names_each_place_once_and_every_zone_has_a_name():
    listed = listed_time_zones()
    assert {"Asia/Kolkata", "Europe/Kyiv", "America/Indiana/Indianapolis"} <= set(listed)
    assert not {"Asia/Calcutta", "Europe/Kiev", "America/Indianapolis"} & set(listed)
    for language in ("en", "es"):
        labels = [time_zone_label(z, language) for z in listed]
        assert len(set(labels)) == len(labels), language
        assert all(label and "_" not in label for label in map(time_zone_label, all_time_zones()))
