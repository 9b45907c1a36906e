"""The demo program's whole-health history: inventories, goals in different areas, plans, logs,
six to eight weeks of check-ins with gaps and different trends, and open flags."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from wham.accounts.models import User
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.demo import load_demo
from wham.extensions import db
from wham.goals.demo import GOALS_ES
from wham.goals.models import ActionPlan, Goal, GoalStatus, InventoryTake, LogEntry
from wham.timeutil import participant_week_start, utcnow


def _count_by_user(column) -> dict[int, int]:
    return dict(db.session.execute(select(column.table.c.user_id, func.count())
                                   .group_by(column.table.c.user_id)).all())


def test_demo_participants_have_weeks_of_check_ins_and_one_asked_for_support(app, app_ctx):
    now = utcnow()
    people = load_demo(now)
    participants = [u for u in people.values() if u.role == "participant"]
    weeks_by_user: dict[int, list] = defaultdict(list)
    for user_id, week in db.session.execute(select(CheckIn.user_id, CheckIn.week_start)
                                            .order_by(CheckIn.week_start)):
        weeks_by_user[user_id].append(week)
    regular = []
    for user in participants:
        weeks = weeks_by_user[user.id]
        this_week = participant_week_start(now, user.time_zone)
        assert weeks and weeks[-1] < this_week  # this week is left for them to do
        span = (this_week - weeks[0]).days // 7
        if 6 <= span <= 8 and 5 <= len(weeks) <= 8:
            regular.append(user)
    assert len(regular) >= len(participants) - 2  # one stopped checking in, say
    gaps = [u for u in participants
            if len(weeks_by_user[u.id]) < (weeks_by_user[u.id][-1] - weeks_by_user[u.id][0]).days // 7 + 1]
    assert len(gaps) >= 3  # missed weeks are part of real life

    darnell = db.session.scalar(select(User).where(User.email == "darnell@example.org"))
    open_flags = db.session.scalars(select(Flag).where(Flag.acknowledged_at.is_(None))).all()
    assert FlagReason.SUPPORT_NOW in {f.reason for f in open_flags if f.user_id == darnell.id}
    maria = people["maria@example.org"]
    scores = db.session.scalars(select(CheckIn.who5_score).where(CheckIn.user_id == maria.id)
                                .order_by(CheckIn.week_start)).all()
    assert scores[-1] > scores[0]  # Maria is feeling better over the weeks
    lows = db.session.scalars(select(CheckIn.who5_score).where(CheckIn.who5_score <= 40)).all()
    assert lows and max(db.session.scalars(select(CheckIn.who5_score))) >= 70  # variety


def test_demo_participants_have_inventories_goals_in_different_areas_plans_and_logs(app,
                                                                                   app_ctx):
    now = utcnow()
    people = load_demo(now)
    participants = [u for u in people.values() if u.role == "participant"]
    goals = _count_by_user(Goal.__table__.c.id)
    started = [u for u in participants if goals.get(u.id)]
    assert len(started) >= len(participants) - 1  # one newcomer may not have begun
    takes, plans = _count_by_user(InventoryTake.__table__.c.id), _count_by_user(ActionPlan.__table__.c.id)
    logs = _count_by_user(LogEntry.__table__.c.id)
    for user in started:
        assert takes.get(user.id) and plans.get(user.id, 0) >= 3 and logs.get(user.id, 0) >= 5
    factors = set(db.session.scalars(select(Goal.factor).where(Goal.status == GoalStatus.ACTIVE)))
    assert len(factors) >= 6
    assert {GoalStatus.ACHIEVED, GoalStatus.SET_ASIDE} <= set(db.session.scalars(select(Goal.status)))
    assert db.session.scalar(select(func.count(ActionPlan.id)).where(ActionPlan.confidence < 7)) > 0
    assert db.session.scalar(select(func.count(LogEntry.id)).where(LogEntry.is_private.is_(True))) > 0
    spanish = [u for u in started if u.language == "es"]
    assert spanish
    for user in spanish:  # their own words, in their own language
        whats = set(db.session.scalars(select(Goal.what).where(Goal.user_id == user.id)))
        assert whats <= {what for what, _, _ in GOALS_ES.values()}, user.email
    maria = people["maria@example.org"]
    this_week = participant_week_start(now, maria.time_zone)
    assert db.session.scalar(select(ActionPlan.id).where(
        ActionPlan.user_id == maria.id, ActionPlan.week_start == this_week)) is not None
    assert db.session.scalar(select(func.min(ActionPlan.week_start)).where(
        ActionPlan.user_id == maria.id)) <= this_week - timedelta(weeks=6)
