"""Group rules: schedules across DST, moved and cancelled sessions, joining, capacity, leaving,
attendance counts and 1:1 notes."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_admin, make_participant, make_peer_specialist
from tests.groups.factories import group_details, make_flag, make_group
from wham import permissions
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.checkins.models import FlagReason
from wham.extensions import db
from wham.groups import services
from wham.groups.models import Attendance, Group, GroupSession, Membership

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _user(user) -> User:
    return db.session.get(User, user.id)


def test_schedule_keeps_local_time_across_the_autumn_dst_change():
    # Tuesdays at 18:00 in New York from 20 Oct 2026; clocks go back on Sunday 1 Nov.
    times = services.schedule(date(2026, 10, 19), 1, time(18, 0), "America/New_York", 4)
    assert [t.date() for t in times] == [date(2026, 10, 20), date(2026, 10, 27),
                                         date(2026, 11, 3), date(2026, 11, 10)]
    assert [t.hour for t in times] == [22, 22, 23, 23]  # EDT is UTC-4, EST is UTC-5
    assert all(t.tzinfo == UTC for t in times)
    assert {services.to_local(t, "America/New_York").hour for t in times} == {18}


def test_schedule_across_spring_dst_change_in_another_zone():
    # Mondays 09:30 in Los Angeles around 8 Mar 2026 (PST UTC-8 -> PDT UTC-7).
    times = services.schedule(date(2026, 3, 2), 0, time(9, 30), "America/Los_Angeles", 2)
    assert [(t.day, t.hour, t.minute) for t in times] == [(2, 17, 30), (9, 16, 30)]


def test_first_session_is_on_the_weekday_in_the_start_week():
    assert services.first_session_day(date(2026, 9, 14), 1) == date(2026, 9, 15)
    assert services.first_session_day(date(2026, 9, 16), 1) == date(2026, 9, 22)
    assert services.first_session_day(date(2026, 9, 15), 1) == date(2026, 9, 15)


def test_create_group_generates_sessions_and_a_readable_code(app_ctx):
    admin = make_admin(app_ctx)
    peer = make_peer_specialist(app_ctx)
    group = services.create_group(_user(admin), group_details(), [peer.id], NOW)
    assert [s.number for s in group.sessions] == list(range(1, 9))
    assert len(group.join_code) == services.JOIN_CODE_LENGTH
    assert set(group.join_code) <= set(services.JOIN_CODE_ALPHABET)
    assert not set(group.join_code) & set("01OIL")
    assert [link.user_id for link in group.facilitator_links] == [peer.id]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group.created"))


def test_only_peer_specialists_become_facilitators(app_ctx):
    admin = make_admin(app_ctx)
    participant = make_participant(app_ctx)
    peer = make_peer_specialist(app_ctx)
    group = services.create_group(_user(admin), group_details(), [participant.id, peer.id], NOW)
    assert [link.user_id for link in group.facilitator_links] == [peer.id]


def test_moved_and_cancelled_sessions(app_ctx):
    admin = make_admin(app_ctx)
    peer = make_peer_specialist(app_ctx)
    group = services.create_group(_user(admin), group_details(), [peer.id], NOW)
    third = group.sessions[2]
    services.move_session(_user(peer), third, date(2026, 10, 1), time(17, 30), NOW)
    assert third.is_moved
    assert third.starts_at == datetime(2026, 10, 1, 21, 30, tzinfo=UTC)
    services.set_session_cancelled(_user(peer), group.sessions[0], True, NOW)
    # The next session skips the cancelled first one.
    nxt = services.next_sessions([group.id], NOW)[group.id]
    assert nxt.number == 2
    # Editing the schedule (now 19:00) moves the others but keeps the moved session's time.
    services.update_group(_user(admin), group, group_details(local_time=time(19, 0)), [peer.id], NOW)
    assert third.starts_at == datetime(2026, 10, 1, 21, 30, tzinfo=UTC)
    assert group.sessions[1].starts_at == datetime(2026, 9, 22, 23, 0, tzinfo=UTC)


def test_shortening_a_group_keeps_sessions_with_attendance(app_ctx):
    admin = make_admin(app_ctx)
    peer = make_peer_specialist(app_ctx)
    member = make_participant(app_ctx)
    group = services.create_group(_user(admin), group_details(), [peer.id], NOW)
    services.join_group(_user(member), group, services.NOTICE_VERSION, NOW)
    services.record_attendance(_user(peer), group.sessions[7], {member.id: "excused"}, None, NOW)
    services.update_group(_user(admin), group, group_details(session_count=6), [peer.id], NOW)
    assert [s.number for s in group.sessions] == [1, 2, 3, 4, 5, 6, 8]


def test_join_records_the_notice_and_audits(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    saved = make_group(app_ctx, [peer])
    group = db.session.get(Group, saved.id)
    membership = services.join_group(_user(person), group, services.NOTICE_VERSION, NOW)
    assert membership.joined_at == NOW
    assert membership.agreed_notice_version == services.NOTICE_VERSION
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group.joined"))
    assert event.subject_id == person.id
    assert event.details["notice_version"] == services.NOTICE_VERSION
    with pytest.raises(services.GroupError, match="already"):
        services.join_group(_user(person), group, services.NOTICE_VERSION, NOW)


def test_join_refuses_an_old_notice_and_non_participants(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    group = db.session.get(Group, make_group(app_ctx, [peer]).id)
    with pytest.raises(services.GroupError, match="notice"):
        services.join_group(_user(person), group, services.NOTICE_VERSION - 1, NOW)
    with pytest.raises(services.GroupError, match="participant"):
        services.join_group(_user(peer), group, services.NOTICE_VERSION, NOW)


def test_capacity_is_respected_and_a_seat_frees_up_on_leaving(app_ctx):
    peer = make_peer_specialist(app_ctx)
    first, second, third = (make_participant(app_ctx) for _ in range(3))
    group = db.session.get(Group, make_group(app_ctx, [peer], [first, second], capacity=2).id)
    with pytest.raises(services.GroupError, match="full"):
        services.join_group(_user(third), group, services.NOTICE_VERSION, NOW)
    services.leave_group(_user(first), services.active_membership(group.id, first.id), NOW)
    services.join_group(_user(third), group, services.NOTICE_VERSION, NOW)
    assert services.active_member_count(group.id) == 2


def test_leaving_and_rejoining_keeps_both_agreements(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    group = db.session.get(Group, make_group(app_ctx, [peer], [person]).id)
    services.leave_group(_user(person), services.active_membership(group.id, person.id),
                         NOW + timedelta(days=1))
    assert services.active_membership(group.id, person.id) is None
    services.join_group(_user(person), group, services.NOTICE_VERSION, NOW + timedelta(days=2))
    rows = db.session.scalars(select(Membership).where(Membership.user_id == person.id)).all()
    assert sorted(r.left_at is None for r in rows) == [False, True]


def test_a_participant_can_be_in_several_groups(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    make_group(app_ctx, [peer], [person], name="A")
    make_group(app_ctx, [peer], [person], name="B")
    groups = db.session.scalars(services.member_groups(_user(person))).all()
    assert [g.name for g in groups] == ["A", "B"]


def test_group_list_shows_the_next_session_that_is_not_cancelled(app_ctx):
    peer, other_peer = make_peer_specialist(app_ctx), make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    ongoing = db.session.get(Group, make_group(app_ctx, [peer], [person], name="B group").id)
    make_group(app_ctx, [peer], [person], name="A group", start_date=date(2026, 6, 1),
               session_count=4, now=datetime(2026, 5, 1, tzinfo=UTC))  # all sessions held
    make_group(app_ctx, [other_peer], name="Another peer's group")
    services.set_session_cancelled(_user(peer), ongoing.sessions[0], True, NOW)
    # Session 3 moved before session 2: the next one is the earliest, not the lowest number.
    services.move_session(_user(peer), ongoing.sessions[2], date(2026, 9, 16), time(18, 0), NOW)
    rows = services.group_list(permissions.facilitated_groups, _user(peer), NOW)
    assert [(r.name, r.next_number) for r in rows] == [("A group", None), ("B group", 3)]
    assert rows[1].next_starts_at == datetime(2026, 9, 16, 22, 0, tzinfo=UTC)
    assert (rows[1].session_count, rows[1].time_zone) == (8, "America/New_York")
    services.leave_group(_user(person), services.active_membership(rows[0].id, person.id), NOW)
    assert [r.name for r in services.group_list(services.member_groups, _user(person), NOW)] \
        == ["B group"]


def test_group_list_counts_members_with_open_and_crisis_flags(app_ctx):
    peer, other_peer = make_peer_specialist(app_ctx), make_peer_specialist(app_ctx)
    ann, ben, cam, dee, eve, fay = (make_participant(app_ctx) for _ in range(6))
    first = make_group(app_ctx, [peer], [ann, ben, cam, dee], name="A group")
    make_group(app_ctx, [peer], [ann, eve], name="B group")
    make_group(app_ctx, [other_peer], [fay], name="Another peer's group")
    make_group(app_ctx, [peer], name="C group")  # no members yet
    make_flag(app_ctx, ann, FlagReason.SUPPORT_NOW)  # crisis, and two open flags: counted once
    make_flag(app_ctx, ann, FlagReason.WHO5_LOW)
    make_flag(app_ctx, ben, FlagReason.NOT_SEEN, kind="follow_up")
    make_flag(app_ctx, cam, FlagReason.PHQ9_ITEM9, acknowledged_at=NOW, acknowledged_by_id=peer.id,
              note="Called; safe.")  # closed: not counted
    make_flag(app_ctx, dee, FlagReason.CRISIS_TEXT)  # dee has left the group: not counted
    services.leave_group(_user(dee), services.active_membership(first.id, dee.id), NOW)
    make_flag(app_ctx, fay, FlagReason.PHQ9_ITEM9)  # another peer's group: not listed
    rows = services.group_list(permissions.facilitated_groups, _user(peer), NOW, attention=True)
    assert [(r.name, r.flagged, r.crisis) for r in rows] == [
        ("A group", 2, 1), ("B group", 1, 1), ("C group", 0, 0)]
    member_rows = services.group_list(services.member_groups, _user(ann), NOW)
    assert [r.name for r in member_rows] == ["A group", "B group"]
    assert "flagged" not in member_rows[0]._fields  # a participant's list has no counts


def test_move_member_between_groups(app_ctx):
    admin = make_admin(app_ctx)
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    source = db.session.get(Group, make_group(app_ctx, [peer], [person], name="A").id)
    target = db.session.get(Group, make_group(app_ctx, [peer], name="B", capacity=1).id)
    moved = services.move_member(_user(admin), services.active_membership(source.id, person.id),
                                 target, NOW)
    assert moved.group_id == target.id
    assert services.active_membership(source.id, person.id) is None
    other = make_participant(app_ctx)
    services.join_group(_user(other), source, services.NOTICE_VERSION, NOW)
    with pytest.raises(services.GroupError, match="full"):
        services.move_member(_user(admin), services.active_membership(source.id, other.id),
                             target, NOW)


def test_attendance_only_for_active_members_and_counts(app_ctx):
    peer = make_peer_specialist(app_ctx)
    a, b, stranger = (make_participant(app_ctx) for _ in range(3))
    start = NOW - timedelta(weeks=3)
    group = db.session.get(Group, make_group(app_ctx, [peer], [a, b], now=start,
                                             start_date=start.date()).id)
    held = [s for s in group.sessions if s.starts_at <= NOW]
    assert len(held) == 3
    services.record_attendance(_user(peer), held[0], {a.id: "present", b.id: "absent",
                                                      stranger.id: "present"}, "ok", NOW)
    services.record_attendance(_user(peer), held[1], {a.id: "present", b.id: "excused"}, None, NOW)
    assert db.session.scalar(select(Attendance).where(Attendance.user_id == stranger.id)) is None
    rows = {r.membership.user_id: (r.present, r.held) for r in services.member_rows(group, NOW)}
    assert rows == {a.id: (2, 3), b.id: (0, 3)}
    # Clearing a mark removes it.
    services.record_attendance(_user(peer), held[1], {a.id: None, b.id: "excused"}, None, NOW)
    assert services.attendance_for(held[1]) == {b.id: "excused"}
    assert held[0].notes == "ok" and held[1].notes is None
    assert services.attendance_by_session(group) == {held[0].id: 1}


def test_peer_notes_reads_are_audited(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx)
    services.add_peer_note(_user(peer), _user(person), "Called, doing well", NOW)
    notes = services.read_peer_notes(_user(peer), _user(person), NOW)
    assert [n.body for n in notes] == ["Called, doing well"]
    read = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "peer_note.read"))
    assert (read.actor_id, read.subject_id) == (peer.id, person.id)
    assert "Called" not in str(read.details)


def test_normalize_join_code():
    assert services.normalize_join_code(" kx7-p2 qm ") == "KX7P2QM"
    assert services.normalize_join_code("ＫＸ７") == ""


def test_session_numbers_are_unique_per_group(app_ctx):
    peer = make_peer_specialist(app_ctx)
    group = db.session.get(Group, make_group(app_ctx, [peer]).id)
    numbers = db.session.scalars(select(GroupSession.number).where(GroupSession.group_id == group.id))
    assert sorted(numbers) == list(range(1, 9))
