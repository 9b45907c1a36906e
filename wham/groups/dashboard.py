"""A facilitator's view of one group: a row per member (goal factor, this week's check-in, days
done, confidence and wellbeing by week, attendance, last active, flags), the group's roll-up
(by week, factor and session), and both as CSV files without free text.

Everything is read in a fixed number of queries whatever the group's size or history, and
only the fields the joining notice names (templates/groups/_notice.html) are read at all.
"""
from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select

from wham import audit
from wham.accounts.models import User
from wham.checkins import services as checkins
from wham.checkins.models import CheckIn, Flag
from wham.database import UTCDateTime
from wham.exports import csv_text
from wham.extensions import db
from wham.goals.services import (
    GoalLine,
    active_goals_by_factor,
    first_active_goals,
    planned_and_done_days,
)
from wham.groups import flags as follow_up
from wham.groups.models import Attendance, AttendanceStatus, Group, GroupSession, Membership
from wham.groups.services import active_members
from wham.timeutil import local_today, participant_week_start, to_local

# Weeks in each member's sparklines, and at most this many weeks in the group's roll-up.
SPARK_WEEKS = 8
ROLLUP_WEEKS = 16


class CheckInStatus(enum.StrEnum):
    DONE = "done"
    DUE = "due"
    MISSED = "missed"


class WeekValue(NamedTuple):
    week_start: date
    value: int | None


@dataclass
class MemberRow:
    user: User
    membership: Membership
    goal: GoalLine | None
    check_in_week: date
    check_in_status: CheckInStatus
    days_done: int | None
    days_planned: int | None
    confidence: list[WeekValue]
    wellbeing: list[WeekValue]
    attended: int
    held: int
    last_active: datetime
    flags: list[Flag] = field(default_factory=list)

    @property
    def has_crisis(self) -> bool:
        return any(follow_up.is_crisis(f.reason) for f in self.flags)

    @property
    def latest_confidence_point(self) -> WeekValue | None:
        return latest_point(self.confidence)

    @property
    def latest_wellbeing_point(self) -> WeekValue | None:
        return latest_point(self.wellbeing)

    @property
    def latest_confidence(self) -> int | None:
        point = latest_point(self.confidence)
        return point.value if point else None

    @property
    def latest_wellbeing(self) -> int | None:
        point = latest_point(self.wellbeing)
        return point.value if point else None

    def is_recent(self, point: WeekValue) -> bool:
        """From this week's or last week's check-in (older values are shown as old)."""
        return point.week_start >= self.confidence[-1].week_start - timedelta(weeks=1)


def latest_point(values: list[WeekValue]) -> WeekValue | None:
    return next((v for v in reversed(values) if v.value is not None), None)


# --- the member table -------------------------------------------------------------------------


def member_rows(group: Group, now: datetime, members: list[Membership] | None = None) -> list[MemberRow]:
    """One row per active member, members with a crisis flag first, then anyone flagged, then
    by name, with the flags the rules and check-ins raised (looking raises none)."""
    members = active_members(group) if members is None else members
    facts = follow_up.load_member_facts(((m.user, m.joined_at) for m in members), now,
                                        weeks=SPARK_WEEKS)
    ids = [m.user_id for m in members]
    flags = follow_up.open_flags_by_member(ids)
    goals = first_active_goals(ids)
    weeks = {m.user_id: _check_in_week(facts[m.user_id], now) for m in members}
    days = planned_and_done_days([g.id for g in goals.values()], set(weeks.values()))
    attendance = _attendance(group, now)
    rows = []
    for m in members:
        member, week = facts[m.user_id], weeks[m.user_id]
        score = member.scores.get(week)
        goal = goals.get(m.user_id)
        planned, logged = days.get((goal.id, week), (None, None)) if goal else (None, None)
        spark = [member.this_week - timedelta(weeks=n) for n in range(SPARK_WEEKS - 1, -1, -1)]
        spark_scores = [(week, member.scores.get(week)) for week in spark]
        present, held = attendance.get(m.user_id, (0, 0))
        rows.append(MemberRow(
            user=m.user, membership=m, goal=goal, check_in_week=week,
            check_in_status=_status(member, week, now),
            days_done=score.days_done if score is not None else logged,
            days_planned=planned,
            confidence=[WeekValue(w, s.confidence_next if s else None) for w, s in spark_scores],
            wellbeing=[WeekValue(w, s.who5_score if s else None) for w, s in spark_scores],
            attended=present, held=held, last_active=member.last_active,
            flags=flags.get(m.user_id, [])))
    rows.sort(key=lambda r: (not r.has_crisis, not r.flags, r.user.display_name.casefold(),
                             r.user.id))
    return rows


def _check_in_week(member: follow_up.MemberFacts, now: datetime) -> date:
    """The week whose check-in matters now: this week once it is done or in its last two days
    (when the app starts asking for it), otherwise last week (whose check-in is done, still
    open for two more days, or missed). A member who joined this week: this week."""
    this_week = member.this_week
    today = local_today(now, member.user.time_zone)
    last_week = this_week - timedelta(weeks=1)
    if (this_week in member.scores or today >= this_week + timedelta(days=5)
            or last_week < member.first_expected_week):
        return this_week
    return last_week


def _status(member: follow_up.MemberFacts, week: date, now: datetime) -> CheckInStatus:
    if week in member.scores:
        return CheckInStatus.DONE
    if now < checkins.edit_deadline(member.user, week):
        return CheckInStatus.DUE
    return CheckInStatus.MISSED


def _attendance(group: Group, now: datetime) -> dict[int, tuple[int, int]]:
    """(present, held) per active member, counting only sessions held since they joined (or
    that they were marked for), in one query."""
    rows = db.session.execute(_attendance_statement(), {"group_id": group.id, "now": now})
    return {user_id: (present, total) for user_id, total, present in rows}


@cache
def _attendance_statement():
    # Built once per process (building it took longer than running it).
    mark = Attendance.__table__.alias("mark")
    held = and_(GroupSession.group_id == Membership.group_id,
                GroupSession.starts_at <= bindparam("now", type_=UTCDateTime),
                GroupSession.is_cancelled.is_(False))
    return (select(Membership.user_id, func.count(GroupSession.id),
                   func.count(case((mark.c.status == AttendanceStatus.PRESENT.value, 1))))
            .join(GroupSession, held)
            .outerjoin(mark, and_(mark.c.session_id == GroupSession.id,
                                  mark.c.user_id == Membership.user_id))
            .where(Membership.group_id == bindparam("group_id", type_=Integer),
                   Membership.left_at.is_(None),
                   or_(GroupSession.starts_at >= Membership.joined_at, mark.c.user_id.is_not(None)))
            .group_by(Membership.user_id))


def record_dashboard_view(viewer: User, group: Group, rows: list[MemberRow], now: datetime) -> None:
    """Audit a facilitator's look at the dashboard: one event per member shown, so each
    member's "who has seen my information" lists it. Commits."""
    audit.record_for_each("group.dashboard_viewed", [row.user for row in rows], actor=viewer,
                          obj=group, now=now)
    db.session.commit()


def record_summary_view(viewer: User, group: Group, now: datetime) -> None:
    """Audit a look at the roll-up: one event for the group (its figures are of everyone in
    it), which each member at that moment sees in "who has seen my information"."""
    audit.record("group.summary_viewed", actor=viewer, obj=group, now=now)
    db.session.commit()


# --- the roll-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekSummary:
    week_start: date
    members: int
    checked_in: int
    average_confidence: float | None

    @property
    def percent(self) -> int | None:
        return round(100 * self.checked_in / self.members) if self.members else None


@dataclass(frozen=True)
class SessionSummary:
    session: GroupSession
    present: int
    excused: int
    absent: int


@dataclass
class Rollup:
    weeks: list[WeekSummary]
    goals_by_factor: list[tuple[str, int]]
    sessions: list[SessionSummary]


def group_rollup(group: Group, now: datetime, members: list[Membership] | None = None) -> Rollup:
    """Check-in completion and average confidence by week, active goals by factor, attendance
    by session: SQL aggregates over the active members, a fixed number of queries."""
    members = active_members(group) if members is None else members
    sessions = list(group.sessions)
    weeks = _rollup_weeks(group, sessions, now)
    # A member counts from the week they joined, in their own time zone.
    first_weeks = {m.user_id: participant_week_start(m.joined_at, m.user.time_zone) for m in members}
    counts: dict[date, tuple[int, float | None]] = {}
    if weeks and first_weeks:
        by_first_week: dict[date, list[int]] = defaultdict(list)
        for user_id, week in first_weeks.items():
            by_first_week[week].append(user_id)
        eligible = or_(*(and_(CheckIn.user_id.in_(ids), CheckIn.week_start >= week)
                         for week, ids in sorted(by_first_week.items())))
        counts = {week: (n, avg) for week, n, avg in db.session.execute(
            select(CheckIn.week_start, func.count(CheckIn.id), func.avg(CheckIn.confidence_next))
            .where(eligible, CheckIn.week_start >= weeks[0], CheckIn.week_start <= weeks[-1])
            .group_by(CheckIn.week_start))}
    summaries = []
    for week in weeks:
        n, avg = counts.get(week, (0, None))
        expected = sum(1 for first in first_weeks.values() if first <= week)
        summaries.append(WeekSummary(week, expected, n,
                                     round(float(avg), 1) if avg is not None else None))

    factors = active_goals_by_factor([m.user_id for m in members])

    marks: dict[int, dict[str, int]] = defaultdict(dict)
    for session_id, status, n in db.session.execute(
            select(Attendance.session_id, Attendance.status, func.count())
            .join(GroupSession, GroupSession.id == Attendance.session_id)
            .where(GroupSession.group_id == group.id)
            .group_by(Attendance.session_id, Attendance.status)):
        marks[session_id][AttendanceStatus(status).value] = n
    held = [s for s in sessions if s.starts_at <= now]
    session_rows = [SessionSummary(s, marks[s.id].get("present", 0), marks[s.id].get("excused", 0),
                                   marks[s.id].get("absent", 0)) for s in held]
    return Rollup(summaries, factors, session_rows)


def _rollup_weeks(group: Group, sessions: list[GroupSession], now: datetime) -> list[date]:
    """Program weeks from the group's first session to this week (in the group's zone), the
    latest ROLLUP_WEEKS of them."""
    if not sessions:
        return []
    start = participant_week_start(min(s.starts_at for s in sessions), group.time_zone)
    this_week = participant_week_start(now, group.time_zone)
    weeks = []
    week = this_week
    while week >= start and len(weeks) < ROLLUP_WEEKS:
        weeks.append(week)
        week -= timedelta(weeks=1)
    return weeks[::-1]


# --- CSV exports --------------------------------------------------------------------------------

MEMBER_COLUMNS = ["member", "member_id", "goal_factor", "check_in_week", "check_in", "days_done",
                  "days_planned", "confidence_latest", "wellbeing_latest", "sessions_present",
                  "sessions_held", "last_active_date", "open_flags"]


def members_csv(rows: list[MemberRow]) -> str:
    """The member table without free text: no goal title or why, no notes of any kind; flags
    as reason codes. The only text a member typed is their display name, neutralised."""
    return csv_text(MEMBER_COLUMNS, [
        [r.user.display_name, r.user.id, r.goal.factor if r.goal else None, r.check_in_week,
         r.check_in_status.value, r.days_done, r.days_planned, r.latest_confidence,
         r.latest_wellbeing, r.attended, r.held,
         local_today(r.last_active, r.user.time_zone),
         ";".join(f.reason.value for f in r.flags)]
        for r in rows])


ROLLUP_COLUMNS = ["section", "item", "count", "out_of", "percent", "average"]


def rollup_csv(group: Group, rollup: Rollup) -> str:
    """The roll-up in one long table: a row per week, per factor and per held session."""
    rows: list[list[object]] = []
    for w in rollup.weeks:
        rows.append(["check_ins_by_week", w.week_start, w.checked_in, w.members, w.percent,
                     w.average_confidence])
    for code, n in rollup.goals_by_factor:
        rows.append(["active_goals_by_factor", code, n, None, None, None])
    for s in rollup.sessions:
        when = to_local(s.session.starts_at, group.time_zone).date()
        status = "cancelled" if s.session.is_cancelled else "held"
        for kind, n in (("present", s.present), ("excused", s.excused), ("absent", s.absent)):
            rows.append([f"attendance_{kind}", f"session {s.session.number} {when} {status}", n,
                         None, None, None])
    return csv_text(ROLLUP_COLUMNS, rows)


def record_export(viewer: User, group: Group, what: str, member_ids: list[int],
                  now: datetime) -> None:
    """One audit event per export, naming the members it holds (identifiers only)."""
    audit.record("group.exported", actor=viewer, obj=group, now=now, what=what,
                 member_ids=sorted(member_ids))
    db.session.commit()
