"""The nudge rules as pure functions, driven by a chosen `now`: local times across daylight
saving changes, quiet hours across midnight, a changed time zone, follow-ups, usefulness."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest

from wham.nudges import rules
from wham.nudges.rules import Rules, Texter, Window
from wham.timeutil import in_quiet_hours, to_local

NY = "America/New_York"
LA = "America/Los_Angeles"
RULES = Rules(week_starts_on=0, grace_days=2, followup_after=timedelta(hours=24),
              group_reminder_at=time(17, 0))
NO_QUIET = (time(0), time(0))
DEFAULT_QUIET = (time(21), time(8))
SUNDAY = 6


def texter(tz=NY, quiet=DEFAULT_QUIET, user_id=1) -> Texter:
    return Texter(user_id, "+12025550100", "en", tz, *quiet)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sweep(plan, start: datetime, hours: int, step=timedelta(minutes=1),
          back=timedelta(hours=2)) -> dict[str, set[tuple[datetime, datetime]]]:
    """Run a planning function as the job does, once a minute from `start`, and collect what
    the runs find due: key -> {(send at, expires at)} as first placed. Later runs find the same
    key again (the outbox keeps the first); a second key would be a second text."""
    found: dict[str, set] = defaultdict(set)
    runs = 0
    now = start
    while now < start + timedelta(hours=hours):
        for nudge in plan(Window.around(now, back)):
            runs += 1
            if nudge.key not in found:
                found[nudge.key].add((nudge.send_at, nudge.expires_at))
        now += step
    assert runs >= len(found)
    return dict(found)


def reminders(who: Texter, weekday: int, at: time, done=()):
    return lambda window: rules.check_in_reminders(who, weekday, at, window, RULES, done)


def test_weekly_reminder_goes_once_at_the_chosen_local_time():
    found = sweep(reminders(texter(), SUNDAY, time(18)), utc(2026, 3, 15, 0), 36)
    # Sunday 18:00 in New York (EDT) is 22:00 UTC; the week is Mon 9 - Sun 15 March.
    # It expires when quiet hours begin at 21:00 local, before it could arrive at night.
    assert found == {"checkin_reminder:1:2026-03-09": {(utc(2026, 3, 15, 22), utc(2026, 3, 16, 1))}}


def test_reminder_on_the_first_days_of_a_week_is_about_last_week():
    found = sweep(reminders(texter(), 0, time(10)), utc(2026, 3, 16, 0), 24)
    assert list(found) == ["checkin_reminder:1:2026-03-09"]  # Monday: last week is still open
    assert rules.check_in_week(date(2026, 3, 18), RULES) == date(2026, 3, 16)  # Wednesday


def test_no_reminder_once_the_check_in_is_logged():
    assert sweep(reminders(texter(), SUNDAY, time(18), done={date(2026, 3, 9)}),
                 utc(2026, 3, 15, 0), 36) == {}


@pytest.mark.parametrize("quiet,sent_at", [
    (NO_QUIET, utc(2026, 3, 8, 7, 30)),  # 02:30 does not exist: 03:30 EDT, one hour on
    (DEFAULT_QUIET, utc(2026, 3, 8, 12)),  # inside quiet hours: 08:00 EDT
])
def test_spring_forward_reminder_at_0230_is_sent_once_at_a_time_that_exists(quiet, sent_at):
    found = sweep(reminders(texter(quiet=quiet), SUNDAY, time(2, 30)), utc(2026, 3, 7, 12), 48)
    assert {key: {s for s, _ in placed} for key, placed in found.items()} == \
        {"checkin_reminder:1:2026-03-02": {sent_at}}


@pytest.mark.parametrize("at,sent_at", [
    (time(1, 30), utc(2026, 11, 1, 5, 30)),  # 01:30 happens twice: the first (EDT) only
    (time(2, 30), utc(2026, 11, 1, 7, 30)),  # 02:30 EST, once
])
def test_fall_back_reminder_is_sent_once(at, sent_at):
    found = sweep(reminders(texter(quiet=NO_QUIET), SUNDAY, at), utc(2026, 10, 31, 12), 48)
    assert {key: {s for s, _ in placed} for key, placed in found.items()} == \
        {"checkin_reminder:1:2026-10-26": {sent_at}}


def test_the_same_local_time_either_side_of_a_dst_change():
    before = sweep(reminders(texter(), SUNDAY, time(18)), utc(2026, 3, 1, 12), 24)
    after = sweep(reminders(texter(), SUNDAY, time(18)), utc(2026, 3, 8, 12), 24)
    [[(sent_before, _)]] = before.values()
    [[(sent_after, _)]] = after.values()
    assert (sent_before, sent_after) == (utc(2026, 3, 1, 23), utc(2026, 3, 8, 22))  # EST, EDT


QUIET_ACROSS_MIDNIGHT = (time(22), time(7))


@pytest.mark.parametrize("at,sent_at,expires_at", [
    (time(23, 30), utc(2026, 3, 19, 11), utc(2026, 3, 19, 15, 30)),  # next morning 07:00
    (time(6), utc(2026, 3, 18, 11), utc(2026, 3, 18, 22)),  # 07:00 the same morning
    (time(21, 59), utc(2026, 3, 19, 1, 59), utc(2026, 3, 19, 2)),  # a minute before quiet
    (time(22), utc(2026, 3, 19, 11), utc(2026, 3, 19, 14)),  # quiet hours start: morning
    (time(7), utc(2026, 3, 18, 11), utc(2026, 3, 18, 23)),  # quiet hours just ended
])
def test_quiet_hours_across_midnight_move_the_reminder_to_their_end(at, sent_at, expires_at):
    who = texter(quiet=QUIET_ACROSS_MIDNIGHT)
    [nudge] = [n for n in rules.check_in_reminders(
        who, 2, at, Window(utc(2026, 3, 18, 0), utc(2026, 3, 17, 12), utc(2026, 3, 19, 12)),
        RULES)]
    assert (nudge.send_at, nudge.expires_at) == (sent_at, expires_at)
    local = to_local(nudge.send_at, NY).time()
    assert not in_quiet_hours(local, *QUIET_ACROSS_MIDNIGHT)


def test_a_reminder_no_longer_useful_after_quiet_hours_is_skipped():
    who = texter(quiet=(time(18), time(8)))  # 14 quiet hours: 18:30 would wait 13.5 hours
    window = Window(utc(2026, 3, 18, 0), utc(2026, 3, 17, 12), utc(2026, 3, 20))
    assert rules.check_in_reminders(who, 2, time(18, 30), window, RULES) == []
    # A flag alert is worth more: it waits for the morning.
    [alert] = rules.flag_alerts(who, [rules.RaisedFlag(7, utc(2026, 3, 18, 22, 30))], window)
    assert alert.send_at == utc(2026, 3, 19, 12)  # 08:00 EDT


def test_planned_late_it_is_placed_now_or_after_quiet_hours():
    who = texter()
    due = utc(2026, 3, 15, 22)  # Sunday 18:00 EDT
    late = Window.around(due + timedelta(minutes=90), timedelta(hours=2))
    [nudge] = rules.check_in_reminders(who, SUNDAY, time(18), late, RULES)
    assert nudge.send_at == due + timedelta(minutes=90)
    night = Window.around(utc(2026, 3, 16, 1, 30), timedelta(hours=2))  # 21:30 EDT
    [nudge] = rules.check_in_reminders(who, SUNDAY, time(20, 30), night, RULES)
    assert nudge.send_at == utc(2026, 3, 16, 12)  # not at night: 08:00 Monday
    # An 18:00 reminder would wait until 14 hours after it was due: not worth it any more.
    caught_up = Window.around(utc(2026, 3, 16, 1, 30), timedelta(hours=4))
    assert rules.check_in_reminders(who, SUNDAY, time(18), caught_up, RULES) == []


def test_a_changed_time_zone_moves_the_reminder_to_the_new_local_time():
    key = "checkin_reminder:1:2026-03-09"
    in_new_york = sweep(reminders(texter(NY), SUNDAY, time(18)), utc(2026, 3, 15, 12), 24)
    in_la = sweep(reminders(texter(LA), SUNDAY, time(18)), utc(2026, 3, 15, 12), 24)
    assert {s for s, _ in in_new_york[key]} == {utc(2026, 3, 15, 22)}
    assert {s for s, _ in in_la[key]} == {utc(2026, 3, 16, 1)}  # 18:00 PDT
    # Same key for the same week: one reminder whichever zone planned it (see the planner test).


def followups(who: Texter, done=(), reminded=()):
    return lambda window: rules.check_in_followups(who, SUNDAY, time(18), window, RULES, done,
                                                   reminded)



def test_one_follow_up_a_day_later_only_after_a_sent_reminder():
    week = date(2026, 3, 9)
    found = sweep(followups(texter(), reminded={week}), utc(2026, 3, 16, 12), 24)
    assert found == {"checkin_followup:1:2026-03-09": {(utc(2026, 3, 16, 22), utc(2026, 3, 17, 1))}}
    assert sweep(followups(texter()), utc(2026, 3, 16, 12), 24) == {}  # reminder never went
    assert sweep(followups(texter(), done={week}, reminded={week}), utc(2026, 3, 16, 12), 24) == {}


def test_follow_up_after_the_week_closed_is_skipped():
    # A Tuesday reminder is about last week, which closes at midnight: no Wednesday follow-up.
    found = sweep(lambda w: rules.check_in_followups(texter(), 1, time(18), w, RULES,
                                                     reminded_weeks={date(2026, 3, 9)}),
                  utc(2026, 3, 18, 12), 24)
    assert found == {}


def test_group_reminder_the_day_before_in_each_members_zone():
    session = rules.UpcomingSession(5, 2, utc(2026, 3, 17, 22))  # Tue 18:00 EDT
    window = Window(utc(2026, 3, 16), utc(2026, 3, 15), utc(2026, 3, 18))
    [ny] = rules.group_reminders(texter(NY), [session], window, RULES)
    [la] = rules.group_reminders(texter(LA, user_id=2), [session], window, RULES)
    assert ny.send_at == utc(2026, 3, 16, 21)  # Monday 17:00 EDT
    assert la.send_at == utc(2026, 3, 17, 0)  # Monday 17:00 PDT
    assert ny.key == "group_reminder:1:5:2026-03-17"
    assert ny.expires_at == utc(2026, 3, 17, 1)  # quiet hours at 21:00


def test_group_reminder_too_close_to_the_session_is_skipped():
    session = rules.UpcomingSession(5, 2, utc(2026, 3, 17, 12, 30))  # Tue 08:30 EDT
    who = texter(quiet=(time(15), time(8)))  # the reminder would wait until 08:00 Tuesday
    window = Window(utc(2026, 3, 16), utc(2026, 3, 15), utc(2026, 3, 18))
    assert rules.group_reminders(who, [session], window, RULES) == []


def test_flags_raised_together_share_one_alert_and_later_ones_get_another():
    flags = [rules.RaisedFlag(9, utc(2026, 3, 18, 15, 5)), rules.RaisedFlag(10, utc(2026, 3, 18, 15, 5)),
             rules.RaisedFlag(11, utc(2026, 3, 18, 15, 40)), rules.RaisedFlag(12, utc(2026, 3, 18, 17))]
    found = sweep(lambda w: rules.flag_alerts(texter(user_id=4), flags, w),
                  utc(2026, 3, 18, 15), 6)
    assert found == {"flag_alert:4:2026-03-18T15": {(utc(2026, 3, 18, 15, 5), utc(2026, 3, 19, 1))},
                     "flag_alert:4:2026-03-18T17": {(utc(2026, 3, 18, 17), utc(2026, 3, 19, 1))}}


def test_flags_raised_overnight_share_one_morning_alert():
    flags = [rules.RaisedFlag(1, utc(2026, 3, 19, 2, 10)),  # 22:10 EDT
             rules.RaisedFlag(2, utc(2026, 3, 19, 10, 50))]  # 06:50 EDT
    found = sweep(lambda w: rules.flag_alerts(texter(user_id=4), flags, w),
                  utc(2026, 3, 19, 2), 12)
    assert found == {"flag_alert:4:2026-03-19T12": {(utc(2026, 3, 19, 12), utc(2026, 3, 20, 1))}}


def test_keys_say_what_they_are_about():
    assert rules.week_of_check_in_key("checkin_followup:3:2026-03-09") == date(2026, 3, 9)
    assert rules.week_of_check_in_key("group_reminder:3:5:2026-03-09") is None
    assert rules.week_of_check_in_key("checkin_reminder:3:not-a-date") is None
    assert rules.session_of_group_reminder_key("group_reminder:3:5:2026-03-17") == \
        (5, date(2026, 3, 17))
    assert rules.session_of_group_reminder_key("flag_alert:4:2026-03-18T15") is None


def test_reminder_slots_narrow_the_read_to_settings_near_the_window():
    window = Window.around(utc(2026, 3, 15, 22), timedelta(hours=2))  # Sun 16:00-18:00 EDT
    assert rules.reminder_slots(window, NY) == [(SUNDAY, time(15), time(19))]
    followup = rules.reminder_slots(window, NY, timedelta(hours=24))
    assert followup == [(5, time(15), time(19))]  # Saturday's reminders follow up now
    late = Window.around(utc(2026, 3, 16, 4, 30), timedelta(hours=2))  # Sun 22:30-Mon 00:30
    assert rules.reminder_slots(late, NY) == [(SUNDAY, time(21, 30), time.max),
                                              (0, time.min, time(1, 30))]
    assert rules.reminder_slots(Window.around(utc(2026, 3, 15), timedelta(0),
                                              timedelta(days=7)), NY) is None
    # Every reminder the rules find due in a window is inside the slots read for it.
    for hour in range(0, 24 * 7, 5):
        now = utc(2026, 3, 2) + timedelta(hours=hour)  # a week holding the spring-forward day
        window = Window.around(now, timedelta(hours=2))
        for weekday in range(7):
            for at in (time(2, 30), time(9, 15), time(23, 59)):
                if rules.check_in_reminders(texter(quiet=NO_QUIET), weekday, at, window, RULES):
                    assert any(w == weekday and lo <= at <= hi
                               for w, lo, hi in rules.reminder_slots(window, NY)), (now, at)
