"""The follow-up rules at their boundaries, with a chosen `now`: two missed check-ins in a row
(weeks in each member's own time zone), confidence down by 3, wellbeing at the configured
threshold, not seen for 14 days; raising each flag once; acknowledging with a note."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.checkins.factories import make_check_in
from tests.factories import make_participant, make_peer_specialist
from tests.groups.factories import add_check_in, make_flag, make_group
from wham import scheduler
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.checkins.models import Flag, FlagReason
from wham.extensions import db
from wham.groups import flags, services
from wham.groups.models import Attendance, AttendanceStatus, GroupSession, Membership

# Wednesday 18 November 2026, noon in New York (EST, UTC-5). Members' weeks start on Monday:
# this week is Nov 16; last week's check-in (Nov 9) closed at midnight in each member's zone.
NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
JOINED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
NY_MIDNIGHT = datetime(2026, 11, 18, 5, 0, tzinfo=UTC)  # Wed 00:00 in New York
HONOLULU_MIDNIGHT = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # Wed 00:00 in Honolulu
OCT_19, OCT_26, NOV_2, NOV_9, NOV_16 = (date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2),
                                        date(2026, 11, 9), date(2026, 11, 16))


def _members(app, *people, joined=JOINED):
    make_group(app, [make_peer_specialist(app)], list(people), now=joined)
    return people


def _raise(app, now) -> int:
    with app.app_context():
        return flags.raise_follow_up_flags(now)


def _flagged(app, reason: FlagReason) -> dict[int, list[Flag]]:
    with app.app_context():
        found: dict[int, list[Flag]] = {}
        for flag in db.session.scalars(select(Flag).where(Flag.reason == reason).order_by(Flag.id)):
            db.session.expunge(flag)
            found.setdefault(flag.user_id, []).append(flag)
        return found


def _check_ins(app, person, weeks, **fields):
    for week in weeks:
        add_check_in(app, person, week, **fields)


def _seen_recently(app, *people, at=NOW):
    """Signed in just now, so that only the rule under test can fire."""
    with app.app_context():
        for person in people:
            db.session.get(User, person.id).last_login_at = at - timedelta(hours=1)
        db.session.commit()


# --- two missed check-ins in a row ------------------------------------------------------------


def test_two_missed_weeks_in_a_row_raise_a_flag_one_missed_week_does_not(app):
    two = make_participant(app, display_name="Missed two")
    one = make_participant(app, display_name="Missed one")
    apart = make_participant(app, display_name="Missed two, not in a row")
    _members(app, two, one, apart)
    _check_ins(app, two, [OCT_19, OCT_26])  # nothing for Nov 2 or Nov 9
    _check_ins(app, one, [OCT_19, OCT_26, NOV_2])  # nothing for Nov 9
    _check_ins(app, apart, [OCT_26, NOV_9])  # nothing for Nov 2 or Oct 19
    _seen_recently(app, two, one, apart)
    _raise(app, NOW)
    missed = _flagged(app, FlagReason.MISSED_CHECKINS)
    assert list(missed) == [two.id]
    [flag] = missed[two.id]
    assert flag.kind == flags.RULE_KIND and flag.dedupe_key == "week:2026-11-09"
    assert flag.acknowledged_at is None and flag.created_at == NOW


def test_missed_weeks_count_once_a_weeks_check_in_has_closed_in_the_members_zone(app):
    new_york = make_participant(app, time_zone="America/New_York")
    honolulu = make_participant(app, time_zone="Pacific/Honolulu")
    _members(app, new_york, honolulu)
    for person in (new_york, honolulu):
        _check_ins(app, person, [OCT_19, OCT_26])  # nothing for Nov 2 or Nov 9
    _seen_recently(app, new_york, honolulu, at=NY_MIDNIGHT)
    # One minute before midnight in New York, Nov 9's check-in can still be done anywhere.
    _raise(app, NY_MIDNIGHT - timedelta(minutes=1))
    assert _flagged(app, FlagReason.MISSED_CHECKINS) == {}
    # Midnight in New York: closed there, still open in Honolulu (7 pm on Tuesday).
    _raise(app, NY_MIDNIGHT)
    assert list(_flagged(app, FlagReason.MISSED_CHECKINS)) == [new_york.id]
    _raise(app, HONOLULU_MIDNIGHT - timedelta(minutes=1))
    assert list(_flagged(app, FlagReason.MISSED_CHECKINS)) == [new_york.id]
    _raise(app, HONOLULU_MIDNIGHT)
    assert set(_flagged(app, FlagReason.MISSED_CHECKINS)) == {new_york.id, honolulu.id}


def test_weeks_before_joining_are_not_missed(app):
    joined_last_week = make_participant(app)
    joined_week_before = make_participant(app)
    _members(app, joined_last_week, joined=datetime(2026, 11, 10, 15, 0, tzinfo=UTC))
    _members(app, joined_week_before, joined=datetime(2026, 11, 6, 15, 0, tzinfo=UTC))
    _seen_recently(app, joined_last_week, joined_week_before)
    _raise(app, NOW)  # neither ever checked in; only one was a member for both weeks
    assert list(_flagged(app, FlagReason.MISSED_CHECKINS)) == [joined_week_before.id]


# --- confidence down by 3 or more, week over week ---------------------------------------------


@pytest.mark.parametrize("before,after,flagged", [(8, 6, False), (8, 5, True), (10, 0, True),
                                                  (5, 8, False), (7, 7, False)])
def test_confidence_down_by_three_or_more_from_last_week(app, before, after, flagged):
    person = make_participant(app)
    _members(app, person)
    add_check_in(app, person, NOV_9, confidence=before)
    this_week = add_check_in(app, person, NOV_16, confidence=after)
    _seen_recently(app, person)
    _raise(app, NOW)
    drops = _flagged(app, FlagReason.CONFIDENCE_DROP)
    if flagged:
        assert [f.check_in_id for f in drops[person.id]] == [this_week]
    else:
        assert drops == {}


def test_saving_a_check_in_whose_confidence_fell_flags_it_at_once(app):
    """The dashboard only reads flags: the drop must not wait for the scheduler's next run."""
    person, not_in_a_group = make_participant(app), make_participant(app)
    _members(app, person)
    for who in (person, not_in_a_group):
        add_check_in(app, who, NOV_9, confidence=9)
    saved = make_check_in(app, person, NOV_16, now=NOW, confidence_next=5)
    make_check_in(app, not_in_a_group, NOV_16, now=NOW, confidence_next=5)
    drops = _flagged(app, FlagReason.CONFIDENCE_DROP)
    assert list(drops) == [person.id]
    assert [f.check_in_id for f in drops[person.id]] == [saved.id]
    assert _raise(app, NOW) == 0  # the scheduler's run finds it already raised


def test_confidence_drop_counts_between_consecutive_weeks_only(app):
    last_week = make_participant(app)
    with_gap = make_participant(app)
    _members(app, last_week, with_gap)
    add_check_in(app, last_week, NOV_2, confidence=9)
    dropped = add_check_in(app, last_week, NOV_9, confidence=6)  # this week not done yet
    add_check_in(app, with_gap, OCT_26, confidence=9)
    add_check_in(app, with_gap, NOV_9, confidence=5)  # Nov 2 missing: not week over week
    _seen_recently(app, last_week, with_gap)
    _raise(app, NOW)
    drops = _flagged(app, FlagReason.CONFIDENCE_DROP)
    assert {u: [f.check_in_id for f in fs] for u, fs in drops.items()} == {last_week.id: [dropped]}


# --- wellbeing under the configured threshold ---------------------------------------------------


@pytest.mark.parametrize("threshold,flagged", [(27, False), (28, True), (29, True)])
def test_wellbeing_at_or_below_the_configured_threshold(app, monkeypatch, threshold, flagged):
    monkeypatch.setitem(app.config, "SAFETY_WHO5_MIN", threshold)
    person = make_participant(app)
    _members(app, person)
    check_in = add_check_in(app, person, NOV_16, who5=28)
    _seen_recently(app, person)
    _raise(app, NOW)
    low = _flagged(app, FlagReason.WHO5_LOW)
    assert ([f.check_in_id for f in low.get(person.id, [])] == [check_in]) is flagged
    assert len(low) == (1 if flagged else 0)


def test_low_wellbeing_already_flagged_by_the_check_in_is_not_flagged_again(app):
    person = make_participant(app)
    _members(app, person)
    make_check_in(app, person, NOV_16, who5=[1, 1, 1, 1, 1])  # 20: the check-in flags it
    _seen_recently(app, person)
    _raise(app, NOW)
    [flag] = _flagged(app, FlagReason.WHO5_LOW)[person.id]
    assert flag.kind == "safety" and flag.dedupe_key is None


# --- not seen for 14 days ---------------------------------------------------------------------


def test_not_seen_for_fourteen_days(app):
    signed_in_14_days_ago = make_participant(app)
    signed_in_13_days_ago = make_participant(app)
    joined_14_days_ago = make_participant(app)
    checked_in_13_days_ago = make_participant(app)
    present_13_days_ago = make_participant(app)
    _members(app, signed_in_14_days_ago, signed_in_13_days_ago, checked_in_13_days_ago,
             present_13_days_ago)
    _members(app, joined_14_days_ago, joined=NOW - timedelta(days=14))
    with app.app_context():
        db.session.get(User, signed_in_14_days_ago.id).last_login_at = NOW - timedelta(days=14)
        db.session.get(User, signed_in_13_days_ago.id).last_login_at = (
            NOW - timedelta(days=14) + timedelta(minutes=1))
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == present_13_days_ago.id))
        session = GroupSession(group_id=membership.group_id, number=99,
                               starts_at=NOW - timedelta(days=13))
        db.session.add(session)
        db.session.flush()
        db.session.add(Attendance(session_id=session.id, user_id=present_13_days_ago.id,
                                  status=AttendanceStatus.PRESENT, recorded_at=NOW))
        db.session.commit()
    add_check_in(app, checked_in_13_days_ago, NOV_2, saved_at=NOW - timedelta(days=13))
    _raise(app, NOW)
    assert set(_flagged(app, FlagReason.NOT_SEEN)) == {signed_in_14_days_ago.id,
                                                       joined_14_days_ago.id}


# --- each flag once --------------------------------------------------------------------------


def test_running_the_rules_again_raises_nothing_new(app):
    person = make_participant(app)
    _members(app, person)  # joined Oct 1, never seen since, never checked in
    assert _raise(app, NOW) == 2
    assert _raise(app, NOW) == 0
    assert _raise(app, NOW + timedelta(hours=1)) == 0
    with app.app_context():
        reasons = sorted(db.session.scalars(select(Flag.reason)))
        raised = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "flag.raised"))
    assert reasons == [FlagReason.MISSED_CHECKINS, FlagReason.NOT_SEEN] and raised == 2


def test_an_open_flag_is_not_raised_again_an_acknowledged_one_comes_back_next_week(app):
    person = make_participant(app)
    peer = make_peer_specialist(app)
    make_group(app, [peer], [person], now=JOINED)
    _seen_recently(app, person, at=NOW + timedelta(weeks=2))
    _raise(app, NOW)
    _raise(app, NOW + timedelta(weeks=1))  # still missing, and the flag is still open
    [flag] = _flagged(app, FlagReason.MISSED_CHECKINS)[person.id]
    with app.app_context():
        flags.acknowledge_flag(db.session.get(User, peer.id), db.session.get(Flag, flag.id),
                               "Called, left a message.", NOW + timedelta(weeks=1))
    _raise(app, NOW + timedelta(weeks=1, hours=1))  # the same weeks: already followed up
    assert len(_flagged(app, FlagReason.MISSED_CHECKINS)[person.id]) == 1
    _raise(app, NOW + timedelta(weeks=2))  # a week later, still nothing from them
    later = _flagged(app, FlagReason.MISSED_CHECKINS)[person.id]
    assert [f.dedupe_key for f in later] == ["week:2026-11-09", "week:2026-11-23"]


def test_the_database_refuses_a_second_flag_for_the_same_occurrence(app):
    person = make_participant(app)
    make_flag(app, person, FlagReason.NOT_SEEN, dedupe_key="week:2026-11-16")
    with app.app_context(), pytest.raises(IntegrityError):
        db.session.add(Flag(user_id=person.id, reason=FlagReason.NOT_SEEN, created_at=NOW,
                            dedupe_key="week:2026-11-16", note=""))
        db.session.commit()
    # Flags without a key (raised by a check-in or a text) are not limited by it.
    make_flag(app, person, FlagReason.SUPPORT_NOW)
    make_flag(app, person, FlagReason.SUPPORT_NOW)


def test_a_flag_raised_by_another_process_meanwhile_is_skipped_not_doubled(app):
    """The rule's insert skips a row the unique key already holds (here an acknowledged one,
    which the open-flag check does not stop), instead of failing or adding a second."""
    person = make_participant(app)
    _members(app, person)
    make_flag(app, person, FlagReason.NOT_SEEN, dedupe_key="week:2026-11-16",
              acknowledged_at=NOW, note="Talked.")
    _raise(app, NOW)
    assert len(_flagged(app, FlagReason.NOT_SEEN)[person.id]) == 1


def test_members_who_left_are_not_followed_up(app):
    person = make_participant(app)
    _members(app, person)
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == person.id))
        services.leave_group(db.session.get(User, person.id), membership, NOW - timedelta(days=1))
    assert _raise(app, NOW) == 0


def test_the_scheduler_runs_the_rules_every_five_minutes(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    jobs = {job.id: job for job in scheduler.add_jobs(BackgroundScheduler(timezone="UTC"),
                                                      app).get_jobs()}
    assert jobs["groups.raise_flags"].trigger.interval == timedelta(minutes=5)
    person = make_participant(app)
    _members(app, person, joined=datetime.now(UTC) - timedelta(days=30))
    scheduler.raise_group_flags(app)
    assert person.id in _flagged(app, FlagReason.NOT_SEEN)


# --- acknowledging ----------------------------------------------------------------------------


def test_acknowledging_keeps_the_first_note_and_audits_it(app):
    peer, co_facilitator = make_peer_specialist(app), make_peer_specialist(app)
    person = make_participant(app)
    flag_id = make_flag(app, person, FlagReason.SUPPORT_NOW)
    with app.app_context():
        flags.acknowledge_flag(db.session.get(User, peer.id), db.session.get(Flag, flag_id),
                               "  Called; she is safe and has a plan.  ", NOW)
        with pytest.raises(flags.AlreadyAcknowledged):
            flags.acknowledge_flag(db.session.get(User, co_facilitator.id),
                                   db.session.get(Flag, flag_id), "Another note", NOW)
        flag = db.session.get(Flag, flag_id)
        assert (flag.note, flag.acknowledged_by_id, flag.acknowledged_at) == (
            "Called; she is safe and has a plan.", peer.id, NOW)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "flag.acknowledged"))
        assert (event.actor_id, event.subject_id, event.object_id) == (peer.id, person.id, flag_id)
        assert "Called" not in str(event.details)  # the note stays out of the audit log
        with pytest.raises(ValueError):
            flags.acknowledge_flag(db.session.get(User, peer.id),
                                   db.session.get(Flag, make_flag(app, person)), "   ", NOW)
