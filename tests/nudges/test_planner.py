"""The planning job against the database, with a chosen `now`: what gets queued for whom and
when, once only, and what is cancelled or refused before it leaves."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.checkins.factories import make_check_in
from tests.factories import make_peer_specialist
from tests.goals.factories import make_goal
from tests.groups.factories import make_group
from tests.sms.factories import make_texter
from tests.sms.test_webhooks import inbound
from wham.accounts.models import Role, User
from wham.checkins.models import Flag, FlagReason
from wham.extensions import db
from wham.groups.models import GroupSession
from wham.nudges import planner
from wham.sms import outbox
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind

SUNDAY = 6
NO_QUIET = {"quiet_start": time(0), "quiet_end": time(0)}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def plan(app, now, **kwargs) -> planner.PlanReport:
    with app.app_context():
        return planner.plan_due_nudges(now, **kwargs)


def plan_every(app, start: datetime, hours: float, step=timedelta(minutes=10)) -> int:
    """Run the job as the scheduler does (more sparsely, for speed); returns rows queued."""
    queued, now = 0, start
    while now < start + timedelta(hours=hours):
        queued += plan(app, now).queued
        now += step
    return queued


def send(app, sender, now) -> outbox.SendReport:
    with app.app_context():
        return outbox.send_due_messages(now, sender)


def outbox_rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def reminder_texter(app, tz="America/New_York", weekday=SUNDAY, at=time(18), **fields) -> User:
    texter = make_texter(app, time_zone=tz, checkin_weekday=weekday, checkin_time=at, **fields)
    return texter


def test_planning_every_minute_queues_each_reminder_once_at_local_time(app, sender):
    new_york = reminder_texter(app)
    los_angeles = reminder_texter(app, tz="America/Los_Angeles", language="es")
    chicago = reminder_texter(app, tz="America/Chicago", at=time(9, 15))
    queued = plan_every(app, utc(2026, 3, 15, 0), 36, step=timedelta(minutes=1))
    rows = outbox_rows(app)
    assert queued == len(rows) == 3
    assert {(r.user_id, r.idempotency_key, r.not_before) for r in rows} == {
        (new_york.id, f"checkin_reminder:{new_york.id}:2026-03-09", utc(2026, 3, 15, 22)),
        (los_angeles.id, f"checkin_reminder:{los_angeles.id}:2026-03-09", utc(2026, 3, 16, 1)),
        (chicago.id, f"checkin_reminder:{chicago.id}:2026-03-09", utc(2026, 3, 15, 14, 15)),
    }
    assert all(r.kind == SmsKind.CHECKIN_REMINDER and r.status == OutboxStatus.QUEUED for r in rows)
    for row in rows:
        send(app, sender, row.not_before)
    assert len(sender.sent) == 3
    bodies = {to: body for to, _, body in sender.sent}
    assert bodies[new_york.mobile_e164].startswith("WHAM: time for your weekly check-in.\n"
                                                   "http://localhost/check-in\n")
    assert "semanal" in bodies[los_angeles.mobile_e164]


def test_bodies_carry_no_name_and_no_goal_text(app, sender):
    person = reminder_texter(app, display_name="Maria Lopez")
    make_goal(app, person, what="Drink less alcohol")
    plan(app, utc(2026, 3, 15, 22))
    [row] = outbox_rows(app)
    assert "Maria" not in row.body and "alcohol" not in row.body.lower()


def test_spring_forward_reminder_at_0230_is_sent_once_at_0330(app, sender):
    person = reminder_texter(app, at=time(2, 30), **NO_QUIET)
    plan_every(app, utc(2026, 3, 7, 12), 48)
    [row] = outbox_rows(app)
    assert row.not_before == utc(2026, 3, 8, 7, 30)  # 03:30 EDT, the first minute that exists
    assert row.idempotency_key == f"checkin_reminder:{person.id}:2026-03-02"
    assert send(app, sender, utc(2026, 3, 8, 7, 30)).sent == 1


def test_fall_back_reminder_in_the_repeated_hour_is_sent_once(app, sender):
    reminder_texter(app, at=time(1, 30), **NO_QUIET)
    plan_every(app, utc(2026, 10, 31, 12), 48)
    [row] = outbox_rows(app)
    assert row.not_before == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT)
    for minutes in range(0, 180, 5):
        send(app, sender, utc(2026, 11, 1, 5, 30) + timedelta(minutes=minutes))
    assert len(sender.sent) == 1


def test_quiet_hours_across_midnight_hold_the_reminder_until_morning(app, sender):
    reminder_texter(app, weekday=2, at=time(23, 30), quiet_start=time(22), quiet_end=time(7))
    plan(app, utc(2026, 3, 19, 3, 30))  # Wednesday 23:30 EDT
    [row] = outbox_rows(app)
    assert (row.not_before, row.expires_at) == (utc(2026, 3, 19, 11), utc(2026, 3, 19, 15, 30))
    assert send(app, sender, utc(2026, 3, 19, 3, 31)).claimed == 0  # not at night
    assert send(app, sender, utc(2026, 3, 19, 11)).sent == 1  # 07:00 EDT


def test_a_participant_who_changes_time_zone_gets_the_reminder_at_the_new_local_time(app, sender):
    moved = reminder_texter(app)
    with app.app_context():
        db.session.get(User, moved.id).time_zone = "America/Los_Angeles"
        db.session.commit()
    assert plan(app, utc(2026, 3, 15, 22)).queued == 0  # 18:00 in New York: not for her now
    assert plan(app, utc(2026, 3, 16, 1)).queued == 1  # 18:00 in Los Angeles
    assert send(app, sender, utc(2026, 3, 16, 1)).sent == 1


def test_a_zone_change_after_the_reminder_went_does_not_send_it_again(app, sender):
    person = reminder_texter(app)
    plan(app, utc(2026, 3, 15, 22))
    send(app, sender, utc(2026, 3, 15, 22))
    with app.app_context():
        db.session.get(User, person.id).time_zone = "America/Los_Angeles"
        db.session.commit()
    plan_every(app, utc(2026, 3, 15, 22), 6)
    assert len(outbox_rows(app)) == 1 and len(sender.sent) == 1


def test_follow_up_a_day_later_when_the_check_in_is_still_not_done(app, sender):
    person = reminder_texter(app)
    plan(app, utc(2026, 3, 15, 22))
    send(app, sender, utc(2026, 3, 15, 22))
    plan_every(app, utc(2026, 3, 16, 12), 24)
    followups = [r for r in outbox_rows(app) if r.idempotency_key.startswith("checkin_followup")]
    assert [(r.idempotency_key, r.not_before) for r in followups] == [
        (f"checkin_followup:{person.id}:2026-03-09", utc(2026, 3, 16, 22))]
    send(app, sender, utc(2026, 3, 16, 22))
    assert "still open" in sender.sent[-1][2]
    plan_every(app, utc(2026, 3, 17, 12), 48)  # one follow-up only
    assert len(outbox_rows(app)) == 2


def test_check_in_logged_between_reminder_and_follow_up_means_no_follow_up(app, sender):
    person = reminder_texter(app)
    plan(app, utc(2026, 3, 15, 22))
    send(app, sender, utc(2026, 3, 15, 22))
    make_check_in(app, person, date(2026, 3, 9), now=utc(2026, 3, 16, 0, 30))
    plan_every(app, utc(2026, 3, 16, 12), 24)
    assert [r.idempotency_key.split(":")[0] for r in outbox_rows(app)] == ["checkin_reminder"]
    assert len(sender.sent) == 1


def test_saving_the_check_in_cancels_a_queued_reminder(app, sender):
    person = reminder_texter(app, at=time(23, 30))  # held until 08:00 by quiet hours
    plan(app, utc(2026, 3, 16, 3, 30))
    [row] = outbox_rows(app)
    assert row.status == OutboxStatus.QUEUED
    make_check_in(app, person, date(2026, 3, 9), now=utc(2026, 3, 16, 4))
    [row] = outbox_rows(app)
    assert (row.status, row.error_code) == (OutboxStatus.CANCELLED, "checked_in")
    assert send(app, sender, utc(2026, 3, 16, 12)).claimed == 0
    assert sender.sent == []


def test_a_check_in_that_did_not_cancel_its_reminder_is_caught_at_send_time(app, sender,
                                                                          monkeypatch):
    person = reminder_texter(app, at=time(23, 30))
    plan(app, utc(2026, 3, 16, 3, 30))
    monkeypatch.setattr("wham.nudges.services.check_in_saved", lambda *args: None)
    make_check_in(app, person, date(2026, 3, 9), now=utc(2026, 3, 16, 4))
    report = send(app, sender, utc(2026, 3, 16, 12))
    assert (report.claimed, report.cancelled, sender.sent) == (1, 1, [])
    [row] = outbox_rows(app)
    assert (row.status, row.error_code) == (OutboxStatus.CANCELLED, "checked_in")


def test_opt_out_between_planning_and_sending_sends_nothing(app, client, sender):
    person = reminder_texter(app, at=time(23, 30))
    plan(app, utc(2026, 3, 16, 3, 30))  # queued for 08:00
    assert "no more texts" in inbound(client, person.mobile_e164, "STOP").get_data(as_text=True)
    report = send(app, sender, utc(2026, 3, 16, 12))
    assert (report.cancelled, sender.sent) == (1, [])
    [row] = outbox_rows(app)
    assert (row.status, row.error_code) == (OutboxStatus.CANCELLED, "opted_out")
    plan_every(app, utc(2026, 3, 16, 12), 30)  # nor is anything planned for her any more
    assert len(outbox_rows(app)) == 1


@pytest.mark.parametrize("who", ["unverified", "opted_out", "invalid", "not_opted_in",
                                 "disabled", "number_changed", "peer_specialist"])
def test_no_reminder_planned_for_people_who_may_not_get_it(app, sender, who):
    fields = {"unverified": {"verified": False}, "opted_out": {"opted_out_at": utc(2026, 1, 2)},
              "invalid": {"invalid_at": utc(2026, 1, 2)}, "not_opted_in": {"kinds": ()},
              "peer_specialist": {"role": Role.PEER_SPECIALIST}}.get(who, {})
    person = reminder_texter(app, **fields)
    with app.app_context():
        user = db.session.get(User, person.id)
        if who == "disabled":
            user.is_enabled = False
        if who == "number_changed":
            user.mobile_e164 = "+12025559876"
        db.session.commit()
    assert plan(app, utc(2026, 3, 15, 22)).due == 0
    assert outbox_rows(app) == []


def test_two_planners_at_once_queue_each_nudge_once(app, sender):
    people = [reminder_texter(app) for _ in range(30)]
    barrier, reports, errors = threading.Barrier(2), [], []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                reports.append(planner.plan_due_nudges(utc(2026, 3, 15, 22)))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    rows = outbox_rows(app)
    assert len(rows) == len({r.idempotency_key for r in rows}) == len(people)
    assert sum(r.queued for r in reports) == len(people)


# --- group session reminders -------------------------------------------------------------


def _group_with(app, members, **details):
    facilitator = make_peer_specialist(app)
    group = make_group(app, [facilitator], members, now=utc(2026, 9, 1), **details)
    return group, facilitator


def test_group_reminder_the_day_before_in_each_members_own_time(app, sender):
    kinds = (SmsKind.GROUP_REMINDER,)
    new_york = make_texter(app, kinds=kinds, time_zone="America/New_York")
    los_angeles = make_texter(app, kinds=kinds, time_zone="America/Los_Angeles")
    not_opted_in = make_texter(app, kinds=(), time_zone="America/New_York")
    group, _ = _group_with(app, [new_york, los_angeles, not_opted_in], name="Recovery circle")
    # The first session: Tuesday 15 September 2026, 18:00 in New York.
    plan_every(app, utc(2026, 9, 14, 12), 18)
    rows = {r.user_id: r for r in outbox_rows(app)}
    assert set(rows) == {new_york.id, los_angeles.id}
    assert rows[new_york.id].not_before == utc(2026, 9, 14, 21)  # Monday 17:00 EDT
    assert rows[los_angeles.id].not_before == utc(2026, 9, 15, 0)  # Monday 17:00 PDT
    assert rows[new_york.id].body == (
        f"WHAM: your group meets Tue Sep 15, 6:00 PM. Details: http://localhost/groups/{group.id}")
    assert "3:00 PM" in rows[los_angeles.id].body
    assert "Recovery" not in rows[new_york.id].body


def test_group_reminder_for_a_session_cancelled_after_planning_is_not_sent(app, sender):
    member = make_texter(app, kinds=(SmsKind.GROUP_REMINDER,))
    group, _ = _group_with(app, [member])
    plan(app, utc(2026, 9, 14, 21))
    with app.app_context():
        db.session.get(GroupSession, group.session_ids[0]).is_cancelled = True
        db.session.commit()
    report = send(app, sender, utc(2026, 9, 14, 21))
    assert (report.cancelled, sender.sent) == (1, [])
    assert outbox_rows(app)[0].error_code == "session_cancelled"
    plan_every(app, utc(2026, 9, 14, 21), 3)
    assert len(outbox_rows(app)) == 1  # a cancelled session gets no reminder


# --- flag alerts -------------------------------------------------------------------------


def _raise_flag(app, participant, at) -> int:
    with app.app_context():
        flag = Flag(user_id=participant.id, kind="safety", reason=FlagReason.SUPPORT_NOW,
                    created_at=at)
        db.session.add(flag)
        db.session.commit()
        return flag.id


def test_a_new_flag_alerts_the_people_who_support_the_member_once(app, sender):
    alerts = (SmsKind.FLAG_ALERT,)
    facilitator = make_texter(app, role=Role.PEER_SPECIALIST, kinds=alerts)
    one_to_one = make_texter(app, role=Role.PEER_SPECIALIST, kinds=alerts)
    not_opted_in = make_texter(app, role=Role.PEER_SPECIALIST, kinds=())
    unrelated = make_texter(app, role=Role.PEER_SPECIALIST, kinds=alerts)
    member = make_texter(app, display_name="Darnell Brown", peer_specialist_id=one_to_one.id)
    make_group(app, [facilitator, not_opted_in], [member])
    make_group(app, [unrelated], [make_texter(app)])
    _raise_flag(app, member, utc(2026, 3, 18, 15))
    plan_every(app, utc(2026, 3, 18, 15), 3, step=timedelta(minutes=1))
    rows = outbox_rows(app)
    assert {(r.user_id, r.idempotency_key) for r in rows} == {
        (facilitator.id, f"flag_alert:{facilitator.id}:2026-03-18T15"),
        (one_to_one.id, f"flag_alert:{one_to_one.id}:2026-03-18T15")}
    body = rows[0].body
    assert body == ("WHAM: someone you support may need a follow-up. Please open the app: "
                    "http://localhost/groups")
    assert "Darnell" not in body and "support_now" not in body


def test_several_flags_at_once_make_one_alert(app, sender):
    facilitator = make_texter(app, role=Role.PEER_SPECIALIST, kinds=(SmsKind.FLAG_ALERT,))
    members = [make_texter(app) for _ in range(4)]
    make_group(app, [facilitator], members)
    for member in members:  # as the hourly follow-up rules raise them, at one moment
        _raise_flag(app, member, utc(2026, 3, 18, 13))
    plan_every(app, utc(2026, 3, 18, 13), 1, step=timedelta(minutes=1))
    send(app, sender, utc(2026, 3, 18, 13, 1))
    assert [kind for _, kind, _ in sender.sent] == ["flag_alert"]
    _raise_flag(app, members[0], utc(2026, 3, 18, 16, 30))  # a new one later: a new alert
    plan(app, utc(2026, 3, 18, 16, 31))
    assert len(outbox_rows(app)) == 2


def test_old_flags_raise_no_alert(app, sender):
    facilitator = make_texter(app, role=Role.PEER_SPECIALIST, kinds=(SmsKind.FLAG_ALERT,))
    member = make_texter(app)
    make_group(app, [facilitator], [member])
    _raise_flag(app, member, utc(2026, 3, 10, 15))
    assert plan(app, utc(2026, 3, 18, 15)).due == 0


def test_planner_queries_do_not_grow_with_the_number_of_people(app, sender, query_counter):
    for _ in range(3):
        reminder_texter(app)
    with query_counter() as few:
        plan(app, utc(2026, 3, 15, 22))
    for _ in range(20):
        reminder_texter(app)
    with query_counter() as many:
        plan(app, utc(2026, 3, 22, 22))
    assert many.count == few.count
    with app.app_context():
        assert db.session.scalar(select(SmsContact.id).limit(1)) is not None
