"""The outbox: idempotent queueing, claims, re-checks at send time, retries, expiry, pacing."""
from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.sms.factories import contact_of, make_queued, make_texter, outbox_row
from wham.accounts.models import User
from wham.extensions import db
from wham.sms import outbox
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind
from wham.sms.senders import RecordingSender, SendError

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def _send(app, sender, now=NOW, **kwargs):
    with app.app_context():
        return outbox.send_due_messages(now, sender, **kwargs)


def test_queueing_the_same_key_twice_keeps_one_message(app, sender):
    user = make_texter(app)
    first = make_queued(app, user, NOW, key="checkin_reminder:1:2026-03-10")
    again = make_queued(app, user, NOW, key="checkin_reminder:1:2026-03-10", body="other")
    assert first is not None and again is None
    assert _count(app) == 1
    assert outbox_row(app, first).body == "WHAM: time for your weekly check-in."


def test_due_message_is_sent_once_with_provider_id(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    report = _send(app, sender)
    assert (report.claimed, report.sent) == (1, 1)
    assert sender.sent == [(user.mobile_e164, "checkin_reminder", "WHAM: time for your weekly check-in.")]
    row = outbox_row(app, message_id)
    assert row.status == OutboxStatus.SENT and row.provider_sid.startswith("TEST")
    assert row.sent_at == NOW and row.attempts == 1
    assert _send(app, sender, NOW + timedelta(minutes=1)).claimed == 0
    assert len(sender.sent) == 1


def test_message_waits_for_its_window(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW, delay=timedelta(hours=1))
    assert _send(app, sender).claimed == 0
    assert _send(app, sender, NOW + timedelta(hours=1)).sent == 1
    assert outbox_row(app, message_id).status == OutboxStatus.SENT


def test_opt_out_between_queueing_and_sending_sends_nothing(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        contact = db.session.scalar(select(SmsContact).where(SmsContact.user_id == user.id))
        contact.opted_out_at = NOW
        db.session.commit()
    report = _send(app, sender)
    assert report.cancelled == 1 and sender.sent == []
    row = outbox_row(app, message_id)
    assert (row.status, row.error_code) == (OutboxStatus.CANCELLED, "opted_out")


def test_kind_turned_off_after_queueing_sends_nothing(app, sender):
    user = make_texter(app, kinds=(SmsKind.GROUP_REMINDER,))
    message_id = make_queued(app, user, NOW, kind=SmsKind.CHECKIN_REMINDER)
    _send(app, sender)
    assert sender.sent == []
    assert outbox_row(app, message_id).error_code == "not_opted_in"


def test_changed_profile_number_needs_new_confirmation(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        db.session.get(User, user.id).mobile_e164 = "+12025559999"
        db.session.commit()
    _send(app, sender)
    assert sender.sent == []
    assert outbox_row(app, message_id).error_code == "unverified"


def test_unverified_and_invalid_numbers_get_nothing(app, sender):
    unverified = make_texter(app, verified=False)
    invalid = make_texter(app, invalid_at=NOW)
    ids = [make_queued(app, unverified, NOW), make_queued(app, invalid, NOW)]
    _send(app, sender)
    assert sender.sent == []
    assert [outbox_row(app, i).error_code for i in ids] == ["unverified", "invalid_number"]


def test_retryable_error_backs_off_then_sends(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    sender.failures.append(SendError("20429", retryable=True))
    report = _send(app, sender)
    assert report.retrying == 1
    row = outbox_row(app, message_id)
    assert row.status == OutboxStatus.QUEUED and row.error_code == "20429"
    assert NOW + timedelta(seconds=15) <= row.next_attempt_at <= NOW + timedelta(seconds=30)
    assert _send(app, sender, NOW + timedelta(seconds=10)).claimed == 0  # not yet
    assert _send(app, sender, row.next_attempt_at).sent == 1
    row = outbox_row(app, message_id)
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.SENT, 2, None)


def test_back_off_grows_and_is_capped(app_ctx):
    rng = random.Random(7)
    delays = [outbox.retry_delay(n, rng) for n in range(1, 10)]
    ceilings = [min(30 * 2 ** (n - 1), 1800) for n in range(1, 10)]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay.total_seconds() <= ceiling
    assert len({round(d.total_seconds(), 3) for d in delays}) == len(delays)  # jittered


def test_retries_stop_after_the_last_attempt(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW, window=timedelta(days=2))
    now = NOW
    for _ in range(app.config["SMS_MAX_ATTEMPTS"]):
        sender.failures.append(SendError("http_500", retryable=True))
        _send(app, sender, now)
        now = max(now, outbox_row(app, message_id).next_attempt_at)
    row = outbox_row(app, message_id)
    assert (row.status, row.attempts, row.error_code) == (
        OutboxStatus.FAILED, app.config["SMS_MAX_ATTEMPTS"], "http_500")
    assert sender.sent == []


def test_retry_that_would_land_after_the_window_expires_now(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW, window=timedelta(seconds=10))
    sender.failures.append(SendError("timeout", retryable=True))
    assert _send(app, sender).expired == 1
    row = outbox_row(app, message_id)
    assert (row.status, row.error_code) == (OutboxStatus.EXPIRED, "timeout")


def test_unsubscribed_error_opts_the_person_out(app, sender):
    user = make_texter(app)
    first = make_queued(app, user, NOW, key="a")
    second = make_queued(app, user, NOW, key="b")
    sender.failures.append(SendError("21610", retryable=False))
    _send(app, sender)
    assert contact_of(app, user).opted_out_at == NOW
    assert outbox_row(app, first).status == OutboxStatus.FAILED
    assert outbox_row(app, second).error_code == "opted_out"
    assert sender.sent == []


def test_expiry_marks_overdue_queued_messages_only(app, sender):
    user = make_texter(app)
    overdue = make_queued(app, user, NOW, key="old", window=timedelta(minutes=30))
    fresh = make_queued(app, user, NOW, key="new", window=timedelta(hours=3))
    later = NOW + timedelta(hours=1)
    assert _send(app, sender, later).sent == 1  # the overdue one is not even claimed
    with app.app_context():
        assert outbox.expire_overdue_messages(later) == 1
    assert outbox_row(app, overdue).status == OutboxStatus.EXPIRED
    assert outbox_row(app, fresh).status == OutboxStatus.SENT
    assert [m[2] for m in sender.sent] == ["WHAM: time for your weekly check-in."]


def test_claims_a_dead_worker_never_handed_over_go_back_to_the_queue(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        assert outbox.claim_due_messages(NOW, 10) == [message_id]
        assert outbox.release_stuck_claims(NOW + timedelta(minutes=5)) == 0
        assert outbox.release_stuck_claims(NOW + timedelta(minutes=11)) == 1
    assert outbox_row(app, message_id).status == OutboxStatus.QUEUED
    assert _send(app, sender, NOW + timedelta(minutes=12)).sent == 1
    assert len(sender.sent) == 1


def test_a_claim_released_from_under_a_slow_worker_is_still_sent_once(app, sender, monkeypatch):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        assert outbox.claim_due_messages(NOW, 10) == [message_id]  # worker A claims, then stalls
        assert outbox.release_stuck_claims(NOW + timedelta(minutes=11)) == 1
    assert _send(app, sender, NOW + timedelta(minutes=12)).sent == 1  # worker B sends it
    # Worker A wakes up and goes on with the batch it claimed long ago.
    monkeypatch.setattr(outbox, "claim_due_messages", lambda now, limit: [message_id])
    assert _send(app, sender, NOW + timedelta(minutes=13)).sent == 0
    assert len(sender.sent) == 1


def test_a_claim_left_past_its_window_expires(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW, window=timedelta(minutes=30))
    with app.app_context():
        outbox.claim_due_messages(NOW, 10)
        assert outbox.release_stuck_claims(NOW + timedelta(hours=1)) == 1
    assert outbox_row(app, message_id).status == OutboxStatus.EXPIRED
    assert _send(app, sender, NOW + timedelta(hours=1)).claimed == 0


def test_a_message_in_doubt_when_the_worker_died_is_never_resent(app, sender):
    """Handed to the provider, then the worker died before the answer was saved: whether it
    went out is unknown, so it is marked failed and counted, never sent a second time."""
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)

    class DiesWhileSending(RecordingSender):
        def send(self, to_e164, body, kind):
            raise SystemExit("killed")

    with app.app_context(), pytest.raises(SystemExit):
        outbox.send_due_messages(NOW, DiesWhileSending())
    with app.app_context():
        db.session.remove()
        assert outbox.release_stuck_claims(NOW + timedelta(minutes=11)) == 1
    row = outbox_row(app, message_id)
    assert (row.status, row.error_code) == (OutboxStatus.FAILED, "worker_lost")
    assert _send(app, sender, NOW + timedelta(minutes=12)).claimed == 0
    assert sender.sent == []


def test_pacer_keeps_to_the_rate():
    clock = {"t": 100.0}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock["t"] += seconds

    pacer = outbox.Pacer(4, monotonic=lambda: clock["t"], sleep=sleep)
    for _ in range(9):
        pacer.wait()
    assert clock["t"] == 102.0  # 9 sends at 4 per second: the last one 2 s after the first
    assert slept == [0.25] * 8
    unlimited = outbox.Pacer(0, monotonic=lambda: 0.0, sleep=lambda s: slept.append(s))
    unlimited.wait()
    unlimited.wait()
    assert len(slept) == 8


def test_send_job_respects_the_configured_rate(app, sender, monkeypatch):
    user = make_texter(app)
    for n in range(5):
        make_queued(app, user, NOW, key=f"k{n}")
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 20.0)
    started = time.monotonic()
    _send(app, sender)
    elapsed = time.monotonic() - started
    assert len(sender.sent) == 5
    assert elapsed >= 4 / 20  # five sends are four intervals of 50 ms apart


def test_status_callbacks_move_forward_only(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    _send(app, sender)
    sid = outbox_row(app, message_id).provider_sid
    later = NOW + timedelta(minutes=1)
    with app.app_context():
        assert outbox.apply_status_callback(sid, "delivered", None, later) is True
        assert outbox.apply_status_callback(sid, "delivered", None, later + timedelta(1)) is False
        assert outbox.apply_status_callback(sid, "sent", None, later) is False
        assert outbox.apply_status_callback("SMunknown", "delivered", None, later) is False
    row = outbox_row(app, message_id)
    assert (row.status, row.updated_at) == (OutboxStatus.DELIVERED, later)
