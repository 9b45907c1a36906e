"""Check-in rules called directly with a chosen `now`: one per week, the edit window in the
participant's own zone (DST included), safety flags on each trigger, streaks, audit."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.checkins.factories import answers, inside_week
from tests.factories import make_participant, make_peer_specialist
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.checkins import services
from wham.checkins.models import CheckIn, Flag, FlagReason, Support
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals import services as goals
from wham.groups import flags as follow_up

WEEK = date(2026, 3, 2)  # a Monday; US clocks spring forward on Sunday March 8, 2026


def _user(app, **fields) -> User:
    return db.session.get(User, make_participant(app, **fields).id)


def _count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


@pytest.fixture
def measures_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_PHQ9_ENABLED", True)
    monkeypatch.setitem(app.config, "CHECKIN_GAD7_ENABLED", True)


# --- one per week, and the edit window ---------------------------------------------------------


def test_saving_twice_in_a_week_changes_the_one_check_in(app, app_ctx):
    user = _user(app)
    first = services.save_check_in(user, WEEK, answers(days_done=2), inside_week(user, WEEK))
    second = services.save_check_in(user, WEEK, answers(days_done=5, stress=7),
                                    inside_week(user, WEEK) + timedelta(hours=3))
    assert first.created and not second.created
    assert second.check_in.id == first.check_in.id
    assert _count(CheckIn, user_id=user.id) == 1
    saved = services.check_in_for_week(user.id, WEEK)
    assert (saved.days_done, saved.stress) == (5, 7)


def test_a_double_tapped_new_check_in_changes_the_one_check_in(app, app_ctx, monkeypatch):
    user = _user(app)
    first = services.save_check_in(user, WEEK, answers(days_done=2), inside_week(user, WEEK))
    real, calls = services.check_in_for_week, []

    def missed_once(*args):  # as when the other tap inserted the row just after this one looked
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "check_in_for_week", missed_once)
    again = services.save_check_in(user, WEEK, answers(days_done=6), inside_week(user, WEEK))
    assert len(calls) == 2 and not again.created
    assert again.check_in.id == first.check_in.id and again.check_in.days_done == 6
    assert _count(CheckIn, user_id=user.id) == 1


def test_each_week_and_each_person_has_their_own(app, app_ctx):
    user, other = _user(app), _user(app)
    services.save_check_in(user, WEEK, answers(), inside_week(user, WEEK))
    services.save_check_in(user, WEEK + timedelta(days=7), answers(),
                           inside_week(user, WEEK + timedelta(days=7)))
    services.save_check_in(other, WEEK, answers(), inside_week(other, WEEK))
    assert _count(CheckIn, user_id=user.id) == 2
    assert services.check_in_for_week(other.id, WEEK + timedelta(days=7)) is None


@pytest.mark.parametrize("tz,last_open_utc", [
    # The week of March 2 closes at local midnight starting Wednesday March 11.
    ("America/New_York", datetime(2026, 3, 11, 3, 59, tzinfo=UTC)),    # EDT after the change
    ("America/Los_Angeles", datetime(2026, 3, 11, 6, 59, tzinfo=UTC)),  # PDT
    ("Pacific/Honolulu", datetime(2026, 3, 11, 9, 59, tzinfo=UTC)),     # no DST
    ("Asia/Tokyo", datetime(2026, 3, 10, 14, 59, tzinfo=UTC)),
    ("America/Phoenix", datetime(2026, 3, 11, 6, 59, tzinfo=UTC)),      # stays on MST
])
def test_a_week_stays_open_until_two_days_after_it_ends_in_local_time(app, app_ctx, tz,
                                                                      last_open_utc):
    user = _user(app, time_zone=tz)
    assert services.is_open(user, WEEK, last_open_utc)
    services.save_check_in(user, WEEK, answers(), last_open_utc)
    closes = last_open_utc + timedelta(minutes=1)  # local midnight: the deadline itself
    assert services.edit_deadline(user, WEEK) == closes
    for moment in (closes, closes + timedelta(minutes=1)):
        assert not services.is_open(user, WEEK, moment)
        with pytest.raises(services.CheckInClosed):
            services.save_check_in(user, WEEK, answers(days_done=7), moment)
    assert services.check_in_for_week(user.id, WEEK).days_done == 3  # unchanged


def test_dst_week_deadline_uses_the_offset_after_the_change(app, app_ctx):
    user = _user(app, time_zone="America/New_York")
    # Local midnight on March 11 is 04:00 UTC (EDT); 05:00 would be the EST answer.
    assert services.edit_deadline(user, WEEK) == datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
    fall_week = date(2026, 10, 26)  # clocks fall back on Sunday November 1
    assert services.edit_deadline(user, fall_week) == datetime(2026, 11, 4, 5, 0, tzinfo=UTC)


def test_future_weeks_and_days_that_are_not_week_starts_are_refused(app, app_ctx):
    user = _user(app)
    now = inside_week(user, WEEK)
    with pytest.raises(services.CheckInClosed):
        services.save_check_in(user, WEEK + timedelta(days=7), answers(), now)
    with pytest.raises(services.CheckInClosed):
        services.save_check_in(user, WEEK + timedelta(days=1), answers(), now)
    assert _count(CheckIn) == 0


def test_the_week_depends_on_where_the_participant_is(app, app_ctx):
    # Monday 01:00 in New York is still Sunday evening in Honolulu.
    now = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    new_york, honolulu = _user(app, time_zone="America/New_York"), _user(app,
                                                                        time_zone="Pacific/Honolulu")
    assert services.current_week(new_york, now) == WEEK + timedelta(days=7)
    assert services.current_week(honolulu, now) == WEEK
    with pytest.raises(services.CheckInClosed):  # next week has not started in Honolulu
        services.save_check_in(honolulu, WEEK + timedelta(days=7), answers(), now)
    services.save_check_in(new_york, WEEK + timedelta(days=7), answers(), now)


def test_a_participant_who_moves_zone_keeps_the_weeks_in_their_new_zone(app, app_ctx):
    user = _user(app, time_zone="America/New_York")
    now = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    assert services.current_week(user, now) == WEEK + timedelta(days=7)
    user.time_zone = "Pacific/Honolulu"
    db.session.commit()
    assert services.current_week(user, now) == WEEK


def test_moving_east_closes_last_weeks_check_in_sooner(app, app_ctx):
    # Weeks follow the zone the person has now (wham.timeutil.participant_week_start).
    user = _user(app, time_zone="America/Los_Angeles")
    services.save_check_in(user, WEEK, answers(), inside_week(user, WEEK))
    tuesday_evening_la = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 02:00 Wednesday in Berlin
    assert services.is_open(user, WEEK, tuesday_evening_la)
    user.time_zone = "Europe/Berlin"
    db.session.commit()
    assert services.edit_deadline(user, WEEK) == datetime(2026, 3, 10, 23, 0, tzinfo=UTC)
    assert not services.is_open(user, WEEK, tuesday_evening_la)
    with pytest.raises(services.CheckInClosed):
        services.save_check_in(user, WEEK, answers(days_done=6), tuesday_evening_la)
    assert services.check_in_for_week(user.id, WEEK).days_done == 3
    assert services.week_to_check_in(user, tuesday_evening_la) == WEEK + timedelta(days=7)


def test_moving_west_keeps_the_check_in_saved_for_the_new_week(app, app_ctx):
    user = _user(app, time_zone="America/New_York")
    monday_1am_new_york = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    services.save_check_in(user, WEEK + timedelta(days=7), answers(days_done=1),
                           monday_1am_new_york)
    user.time_zone = "Pacific/Honolulu"  # Sunday evening there: the week of WEEK again
    db.session.commit()
    assert services.current_week(user, monday_1am_new_york) == WEEK
    assert services.week_to_check_in(user, monday_1am_new_york) == WEEK  # not done yet
    services.save_check_in(user, WEEK, answers(days_done=4), monday_1am_new_york)
    with pytest.raises(services.CheckInClosed):  # next week has not begun in Honolulu
        services.save_check_in(user, WEEK + timedelta(days=7), answers(days_done=2),
                               monday_1am_new_york)
    monday_in_honolulu = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    again = services.save_check_in(user, WEEK + timedelta(days=7), answers(days_done=2),
                                   monday_in_honolulu)
    assert not again.created  # the same check-in as before the move, changed
    days = dict(db.session.execute(select(CheckIn.week_start, CheckIn.days_done)
                                   .where(CheckIn.user_id == user.id)).all())
    assert days == {WEEK: 4, WEEK + timedelta(days=7): 2}


def test_week_to_check_in_offers_last_week_while_it_is_open_and_not_done(app, app_ctx):
    user = _user(app, created_at=datetime(2026, 2, 1, tzinfo=UTC))
    monday = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday morning in New York
    assert services.week_to_check_in(user, monday) == WEEK
    services.save_check_in(user, WEEK, answers(), monday)
    assert services.week_to_check_in(user, monday) == WEEK + timedelta(days=7)
    user2 = _user(app)
    thursday = datetime(2026, 3, 12, 14, 0, tzinfo=UTC)  # last week closed on Wednesday
    assert services.week_to_check_in(user2, thursday) == WEEK + timedelta(days=7)


def test_someone_who_joined_this_week_is_not_asked_about_last_week(app, app_ctx):
    monday = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # last week is still open
    newcomer = _user(app, created_at=monday - timedelta(hours=2))  # joined this morning
    assert services.week_to_check_in(newcomer, monday) == WEEK + timedelta(days=7)
    joined_sunday = _user(app, created_at=datetime(2026, 3, 9, 3, 0, tzinfo=UTC))  # 23:00 Sun
    assert services.week_to_check_in(joined_sunday, monday) == WEEK
    # History from before the account's date (the demo, an import) counts as taking part.
    with_history = _user(app, created_at=monday)
    services.save_check_in(with_history, WEEK - timedelta(days=7), answers(),
                           inside_week(with_history, WEEK - timedelta(days=7)))
    assert services.week_to_check_in(with_history, monday) == WEEK
    planned = _user(app, created_at=monday)
    goal = goals.create_goal(planned, goals.GoalDraft("sleep", "Rest"), inside_week(planned, WEEK))
    goals.save_plan(planned, goal, goals.PlanDraft("Bed by 11", "", "nights", 3, 8),
                    inside_week(planned, WEEK))
    assert services.week_to_check_in(planned, monday) == WEEK


def test_program_week_may_start_on_sunday(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "WEEK_STARTS_ON", 6)
    user = _user(app)
    sunday = date(2026, 3, 1)
    services.save_check_in(user, sunday, answers(), inside_week(user, sunday))
    with pytest.raises(services.CheckInClosed):  # a Monday is not a week start here
        services.save_check_in(user, WEEK, answers(), inside_week(user, WEEK))


# --- what a week's check-in page starts from ------------------------------------------------------


def _planned_goal(user, what: str, days_logged: dict[int, str] | None = None):
    """An active goal with a plan for WEEK; `days_logged`: day of the week (0 = Monday) -> done."""
    now = inside_week(user, WEEK)
    goal = goals.create_goal(user, goals.GoalDraft("activity", what), now)
    plan = goals.save_plan(user, goal, goals.PlanDraft(what, "", "mornings", 4, 8), now)
    for day, done in (days_logged or {}).items():
        goals.log_day(user, plan, WEEK + timedelta(days=day), done, "", False, now)
    return goal, plan


def test_check_in_start_without_a_goal_or_a_check_in(app, app_ctx):
    start = services.check_in_start(_user(app).id, WEEK)
    assert (start.check_in, start.plan, start.days_done) == (None, None, 0)


def test_check_in_start_counts_the_days_logged_yes_in_the_first_goals_plan(app, app_ctx,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_GOALS", 3)
    user = _user(app)
    _, plan = _planned_goal(user, "Walk", {0: "yes", 1: "partly", 2: "yes", 3: "no"})
    _planned_goal(user, "Stretch", {0: "yes", 1: "yes", 2: "yes", 3: "yes"})  # a later goal
    start = services.check_in_start(user.id, WEEK)
    assert start.plan.id == plan.id == goals.plan_for_week(user.id, WEEK).id
    assert start.days_done == 2  # "partly" is not done
    assert services.check_in_start(user.id, WEEK + timedelta(days=7)).plan is None


def test_check_in_start_takes_no_plan_when_the_first_goal_has_none(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ACTIVE_GOALS", 3)
    user = _user(app)
    goals.create_goal(user, goals.GoalDraft("sleep", "Rest"), inside_week(user, WEEK))
    _planned_goal(user, "Walk", {0: "yes"})
    start = services.check_in_start(user.id, WEEK)
    assert start.plan is None and goals.plan_for_week(user.id, WEEK) is None
    assert start.days_done == 0


def test_check_in_start_prefers_the_number_texted_back(app, app_ctx):
    from wham.nudges.models import TextedDaysDone

    user, other = _user(app), _user(app)
    _planned_goal(user, "Walk", {0: "yes"})
    db.session.add_all([
        TextedDaysDone(user_id=user.id, week_start=WEEK, days_done=5,
                       received_at=inside_week(user, WEEK)),
        TextedDaysDone(user_id=other.id, week_start=WEEK, days_done=7,
                       received_at=inside_week(user, WEEK))])
    db.session.commit()
    assert services.check_in_start(user.id, WEEK).days_done == 5
    assert services.check_in_start(user.id, WEEK + timedelta(days=7)).days_done == 0
    assert services.days_done_to_prefill(user.id, WEEK) == 5


def test_check_in_start_holds_the_weeks_own_check_in(app, app_ctx):
    user, other = _user(app), _user(app)
    saved = services.save_check_in(user, WEEK, answers(days_done=3), inside_week(user, WEEK))
    services.save_check_in(other, WEEK, answers(days_done=6), inside_week(other, WEEK))
    assert services.check_in_start(user.id, WEEK).check_in.id == saved.check_in.id
    assert services.check_in_start(user.id, WEEK - timedelta(days=7)).check_in is None


# --- scores and what is stored -----------------------------------------------------------------


def test_scores_and_answers_are_stored(app, app_ctx, measures_on):
    user = _user(app)
    result = services.save_check_in(
        user, WEEK, answers(who5=[4, 4, 3, 3, 2], phq9=[1, 1, 1, 1, 1, 0, 0, 0, 0],
                            gad7=[2, 2, 2, 2, 2, 0, 0]), inside_week(user, WEEK))
    saved = result.check_in
    assert saved.who5_answers == [4, 4, 3, 3, 2] and saved.who5_score == 64
    assert (saved.phq9_score, saved.phq9_band) == (5, "mild")
    assert (saved.gad7_score, saved.gad7_band) == (10, "moderate")
    assert saved.gad7_answers == [2, 2, 2, 2, 2, 0, 0]


def test_measures_the_program_has_not_switched_on_are_not_stored(app, app_ctx):
    user = _user(app)
    saved = services.save_check_in(user, WEEK, answers(phq9=[3] * 9, gad7=[3] * 7),
                                   inside_week(user, WEEK)).check_in
    assert saved.phq9_answers is None and saved.phq9_score is None and saved.gad7_score is None
    assert _count(Flag) == 0  # the PHQ-9 answers were not asked, so they flag nothing


def test_a_switched_on_measure_must_be_answered(app, app_ctx, measures_on):
    user = _user(app)
    with pytest.raises(ValueError):
        services.save_check_in(user, WEEK, answers(gad7=[0] * 7), inside_week(user, WEEK))
    assert _count(CheckIn) == 0


# --- safety flags ------------------------------------------------------------------------------


def _reasons(user_id: int) -> list[FlagReason]:
    return sorted(db.session.scalars(select(Flag.reason).where(Flag.user_id == user_id)))


def test_asking_for_support_now_raises_a_flag(app, app_ctx):
    peer = make_peer_specialist(app)
    user = _user(app, peer_specialist_id=peer.id)
    result = services.save_check_in(user, WEEK, answers(support=Support.NOW),
                                    inside_week(user, WEEK))
    assert result.needs_support_page
    flag = db.session.scalars(select(Flag)).one()
    assert (flag.user_id, flag.reason, flag.check_in_id) == (user.id, FlagReason.SUPPORT_NOW,
                                                            result.check_in.id)
    assert flag.kind == "safety" and flag.acknowledged_at is None


def test_support_soon_is_not_a_safety_flag(app, app_ctx):
    user = _user(app)
    result = services.save_check_in(user, WEEK, answers(support=Support.SOON),
                                    inside_week(user, WEEK))
    assert not result.needs_support_page and _count(Flag) == 0


def test_phq9_item9_above_zero_raises_a_flag_even_with_a_low_total(app, app_ctx, measures_on):
    user = _user(app)
    result = services.save_check_in(user, WEEK, answers(phq9=[0] * 8 + [1], gad7=[0] * 7),
                                    inside_week(user, WEEK))
    assert result.check_in.phq9_score == 1
    assert _reasons(user.id) == [FlagReason.PHQ9_ITEM9]


def test_phq9_total_at_the_configured_threshold_raises_a_flag(app, app_ctx, measures_on,
                                                              monkeypatch):
    user, other = _user(app), _user(app)
    high = [3, 3, 3, 3, 2, 2, 2, 2, 0]  # 20, severe, item 9 not endorsed
    services.save_check_in(user, WEEK, answers(phq9=high, gad7=[0] * 7), inside_week(user, WEEK))
    assert _reasons(user.id) == [FlagReason.PHQ9_THRESHOLD]
    monkeypatch.setitem(app.config, "SAFETY_PHQ9_THRESHOLD", 21)  # configuration, not code
    services.save_check_in(other, WEEK, answers(phq9=high, gad7=[0] * 7), inside_week(other, WEEK))
    assert _reasons(other.id) == []


def test_gad7_total_at_the_configured_threshold_raises_a_flag(app, app_ctx, measures_on,
                                                              monkeypatch):
    just_below, at = _user(app), _user(app)
    services.save_check_in(just_below, WEEK, answers(phq9=[0] * 9, gad7=[3, 3, 2, 2, 2, 2, 0]),
                           inside_week(just_below, WEEK))  # 14, moderate
    result = services.save_check_in(at, WEEK, answers(phq9=[0] * 9, gad7=[3, 3, 3, 2, 2, 2, 0]),
                                    inside_week(at, WEEK))  # 15, severe (the default threshold)
    assert _reasons(just_below.id) == []
    assert _reasons(at.id) == [FlagReason.GAD7_THRESHOLD]
    assert result.needs_support_page
    monkeypatch.setitem(app.config, "SAFETY_GAD7_THRESHOLD", 10)  # configuration, not code
    services.save_check_in(just_below, WEEK, answers(phq9=[0] * 9, gad7=[2, 2, 2, 2, 2, 0, 0]),
                           inside_week(just_below, WEEK))  # 10
    assert _reasons(just_below.id) == [FlagReason.GAD7_THRESHOLD]


def test_no_gad7_flag_when_the_program_does_not_ask_it(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_GAD7_ENABLED", False)
    user = _user(app)
    saved = services.save_check_in(user, WEEK, answers(gad7=[3] * 7), inside_week(user, WEEK))
    assert saved.check_in.gad7_score is None and _reasons(user.id) == []


def test_every_flag_reason_fits_its_column_and_has_a_label():
    assert all(len(reason.value) <= 20 for reason in FlagReason)  # String(20), not a native enum
    assert set(follow_up.REASON_LABELS) == set(FlagReason)


def test_low_who5_raises_a_flag_at_the_configured_minimum(app, app_ctx, monkeypatch):
    user, other, third = _user(app), _user(app), _user(app)
    services.save_check_in(user, WEEK, answers(who5=[2, 1, 1, 2, 1]), inside_week(user, WEEK))
    services.save_check_in(other, WEEK, answers(who5=[2, 2, 1, 2, 1]), inside_week(other, WEEK))
    assert _reasons(user.id) == [FlagReason.WHO5_LOW]  # 28
    assert _reasons(other.id) == []                    # 32
    monkeypatch.setitem(app.config, "SAFETY_WHO5_MIN", 40)
    services.save_check_in(third, WEEK, answers(who5=[2, 2, 1, 2, 1]), inside_week(third, WEEK))
    assert _reasons(third.id) == [FlagReason.WHO5_LOW]


def test_several_triggers_raise_one_flag_each(app, app_ctx, measures_on):
    user = _user(app)
    services.save_check_in(user, WEEK, answers(support=Support.NOW, who5=[0] * 5,
                                               phq9=[3] * 9, gad7=[3] * 7), inside_week(user, WEEK))
    assert _reasons(user.id) == sorted([FlagReason.SUPPORT_NOW, FlagReason.PHQ9_ITEM9,
                                        FlagReason.PHQ9_THRESHOLD, FlagReason.GAD7_THRESHOLD,
                                        FlagReason.WHO5_LOW])


def test_no_flag_for_an_ordinary_week(app, app_ctx, measures_on):
    user = _user(app)
    result = services.save_check_in(user, WEEK, answers(phq9=[1, 1, 1, 1, 1, 1, 1, 1, 0],
                                                        gad7=[2] * 7), inside_week(user, WEEK))
    assert not result.needs_support_page and _count(Flag) == 0


def test_editing_a_flagged_check_in_does_not_raise_the_same_flag_twice(app, app_ctx):
    user = _user(app)
    now = inside_week(user, WEEK)
    services.save_check_in(user, WEEK, answers(support=Support.NOW), now)
    again = services.save_check_in(user, WEEK, answers(support=Support.NOW, stress=9),
                                   now + timedelta(hours=1))
    assert again.needs_support_page and again.new_flags == []
    assert _count(Flag) == 1


def test_audit_records_the_save_and_the_flag_without_health_details(app, app_ctx):
    peer = make_peer_specialist(app)
    user = _user(app, peer_specialist_id=peer.id)
    services.save_check_in(user, WEEK, answers(support=Support.NOW, helped="my dog"),
                           inside_week(user, WEEK))
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["check_in.saved", "flag.raised"]
    assert events[0].subject_id == user.id and events[0].details["week"] == "2026-03-02"
    text = repr([e.details for e in events])
    for detail in ("support", "now", "who5", "my dog", "stress"):
        assert detail not in text


# --- streaks -----------------------------------------------------------------------------------


def _check_in_weeks(app, user: User, weeks_ago: list[int], current: date) -> None:
    for n in weeks_ago:
        week = current - timedelta(days=7 * n)
        db.session.add(CheckIn(user_id=user.id, week_start=week, days_done=1, stress=1,
                               confidence_next=5, who5_answers=[3] * 5, who5_score=60,
                               created_at=inside_week(user, week), updated_at=inside_week(user, week)))
    db.session.commit()


@pytest.mark.parametrize("weeks_ago,streak", [
    ([], 0),
    ([0], 1),
    ([0, 1, 2], 3),
    ([1, 2, 3], 3),      # this week not done yet: the streak still counts up to last week
    ([0, 1, 3, 4], 2),   # a missed week ends it
    ([2, 3, 4], 0),      # neither this week nor last
])
def test_check_in_streak(app, app_ctx, weeks_ago, streak):
    user = _user(app)
    current = WEEK + timedelta(days=7 * 10)
    _check_in_weeks(app, user, weeks_ago, current)
    assert services.check_in_streak(user.id, current) == streak


# --- progress ----------------------------------------------------------------------------------


def test_progress_starts_at_the_first_active_week(app, app_ctx):
    user = _user(app)
    monday = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # last week is still open
    services.save_check_in(user, WEEK - timedelta(days=7), answers(who5=[4] * 5, days_done=2),
                           monday)
    now = inside_week(user, WEEK)
    services.save_check_in(user, WEEK, answers(confidence_next=9), now)
    weeks = services.progress_for(user, now).weeks
    assert [w.week_start for w in weeks] == [WEEK - timedelta(days=7 * n) for n in (3, 2, 1, 0)]
    assert not weeks[0].checked_in and weeks[0].wellbeing is None
    assert (weeks[2].wellbeing, weeks[2].days_done) == (80, 2)
    assert weeks[3].confidence_next == 9
    later = services.progress_for(user, now + timedelta(weeks=8)).weeks
    assert later[0].week_start == WEEK - timedelta(days=7) and len(later) == 10
    much_later = services.progress_for(user, now + timedelta(weeks=20)).weeks
    assert not any(w.checked_in for w in much_later)  # only the last 12 weeks are charted


def test_progress_reads_the_oldest_goals_plan_the_check_in_and_the_logged_days(app, app_ctx):
    from tests.goals.factories import add_history, make_goal
    from wham.goals.models import ActionPlan, Goal

    user = _user(app)
    now = inside_week(user, WEEK)
    older = make_goal(app, user, plan=False, now=now)
    add_history(app, user, older.id, WEEK, 2)  # 4 days planned, 3 logged "yes", each week
    # A second, newer goal, made directly: the service allows one active goal at a time.
    newer = Goal(user_id=user.id, factor="sleep", what="Sleep more")
    db.session.add(newer)
    db.session.flush()
    db.session.add(ActionPlan(goal_id=newer.id, user_id=user.id, week_start=WEEK - timedelta(days=7),
                              what="Bed by 11", how_much="every night", when="at night",
                              days_planned=6, confidence=2, low_confidence_acknowledged=True))
    db.session.commit()
    monday = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # last week is still open
    services.save_check_in(user, WEEK - timedelta(days=7), answers(days_done=2), monday)
    weeks = services.progress_for(user, now).weeks
    two_ago, last, this = weeks[-3:]
    assert (two_ago.days_planned, two_ago.days_done, two_ago.checked_in) == (4, 3, False)
    assert two_ago.plan_confidence == 7  # add_history: 5 + n % 5 for the week n weeks ago
    assert (last.days_planned, last.plan_confidence) == (4, 6)  # the older goal's plan
    assert (last.days_done, last.checked_in) == (2, True)  # the check-in's, not the log's 3
    assert this.days_planned is None and not this.checked_in


def test_progress_compares_the_first_and_latest_self_inventory(app, app_ctx):
    from tests.goals.factories import make_inventory

    user = _user(app)
    now = inside_week(user, WEEK)
    assert services.progress_for(user, now).inventory == []
    first = now - timedelta(days=60)
    make_inventory(app, user, rating=2, now=first)
    once = services.progress_for(user, now)
    assert once.first_take_at == once.latest_take_at == first
    assert {(p.first, p.latest) for p in once.inventory} == {(2, 2)}
    make_inventory(app, user, rating=3, now=now - timedelta(days=30))
    make_inventory(app, user, rating=5, now=now - timedelta(days=1))
    progress = services.progress_for(user, now)
    assert (progress.first_take_at, progress.latest_take_at) == (first, now - timedelta(days=1))
    assert [p.factor for p in progress.inventory] == list(FACTOR_CODES)
    assert {(p.first, p.latest) for p in progress.inventory} == {(2, 5)}


def test_progress_takes_the_later_made_of_two_inventories_taken_at_the_same_moment(app, app_ctx):
    from tests.goals.factories import make_inventory

    user = _user(app)
    now = inside_week(user, WEEK)
    for rating in (1, 4, 2):
        make_inventory(app, user, rating=rating, now=now - timedelta(days=3))
    progress = services.progress_for(user, now)
    assert {(p.first, p.latest) for p in progress.inventory} == {(1, 2)}
