"""The rules of goals, plans and the log, and every write to them. Public read functions at the
end (`active_goals`, `plan_for_week`, `days_done_in_week`, `plans_between`) are used by the
check-ins and progress; the bulk ones after them (`first_active_goals`, ...) by the dashboard."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Date, Integer, and_, bindparam, case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from wham import audit
from wham.accounts.models import User
from wham.database import write_again_if_raced
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals.models import (
    CONFIDENCE_RULE,
    ActionPlan,
    Done,
    Goal,
    GoalStatus,
    GoalStatusChange,
    InventoryRating,
    InventoryTake,
    LogEntry,
)
from wham.timeutil import local_today, participant_week_start

RATING_RANGE = range(1, 6)
MAX_ACTIVE_GOALS_CAP = 3


class GoalRuleError(ValueError):
    """A change the rules do not allow; `reason` says which rule, for the page to explain."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LowConfidence(GoalRuleError):
    """Confidence below 7 and the participant has not yet chosen to keep the plan as it is."""

    def __init__(self) -> None:
        super().__init__("low confidence")


def max_active_goals() -> int:
    configured = int(current_app.config.get("MAX_ACTIVE_GOALS", 1))
    return max(1, min(configured, MAX_ACTIVE_GOALS_CAP))


def this_week(user: User, now: datetime) -> date:
    return participant_week_start(now, user.time_zone)


def week_days(week_start: date) -> list[date]:
    return [week_start + timedelta(days=n) for n in range(7)]


# --- inventory --------------------------------------------------------------------------------


def take_inventory(user: User, ratings: dict[str, int], now: datetime) -> InventoryTake:
    """Save one take of the self-inventory: a rating 1-5 for every one of the ten factors."""
    if set(ratings) != set(FACTOR_CODES):
        raise GoalRuleError("every factor")
    if any(value not in RATING_RANGE for value in ratings.values()):
        raise GoalRuleError("rating range")
    take = InventoryTake(user_id=user.id, taken_at=now)
    take.ratings = [InventoryRating(factor=code, rating=ratings[code]) for code in FACTOR_CODES]
    db.session.add(take)
    db.session.flush()
    audit.record("inventory.taken", actor=user, subject=user, obj=take, now=now)
    db.session.commit()
    return take


def inventory_takes(user_id: int) -> list[InventoryTake]:
    """Every take, oldest first, with their ratings (two queries, however many takes)."""
    return list(db.session.scalars(
        select(InventoryTake).where(InventoryTake.user_id == user_id)
        .options(selectinload(InventoryTake.ratings))
        .order_by(InventoryTake.taken_at, InventoryTake.id)))


@dataclass(frozen=True)
class FactorChange:
    factor: str
    latest: int
    previous: int | None
    first: int | None


def inventory_changes(takes: list[InventoryTake]) -> list[FactorChange]:
    """For each factor in order: the latest rating, the one before it and the first one."""
    if not takes:
        return []
    latest = takes[-1].rating_by_factor()
    previous = takes[-2].rating_by_factor() if len(takes) > 1 else {}
    first = takes[0].rating_by_factor() if len(takes) > 1 else {}
    return [FactorChange(code, latest[code], previous.get(code), first.get(code))
            for code in FACTOR_CODES if code in latest]


# --- goals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalDraft:
    factor: str
    what: str
    why: str = ""
    second_factor: str | None = None
    target_date: date | None = None
    milestones: str = ""


def _check_draft(user: User, draft: GoalDraft, now: datetime) -> None:
    if draft.factor not in FACTOR_CODES:
        raise GoalRuleError("factor")
    if draft.second_factor is not None and (draft.second_factor not in FACTOR_CODES
                                            or draft.second_factor == draft.factor):
        raise GoalRuleError("second factor")
    if not draft.what.strip():
        raise GoalRuleError("what")
    if draft.target_date is not None and draft.target_date < local_today(now, user.time_zone):
        raise GoalRuleError("target date")


def create_goal(user: User, draft: GoalDraft, now: datetime) -> Goal:
    """A new active goal, if the participant has room for one more (MAX_ACTIVE_GOALS)."""
    _check_draft(user, draft, now)
    _lock_goals_of(user.id)
    if _count_active(user.id) >= max_active_goals():
        raise GoalRuleError("too many active")
    goal = Goal(user_id=user.id, factor=draft.factor, second_factor=draft.second_factor,
                what=draft.what, why=draft.why, target_date=draft.target_date,
                milestones=draft.milestones, status=GoalStatus.ACTIVE, created_at=now,
                status_changed_at=now)
    goal.changes = [GoalStatusChange(from_status=None, to_status=GoalStatus.ACTIVE, changed_at=now)]
    db.session.add(goal)
    db.session.flush()
    audit.record("goal.created", actor=user, subject=user, obj=goal, now=now, factor=goal.factor)
    db.session.commit()
    return goal


def update_goal(user: User, goal: Goal, draft: GoalDraft, now: datetime) -> Goal:
    """Reword a goal. A target date already passed may stay as it was; a new one may not."""
    keep_date = draft.target_date is not None and draft.target_date == goal.target_date
    _check_draft(user, GoalDraft(**(draft.__dict__ | ({"target_date": None} if keep_date else {}))),
                 now)
    goal.factor, goal.second_factor = draft.factor, draft.second_factor
    goal.what, goal.why, goal.milestones = draft.what, draft.why, draft.milestones
    goal.target_date = draft.target_date
    audit.record("goal.updated", actor=user, subject=user, obj=goal, now=now)
    db.session.commit()
    return goal


def change_goal_status(user: User, goal: Goal, status: GoalStatus, now: datetime) -> Goal:
    """Mark a goal achieved, set it aside, or make it active again; the change is kept."""
    if status == goal.status:
        raise GoalRuleError("same status")
    if status == GoalStatus.ACTIVE:
        _lock_goals_of(user.id)
        if _count_active(user.id) >= max_active_goals():
            raise GoalRuleError("too many active")
    goal.changes.append(GoalStatusChange(from_status=goal.status, to_status=status, changed_at=now))
    goal.status, goal.status_changed_at = status, now
    audit.record("goal.status_changed", actor=user, subject=user, obj=goal, now=now,
                 status=status.value)
    db.session.commit()
    return goal


def _lock_goals_of(user_id: int) -> None:
    """Hold the participant's user row (PostgreSQL; SQLite lets one writer in at a time) until
    the transaction ends, so a double-tapped "new goal" counts active goals one after the other
    and cannot make two past MAX_ACTIVE_GOALS."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _count_active(user_id: int) -> int:
    return db.session.scalar(select(func.count(Goal.id)).where(
        Goal.user_id == user_id, Goal.status == GoalStatus.ACTIVE)) or 0


def goals_of(user_id: int) -> list[Goal]:
    """All of a participant's goals: active first, then the most recently changed."""
    order = case((Goal.status == GoalStatus.ACTIVE, 0), else_=1)
    return list(db.session.scalars(select(Goal).where(Goal.user_id == user_id)
                                   .order_by(order, Goal.status_changed_at.desc(), Goal.id.desc())))


# --- weekly action plans ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanDraft:
    what: str
    how_much: str
    when: str
    days_planned: int
    confidence: int


def plan_of_goal(goal_id: int, week_start: date) -> ActionPlan | None:
    return db.session.scalar(select(ActionPlan).where(ActionPlan.goal_id == goal_id,
                                                      ActionPlan.week_start == week_start))


def save_plan(user: User, goal: Goal, draft: PlanDraft, now: datetime, *,
              keep_low_confidence: bool = False) -> ActionPlan:
    """Write this week's plan for an active goal (one plan per goal per week: saving again
    changes it). Below confidence 7 it raises LowConfidence unless the participant has seen
    WHAM's rule and chosen to keep the plan; then the low confidence is recorded."""
    if goal.status != GoalStatus.ACTIVE:
        raise GoalRuleError("goal not active")
    if not 1 <= draft.days_planned <= 7:
        raise GoalRuleError("days planned")
    if not 0 <= draft.confidence <= 10:
        raise GoalRuleError("confidence")
    low = draft.confidence < CONFIDENCE_RULE
    if low and not keep_low_confidence:
        raise LowConfidence()
    return write_again_if_raced(_write_plan, user, goal, draft, now)


def _write_plan(user: User, goal: Goal, draft: PlanDraft, now: datetime) -> ActionPlan:
    low = draft.confidence < CONFIDENCE_RULE
    week = this_week(user, now)
    plan = plan_of_goal(goal.id, week)
    if plan is None:
        plan = ActionPlan(goal_id=goal.id, user_id=user.id, week_start=week, created_at=now)
        db.session.add(plan)
    plan.what, plan.how_much, plan.when = draft.what, draft.how_much, draft.when
    plan.days_planned, plan.confidence = draft.days_planned, draft.confidence
    plan.low_confidence_acknowledged = low
    plan.updated_at = now
    db.session.flush()
    audit.record("plan.saved", actor=user, subject=user, obj=plan, now=now,
                 week_start=week.isoformat(), confidence=draft.confidence)
    db.session.commit()
    return plan


def last_plan_before(goal_id: int, week_start: date) -> ActionPlan | None:
    return db.session.scalar(select(ActionPlan).where(ActionPlan.goal_id == goal_id,
                                                      ActionPlan.week_start < week_start)
                             .order_by(ActionPlan.week_start.desc()).limit(1))


def copy_last_plan(user: User, goal: Goal, now: datetime) -> ActionPlan:
    """This week's plan made from the goal's most recent earlier plan, in one step. The copy
    keeps the earlier confidence; a low one stays marked as seen and kept."""
    week = this_week(user, now)
    if goal.status != GoalStatus.ACTIVE:
        raise GoalRuleError("goal not active")
    if plan_of_goal(goal.id, week) is not None:
        raise GoalRuleError("plan exists")
    last = last_plan_before(goal.id, week)
    if last is None:
        raise GoalRuleError("nothing to copy")
    plan = ActionPlan(goal_id=goal.id, user_id=user.id, week_start=week, what=last.what,
                      how_much=last.how_much, when=last.when, days_planned=last.days_planned,
                      confidence=last.confidence,
                      low_confidence_acknowledged=last.confidence < CONFIDENCE_RULE,
                      created_at=now, updated_at=now)
    db.session.add(plan)
    try:
        db.session.flush()
    except IntegrityError:  # a plan for this week was saved a moment ago (a double tap)
        db.session.rollback()
        raise GoalRuleError("plan exists") from None
    audit.record("plan.copied", actor=user, subject=user, obj=plan, now=now,
                 week_start=week.isoformat(), from_plan=last.id)
    db.session.commit()
    return plan


# --- the personal log -------------------------------------------------------------------------


def loggable_days(user: User, plan: ActionPlan, now: datetime) -> list[date]:
    """The days of the plan's week that are today or earlier in the participant's time zone."""
    today = local_today(now, user.time_zone)
    return [day for day in week_days(plan.week_start) if day <= today]


def log_day(user: User, plan: ActionPlan, day: date, done: Done | str, note: str,
            is_private: bool, now: datetime) -> LogEntry:
    """Record (or change) one day of the plan's week. Future days cannot be logged."""
    if day not in week_days(plan.week_start):
        raise GoalRuleError("day outside week")
    if day > local_today(now, user.time_zone):
        raise GoalRuleError("future day")
    return write_again_if_raced(_write_log_entry, user, plan, day, Done(done), note, is_private,
                                now)


def _write_log_entry(user: User, plan: ActionPlan, day: date, done: Done, note: str,
                     is_private: bool, now: datetime) -> LogEntry:
    entry = log_entry_of(plan.id, day)
    if entry is None:
        entry = LogEntry(plan_id=plan.id, user_id=user.id, day=day, created_at=now)
        db.session.add(entry)
    entry.done, entry.note, entry.is_private, entry.updated_at = done, note, is_private, now
    db.session.flush()
    audit.record("log.saved", actor=user, subject=user, obj=entry, now=now, day=day.isoformat())
    db.session.commit()
    return entry


def log_entry_of(plan_id: int, day: date) -> LogEntry | None:
    return db.session.scalar(select(LogEntry).where(LogEntry.plan_id == plan_id,
                                                    LogEntry.day == day))


def log_entries(plan_id: int) -> dict[date, LogEntry]:
    return {e.day: e for e in db.session.scalars(
        select(LogEntry).where(LogEntry.plan_id == plan_id))}


@dataclass(frozen=True)
class SharedLogEntry:
    """A log entry as anyone but its owner may see it: a private note's text is left out."""

    plan_id: int
    day: date
    done: Done
    note: str
    is_private: bool


def shared_log_entries(user_id: int, first_day: date, last_day: date) -> list[SharedLogEntry]:
    """A participant's log entries for a staff page (a peer specialist's view). The text of a
    private note never leaves the database: the query itself blanks it."""
    note = case((LogEntry.is_private.is_(True), ""), else_=LogEntry.note)
    rows = db.session.execute(
        select(LogEntry.plan_id, LogEntry.day, LogEntry.done, note, LogEntry.is_private)
        .where(LogEntry.user_id == user_id, LogEntry.day >= first_day, LogEntry.day <= last_day)
        .order_by(LogEntry.day))
    return [SharedLogEntry(*row) for row in rows]


# --- public reads used by other packages ------------------------------------------------------


def active_goals(user_id: int) -> list[Goal]:
    """The participant's active goals, oldest first (the first is "the" goal on pages)."""
    return list(db.session.scalars(select(Goal).where(Goal.user_id == user_id,
                                                      Goal.status == GoalStatus.ACTIVE)
                                   .order_by(Goal.created_at, Goal.id)))


def plan_for_week(user_id: int, week_start: date) -> ActionPlan | None:
    """The plan of the participant's first active goal for that week, if there is one."""
    first_goal = (select(Goal.id).where(Goal.user_id == user_id, Goal.status == GoalStatus.ACTIVE)
                  .order_by(Goal.created_at, Goal.id).limit(1).scalar_subquery())
    return db.session.scalar(select(ActionPlan).where(ActionPlan.goal_id == first_goal,
                                                      ActionPlan.week_start == week_start))


def days_done_in_week(user_id: int, week_start: date) -> int:
    """Days logged "yes" in that week's plan (of the first active goal); "partly" is not done."""
    return days_done_in_plan(plan_for_week(user_id, week_start))


def days_done_in_plan(plan: ActionPlan | None) -> int:
    """Days logged "yes" in this plan (none: 0); "partly" is not done."""
    if plan is None:
        return 0
    return db.session.scalar(select(func.count(LogEntry.id)).where(
        LogEntry.plan_id == plan.id, LogEntry.done == Done.YES)) or 0


def plans_between(user_id: int, first_week: date, last_week: date) -> list[ActionPlan]:
    """All of the participant's plans (any goal) for weeks first_week..last_week, in one query,
    oldest week first."""
    return list(db.session.scalars(
        select(ActionPlan).where(ActionPlan.user_id == user_id,
                                 ActionPlan.week_start >= first_week,
                                 ActionPlan.week_start <= last_week)
        .order_by(ActionPlan.week_start, ActionPlan.goal_id)))


# --- many participants at once (the facilitator's dashboard) -----------------------------------


@dataclass(frozen=True)
class GoalLine:
    """A goal as a list of people shows it: its factor and title, not why it matters to them."""

    id: int
    factor: str
    title: str


def first_active_goals(user_ids: list[int]) -> dict[int, GoalLine]:
    """Each participant's first active goal (the one pages show), by user id, in one query."""
    if not user_ids:
        return {}
    goals: dict[int, GoalLine] = {}
    for goal_id, user_id, factor, what in db.session.connection().execute(
            _first_active_goals_statement(), {"user_ids": list(user_ids)}):
        goals.setdefault(user_id, GoalLine(goal_id, factor, what))
    return goals


@cache
def _first_active_goals_statement():
    # Built once per process; the ids are one expanding parameter.
    return (select(Goal.id, Goal.user_id, Goal.factor, Goal.what)
            .where(Goal.user_id.in_(bindparam("user_ids", expanding=True)),
                   Goal.status == GoalStatus.ACTIVE)
            .order_by(Goal.user_id, Goal.created_at, Goal.id))


def planned_and_done_days(goal_ids: list[int],
                          weeks: set[date]) -> dict[tuple[int, date], tuple[int, int]]:
    """(days planned, days logged "yes") of each goal's plan, per (goal, week) that has a plan,
    in one query; "partly" is not done, as in `days_done_in_week`."""
    if not goal_ids or not weeks:
        return {}
    rows = db.session.connection().execute(
        _planned_and_done_statement(), {"goal_ids": list(goal_ids), "weeks": sorted(weeks)})
    return {(goal_id, week): (planned, done) for goal_id, week, planned, done in rows}


@cache
def _planned_and_done_statement():
    # Built once per process; the goals and weeks are expanding parameters.
    return (select(ActionPlan.goal_id, ActionPlan.week_start, ActionPlan.days_planned,
                   func.count(LogEntry.id))
            .outerjoin(LogEntry, and_(LogEntry.plan_id == ActionPlan.id, LogEntry.done == Done.YES))
            .where(ActionPlan.goal_id.in_(bindparam("goal_ids", expanding=True)),
                   ActionPlan.week_start.in_(bindparam("weeks", expanding=True)))
            .group_by(ActionPlan.id, ActionPlan.goal_id, ActionPlan.week_start,
                      ActionPlan.days_planned))


def active_goals_by_factor(user_ids: list[int]) -> list[tuple[str, int]]:
    """How many active goals these participants have per whole-health factor, in the factors'
    order, factors nobody chose left out; one query."""
    if not user_ids:
        return []
    counts = dict(db.session.execute(
        select(Goal.factor, func.count(Goal.id))
        .where(Goal.user_id.in_(user_ids), Goal.status == GoalStatus.ACTIVE)
        .group_by(Goal.factor)).all())
    return [(code, counts[code]) for code in FACTOR_CODES if counts.get(code)]


# --- the participant's home page --------------------------------------------------------------


@dataclass(frozen=True)
class HomeGoal:
    """An active goal as home and the printable summary show it, read without the ORM."""

    id: int
    factor: str
    second_factor: str | None
    what: str
    why: str
    target_date: date | None
    milestones: str

    # The goal's own readings of its areas and small steps.
    factors = Goal.factors
    milestone_lines = Goal.milestone_lines


@dataclass(frozen=True)
class HomePlan:
    """This week's plan of the goal, as home and the printable summary show it."""

    id: int
    what: str
    how_much: str
    when: str
    days_planned: int
    confidence: int


@dataclass
class HomeSummary:
    """What the participant's home page shows, gathered in a fixed number of queries."""

    week_start: date
    today: date
    goal: HomeGoal | None = None
    other_goals: list[HomeGoal] = field(default_factory=list)
    plan: HomePlan | None = None
    logged: dict[date, Done] = field(default_factory=dict)  # this week's plan, day by day
    has_inventory: bool = False
    can_copy_last_plan: bool = False
    check_in_done: bool = False  # the check-in of check_in_week
    check_in_streak: int = 0
    check_ins_available: bool = False
    check_in_week: date | None = None
    check_in_last_day: date | None = None  # answers can be given or changed until it ends
    had_plan_last_week: bool = False

    @property
    def week_days(self) -> list[date]:
        return week_days(self.week_start)

    @property
    def week_logged(self) -> list[tuple[date, Done | None]]:
        """Each day of the week with what was logged for it (None: nothing yet)."""
        return [(day, self.logged.get(day)) for day in self.week_days]

    @property
    def days_done(self) -> int:
        return sum(1 for done in self.logged.values() if done == Done.YES)

    @property
    def check_in_is_due(self) -> bool:
        """Last week's check-in still open, or this week's in its last two days."""
        if not self.check_ins_available or self.check_in_done:
            return False
        return self.check_in_week < self.week_start or self.today >= self.week_start + timedelta(days=5)

    @property
    def next_step(self) -> str:
        if not self.has_inventory:
            return "inventory"
        if self.goal is None:
            return "goal"
        if (self.check_in_is_due and self.check_in_week < self.week_start
                and self.had_plan_last_week):
            return "check_in"  # last week first: how did it go, then plan this week
        if self.plan is None:
            return "plan"
        if self.today not in self.logged:
            return "log"
        if self.check_in_is_due:
            return "check_in"
        return "keep_going"


_GOAL_COLUMNS = [f.name for f in fields(HomeGoal)]
_PLAN_COLUMNS = [f.name for f in fields(HomePlan)]
# Where HomeGoal's and HomePlan's fields are in a row of _home_statement.
_GOAL_AT = slice(4, 4 + len(_GOAL_COLUMNS))
_PLAN_AT = slice(4 + len(_GOAL_COLUMNS), None)


@cache
def _home_statement():
    """The participant's active goals (oldest first), each with this week's plan and its logged
    days, the week of the goal's latest earlier plan, and whether there is a self-inventory: one
    row per logged day, and a row of empty goal columns for someone without an active goal.
    Rows are has_inventory, last_plan_week, day, done, then HomeGoal's and HomePlan's fields.
    Table columns, not ORM objects: the page only reads them. Built once per process; the
    participant and the week are bound when it runs."""
    users, goals, plans = User.__table__, Goal.__table__, ActionPlan.__table__
    entries, takes, earlier = LogEntry.__table__, InventoryTake.__table__, plans.alias()
    user_id, week = bindparam("user_id", type_=Integer), bindparam("week", type_=Date)
    last_plan_week = (select(func.max(earlier.c.week_start))
                      .where(earlier.c.goal_id == goals.c.id, earlier.c.week_start < week)
                      .scalar_subquery())
    goal_columns = [goals.c[name] for name in _GOAL_COLUMNS]
    plan_columns = [plans.c[name] for name in _PLAN_COLUMNS]
    goal_columns[0], plan_columns[0] = goals.c.id.label("goal_id"), plans.c.id.label("plan_id")
    return (select(exists().where(takes.c.user_id == users.c.id).label("has_inventory"),
                   last_plan_week.label("last_plan_week"), entries.c.day, entries.c.done,
                   *goal_columns, *plan_columns)
            .select_from(
                users.outerjoin(goals, and_(goals.c.user_id == users.c.id,
                                            goals.c.status == GoalStatus.ACTIVE))
                .outerjoin(plans, and_(plans.c.goal_id == goals.c.id, plans.c.week_start == week))
                .outerjoin(entries, entries.c.plan_id == plans.c.id))
            .where(users.c.id == user_id)
            .order_by(goals.c.created_at, goals.c.id))


def home_summary(user: User, now: datetime) -> HomeSummary:
    week = this_week(user, now)
    summary = HomeSummary(week_start=week, today=local_today(now, user.time_zone))
    rows = db.session.execute(_home_statement(), {"user_id": user.id, "week": week}).all()
    summary.has_inventory = bool(rows[0].has_inventory)
    rows_by_goal: dict[int, list] = {}  # oldest goal first
    for row in rows:
        if row.goal_id is not None:
            rows_by_goal.setdefault(row.goal_id, []).append(row)
    if rows_by_goal:
        first, *others = rows_by_goal.values()
        summary.goal = HomeGoal(*first[0][_GOAL_AT])
        summary.other_goals = [HomeGoal(*other[0][_GOAL_AT]) for other in others]
        if first[0].plan_id is not None:
            summary.plan = HomePlan(*first[0][_PLAN_AT])
            summary.logged = {row.day: row.done for row in first if row.day is not None}
        last = first[0].last_plan_week
        summary.can_copy_last_plan = summary.plan is None and last is not None
        summary.had_plan_last_week = last is not None and last == week - timedelta(days=7)
    _add_check_in(summary, user, now)
    return summary


def _add_check_in(summary: HomeSummary, user: User, now: datetime) -> None:
    # The check-in lines show once the check-in pages are part of the app.
    if "checkins" not in current_app.blueprints:
        return
    from wham.checkins import services as checkins

    summary.check_ins_available = True
    # One read of the weeks checked in gives the streak and whether a week is done.
    done = checkins.checked_in_weeks(user.id, summary.week_start)
    summary.check_in_week = checkins.week_to_check_in(user, now, checked_in=set(done[:2]))
    summary.check_in_last_day = checkins.last_open_day(summary.check_in_week)
    summary.check_in_done = summary.check_in_week in done[:2]
    summary.check_in_streak = checkins.streak_of(done, summary.week_start)
