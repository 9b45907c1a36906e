"""Rules of goals, weekly plans and the log, tested through the services with a chosen `now`."""
from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.factories import make_participant
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals import services
from wham.goals.models import ActionPlan, Done, Goal, GoalStatus, LogEntry

# A Wednesday, mid-afternoon in the US.
WEDNESDAY = datetime(2026, 3, 4, 19, 0, tzinfo=UTC)
PLAN = services.PlanDraft("Walk", "10 minutes", "after lunch", 3, 8)


def person(app_ctx, tz="America/New_York") -> User:
    return db.session.get(User, make_participant(app_ctx, time_zone=tz).id)


def goal_for(user, now=WEDNESDAY, factor="activity"):
    return services.create_goal(user, services.GoalDraft(factor=factor, what="Walk more"), now)


# --- inventory --------------------------------------------------------------------------------


def test_inventory_keeps_every_take_and_reports_changes(app_ctx):
    user = person(app_ctx)
    services.take_inventory(user, dict.fromkeys(FACTOR_CODES, 2), WEDNESDAY)
    services.take_inventory(user, dict.fromkeys(FACTOR_CODES, 3), WEDNESDAY + timedelta(days=7))
    services.take_inventory(user, dict.fromkeys(FACTOR_CODES, 3) | {"sleep": 5},
                            WEDNESDAY + timedelta(days=14))
    takes = services.inventory_takes(user.id)
    assert len(takes) == 3
    changes = {c.factor: c for c in services.inventory_changes(takes)}
    assert [c.factor for c in services.inventory_changes(takes)] == list(FACTOR_CODES)
    assert (changes["sleep"].first, changes["sleep"].previous, changes["sleep"].latest) == (2, 3, 5)
    assert (changes["eating"].first, changes["eating"].latest) == (2, 3)


def test_inventory_needs_all_ten_factors_in_range(app_ctx):
    user = person(app_ctx)
    with pytest.raises(services.GoalRuleError):
        services.take_inventory(user, {"sleep": 3}, WEDNESDAY)
    with pytest.raises(services.GoalRuleError):
        services.take_inventory(user, dict.fromkeys(FACTOR_CODES, 6), WEDNESDAY)
    assert services.inventory_takes(user.id) == []


# --- goals and their states -------------------------------------------------------------------


def test_one_active_goal_by_default(app_ctx):
    user = person(app_ctx)
    goal_for(user)
    with pytest.raises(services.GoalRuleError) as refused:
        goal_for(user, factor="sleep")
    assert refused.value.reason == "too many active"
    assert len(services.active_goals(user.id)) == 1


def test_max_active_goals_is_configurable_and_capped_at_three(app_ctx, monkeypatch):
    user = person(app_ctx)
    monkeypatch.setitem(app_ctx.config, "MAX_ACTIVE_GOALS", 2)
    goal_for(user)
    goal_for(user, factor="sleep")
    with pytest.raises(services.GoalRuleError):
        goal_for(user, factor="eating")
    monkeypatch.setitem(app_ctx.config, "MAX_ACTIVE_GOALS", 10)
    assert services.max_active_goals() == 3
    goal_for(user, factor="eating")
    with pytest.raises(services.GoalRuleError):
        goal_for(user, factor="stress")
    assert [g.factor for g in services.active_goals(user.id)] == ["activity", "sleep", "eating"]


def test_state_changes_keep_history_and_respect_the_limit(app_ctx):
    user = person(app_ctx)
    first = goal_for(user)
    services.change_goal_status(user, first, GoalStatus.ACHIEVED, WEDNESDAY + timedelta(days=1))
    second = goal_for(user, WEDNESDAY + timedelta(days=2), factor="sleep")
    with pytest.raises(services.GoalRuleError):  # one active already
        services.change_goal_status(user, first, GoalStatus.ACTIVE, WEDNESDAY + timedelta(days=3))
    services.change_goal_status(user, second, GoalStatus.SET_ASIDE, WEDNESDAY + timedelta(days=3))
    services.change_goal_status(user, first, GoalStatus.ACTIVE, WEDNESDAY + timedelta(days=4))
    with pytest.raises(services.GoalRuleError):
        services.change_goal_status(user, first, GoalStatus.ACTIVE, WEDNESDAY + timedelta(days=5))
    db.session.expire_all()
    steps = [(c.from_status, c.to_status) for c in first.changes]
    assert steps == [(None, GoalStatus.ACTIVE), (GoalStatus.ACTIVE, GoalStatus.ACHIEVED),
                     (GoalStatus.ACHIEVED, GoalStatus.ACTIVE)]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user.id))
    assert list(actions).count("goal.status_changed") == 3


def test_goal_rules_target_date_and_second_factor(app_ctx):
    user = person(app_ctx)
    yesterday = date(2026, 3, 3)
    with pytest.raises(services.GoalRuleError, match="target date"):
        services.create_goal(user, services.GoalDraft("sleep", "Rest", target_date=yesterday),
                             WEDNESDAY)
    with pytest.raises(services.GoalRuleError, match="second factor"):
        services.create_goal(user, services.GoalDraft("sleep", "Rest", second_factor="sleep"),
                             WEDNESDAY)
    goal = services.create_goal(user, services.GoalDraft(
        "sleep", "Rest", second_factor="stress", target_date=date(2026, 3, 4)), WEDNESDAY)
    assert goal.factors == ["sleep", "stress"]


# --- weekly plans and WHAM's confidence rule --------------------------------------------------


def test_one_plan_per_goal_per_week(app_ctx):
    user = person(app_ctx)
    goal = goal_for(user)
    first = services.save_plan(user, goal, PLAN, WEDNESDAY)
    again = services.save_plan(user, goal, services.PlanDraft("Walk", "20 minutes", "morning", 4, 9),
                               WEDNESDAY + timedelta(days=2))
    assert again.id == first.id and again.how_much == "20 minutes"
    next_week = services.save_plan(user, goal, PLAN, WEDNESDAY + timedelta(days=7))
    assert next_week.id != first.id
    assert next_week.week_start - first.week_start == timedelta(days=7)
    db.session.add(ActionPlan(goal_id=goal.id, user_id=user.id, week_start=first.week_start,
                              what="x", how_much="x", when="x", days_planned=1, confidence=9))
    with pytest.raises(IntegrityError):  # the database holds the rule too
        db.session.commit()
    db.session.rollback()


def test_low_confidence_prompts_then_is_recorded(app_ctx):
    user = person(app_ctx)
    goal = goal_for(user)
    low = services.PlanDraft("Run", "5 km", "daily", 7, 6)
    with pytest.raises(services.LowConfidence):
        services.save_plan(user, goal, low, WEDNESDAY)
    assert services.plan_of_goal(goal.id, date(2026, 3, 2)) is None  # nothing saved
    plan = services.save_plan(user, goal, low, WEDNESDAY, keep_low_confidence=True)
    assert plan.confidence == 6 and plan.low_confidence_acknowledged is True
    with pytest.raises(services.LowConfidence):  # prompted again on every low save
        services.save_plan(user, goal, services.PlanDraft("Run", "5 km", "daily", 7, 0), WEDNESDAY)


@pytest.mark.parametrize("confidence", [7, 10])
def test_confidence_seven_or_more_saves_without_prompt(app_ctx, confidence):
    user = person(app_ctx)
    goal = goal_for(user)
    plan = services.save_plan(user, goal, services.PlanDraft("Walk", "10 min", "noon", 3, confidence),
                              WEDNESDAY, keep_low_confidence=False)
    assert plan.confidence == confidence and plan.low_confidence_acknowledged is False


def test_raising_confidence_clears_the_low_mark(app_ctx):
    user = person(app_ctx)
    goal = goal_for(user)
    services.save_plan(user, goal, services.PlanDraft("Walk", "1 h", "noon", 7, 4), WEDNESDAY,
                       keep_low_confidence=True)
    plan = services.save_plan(user, goal, services.PlanDraft("Walk", "10 min", "noon", 3, 8),
                              WEDNESDAY)
    assert plan.low_confidence_acknowledged is False


def test_plans_only_for_active_goals(app_ctx):
    user = person(app_ctx)
    goal = goal_for(user)
    services.change_goal_status(user, goal, GoalStatus.SET_ASIDE, WEDNESDAY)
    with pytest.raises(services.GoalRuleError, match="goal not active"):
        services.save_plan(user, goal, PLAN, WEDNESDAY)


def test_copy_last_plan_into_this_week(app_ctx):
    user = person(app_ctx)
    goal = goal_for(user)
    with pytest.raises(services.GoalRuleError, match="nothing to copy"):
        services.copy_last_plan(user, goal, WEDNESDAY)
    old = services.save_plan(user, goal, services.PlanDraft("Walk", "1 h", "noon", 5, 6), WEDNESDAY,
                             keep_low_confidence=True)
    two_weeks_later = WEDNESDAY + timedelta(days=14)
    copy = services.copy_last_plan(user, goal, two_weeks_later)
    assert copy.id != old.id and copy.week_start == old.week_start + timedelta(days=14)
    assert (copy.what, copy.how_much, copy.when, copy.days_planned, copy.confidence) == (
        "Walk", "1 h", "noon", 5, 6)
    assert copy.low_confidence_acknowledged is True
    with pytest.raises(services.GoalRuleError, match="plan exists"):
        services.copy_last_plan(user, goal, two_weeks_later)


# --- weeks in the participant's own time zone -------------------------------------------------


@pytest.mark.parametrize("tz,moment,week", [
    # Sunday 23:30 in New York is already Monday 04:30 UTC: still the week of Feb 23.
    ("America/New_York", datetime(2026, 3, 2, 4, 30, tzinfo=UTC), date(2026, 2, 23)),
    # Monday 00:30 in Tokyo is Sunday 15:30 UTC: the new week has begun there.
    ("Asia/Tokyo", datetime(2026, 3, 1, 15, 30, tzinfo=UTC), date(2026, 3, 2)),
    # Sunday 23:59 in Honolulu is Monday 09:59 UTC.
    ("Pacific/Honolulu", datetime(2026, 3, 2, 9, 59, tzinfo=UTC), date(2026, 2, 23)),
    ("Pacific/Honolulu", datetime(2026, 3, 2, 10, 0, tzinfo=UTC), date(2026, 3, 2)),
])
def test_plan_week_follows_the_participants_time_zone(app_ctx, tz, moment, week):
    user = person(app_ctx, tz)
    plan = services.save_plan(user, goal_for(user, moment), PLAN, moment)
    assert plan.week_start == week
    assert services.plan_for_week(user.id, week).id == plan.id


def test_dst_change_week_has_seven_days_and_ends_on_sunday_midnight(app_ctx):
    # US clocks spring forward on Sunday 8 March 2026; the week of 2 March is 167 hours long.
    user = person(app_ctx, "America/Chicago")
    goal = goal_for(user, datetime(2026, 3, 2, 12, tzinfo=UTC))
    plan = services.save_plan(user, goal, PLAN, datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert services.week_days(plan.week_start)[-1] == date(2026, 3, 8)
    # Sunday 23:30 CDT (after the change) = Monday 04:30 UTC: still the same week.
    late_sunday = datetime(2026, 3, 9, 4, 30, tzinfo=UTC)
    assert services.this_week(user, late_sunday) == date(2026, 3, 2)
    services.log_day(user, plan, date(2026, 3, 8), Done.YES, "", False, late_sunday)
    # 05:00 UTC is midnight CDT: the next week.
    assert services.this_week(user, datetime(2026, 3, 9, 5, 0, tzinfo=UTC)) == date(2026, 3, 9)
    # In November (fall back) Sunday 23:30 CST is 05:30 UTC Monday, still the old week.
    assert services.this_week(user, datetime(2026, 11, 2, 5, 30, tzinfo=UTC)) == date(2026, 10, 26)
    assert services.days_done_in_week(user.id, date(2026, 3, 2)) == 1


def test_participant_who_changes_time_zone_mid_week(app_ctx):
    user = person(app_ctx, "America/Los_Angeles")
    monday = datetime(2026, 3, 2, 18, tzinfo=UTC)
    plan = services.save_plan(user, goal_for(user, monday), PLAN, monday)
    # Thursday they move to Berlin. Sunday 20:00 in Los Angeles is already Monday in Berlin.
    user.time_zone = "Europe/Berlin"
    db.session.commit()
    thursday = datetime(2026, 3, 5, 12, tzinfo=UTC)
    assert services.this_week(user, thursday) == plan.week_start
    services.log_day(user, plan, date(2026, 3, 5), Done.YES, "", False, thursday)
    sunday_evening_la = datetime(2026, 3, 9, 3, tzinfo=UTC)  # 04:00 Monday in Berlin
    assert services.this_week(user, sunday_evening_la) == date(2026, 3, 9)
    new_plan = services.save_plan(user, plan.goal, PLAN, sunday_evening_la)
    assert new_plan.id != plan.id and new_plan.week_start == date(2026, 3, 9)
    # The old week can still be logged: its Sunday is in the past for them now.
    services.log_day(user, plan, date(2026, 3, 8), Done.PARTLY, "", False, sunday_evening_la)
    assert services.days_done_in_week(user.id, plan.week_start) == 1


def test_participant_who_moves_west_gets_last_weeks_plan_back_for_a_few_hours(app_ctx):
    # The rule (wham.timeutil.participant_week_start): weeks follow the zone the person has
    # now, and nothing saved moves to another week.
    user = person(app_ctx, "America/New_York")
    goal = goal_for(user, datetime(2026, 3, 2, 15, tzinfo=UTC))
    last_week = services.save_plan(user, goal, PLAN, datetime(2026, 3, 4, 15, tzinfo=UTC))
    monday_1am_new_york = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    new_week = services.save_plan(user, goal, services.PlanDraft("Walk", "20 minutes", "morning",
                                                                 4, 9), monday_1am_new_york)
    assert (last_week.week_start, new_week.week_start) == (date(2026, 3, 2), date(2026, 3, 9))
    user.time_zone = "Pacific/Honolulu"  # where it is still Sunday evening
    db.session.commit()
    assert services.this_week(user, monday_1am_new_york) == date(2026, 3, 2)
    assert services.home_summary(user, monday_1am_new_york).plan.id == last_week.id
    changed = services.save_plan(user, goal, services.PlanDraft("Walk", "15 minutes", "noon", 3, 8),
                                 monday_1am_new_york)
    assert changed.id == last_week.id and changed.how_much == "15 minutes"
    with pytest.raises(services.GoalRuleError, match="future day"):  # Monday has not come yet
        services.log_day(user, new_week, date(2026, 3, 9), Done.YES, "", False, monday_1am_new_york)
    monday_in_honolulu = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    summary = services.home_summary(user, monday_in_honolulu)
    assert summary.plan.id == new_week.id and summary.plan.how_much == "20 minutes"
    services.log_day(user, new_week, date(2026, 3, 9), Done.YES, "", False, monday_in_honolulu)
    weeks = db.session.scalars(select(ActionPlan.week_start).where(ActionPlan.goal_id == goal.id)
                               .order_by(ActionPlan.week_start)).all()
    assert weeks == [date(2026, 3, 2), date(2026, 3, 9)]  # one plan per week, none moved


# --- the log ----------------------------------------------------------------------------------


def test_log_rules_future_days_and_one_entry_per_day(app_ctx):
    user = person(app_ctx)
    plan = services.save_plan(user, goal_for(user), PLAN, WEDNESDAY)
    with pytest.raises(services.GoalRuleError, match="future day"):
        services.log_day(user, plan, date(2026, 3, 5), Done.YES, "", False, WEDNESDAY)
    with pytest.raises(services.GoalRuleError, match="day outside week"):
        services.log_day(user, plan, date(2026, 3, 1), Done.YES, "", False, WEDNESDAY)
    assert services.loggable_days(user, plan, WEDNESDAY) == [date(2026, 3, 2), date(2026, 3, 3),
                                                             date(2026, 3, 4)]
    first = services.log_day(user, plan, date(2026, 3, 4), Done.NO, "tired", False, WEDNESDAY)
    again = services.log_day(user, plan, date(2026, 3, 4), Done.YES, "did it later", True,
                             WEDNESDAY + timedelta(hours=3))
    assert again.id == first.id
    entries = services.log_entries(plan.id)
    assert list(entries) == [date(2026, 3, 4)]
    assert (entries[date(2026, 3, 4)].done, entries[date(2026, 3, 4)].is_private) == (Done.YES, True)
    db.session.add(LogEntry(plan_id=plan.id, user_id=user.id, day=date(2026, 3, 4), done=Done.NO))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_private_note_text_never_leaves_for_staff_views(app_ctx):
    user = person(app_ctx)
    plan = services.save_plan(user, goal_for(user), PLAN, WEDNESDAY)
    services.log_day(user, plan, date(2026, 3, 2), Done.YES, "a shared note", False, WEDNESDAY)
    services.log_day(user, plan, date(2026, 3, 3), Done.NO, "my secret", True, WEDNESDAY)
    shared = services.shared_log_entries(user.id, date(2026, 3, 2), date(2026, 3, 8))
    assert [(e.day, e.note, e.is_private) for e in shared] == [
        (date(2026, 3, 2), "a shared note", False), (date(2026, 3, 3), "", True)]
    events = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "log.saved"))
    assert all("secret" not in repr(details) for details in events)


def test_days_done_in_week_counts_only_yes(app_ctx):
    user = person(app_ctx)
    plan = services.save_plan(user, goal_for(user), PLAN, WEDNESDAY)
    week = plan.week_start
    assert services.days_done_in_week(user.id, week) == 0
    for offset, done in enumerate([Done.YES, Done.PARTLY, Done.YES]):
        services.log_day(user, plan, week + timedelta(days=offset), done, "", False, WEDNESDAY)
    assert services.days_done_in_week(user.id, week) == 2
    assert services.days_done_in_week(user.id, week - timedelta(days=7)) == 0
    other = person(app_ctx)
    assert services.days_done_in_week(other.id, week) == 0


def test_plan_for_week_is_the_first_active_goals_plan(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "MAX_ACTIVE_GOALS", 2)
    user = person(app_ctx)
    first, second = goal_for(user), goal_for(user, factor="sleep")
    second_plan = services.save_plan(user, second, PLAN, WEDNESDAY)
    assert services.plan_for_week(user.id, second_plan.week_start) is None
    first_plan = services.save_plan(user, first, PLAN, WEDNESDAY)
    assert services.plan_for_week(user.id, first_plan.week_start).id == first_plan.id
    services.change_goal_status(user, first, GoalStatus.ACHIEVED, WEDNESDAY)
    assert services.plan_for_week(user.id, first_plan.week_start).id == second_plan.id


def test_bulk_reads_for_many_people_match_the_single_person_rules(app_ctx, monkeypatch,
                                                                  query_counter):
    monkeypatch.setitem(app_ctx.config, "MAX_ACTIVE_GOALS", 2)
    ann, bo, cy = person(app_ctx), person(app_ctx), person(app_ctx)
    first, second = goal_for(ann), goal_for(ann, factor="sleep")
    plan = services.save_plan(ann, first, PLAN, WEDNESDAY)
    for offset, done in enumerate([Done.YES, Done.PARTLY, Done.YES]):
        services.log_day(ann, plan, plan.week_start + timedelta(days=offset), done, "", False,
                         WEDNESDAY)
    set_aside = goal_for(bo, factor="sleep")
    services.change_goal_status(bo, set_aside, GoalStatus.SET_ASIDE, WEDNESDAY)
    goal_for(cy, factor="sleep")
    ids, week = [ann.id, bo.id, cy.id], plan.week_start
    with query_counter() as queries:
        goals = services.first_active_goals(ids)
        days = services.planned_and_done_days([g.id for g in goals.values()], {week})
        by_factor = services.active_goals_by_factor(ids)
    assert queries.count == 3
    assert goals[ann.id] == services.GoalLine(first.id, "activity", "Walk more")
    assert bo.id not in goals  # set aside
    assert days == {(first.id, week): (3, services.days_done_in_week(ann.id, week))} == {
        (first.id, week): (3, 2)}
    assert by_factor == [("activity", 1), ("sleep", 2)]  # in the factors' order
    assert services.first_active_goals([]) == {} and services.active_goals_by_factor([]) == []
    assert services.planned_and_done_days([first.id, second.id], set()) == {}


def test_plans_between_in_one_query(app_ctx, query_counter):
    user = person(app_ctx)
    goal = goal_for(user)
    weeks = []
    for n in range(5):
        weeks.append(services.save_plan(user, goal, PLAN, WEDNESDAY + timedelta(weeks=n)).week_start)
    user_id = user.id
    with query_counter() as counter:
        plans = services.plans_between(user_id, weeks[1], weeks[3])
    assert [p.week_start for p in plans] == weeks[1:4]
    assert counter.count == 1


def test_home_summary_next_steps(app_ctx):
    user = person(app_ctx)
    assert services.home_summary(user, WEDNESDAY).next_step == "inventory"
    services.take_inventory(user, dict.fromkeys(FACTOR_CODES, 3), WEDNESDAY)
    assert services.home_summary(user, WEDNESDAY).next_step == "goal"
    goal = goal_for(user)
    assert services.home_summary(user, WEDNESDAY).next_step == "plan"
    plan = services.save_plan(user, goal, PLAN, WEDNESDAY)
    summary = services.home_summary(user, WEDNESDAY)
    assert (summary.next_step, summary.plan.id, summary.goal.id) == ("log", plan.id, goal.id)
    services.log_day(user, plan, date(2026, 3, 4), Done.YES, "", False, WEDNESDAY)
    summary = services.home_summary(user, WEDNESDAY)
    assert summary.days_done == 1 and summary.next_step in {"check_in", "keep_going"}
    later = services.home_summary(user, WEDNESDAY + timedelta(days=7))
    assert later.plan is None and later.can_copy_last_plan is True


@pytest.mark.parametrize("today_offset,check_in_week_offset,done,had_plan,step", [
    (0, -7, False, True, "check_in"),   # Monday: last week's check-in first
    (0, -7, False, False, "log"),       # nothing planned last week: nothing to check in on
    (0, -7, True, True, "log"),
    (2, 0, False, True, "log"),         # mid-week: this week's check-in is not due yet
    (5, 0, False, True, "check_in"),    # Saturday, logged today: time to check in
    (5, 0, True, True, "keep_going"),
])
def test_home_next_step_with_check_ins(today_offset, check_in_week_offset, done, had_plan, step):
    week = date(2026, 3, 2)
    today = week + timedelta(days=today_offset)
    summary = services.HomeSummary(
        week_start=week, today=today, goal=object(), plan=object(), has_inventory=True,
        logged={today: Done.YES}, check_ins_available=True,
        check_in_week=week + timedelta(days=check_in_week_offset),
        check_in_done=done, had_plan_last_week=had_plan)
    if step == "log":
        summary.logged = {}
    assert summary.next_step == step


def test_rewording_a_goal_keeps_a_passed_target_date_but_refuses_a_new_past_one(app_ctx):
    user = person(app_ctx)
    goal = services.create_goal(user, services.GoalDraft("sleep", "Rest",
                                                         target_date=date(2026, 3, 10)), WEDNESDAY)
    later = WEDNESDAY + timedelta(days=30)
    services.update_goal(user, goal, services.GoalDraft("sleep", "Rest well", why="Energy",
                                                        target_date=date(2026, 3, 10)), later)
    assert (goal.what, goal.target_date) == ("Rest well", date(2026, 3, 10))
    with pytest.raises(services.GoalRuleError, match="target date"):
        services.update_goal(user, goal, services.GoalDraft("sleep", "Rest",
                                                            target_date=date(2026, 3, 20)), later)


# --- double taps: two saves of the same new row at once ----------------------------------------


def _missed_once(real):
    """`real`, except that its first call answers None, as when another request inserted the
    row just after this one looked."""
    calls = []

    def lookup(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    return lookup


def test_a_double_tapped_new_plan_changes_the_one_plan_instead_of_failing(app_ctx, monkeypatch):
    user = person(app_ctx)
    goal = goal_for(user)
    first = services.save_plan(user, goal, PLAN, WEDNESDAY)
    monkeypatch.setattr(services, "plan_of_goal", _missed_once(services.plan_of_goal))
    again = services.save_plan(user, goal, services.PlanDraft("Walk", "25 minutes", "noon", 4, 9),
                               WEDNESDAY)
    assert again.id == first.id and again.how_much == "25 minutes"
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 1


def test_a_double_tapped_copy_says_the_plan_is_there(app_ctx, monkeypatch):
    user = person(app_ctx)
    goal = goal_for(user)
    services.save_plan(user, goal, PLAN, WEDNESDAY)
    next_week = WEDNESDAY + timedelta(days=7)
    services.copy_last_plan(user, goal, next_week)
    monkeypatch.setattr(services, "plan_of_goal", _missed_once(services.plan_of_goal))
    with pytest.raises(services.GoalRuleError, match="plan exists"):
        services.copy_last_plan(user, goal, next_week)
    assert db.session.scalar(select(func.count(ActionPlan.id))) == 2


def test_a_double_tapped_log_day_changes_the_one_entry(app_ctx, monkeypatch):
    user = person(app_ctx)
    plan = services.save_plan(user, goal_for(user), PLAN, WEDNESDAY)
    first = services.log_day(user, plan, date(2026, 3, 4), Done.NO, "", False, WEDNESDAY)
    monkeypatch.setattr(services, "log_entry_of", _missed_once(services.log_entry_of))
    again = services.log_day(user, plan, date(2026, 3, 4), Done.YES, "later", False, WEDNESDAY)
    assert again.id == first.id and (again.done, again.note) == (Done.YES, "later")
    assert db.session.scalar(select(func.count(LogEntry.id))) == 1


def test_a_double_tapped_new_goal_makes_one_goal_on_postgresql(app, monkeypatch):
    """Two requests creating a goal at the same moment, each on its own connection: the second
    waits for the first and finds no room (MAX_ACTIVE_GOALS is 1)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    user_id = make_participant(app).id
    real_count = services._count_active
    barrier = threading.Barrier(2)

    def slow_count(uid):
        n = real_count(uid)
        time.sleep(0.5)  # both requests have counted by now, unless one waits for the other
        return n

    monkeypatch.setattr(services, "_count_active", slow_count)
    outcomes, errors = [], []

    def tap(what):
        try:
            with app.app_context():
                user = db.session.get(User, user_id)
                barrier.wait(10)
                try:
                    services.create_goal(user, services.GoalDraft("activity", what), WEDNESDAY)
                    outcomes.append("created")
                except services.GoalRuleError as exc:
                    outcomes.append(exc.reason)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=tap, args=(f"Walk {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(outcomes) == ["created", "too many active"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Goal)
                                 .where(Goal.user_id == user_id)) == 1
