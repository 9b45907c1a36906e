"""Group rules: schedules and sessions, joining and leaving, attendance, wins and 1:1 notes."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from types import SimpleNamespace

from sqlalchemy import Integer, Row, Select, bindparam, func, select
from sqlalchemy.orm import contains_eager, joinedload

from wham import audit
from wham.accounts.models import Role, User
from wham.database import UTCDateTime
from wham.extensions import db
from wham.groups.flags import attention_columns
from wham.groups.models import (
    Attendance,
    AttendanceStatus,
    Group,
    GroupFacilitator,
    GroupSession,
    Membership,
    PeerNote,
    Win,
)
from wham.timeutil import local_to_utc, to_local

# The wording of "what your facilitator will see" (templates/groups/_notice.html). Raise it
# whenever that wording changes, so each membership records which text was agreed to.
NOTICE_VERSION = 1

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 7


class GroupError(Exception):
    """A rule refused the request; the message is a short reason code."""


# --- schedule ----------------------------------------------------------------------------


def first_session_day(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def schedule(start: date, weekday: int, at: time, tz_name: str, count: int) -> list[datetime]:
    """UTC start times of `count` weekly sessions at the same local wall-clock time, so a
    group meeting at 18:00 stays at 18:00 local when daylight saving time begins or ends."""
    first = first_session_day(start, weekday)
    return [local_to_utc(first + timedelta(weeks=n), at, tz_name) for n in range(count)]


def session_local_start(session: GroupSession, group: Group) -> datetime:
    return to_local(session.starts_at, group.time_zone)


def _sync_sessions(group: Group, now: datetime) -> None:
    """Make the sessions match the schedule. Moved sessions and sessions already past keep
    their time; extra sessions are removed only when nothing was recorded for them."""
    times = schedule(group.start_date, group.weekday, group.local_time, group.time_zone,
                     group.session_count)
    existing = {s.number: s for s in group.sessions}
    for number, starts_at in enumerate(times, start=1):
        session = existing.get(number)
        if session is None:
            group.sessions.append(GroupSession(number=number, starts_at=starts_at))
        elif not session.is_moved and session.starts_at > now:
            session.starts_at = starts_at
    extra = [s for n, s in existing.items() if n > group.session_count]
    if extra:
        recorded = set(db.session.scalars(
            select(Attendance.session_id).where(Attendance.session_id.in_([s.id for s in extra]))))
        for session in extra:
            if session.id not in recorded and not session.notes and session.starts_at > now:
                group.sessions.remove(session)


# --- groups ------------------------------------------------------------------------------


@dataclass
class GroupDetails:
    name: str
    start_date: date
    weekday: int
    local_time: time
    time_zone: str
    session_count: int
    capacity: int
    place: str | None = None
    video_link: str | None = None


def new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if db.session.scalar(select(Group.id).where(Group.join_code == code)) is None:
            return code


def normalize_join_code(raw: str) -> str:
    """What people type: any case, with spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())


def _apply(group: Group, details: GroupDetails) -> None:
    group.name = details.name
    group.start_date = details.start_date
    group.weekday = details.weekday
    group.local_time = details.local_time
    group.time_zone = details.time_zone
    group.session_count = details.session_count
    group.capacity = details.capacity
    group.place = details.place or None
    group.video_link = details.video_link or None


def _peers(ids: list[int]) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(
        select(User).where(User.id.in_(ids), User.role == Role.PEER_SPECIALIST).order_by(User.id)))


def _set_facilitators(group: Group, facilitator_ids: list[int], now: datetime) -> None:
    wanted = {p.id for p in _peers(facilitator_ids)}
    current = {link.user_id: link for link in group.facilitator_links}
    for user_id, link in current.items():
        if user_id not in wanted:
            group.facilitator_links.remove(link)
    for user_id in sorted(wanted - current.keys()):
        group.facilitator_links.append(GroupFacilitator(user_id=user_id, added_at=now))


def create_group(actor: User, details: GroupDetails, facilitator_ids: list[int],
                 now: datetime) -> Group:
    group = Group(join_code=new_join_code(), created_at=now)
    _apply(group, details)
    db.session.add(group)
    _set_facilitators(group, facilitator_ids, now)
    _sync_sessions(group, now)
    db.session.flush()
    audit.record("group.created", actor=actor, obj=group, now=now,
                 facilitators=sorted(link.user_id for link in group.facilitator_links))
    db.session.commit()
    return group


def update_group(actor: User, group: Group, details: GroupDetails, facilitator_ids: list[int],
                 now: datetime) -> Group:
    _apply(group, details)
    _set_facilitators(group, facilitator_ids, now)
    _sync_sessions(group, now)
    audit.record("group.updated", actor=actor, obj=group, now=now,
                 facilitators=sorted(link.user_id for link in group.facilitator_links))
    db.session.commit()
    return group


def move_session(actor: User, session: GroupSession, day: date, at: time,
                 now: datetime) -> GroupSession:
    session.starts_at = local_to_utc(day, at, session.group.time_zone)
    session.is_moved = True
    audit.record("group.session_moved", actor=actor, obj=session, now=now,
                 group_id=session.group_id)
    db.session.commit()
    return session


def set_session_cancelled(actor: User, session: GroupSession, cancelled: bool,
                          now: datetime) -> GroupSession:
    session.is_cancelled = cancelled
    audit.record("group.session_cancelled" if cancelled else "group.session_restored",
                 actor=actor, obj=session, now=now, group_id=session.group_id)
    db.session.commit()
    return session


def next_sessions(group_ids: list[int], now: datetime) -> dict[int, GroupSession]:
    """The next session that is not cancelled, for each group, in one query."""
    if not group_ids:
        return {}
    first = (select(GroupSession.group_id, func.min(GroupSession.starts_at).label("at"))
             .where(GroupSession.group_id.in_(group_ids), GroupSession.starts_at >= now,
                    GroupSession.is_cancelled.is_(False))
             .group_by(GroupSession.group_id).subquery())
    rows = db.session.scalars(
        select(GroupSession).join(first, (GroupSession.group_id == first.c.group_id)
                                  & (GroupSession.starts_at == first.c.at))
        .where(GroupSession.is_cancelled.is_(False)))
    return {s.group_id: s for s in rows}


def group_list(scope: Callable[[User], Select[tuple[Group]]], person: User, now: datetime, *,
               attention: bool = False) -> list[Row]:
    """What a list of groups shows, in one query: `scope(person)` selects the groups (scoped,
    in the order shown: permissions.facilitated_groups, member_groups); each row has the
    group's id, name, time_zone, session_count, place and video_link, and its next session
    that is not cancelled as next_number and next_starts_at (None when no session is left).
    With `attention` (a facilitator's list), also how many active members have an open flag
    (flagged) and an open crisis flag (crisis), as flags.attention_columns counts them."""
    return list(db.session.execute(_group_list_statement(scope, attention),
                                   {"person_id": person.id, "upcoming_from": now}))


# Scopes select by the person's id only: built once for this stand-in, whose id is bound at
# each call. The id is read through a one-row sub-select so that PostgreSQL keeps one plan for
# everyone: given the id itself, it re-plans the statement for each person at every request,
# which costs more than running it.
_ANY_PERSON = SimpleNamespace(id=select(bindparam("person_id", type_=Integer)).scalar_subquery())


@cache
def _group_list_statement(scope: Callable[[User], Select[tuple[Group]]], attention: bool) -> Select:
    """group_list's statement for one scope, built once per process (building it took longer
    than running it); `upcoming_from` is bound to the time from which sessions count as
    upcoming."""
    def next_session_column(column):
        # One small look-up per listed group (by its index on group_id); a join to the
        # sessions instead lets PostgreSQL's reused plan read every group's sessions.
        return (select(column)
                .where(GroupSession.group_id == Group.id,
                       GroupSession.starts_at >= bindparam("upcoming_from"),
                       GroupSession.is_cancelled.is_(False))
                .order_by(GroupSession.starts_at, GroupSession.number).limit(1)
                .correlate(Group).scalar_subquery())

    return scope(_ANY_PERSON).with_only_columns(
        Group.id, Group.name, Group.time_zone, Group.session_count, Group.place,
        Group.video_link, next_session_column(GroupSession.number).label("next_number"),
        next_session_column(GroupSession.starts_at).label("next_starts_at"),
        *(attention_columns() if attention else ()))


def next_session(group: Group, now: datetime) -> Row | None:
    """The group's next session that is not cancelled: its number and start, or None."""
    return db.session.connection().execute(
        _next_session_statement(), {"group_id": group.id, "now": now}).first()


@cache
def _next_session_statement():
    # Built once per process (building it took longer than running it).
    return (select(GroupSession.number, GroupSession.starts_at)
            .where(GroupSession.group_id == bindparam("group_id", type_=Integer),
                   GroupSession.starts_at >= bindparam("now", type_=UTCDateTime),
                   GroupSession.is_cancelled.is_(False))
            .order_by(GroupSession.starts_at, GroupSession.number).limit(1))


# --- joining and leaving -----------------------------------------------------------------


def find_group_by_code(raw: str) -> Group | None:
    code = normalize_join_code(raw or "")
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Group).where(Group.join_code == code))


def active_membership(group_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(
        Membership.group_id == group_id, Membership.user_id == user_id,
        Membership.left_at.is_(None)))


def active_member_count(group_id: int) -> int:
    return db.session.scalar(select(func.count(Membership.id)).where(
        Membership.group_id == group_id, Membership.left_at.is_(None))) or 0


def is_full(group: Group) -> bool:
    return active_member_count(group.id) >= group.capacity


def join_group(person: User, group: Group, notice_version: int, now: datetime) -> Membership:
    """Add a participant who has read and agreed to the notice. Refuses when the person is
    already in, the notice is not the current one, or the group is full."""
    if person.role != Role.PARTICIPANT:
        raise GroupError("not a participant")
    if notice_version != NOTICE_VERSION:
        raise GroupError("notice changed")
    # Lock the group row (PostgreSQL) so two people cannot take the last seat at once.
    db.session.execute(select(Group.id).where(Group.id == group.id).with_for_update())
    if active_membership(group.id, person.id) is not None:
        raise GroupError("already a member")
    if is_full(group):
        raise GroupError("full")
    membership = Membership(group_id=group.id, user_id=person.id, joined_at=now,
                            agreed_notice_version=notice_version)
    db.session.add(membership)
    db.session.flush()
    audit.record("group.joined", actor=person, subject=person, obj=membership, now=now,
                 group_id=group.id, notice_version=notice_version)
    db.session.commit()
    return membership


def leave_group(person: User, membership: Membership, now: datetime) -> None:
    membership.left_at = now
    audit.record("group.left", actor=person, subject=person, obj=membership, now=now,
                 group_id=membership.group_id)
    db.session.commit()


def move_member(actor: User, membership: Membership, target: Group, now: datetime) -> Membership:
    """Admin: end a membership and start one in another group, carrying the agreement over."""
    if target.id == membership.group_id:
        raise GroupError("same group")
    db.session.execute(select(Group.id).where(Group.id == target.id).with_for_update())
    if active_membership(target.id, membership.user_id) is not None:
        raise GroupError("already a member")
    if is_full(target):
        raise GroupError("full")
    membership.left_at = now
    moved = Membership(group_id=target.id, user_id=membership.user_id, joined_at=now,
                       agreed_notice_version=membership.agreed_notice_version)
    db.session.add(moved)
    db.session.flush()
    audit.record("group.member_moved", actor=actor, subject=membership.user, obj=moved, now=now,
                 from_group_id=membership.group_id, to_group_id=target.id)
    db.session.commit()
    return moved


def member_groups(person: User) -> Select[tuple[Group]]:
    """The groups a participant is in now, by name."""
    return (select(Group).join(Membership, Membership.group_id == Group.id)
            .where(Membership.user_id == person.id, Membership.left_at.is_(None))
            .order_by(Group.name, Group.id))


def active_members(group: Group) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).join(Membership.user).options(contains_eager(Membership.user))
        .where(Membership.group_id == group.id, Membership.left_at.is_(None))
        .order_by(User.display_name, User.id)))


# --- attendance --------------------------------------------------------------------------


def record_attendance(actor: User, session: GroupSession, statuses: dict[int, str | None],
                      notes: str | None, now: datetime) -> None:
    """Set each active member's attendance (None clears it) and the session's notes."""
    allowed = {m.user_id for m in active_members(session.group)}
    existing = {a.user_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id))}
    for user_id, status in statuses.items():
        if user_id not in allowed:
            continue
        row = existing.get(user_id)
        if status is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(Attendance(session_id=session.id, user_id=user_id,
                                      status=AttendanceStatus(status), recorded_at=now,
                                      recorded_by_id=actor.id))
        elif row.status != status:
            row.status = AttendanceStatus(status)
            row.recorded_at = now
            row.recorded_by_id = actor.id
    session.notes = notes or None
    audit.record("group.attendance_recorded", actor=actor, obj=session, now=now,
                 group_id=session.group_id,
                 marked=sum(1 for s in statuses.values() if s is not None))
    db.session.commit()


def attendance_for(session: GroupSession) -> dict[int, AttendanceStatus]:
    return {a.user_id: a.status for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id))}


@dataclass
class MemberRow:
    membership: Membership
    present: int
    held: int


def member_rows(group: Group, now: datetime) -> list[MemberRow]:
    """Each active member with attendance "x of n" (present, of the sessions held so far),
    in a fixed number of queries whatever the group size."""
    members = active_members(group)
    held = [s for s in group.sessions if not s.is_cancelled and s.starts_at <= now]
    present = dict(db.session.execute(
        select(Attendance.user_id, func.count())
        .join(GroupSession, GroupSession.id == Attendance.session_id)
        .where(GroupSession.group_id == group.id, GroupSession.is_cancelled.is_(False),
               GroupSession.starts_at <= now, Attendance.status == AttendanceStatus.PRESENT)
        .group_by(Attendance.user_id)).all())
    return [MemberRow(m, present.get(m.user_id, 0), len(held)) for m in members]


def record_group_view(viewer: User, group: Group, now: datetime) -> None:
    """Audit a facilitator's or admin's look at the members of a group (a cross-person read).
    Called before the page's queries: the commit expires loaded objects."""
    audit.record("group.members_viewed", actor=viewer, obj=group, now=now,
                 as_facilitator=any(link.user_id == viewer.id for link in group.facilitator_links))
    db.session.commit()


def attendance_by_session(group: Group) -> dict[int, int]:
    """How many were present at each session, in one query."""
    return dict(db.session.execute(
        select(Attendance.session_id, func.count())
        .join(GroupSession, GroupSession.id == Attendance.session_id)
        .where(GroupSession.group_id == group.id, Attendance.status == AttendanceStatus.PRESENT)
        .group_by(Attendance.session_id)).all())


# --- wins --------------------------------------------------------------------------------


def share_win(person: User, membership: Membership, text: str, now: datetime) -> Win:
    win = Win(group_id=membership.group_id, author_id=person.id, text=text, created_at=now)
    db.session.add(win)
    db.session.flush()
    audit.record("group.win_shared", actor=person, subject=person, obj=win, now=now,
                 group_id=membership.group_id)
    db.session.commit()
    return win


def wins_for(group: Group, limit: int = 50) -> list[Win]:
    return list(db.session.scalars(
        select(Win).options(joinedload(Win.author)).where(Win.group_id == group.id)
        .order_by(Win.created_at.desc(), Win.id.desc()).limit(limit)))


# --- 1:1 peer support notes --------------------------------------------------------------


def add_peer_note(author: User, participant: User, body: str, now: datetime) -> PeerNote:
    note = PeerNote(participant_id=participant.id, author_id=author.id, body=body, created_at=now)
    db.session.add(note)
    db.session.flush()
    audit.record("peer_note.added", actor=author, subject=participant, obj=note, now=now)
    db.session.commit()
    return note


def read_peer_notes(reader: User, participant: User, now: datetime) -> list[PeerNote]:
    """The 1:1 notes about a participant; the caller has checked the reader may see them.
    The read is audited."""
    notes = list(db.session.scalars(
        select(PeerNote).where(PeerNote.participant_id == participant.id)
        .order_by(PeerNote.created_at.desc(), PeerNote.id.desc())))
    audit.record("peer_note.read", actor=reader, subject=participant, now=now, count=len(notes))
    db.session.commit()
    return notes
