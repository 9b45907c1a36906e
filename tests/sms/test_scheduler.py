"""The scheduler process: jobs with stable ids, driven by the outbox functions, never in web
workers; and two workers over the same due rows send each message exactly once."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from tests.sms.factories import make_queued, make_texter
from wham import scheduler
from wham.extensions import db
from wham.sms import outbox
from wham.sms.models import OutboxMessage, OutboxStatus
from wham.sms.senders import SendResult
from wham.timeutil import utcnow

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_jobs_have_stable_ids_and_intervals(app):
    sched = scheduler.add_jobs(BackgroundScheduler(timezone="UTC"), app)
    scheduler.add_jobs(sched, app)  # adding again replaces, never duplicates
    jobs = {job.id: job for job in sched.get_jobs()}
    assert {"nudges.plan", "sms.send_outbox", "sms.expire_outbox"} <= set(jobs)
    assert jobs["nudges.plan"].trigger.interval == timedelta(minutes=1)
    assert jobs["sms.send_outbox"].trigger.interval == timedelta(seconds=5)
    assert jobs["sms.expire_outbox"].trigger.interval == timedelta(hours=1)
    assert not sched.running


def test_the_web_app_starts_no_scheduler(app):
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
    assert "scheduler" in app.cli.commands


def test_send_job_sends_due_messages_through_the_configured_sender(app, sender):
    user = make_texter(app)
    make_queued(app, user, utcnow() - timedelta(minutes=1))
    scheduler.send_outbox(app)
    assert [kind for _, kind, _ in sender.sent] == ["checkin_reminder"]


def test_expire_job_expires_overdue_messages(app, sender):
    user = make_texter(app)
    message_id = make_queued(app, user, utcnow() - timedelta(hours=3), window=timedelta(hours=1))
    scheduler.expire_outbox(app)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.EXPIRED


class SlowRecorder:
    """Takes a little time per message, as a provider does, so two workers overlap."""

    name = "slow"

    def __init__(self):
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def send(self, to_e164, body, *, kind):
        time.sleep(0.002)
        with self.lock:
            self.sent.append(body)
            return SendResult(provider_sid=f"SM{len(self.sent):032d}{threading.get_ident() % 997}")


def test_two_workers_over_the_same_due_rows_send_each_message_exactly_once(app):
    """Two threads, each with its own app context and so its own database connection, run the
    send job at once over the same due messages (FOR UPDATE SKIP LOCKED on PostgreSQL, the
    conditional claim on SQLite)."""
    users = [make_texter(app) for _ in range(4)]
    count = 120
    with app.app_context():
        from wham.accounts.models import User

        people = [db.session.get(User, u.id) for u in users]
        for n in range(count):
            person = people[n % len(people)]
            outbox.queue_message(person, "checkin_reminder", f"message {n}", f"k{n}",
                                 to_e164=person.mobile_e164, not_before=NOW,
                                 expires_at=NOW + timedelta(hours=2), now=NOW, commit=False)
        db.session.commit()
    sender = SlowRecorder()
    barrier = threading.Barrier(2)
    errors = []
    claimed = []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                mine = 0
                while report := outbox.send_due_messages(NOW, sender, limit=7):
                    if not report.claimed:
                        break
                    mine += report.claimed
                claimed.append(mine)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(claimed) == 2 and all(claimed) and sum(claimed) == count  # both took a share
    assert sorted(sender.sent) == sorted(f"message {n}" for n in range(count))
    with app.app_context():
        sent = db.session.scalar(select(func.count(OutboxMessage.id))
                                 .where(OutboxMessage.status == OutboxStatus.SENT))
        assert sent == count
