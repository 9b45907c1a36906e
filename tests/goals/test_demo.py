"""The goals demo gives Maria a rich history and the others some variety, week-aligned."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.factories import make_participant
from wham.accounts.models import User
from wham.extensions import db
from wham.goals import services
from wham.goals.demo import MARIA, WEEKS, load_goals_demo
from wham.goals.models import ActionPlan, Goal, GoalStatus, LogEntry
from wham.timeutil import local_today, participant_week_start, utcnow


def test_goals_demo(app_ctx):
    made = [make_participant(app_ctx, email=MARIA, time_zone="America/New_York")]
    made += [make_participant(app_ctx, time_zone=tz) for tz in
             ("America/Chicago", "Pacific/Honolulu", "America/Denver", "America/Phoenix")]
    people = {u.email: db.session.get(User, u.id) for u in made}
    now = utcnow()
    load_goals_demo(people, now)
    maria = people[MARIA]
    week = participant_week_start(now, maria.time_zone)
    plans = services.plans_between(maria.id, week - timedelta(weeks=WEEKS - 1), week)
    assert len(plans) == WEEKS and plans[-1].week_start == week
    assert any(p.low_confidence_acknowledged for p in plans)
    assert all(p.low_confidence_acknowledged == (p.confidence < 7) for p in plans)
    assert len(services.inventory_takes(maria.id)) == 2
    statuses = set(db.session.scalars(select(Goal.status).where(Goal.user_id == maria.id)))
    assert statuses == {GoalStatus.ACTIVE, GoalStatus.ACHIEVED}
    assert db.session.scalar(select(func.count(LogEntry.id)).where(
        LogEntry.user_id == maria.id, LogEntry.is_private.is_(True))) >= 1
    today = local_today(now, maria.time_zone)
    assert db.session.scalar(select(func.max(LogEntry.day)).where(
        LogEntry.user_id == maria.id)) < today  # today is left for her to log
    assert GoalStatus.SET_ASIDE in set(db.session.scalars(select(Goal.status)))
    for user in people.values():  # every plan starts on its owner's week start
        for plan in db.session.scalars(select(ActionPlan).where(ActionPlan.user_id == user.id)):
            assert (week_of := participant_week_start(now, user.time_zone)) >= plan.week_start
            assert (week_of - plan.week_start).days % 7 == 0
