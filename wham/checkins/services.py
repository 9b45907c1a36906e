"""The rules of the weekly check-in, safety flags, and the participant's progress in numbers.
Public reads used by other packages: `check_in_for_week`, `check_in_streak`, `check_in_scores`."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from flask import current_app
from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from wham import audit
from wham.accounts.models import User
from wham.checkins import measures
from wham.checkins.models import CheckIn, Flag, FlagReason, Support
from wham.database import write_again_if_raced
from wham.extensions import db
from wham.timeutil import local_to_utc, participant_week_start

if TYPE_CHECKING:
    from wham.goals.models import ActionPlan

# A week's check-in stays open this long after the week ends, then it is read-only.
GRACE_DAYS = 2
PROGRESS_WEEKS = 12
MIN_CHART_WEEKS = 4


class CheckInClosed(ValueError):
    """The week is over and its grace days have passed (or it has not started yet)."""


# --- weeks ------------------------------------------------------------------------------------


def current_week(user: User, now: datetime) -> date:
    return participant_week_start(now, user.time_zone)


def is_week_start(day: date) -> bool:
    return day.weekday() == current_app.config["WEEK_STARTS_ON"]


def edit_deadline(user: User, week_start: date) -> datetime:
    """The end of the second day after the week ends, at local midnight in the person's zone."""
    return local_to_utc(week_start + timedelta(days=7 + GRACE_DAYS), time(0), user.time_zone)


def last_open_day(week_start: date) -> date:
    return week_start + timedelta(days=6 + GRACE_DAYS)


def is_open(user: User, week_start: date, now: datetime) -> bool:
    """Whether the check-in of this week may be written or changed now."""
    return week_start <= current_week(user, now) and now < edit_deadline(user, week_start)


def week_to_check_in(user: User, now: datetime, checked_in: Collection[date] | None = None) -> date:
    """Last week while it is still open and not yet done, if the participant was taking part
    then; otherwise this week. Someone who joined this week is not asked about last week.
    `checked_in`: the weeks with a check-in, when the caller has read them already."""
    this_week = current_week(user, now)
    last_week = this_week - timedelta(days=7)
    if not is_open(user, last_week, now):
        return this_week
    done = (last_week in checked_in if checked_in is not None
            else check_in_for_week(user.id, last_week) is not None)
    if not done and took_part_before(user, this_week):
        return last_week
    return this_week


def took_part_before(user: User, week_start: date) -> bool:
    """Whether the participant joined before this week, or planned or checked in for an earlier
    week (demo and imported people have history from before their account's date)."""
    if user.created_at < local_to_utc(week_start, time(0), user.time_zone):
        return True
    from wham.goals.models import ActionPlan

    return bool(db.session.scalar(select(or_(
        exists().where(CheckIn.user_id == user.id, CheckIn.week_start < week_start),
        exists().where(ActionPlan.user_id == user.id, ActionPlan.week_start < week_start)))))


# --- reads ------------------------------------------------------------------------------------


def check_in_for_week(user_id: int, week_start: date) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.user_id == user_id,
                                                   CheckIn.week_start == week_start))


def check_in_streak(user_id: int, current_week_start: date) -> int:
    """Consecutive weeks with a check-in, ending at this week or, while this week's is not
    done yet, at last week. One query."""
    return streak_of(checked_in_weeks(user_id, current_week_start), current_week_start)


def checked_in_weeks(user_id: int, last_week: date) -> list[date]:
    """The weeks up to `last_week` the participant checked in for, latest first (one query:
    the streak, and whether this and last week are done)."""
    return list(db.session.scalars(_checked_in_weeks_statement(),
                                   {"user_id": user_id, "last_week": last_week}))


@cache
def _checked_in_weeks_statement():
    # Built once per process: every page with the streak runs it, and building it costs more
    # than running it. The participant and the week are bound when it runs.
    return (select(CheckIn.week_start)
            .where(CheckIn.user_id == bindparam("user_id", type_=Integer),
                   CheckIn.week_start <= bindparam("last_week", type_=Date))
            .order_by(CheckIn.week_start.desc()))


def streak_of(weeks: list[date], current_week_start: date) -> int:
    """Consecutive weeks in `weeks` (latest first) ending at this week or, while this week's
    is not done yet, at last week."""
    expected = current_week_start
    if weeks and weeks[0] != expected:
        expected -= timedelta(days=7)
    streak = 0
    for week in weeks:
        if week != expected:
            break
        streak += 1
        expected -= timedelta(days=7)
    return streak


class CheckInScores(NamedTuple):
    """The numbers of one check-in, without its free text: what staff pages show."""

    id: int
    user_id: int
    week_start: date
    days_done: int
    confidence_next: int
    who5_score: int


def check_in_scores(user_ids: list[int], first_week: date, last_week: date) -> list[CheckInScores]:
    """The check-ins of many participants for weeks first_week..last_week, numbers only, in
    one query (for a group's dashboard and the follow-up rules)."""
    if not user_ids:
        return []
    rows = db.session.connection().execute(
        _scores_statement(), {"user_ids": list(user_ids), "first": first_week, "last": last_week})
    return [CheckInScores._make(row) for row in rows]


@cache
def _scores_statement():
    # Built once per process; the ids are one expanding parameter.
    return (select(CheckIn.id, CheckIn.user_id, CheckIn.week_start, CheckIn.days_done,
                   CheckIn.confidence_next, CheckIn.who5_score)
            .where(CheckIn.user_id.in_(bindparam("user_ids", expanding=True)),
                   CheckIn.week_start >= bindparam("first", type_=CheckIn.week_start.type),
                   CheckIn.week_start <= bindparam("last", type_=CheckIn.week_start.type))
            .order_by(CheckIn.user_id, CheckIn.week_start))


# --- saving a check-in ------------------------------------------------------------------------


@dataclass
class CheckInAnswers:
    days_done: int
    who5: list[int]
    stress: int
    helped: str
    barriers: str
    confidence_next: int
    support: Support
    phq9: list[int] | None = None
    gad7: list[int] | None = None


@dataclass
class SaveResult:
    check_in: CheckIn
    created: bool
    # Why this check-in calls for the crisis page now (also when the flag already existed).
    safety_reasons: list[FlagReason] = field(default_factory=list)
    new_flags: list[Flag] = field(default_factory=list)

    @property
    def needs_support_page(self) -> bool:
        return bool(self.safety_reasons)


def enabled_measures() -> dict[str, bool]:
    return {"phq9": bool(current_app.config["CHECKIN_PHQ9_ENABLED"]),
            "gad7": bool(current_app.config["CHECKIN_GAD7_ENABLED"])}


def safety_reasons(check_in: CheckIn) -> list[FlagReason]:
    """Every reason, by configuration, this check-in needs a peer specialist's attention."""
    config = current_app.config
    reasons = []
    if check_in.support == Support.NOW:
        reasons.append(FlagReason.SUPPORT_NOW)
    if check_in.phq9_answers is not None:
        if measures.phq9_item9_positive(check_in.phq9_answers):
            reasons.append(FlagReason.PHQ9_ITEM9)
        if check_in.phq9_score >= config["SAFETY_PHQ9_THRESHOLD"]:
            reasons.append(FlagReason.PHQ9_THRESHOLD)
    if check_in.gad7_score is not None and check_in.gad7_score >= config["SAFETY_GAD7_THRESHOLD"]:
        reasons.append(FlagReason.GAD7_THRESHOLD)
    if wellbeing_is_low(check_in.who5_score):
        reasons.append(FlagReason.WHO5_LOW)
    return reasons


def wellbeing_is_low(who5_score: int) -> bool:
    """A WHO-5 score at or below the configured threshold (SAFETY_WHO5_MIN)."""
    return who5_score <= current_app.config["SAFETY_WHO5_MIN"]


def _apply(check_in: CheckIn, answers: CheckInAnswers) -> None:
    check_in.days_done = answers.days_done
    check_in.stress = answers.stress
    check_in.helped = answers.helped
    check_in.barriers = answers.barriers
    check_in.confidence_next = answers.confidence_next
    check_in.support = Support(answers.support)
    check_in.who5_answers = list(answers.who5)
    check_in.who5_score = measures.who5_score(answers.who5)
    enabled = enabled_measures()
    phq9 = answers.phq9 if enabled["phq9"] else None
    gad7 = answers.gad7 if enabled["gad7"] else None
    check_in.phq9_answers = list(phq9) if phq9 is not None else None
    phq9_result = measures.phq9_score(phq9) if phq9 is not None else None
    check_in.phq9_score = phq9_result.total if phq9_result else None
    check_in.phq9_band = phq9_result.band if phq9_result else None
    check_in.gad7_answers = list(gad7) if gad7 is not None else None
    gad7_result = measures.gad7_score(gad7) if gad7 is not None else None
    check_in.gad7_score = gad7_result.total if gad7_result else None
    check_in.gad7_band = gad7_result.band if gad7_result else None


def _validate(answers: CheckInAnswers) -> None:
    if not 0 <= answers.days_done <= 7:
        raise ValueError("days done is 0-7")
    for name in ("stress", "confidence_next"):
        if not 0 <= getattr(answers, name) <= 10:
            raise ValueError(f"{name} is 0-10")
    enabled = enabled_measures()
    if enabled["phq9"] and answers.phq9 is None:
        raise ValueError("this program asks the PHQ-9")
    if enabled["gad7"] and answers.gad7 is None:
        raise ValueError("this program asks the GAD-7")


def save_check_in(user: User, week_start: date, answers: CheckInAnswers,
                  now: datetime) -> SaveResult:
    """Write (or change) the participant's check-in for the week, raise a flag for each new
    safety reason, and record both in the audit log, in one transaction."""
    if not is_week_start(week_start) or not is_open(user, week_start, now):
        raise CheckInClosed(str(week_start))
    _validate(answers)
    return write_again_if_raced(_save, user, week_start, answers, now)


def _save(user: User, week_start: date, answers: CheckInAnswers, now: datetime) -> SaveResult:
    check_in = check_in_for_week(user.id, week_start)
    created = check_in is None
    if created:
        check_in = CheckIn(user_id=user.id, week_start=week_start, created_at=now)
        db.session.add(check_in)
    _apply(check_in, answers)
    check_in.updated_at = now
    db.session.flush()
    reasons = safety_reasons(check_in)
    already = set(db.session.scalars(select(Flag.reason).where(Flag.check_in_id == check_in.id)))
    new_flags = []
    for reason in reasons:
        if reason in already:
            continue
        flag = Flag(user_id=user.id, kind="safety", reason=reason, created_at=now,
                    check_in_id=check_in.id)
        db.session.add(flag)
        new_flags.append(flag)
    db.session.flush()
    # Identifiers only: the answers and the reasons stay out of the audit log.
    audit.record("check_in.saved", actor=user, subject=user, obj=check_in, now=now,
                 week=week_start.isoformat(), created=created)
    for flag in new_flags:
        audit.record("flag.raised", actor=user, subject=user, obj=flag, now=now,
                     peer_specialist_id=user.peer_specialist_id)
    from wham.groups.flags import raise_member_flags
    from wham.nudges.services import check_in_saved

    raise_member_flags(user, now)  # e.g. confidence down 3: on the dashboard at once
    check_in_saved(user.id, week_start, now)  # the week's queued reminders are not wanted now
    db.session.commit()
    return SaveResult(check_in, created, reasons, new_flags)


def change_days_done(user: User, check_in: CheckIn, days_done: int, now: datetime,
                     source: str) -> None:
    """Change only the days done of a saved check-in (a number texted back to a reminder)."""
    if not 0 <= days_done <= 7:
        raise ValueError("days done is 0-7")
    if not is_open(user, check_in.week_start, now):
        raise CheckInClosed(str(check_in.week_start))
    check_in.days_done = days_done
    check_in.updated_at = now
    audit.record("check_in.days_changed", actor=user, subject=user, obj=check_in, now=now,
                 week=check_in.week_start.isoformat(), source=source)
    db.session.commit()


@dataclass(frozen=True)
class CheckInStart:
    """What a week's check-in page starts from."""

    check_in: CheckIn | None  # the week's saved check-in, if there is one
    plan: ActionPlan | None  # the week's plan, as goals.plan_for_week finds it
    # What a new check-in's days done starts at: the number the participant texted back to the
    # week's reminder, else the days logged "yes" in the plan.
    days_done: int


def check_in_start(user_id: int, week_start: date) -> CheckInStart:
    """The week's check-in, plan and days done to start a new check-in with, in one query."""
    check_in, plan, texted, logged = db.session.execute(
        _check_in_start_statement(), {"user_id": user_id, "week": week_start}).one()
    return CheckInStart(check_in, plan, texted if texted is not None else logged)


def days_done_to_prefill(user_id: int, week_start: date) -> int:
    """What a new check-in's days done starts at (see CheckInStart)."""
    return check_in_start(user_id, week_start).days_done


@cache
def _check_in_start_statement():
    """One row: the participant's check-in of the week, the plan of their first active goal
    for the week (as goals.plan_for_week finds it), the days they texted back and the days
    logged "yes" in that plan; a part that does not exist comes back empty. Written so that
    PostgreSQL plans it quickly (planning costs more than running it), and built once per
    process; the participant and week are bound when it runs."""
    from wham.goals.models import ActionPlan, Done, Goal, GoalStatus, LogEntry
    from wham.nudges.models import TextedDaysDone

    user_id, week = bindparam("user_id", type_=Integer), bindparam("week", type_=Date)
    first_goal = (select(Goal.id).where(Goal.user_id == user_id, Goal.status == GoalStatus.ACTIVE)
                  .order_by(Goal.created_at, Goal.id).limit(1).scalar_subquery())
    texted = (select(TextedDaysDone.days_done)
              .where(TextedDaysDone.user_id == user_id, TextedDaysDone.week_start == week)
              .scalar_subquery())
    logged_yes = (select(func.count(LogEntry.id))
                  .where(LogEntry.plan_id == ActionPlan.id, LogEntry.done == Done.YES)
                  .scalar_subquery())
    return (select(CheckIn, ActionPlan, texted, logged_yes)
            .select_from(User)
            .outerjoin(CheckIn, and_(CheckIn.user_id == user_id, CheckIn.week_start == week))
            .outerjoin(ActionPlan, and_(ActionPlan.goal_id == first_goal,
                                        ActionPlan.week_start == week))
            .where(User.id == user_id))


# How long one crisis-text flag stands for more texts like it while nobody has seen it yet.
CRISIS_TEXT_FLAG_COVERS = timedelta(hours=24)


def raise_crisis_text_flag(user: User, now: datetime) -> Flag | None:
    """A text from the participant's confirmed number suggested a crisis: flag it for their
    peer specialists (the flag holds the reason only, never the text). While such a flag from
    the last day is still unacknowledged, further texts add nothing. The caller commits."""
    open_flag = db.session.scalar(select(Flag.id).where(
        Flag.user_id == user.id, Flag.reason == FlagReason.CRISIS_TEXT,
        Flag.acknowledged_at.is_(None), Flag.created_at > now - CRISIS_TEXT_FLAG_COVERS))
    if open_flag is not None:
        return None
    flag = Flag(user_id=user.id, kind="safety", reason=FlagReason.CRISIS_TEXT, created_at=now)
    db.session.add(flag)
    db.session.flush()
    audit.record("flag.raised", actor=user, subject=user, obj=flag, now=now,
                 peer_specialist_id=user.peer_specialist_id, source="sms")
    return flag


# --- progress ---------------------------------------------------------------------------------


@dataclass
class WeekPoint:
    week_start: date
    days_planned: int | None = None
    days_done: int | None = None
    plan_confidence: int | None = None
    confidence_next: int | None = None
    wellbeing: int | None = None
    checked_in: bool = False


@dataclass
class InventoryPoint:
    factor: str
    first: int
    latest: int


@dataclass
class Progress:
    weeks: list[WeekPoint]
    inventory: list[InventoryPoint]
    first_take_at: datetime | None = None
    latest_take_at: datetime | None = None

    @property
    def has_history(self) -> bool:
        return any(w.checked_in or w.days_planned is not None for w in self.weeks)


def progress_for(user: User, now: datetime, weeks: int = PROGRESS_WEEKS) -> Progress:
    """The last `weeks` weeks (up to this week) and the inventory's first and latest take, in
    one query however long the history is."""
    from wham.factors import FACTOR_CODES

    last = current_week(user, now)
    first = last - timedelta(days=7 * (weeks - 1))
    points = {first + timedelta(days=7 * n): WeekPoint(first + timedelta(days=7 * n))
              for n in range(weeks)}
    plans: dict[date, tuple] = {}  # week -> (goal, days planned, confidence, days logged)
    takes: dict[tuple[datetime, int], dict[str, int]] = {}  # (taken at, take) -> ratings
    # Core rows on the session's connection: nothing here is changed, so no ORM objects.
    rows = db.session.connection().execute(
        _progress_statement(), {"user_id": user.id, "first": first, "last": last}).all()
    for kind, week, n1, n2, n3, of, factor, taken_at in rows:
        if kind == "check_in":
            point = points.get(week)
            if point is not None:  # None: a week start from before the program changed its
                point.checked_in = True  # first weekday
                point.days_done, point.confidence_next, point.wellbeing = n1, n2, n3
        elif kind == "plan":
            plan = plans.get(week)
            if plan is None or of < plan[0]:  # the oldest goal's plan stands for the week
                plans[week] = (of, n1, n2, n3)
        else:
            ratings = takes.setdefault((taken_at, of), {})
            if factor is not None:
                ratings[factor] = n1
    for week, (_goal, planned, confidence, logged) in plans.items():
        point = points.get(week)
        if point is not None:
            point.days_planned, point.plan_confidence = planned, confidence
            if not point.checked_in:  # else the check-in's days done
                point.days_done = logged
    progress = Progress(weeks=_from_first_active_week(list(points.values())), inventory=[])
    if takes:
        # The same take is both when there is one; ties in time go by the order they were made.
        first_take, latest_take = min(takes), max(takes)
        before, after = takes[first_take], takes[latest_take]
        progress.first_take_at, progress.latest_take_at = first_take[0], latest_take[0]
        progress.inventory = [InventoryPoint(code, before[code], after[code])
                              for code in FACTOR_CODES if code in before and code in after]
    return progress


@cache
def _progress_statement():
    """Everything the progress page shows, in one query, as rows of (kind, week, three
    numbers, of, factor, taken at):
    - "plan": a week's plan of any goal: days planned, confidence, the days logged "yes", and
      its goal (the oldest goal's plan stands for the week);
    - "check_in": a week's check-in: days done, confidence for the next week, wellbeing;
    - "take": a rating (factor, rating) of the participant's first or latest self-inventory,
      of that take, and when it was taken (one take when there is only one).
    Built once per process, as building it costs more than running it; the participant and
    the first and last weeks are bound when it runs. Shaped to be cheap to plan (PostgreSQL
    plans it again for each participant while it judges a custom plan worth it): no outer
    ordering (the service sorts the plans out), the logged days counted in a subquery rather
    than a grouped join, both takes in one part."""
    from wham.goals.models import ActionPlan, Done, InventoryRating, InventoryTake, LogEntry

    user_id = bindparam("user_id", type_=Integer)
    first, last = bindparam("first", type_=Date), bindparam("last", type_=Date)
    # The first part gives the union its column types (PostgreSQL reads a bare NULL as text),
    # so its empty columns are typed.
    days_logged = (select(func.count(LogEntry.id))
                   .where(LogEntry.plan_id == ActionPlan.id, LogEntry.done == Done.YES)
                   .scalar_subquery())
    plans = (select(literal("plan"), ActionPlan.week_start, ActionPlan.days_planned,
                    ActionPlan.confidence, days_logged, ActionPlan.goal_id,
                    cast(null(), InventoryRating.factor.type),
                    cast(null(), InventoryTake.taken_at.type))
             .where(ActionPlan.user_id == user_id, ActionPlan.week_start >= first,
                    ActionPlan.week_start <= last))
    check_ins = (select(literal("check_in"), CheckIn.week_start, CheckIn.days_done,
                        CheckIn.confidence_next, CheckIn.who5_score, null(), null(), null())
                 .where(CheckIn.user_id == user_id, CheckIn.week_start >= first,
                        CheckIn.week_start <= last))
    takes = select(InventoryTake.id).where(InventoryTake.user_id == user_id)
    first_take = takes.order_by(InventoryTake.taken_at, InventoryTake.id).limit(1)
    latest_take = takes.order_by(InventoryTake.taken_at.desc(), InventoryTake.id.desc()).limit(1)
    ratings = (select(literal("take"), null(), InventoryRating.rating, null(), null(),
                      InventoryTake.id, InventoryRating.factor, InventoryTake.taken_at)
               .outerjoin(InventoryRating, InventoryRating.take_id == InventoryTake.id)
               .where(InventoryTake.id.in_([first_take.scalar_subquery(),
                                            latest_take.scalar_subquery()])))
    return union_all(plans, check_ins, ratings)


def _from_first_active_week(weeks: list[WeekPoint]) -> list[WeekPoint]:
    """Leave out the empty weeks before the participant started (keeping at least
    MIN_CHART_WEEKS, so a new participant's first week is not one huge bar)."""
    first = next((n for n, w in enumerate(weeks)
                  if w.checked_in or w.days_planned is not None), len(weeks))
    return weeks[min(first, max(0, len(weeks) - MIN_CHART_WEEKS)):]
