"""The "current goal and this week's plan" summary a family member may be shown: the goal in
the participant's words and this week's plan with days done, nothing more (no "why", no log
notes, no confidence)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from wham.accounts.models import User
from wham.factors import get_factor
from wham.goals import services as goals
from wham.timeutil import participant_week_start


@dataclass(frozen=True)
class PlanSummary:
    what: str
    how_much: str
    when: str
    days_planned: int
    days_done: int


@dataclass(frozen=True)
class ProgressSummary:
    week_start: date
    goal: str | None = None
    factor: str | None = None
    target_date: date | None = None
    plan: PlanSummary | None = None


def progress_summary(participant: User, now: datetime) -> ProgressSummary:
    week = participant_week_start(now, participant.time_zone)
    active = goals.active_goals(participant.id)
    if not active:
        return ProgressSummary(week_start=week)
    goal = active[0]
    plan = goals.plan_for_week(participant.id, week)
    plan_summary = None
    if plan is not None:
        plan_summary = PlanSummary(plan.what, plan.how_much, plan.when, plan.days_planned,
                                   goals.days_done_in_week(participant.id, week))
    return ProgressSummary(week_start=week, goal=goal.what, factor=get_factor(goal.factor).label(),
                           target_date=goal.target_date, plan=plan_summary)
