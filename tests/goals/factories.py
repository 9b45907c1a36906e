"""Factories for goals, weekly plans and log entries, made through the services where the
rules allow, and directly for past weeks (the services only write this week's plan)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask

from wham.accounts.models import User
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals import services
from wham.goals.models import ActionPlan, Done, Goal, LogEntry
from wham.timeutil import utcnow


@dataclass
class MadeGoal:
    id: int
    plan_id: int | None = None


def make_goal(app: Flask, owner: User, *, factor: str = "activity", what: str = "Walk more",
              plan: bool = True, now: datetime | None = None) -> MadeGoal:
    """An active goal, with this week's plan (confidence 8) unless plan=False."""
    now = now or utcnow()
    with app.app_context():
        user = db.session.get(User, owner.id)
        goal = services.create_goal(user, services.GoalDraft(factor=factor, what=what,
                                                             why="To feel stronger"), now)
        made = MadeGoal(goal.id)
        if plan:
            made.plan_id = services.save_plan(user, goal, services.PlanDraft(
                "Walk", "10 minutes", "after lunch", 3, 8), now).id
        return made


def make_inventory(app: Flask, owner: User, rating: int = 3, now: datetime | None = None) -> int:
    with app.app_context():
        take = services.take_inventory(db.session.get(User, owner.id),
                                       dict.fromkeys(FACTOR_CODES, rating), now or utcnow())
        return take.id


def add_history(app: Flask, owner: User, goal_id: int, this_week: date, weeks: int) -> None:
    """`weeks` earlier weekly plans for the goal, each with seven logged days."""
    with app.app_context():
        for n in range(1, weeks + 1):
            week = this_week - timedelta(weeks=n)
            plan = ActionPlan(goal_id=goal_id, user_id=owner.id, week_start=week, what="Walk",
                              how_much="10 minutes", when="after lunch", days_planned=4,
                              confidence=5 + n % 5, low_confidence_acknowledged=5 + n % 5 < 7)
            plan.entries = [LogEntry(user_id=owner.id, day=week + timedelta(days=d),
                                     done=[Done.YES, Done.PARTLY, Done.NO][d % 3],
                                     note=f"day {d}", is_private=d == 2) for d in range(7)]
            db.session.add(plan)
        db.session.commit()


def goal_count(app: Flask, owner: User) -> int:
    with app.app_context():
        return db.session.query(Goal).filter_by(user_id=owner.id).count()
