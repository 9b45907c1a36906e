"""Follow-up flags for group members: the rules that raise them (two missed check-ins, a drop in
confidence, low wellbeing, not seen for two weeks), the open flags a facilitator sees, and
acknowledging a flag with a 1:1 contact note.

Crisis flags ("support now", PHQ-9 item 9, a crisis text) are raised where they happen (the
check-in, the text-message webhook); this module only shows them first. The rules run from
the scheduler (`raise_follow_up_flags`, hourly) and again whenever a dashboard loads.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from wham import audit
from wham.accounts.models import User
from wham.checkins import services as checkins
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.database import UTCDateTime
from wham.extensions import db
from wham.goals.models import LogEntry
from wham.groups.models import Attendance, AttendanceStatus, Group, GroupSession, Membership
from wham.i18n import translate
from wham.timeutil import participant_week_start

# Shown first and highlighted: someone may be in danger now.
CRISIS_REASONS = frozenset({FlagReason.SUPPORT_NOW, FlagReason.PHQ9_ITEM9, FlagReason.CRISIS_TEXT})
RULE_KIND = "follow_up"
MISSED_IN_A_ROW = 2
CONFIDENCE_DROP_POINTS = 3
NOT_SEEN_DAYS = 14
# The rules look back four weeks: while last week's check-in is still open, the two latest
# closed weeks are two and three weeks ago.
RULE_WEEKS = 4
BATCH_SIZE = 500
NOTE_MAX = 1000

REASON_LABELS = {
    FlagReason.SUPPORT_NOW: _l("Asked for support now"),
    FlagReason.PHQ9_ITEM9: _l("Thoughts of self-harm (PHQ-9)"),
    FlagReason.CRISIS_TEXT: _l("Crisis words in a text"),
    FlagReason.PHQ9_THRESHOLD: _l("High PHQ-9 score"),
    FlagReason.GAD7_THRESHOLD: _l("High GAD-7 score"),
    FlagReason.WHO5_LOW: _l("Low wellbeing"),
    FlagReason.MISSED_CHECKINS: _l("Missed 2 check-ins in a row"),
    FlagReason.CONFIDENCE_DROP: _l("Confidence down 3 or more"),
    FlagReason.NOT_SEEN: _l("Not seen for 14 days"),
}


def reason_label(reason: FlagReason) -> str:
    label = REASON_LABELS.get(reason)
    return translate(label) if label is not None else reason.value


def is_crisis(reason: FlagReason) -> bool:
    return reason in CRISIS_REASONS


# --- what the rules look at ----------------------------------------------------------------


@dataclass
class MemberFacts:
    """One member as the rules and the dashboard see them, loaded for many members at once."""

    user: User
    joined_at: datetime
    this_week: date
    scores: dict[date, checkins.CheckInScores] = field(default_factory=dict)
    last_active: datetime | None = None

    @property
    def first_expected_week(self) -> date:
        """The first week a check-in is expected: the week (in their own zone) they joined."""
        return participant_week_start(self.joined_at, self.user.time_zone)


def load_member_facts(members: Iterable[tuple[User, datetime]], now: datetime,
                      weeks: int = RULE_WEEKS) -> dict[int, MemberFacts]:
    """Check-in numbers for each member's last `weeks` weeks (weeks in the member's own time
    zone) and when each was last active, in two queries however many members there are."""
    facts = {user.id: MemberFacts(user, joined_at, participant_week_start(now, user.time_zone))
             for user, joined_at in members}
    if not facts:
        return facts
    ids = list(facts)
    first = min(f.this_week for f in facts.values()) - timedelta(weeks=weeks - 1)
    last = max(f.this_week for f in facts.values())
    for score in checkins.check_in_scores(ids, first, last):
        member = facts[score.user_id]
        if score.week_start > member.this_week - timedelta(weeks=weeks):
            member.scores[score.week_start] = score
    for user_id, at in _last_active(ids, now):
        facts[user_id].last_active = at
    for member in facts.values():  # joining is being active too
        if member.last_active is None or member.last_active < member.joined_at:
            member.last_active = member.joined_at
    return facts


def _last_active(user_ids: list[int], now: datetime) -> list[tuple[int, datetime]]:
    """The latest of: signing in, saving a check-in, writing in the log, being marked present.
    One row per person, each latest moment one index step (ix_*_user_updated) however long
    the history."""
    rows = db.session.execute(_last_active_statement(), {"user_ids": user_ids, "now": now})
    latest = []
    for user_id, *moments in rows:
        known = [m for m in moments if m is not None]
        if known:
            latest.append((user_id, max(known)))
    return latest


@cache
def _last_active_statement():
    # Built once per process (building it took longer than running it); the id list is one
    # expanding parameter, so the statement stays short and PostgreSQL keeps its plan.
    check_in = (select(func.max(CheckIn.updated_at)).where(CheckIn.user_id == User.id)
                .scalar_subquery())
    log_entry = (select(func.max(LogEntry.updated_at)).where(LogEntry.user_id == User.id)
                 .scalar_subquery())
    present = (select(func.max(GroupSession.starts_at))
               .join(Attendance, Attendance.session_id == GroupSession.id)
               .where(Attendance.user_id == User.id,
                      Attendance.status == AttendanceStatus.PRESENT,
                      GroupSession.starts_at <= bindparam("now", type_=UTCDateTime))
               .scalar_subquery())
    return (select(User.id, User.last_login_at, check_in, log_entry, present)
            .where(User.id.in_(bindparam("user_ids", expanding=True))))


# --- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A rule found something to follow up; `dedupe_key` names the occurrence."""

    user_id: int
    reason: FlagReason
    dedupe_key: str
    check_in_id: int | None = None


def findings_for(member: MemberFacts, now: datetime) -> list[Finding]:
    """What the follow-up rules find for one member at `now`."""
    found = []
    user, this_week = member.user, member.this_week
    week = timedelta(weeks=1)

    # Two missed check-ins in a row: the two latest weeks whose check-in has closed (the week
    # and its grace days are over, in the member's own zone), both expected, neither done.
    last_closed = this_week - week
    if now < checkins.edit_deadline(user, last_closed):
        last_closed -= week
    missed = [last_closed - week * n for n in range(MISSED_IN_A_ROW)]
    if (missed[-1] >= member.first_expected_week
            and not any(w in member.scores for w in missed)):
        found.append(Finding(user.id, FlagReason.MISSED_CHECKINS, f"week:{last_closed}"))

    # Confidence down by 3 or more from one week's check-in to the next; low wellbeing.
    for week_start in (this_week - week, this_week):
        score = member.scores.get(week_start)
        if score is None:
            continue
        before = member.scores.get(week_start - week)
        if before is not None and before.confidence_next - score.confidence_next >= CONFIDENCE_DROP_POINTS:
            found.append(Finding(user.id, FlagReason.CONFIDENCE_DROP, f"check_in:{score.id}",
                                 score.id))
        if checkins.wellbeing_is_low(score.who5_score):
            found.append(Finding(user.id, FlagReason.WHO5_LOW, f"check_in:{score.id}", score.id))

    # Not seen for 14 days: no sign-in, check-in, log entry or attendance since joining.
    if member.last_active is not None and now - member.last_active >= timedelta(days=NOT_SEEN_DAYS):
        found.append(Finding(user.id, FlagReason.NOT_SEEN, f"week:{this_week}"))
    return found


# Reasons about a stretch of time: not raised again while one is open, nor within a week of
# a facilitator following one up (the next week's run may raise it again if it still holds).
_ONGOING = (FlagReason.MISSED_CHECKINS, FlagReason.NOT_SEEN)
FOLLOWED_UP_QUIET = timedelta(weeks=1)


def raise_flags_for(facts: dict[int, MemberFacts], now: datetime) -> list[Flag]:
    """Store a flag for each new finding about these members and audit it; flushes, and the
    caller commits. At most one flag per person, reason and occurrence (the database's unique
    key settles a race between two processes), and no second open flag of an ongoing reason."""
    findings = [f for member in facts.values() for f in findings_for(member, now)]
    if not findings:
        return []
    user_ids = sorted({f.user_id for f in findings})
    check_in_ids = [f.check_in_id for f in findings if f.check_in_id is not None]
    quiet_since = now - FOLLOWED_UP_QUIET
    existing = db.session.execute(
        select(Flag.user_id, Flag.reason, Flag.check_in_id, Flag.acknowledged_at)
        .where(Flag.user_id.in_(user_ids),
               or_(Flag.acknowledged_at.is_(None), Flag.acknowledged_at > quiet_since,
                   Flag.check_in_id.in_(check_in_ids)))).all()
    open_ongoing = {(u, r) for u, r, _c, ack in existing
                    if r in _ONGOING and (ack is None or ack > quiet_since)}
    # A check-in may already have raised its own flag (low wellbeing) when it was saved.
    by_check_in = {(u, r, c) for u, r, c, _ack in existing if c is not None}
    new = [f for f in findings
           if (f.user_id, f.reason) not in open_ongoing
           and (f.user_id, f.reason, f.check_in_id) not in by_check_in]
    if not new:
        return []
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    raised_ids = db.session.scalars(
        insert(Flag).values([
            {"user_id": f.user_id, "kind": RULE_KIND, "reason": f.reason, "created_at": now,
             "check_in_id": f.check_in_id, "note": "", "dedupe_key": f.dedupe_key}
            for f in new])
        .on_conflict_do_nothing().returning(Flag.id)).all()
    if not raised_ids:
        return []
    raised = list(db.session.scalars(select(Flag).where(Flag.id.in_(raised_ids)).order_by(Flag.id)))
    for flag in raised:
        audit.record("flag.raised", subject=facts[flag.user_id].user, obj=flag, now=now,
                     rule=True)
    db.session.flush()
    return raised


def _active_members_joined(user_ids: Iterable[int] | None) -> list[tuple[int, datetime]]:
    """(user id, first joining) of everyone in a group now, or of those of `user_ids` who are."""
    joined = (select(Membership.user_id, func.min(Membership.joined_at))
              .where(Membership.left_at.is_(None)).group_by(Membership.user_id)
              .order_by(Membership.user_id))
    if user_ids is not None:
        joined = joined.where(Membership.user_id.in_(list(user_ids)))
    return [(user_id, at) for user_id, at in db.session.execute(joined)]


def _raise_for_members(members: list[tuple[int, datetime]], now: datetime) -> int:
    first_joined = dict(members)
    users = db.session.scalars(select(User).where(User.id.in_(first_joined)))
    facts = load_member_facts(((u, first_joined[u.id]) for u in users), now)
    return len(raise_flags_for(facts, now))


def raise_member_flags(user: User, now: datetime) -> int:
    """Run the follow-up rules for one participant (say, they just saved a check-in whose
    confidence fell), if they are in a group. Flushes; the caller commits."""
    members = _active_members_joined([user.id])
    return _raise_for_members(members, now) if members else 0


def raise_follow_up_flags(now: datetime, user_ids: Iterable[int] | None = None) -> int:
    """Run the follow-up rules for every active group member (or only `user_ids`) and store
    what is new. The scheduler's job (every few minutes); safe to run twice or in two processes
    at once. Returns how many flags were raised."""
    members = _active_members_joined(user_ids)
    raised = 0
    for start in range(0, len(members), BATCH_SIZE):
        raised += _raise_for_members(members[start:start + BATCH_SIZE], now)
        db.session.commit()
    return raised


# --- what facilitators see ------------------------------------------------------------------


def _attention_order(flag: Flag) -> tuple:
    return (not is_crisis(flag.reason), -flag.created_at.timestamp(), flag.id)


def open_flags_by_member(user_ids: list[int]) -> dict[int, list[Flag]]:
    """Each member's open flags, crisis first, then the newest: one query (the dashboard).
    Only reads: the rules raise flags from the scheduler and when a check-in is saved."""
    by_user: dict[int, list[Flag]] = defaultdict(list)
    if not user_ids:
        return by_user
    for flag in db.session.scalars(_open_flags_statement(), {"user_ids": sorted(user_ids)}):
        by_user[flag.user_id].append(flag)
    for member_flags in by_user.values():
        member_flags.sort(key=_attention_order)
    return by_user


@cache
def _open_flags_statement():
    return select(Flag).where(Flag.user_id.in_(bindparam("user_ids", expanding=True)),
                              Flag.acknowledged_at.is_(None))


def flags_of(reader: User, participant: User, now: datetime, limit: int = 50) -> list[Flag]:
    """A member's flags for their facilitator, open ones first (crisis first), then the latest
    acknowledged with their notes. The caller has checked the reader may see them; the read
    is audited."""
    flags = list(db.session.scalars(
        select(Flag).where(Flag.user_id == participant.id)
        .order_by(Flag.acknowledged_at.is_not(None), Flag.created_at.desc(), Flag.id.desc())
        .limit(limit)))
    open_first = sorted((f for f in flags if f.acknowledged_at is None), key=_attention_order)
    flags = open_first + [f for f in flags if f.acknowledged_at is not None]
    audit.record("flag.read", actor=reader, subject=participant, now=now, count=len(flags))
    db.session.commit()
    return flags


def record_flag_read(reader: User, participant: User, flag: Flag, now: datetime) -> None:
    audit.record("flag.read", actor=reader, subject=participant, obj=flag, now=now, count=1)
    db.session.commit()


def acknowledged_by_names(flags: list[Flag]) -> dict[int, str]:
    """Who acknowledged each flag, by user id, in one query."""
    ids = {f.acknowledged_by_id for f in flags if f.acknowledged_by_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


@cache
def attention_columns() -> tuple:
    """For a facilitator's list of groups (services.group_list), two columns per group: how
    many of its active members have an open flag (`flagged`), and how many an open crisis flag
    (`crisis`). Read in the groups' own query, not a second one; built once per process."""
    # From each group's members, each looked up in the open flags by its index (ix_flags_open):
    # a handful of steps per member whatever the program holds, and whatever the planner's
    # statistics say about how many flags are open.
    def members_with_open_flag(*reasons: FlagReason):
        found = select(Flag.id).where(Flag.acknowledged_at.is_(None),
                                      Flag.user_id == Membership.user_id)
        if reasons:
            found = found.where(Flag.reason.in_([r.value for r in reasons]))
        return (select(func.count(Membership.id))
                .where(Membership.group_id == Group.id, Membership.left_at.is_(None),
                       found.exists())
                .correlate(Group).scalar_subquery())

    return (members_with_open_flag().label("flagged"),
            members_with_open_flag(*CRISIS_REASONS).label("crisis"))


class AlreadyAcknowledged(Exception):
    """Someone acknowledged this flag first; their note is kept."""


def acknowledge_flag(actor: User, flag: Flag, note: str, now: datetime) -> Flag:
    """Close a flag with the facilitator's short note of the 1:1 contact. A note once written
    is kept: a second acknowledgement (say, a co-facilitator at the same moment) is refused."""
    note = (note or "").strip()
    if not note or len(note) > NOTE_MAX:
        raise ValueError("a note of 1 to 1000 characters")
    done = db.session.execute(
        update(Flag).where(Flag.id == flag.id, Flag.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=actor.id, note=note)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        raise AlreadyAcknowledged(str(flag.id))
    audit.record("flag.acknowledged", actor=actor, subject=db.session.get(User, flag.user_id),
                 obj=flag, now=now)
    db.session.commit()
    db.session.refresh(flag)
    return flag
