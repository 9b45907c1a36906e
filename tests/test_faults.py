"""Faults, for real (marked slow): the database restarted under the app and a running
scheduler, the scheduler killed with SIGKILL in the middle of sending, and the SMS provider down
for ten minutes. Nothing is lost, nothing is sent twice, nothing is half-saved, and the app
recovers by itself.

The restart test runs its own PostgreSQL (initdb into a temporary directory, its own port), so
the shared server is never stopped; it is skipped when the server binaries are not installed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import TestingConfig
from tests.checkins.factories import answers
from tests.factories import make_admin, make_participant
from tests.private_postgres import PrivatePostgres, find_bin_dir
from tests.sms.factories import make_queued, make_texter
from tests.sms.fake_twilio import FakeTwilio, error
from tests.web import CSRF_RE, login
from wham import create_app
from wham.checkins import measures
from wham.checkins.models import CheckIn
from wham.extensions import db
from wham.sms import outbox
from wham.sms.models import OutboxMessage, OutboxStatus
from wham.sms.senders import TwilioSender
from wham.timeutil import local_week_start, utcnow

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_SID, AUTH_TOKEN, FROM = "AC" + "1" * 32, "fault-test-token", "+15005550006"
CHECK_IN = {"days_done": "4", "stress": "3", "helped": "Walks", "barriers": "Rain",
            "confidence_next": "8", "support": "none", **{f"who5_{n}": "4" for n in range(1, 6)}}


def _wait_for(condition, timeout: float, step: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def start_scheduler(database_url: str, fake: FakeTwilio, log_path: Path, **env) -> subprocess.Popen:
    """`flask --app wham scheduler` as its own process, sending through the real Twilio SDK to
    the fake provider."""
    environment = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"} | {
        "WHAM_ENV": "development", "DATABASE_URL": database_url, "SMS_BACKEND": "twilio",
        "TWILIO_API_ORIGIN": fake.origin, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM": FROM, "SMS_RATE_PER_SECOND": "0",
        "SECRET_KEY": "fault-tests-secret-key-long-enough-for-anything"} | env
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wham", "scheduler"],
                            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _queue_texts(app, count: int, prefix: str, window=timedelta(hours=2)) -> list[int]:
    """`count` check-in reminders, each with its own body, to people who turned them on."""
    now = utcnow()
    ids = []
    for i in range(count):
        person = make_texter(app)
        ids.append(make_queued(app, person, now, key=f"{prefix}:{i}", body=f"WHAM {prefix} #{i}",
                               window=window))
    return ids


def _rows(app, ids: list[int]) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                       .order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def _assert_each_sent_once_or_accounted(rows: list[OutboxMessage], fake: FakeTwilio) -> Counter:
    """Sent rows reached the provider exactly once; a row in doubt (the worker was handing it
    over when it died) at most once; nothing ever twice; every row in a final state."""
    ours = {row.body for row in rows}
    received = Counter(m["Body"] for m in fake.messages() if m.get("Body") in ours)
    assert max(received.values(), default=0) <= 1, f"sent twice: {received.most_common(3)}"
    outcomes = Counter()
    for row in rows:
        if row.status == OutboxStatus.SENT:
            assert row.provider_sid and received[row.body] == 1, row
            outcomes["sent"] += 1
        elif row.status == OutboxStatus.FAILED and row.error_code == "worker_lost":
            assert received[row.body] <= 1
            outcomes["in doubt"] += 1
        elif row.status == OutboxStatus.EXPIRED:
            assert received[row.body] == 0, f"expired but sent: {row}"
            outcomes["expired"] += 1
        else:
            raise AssertionError(f"not finished: {row}")
    return outcomes


@pytest.fixture
def figures(request):
    """Prints a line of figures in the test run's output, captured or not (CI shows them)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\n[faults] {line}", flush=True)
    return say


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio_slow():
    fake = FakeTwilio(latency=0.25).start()
    yield fake
    fake.stop()


# --- the scheduler killed with SIGKILL in the middle of sending -------------------------------


def test_scheduler_killed_mid_batch_sends_each_message_once(app, fake_twilio_slow, tmp_path, figures):
    fake = fake_twilio_slow
    ids = _queue_texts(app, 16, "kill")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {"SMS_CLAIM_TIMEOUT_SECONDS": "2"}
    first = start_scheduler(url, fake, tmp_path / "scheduler.log", **env)
    try:
        _wait_for(lambda: len(fake.requests) >= 4, 40, what="the first texts to go out")
        first.send_signal(signal.SIGKILL)  # no goodbye: the batch is cut in the middle
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    sent_before_restart = len(fake.requests)
    left = [r for r in _rows(app, ids) if r.status == OutboxStatus.SENDING]
    assert left, "the kill came too late: nothing was left in the middle of sending"

    second = start_scheduler(url, fake, tmp_path / "scheduler.log", **env)
    try:
        _wait_for(lambda: all(r.status != OutboxStatus.SENDING and r.status != OutboxStatus.QUEUED
                              for r in _rows(app, ids)), 60, what="every text to be finished")
    finally:
        _stop(second)
    outcomes = _assert_each_sent_once_or_accounted(_rows(app, ids), fake)
    assert outcomes["sent"] >= len(ids) - 1 and outcomes["in doubt"] <= 1, outcomes
    assert len(fake.requests) > sent_before_restart  # the restarted scheduler took over
    figures(f"scheduler SIGKILL: {len(ids)} texts, {sent_before_restart} out before the kill, "
            f"{dict(outcomes)} at the end")
    # The one in doubt shows on the admin page.
    if outcomes["in doubt"]:
        client = app.test_client()
        login(client, make_admin(app))
        assert "worker_lost" in client.get("/admin/sms").get_data(as_text=True)


# --- the SMS provider down for ten minutes ------------------------------------------------------


def test_provider_down_ten_minutes_texts_wait_then_go_or_expire(app, fake_twilio, figures):
    """A clock stepped every 30 seconds through a 10-minute outage (the fake answers 503): texts
    with a two-hour window go out once it is back; texts with a 5-minute window expire, never
    late. The admin page counts them while they wait and after."""
    start = utcnow()
    patient = _queue_texts(app, 4, "patient", window=timedelta(hours=2))
    urgent = _queue_texts(app, 3, "urgent", window=timedelta(minutes=5))
    sender = TwilioSender(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, api_origin=fake_twilio.origin,
                          timeout=5)
    admin = make_admin(app)
    client = app.test_client()
    login(client, admin)
    waiting_seen = []
    for step in range(0, 41):  # 20 minutes of scheduler runs
        now = start + timedelta(seconds=30 * step)
        down = now < start + timedelta(minutes=10)
        fake_twilio.script = [error(503, 20500)] * 50 if down else []
        with app.app_context():
            outbox.expire_overdue_messages(now)
            outbox.send_due_messages(now, sender)
            if step == 10:  # five minutes into the outage
                waiting_seen.append(outbox.delivery_statistics(now)["waiting"])
    fake_twilio.script = []
    rows = {r.id: r for r in _rows(app, patient + urgent)}
    assert waiting_seen[0] >= len(patient)  # waiting, counted on the admin page
    for message_id in patient:
        row = rows[message_id]
        assert row.status == OutboxStatus.SENT, row
        assert row.sent_at >= start + timedelta(minutes=10)  # after the outage...
        assert row.sent_at < row.expires_at  # ...and within its window
    for message_id in urgent:
        assert rows[message_id].status == OutboxStatus.EXPIRED, rows[message_id]
    # Tried during the outage, delivered exactly once after it.
    delivered = [m["Body"] for m in fake_twilio.messages()]
    assert all(delivered.count(rows[i].body) >= 2 for i in patient)  # retried through the outage
    assert sum(1 for r in rows.values() if r.provider_sid) == len(patient)
    assert not [i for i in urgent if rows[i].body in delivered[-len(patient):]]
    page = client.get("/admin/sms").get_data(as_text=True)
    assert "Too late, not sent" in page
    with app.app_context():
        stats = outbox.delivery_statistics(start + timedelta(minutes=20))
        counts = {status: n for kind in stats["by_kind"].values() for status, n in kind.items()}
        assert counts.get(OutboxStatus.EXPIRED) == len(urgent)
        assert counts.get(OutboxStatus.SENT) == len(patient)
        assert stats["waiting"] == 0
    figures(f"SMS provider down 10 minutes: {len(patient)} texts with a 2-hour window sent once after "
            f"it (each tried {min(delivered.count(rows[i].body) for i in patient)}+ times), "
            f"{len(urgent)} with a 5-minute window expired; {waiting_seen[0]} shown waiting meanwhile")


# --- PostgreSQL restarted under the app and the scheduler ---------------------------------


@pytest.fixture
def private_postgres():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = PrivatePostgres(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def _check_in(client, week: str, token: str):
    return client.post(f"/check-in/{week}", data=CHECK_IN | {"csrf_token": token})


def _token(client, week: str) -> str:
    return CSRF_RE.search(client.get(f"/check-in/{week}").get_data(as_text=True)).group(1)


def test_postgresql_restart_under_the_app_and_the_scheduler(private_postgres, fake_twilio_slow,
                                                            tmp_path, figures):
    pg, fake = private_postgres, fake_twilio_slow
    url = pg.create_database("wham")

    class OnPrivatePostgres(TestingConfig):
        TESTING = False  # the production error pages, not exceptions raised into the test
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(OnPrivatePostgres)
    with app.app_context():
        upgrade()
    people = [make_participant(app) for _ in range(9)]
    ids = _queue_texts(app, 20, "restart")
    clients = []
    for person in people:
        client = app.test_client()
        login(client, person)
        clients.append(client)
    week = local_week_start(utcnow(), people[0].time_zone).isoformat()
    tokens = [_token(client, week) for client in clients]  # the page was open before the outage
    scheduler = start_scheduler(url, fake, tmp_path / "scheduler.log", SMS_CLAIM_TIMEOUT_SECONDS="3")
    outcomes: dict[int, list[int]] = {}
    try:
        # Up: three people check in.
        for i in range(3):
            outcomes[i] = [_check_in(clients[i], week, tokens[i]).status_code]
        _wait_for(lambda: len(fake.requests) >= 3, 40, what="the scheduler to start sending")
        pg.stop("fast")  # connections cut, mid-batch
        down_pages = [_check_in(clients[i], week, tokens[i]) for i in range(3, 6)]
        health = clients[0].get("/healthz")
        time.sleep(3)  # the scheduler's jobs meet the missing database too
        pg.start()
        # Back: the same app objects, no restart: the pool notices and reconnects by itself.
        for i in range(3, 9):
            outcomes.setdefault(i, []).append(_check_in(clients[i], week, tokens[i]).status_code)
        _wait_for(lambda: all(r.status not in (OutboxStatus.QUEUED, OutboxStatus.SENDING)
                              for r in _rows(app, ids)), 90, what="the outbox to drain")
    finally:
        _stop(scheduler)

    for response in down_pages:
        assert response.status_code == 503, response.status_code
        body = response.get_data(as_text=True)
        assert "not available right now" in body and "Traceback" not in body
    assert health.status_code == 503
    assert all(codes[-1] == 302 for codes in outcomes.values()), outcomes
    # Every check-in saved whole, once per person, scores matching the answers.
    with app.app_context():
        saved = list(db.session.scalars(select(CheckIn)))
        assert sorted(c.user_id for c in saved) == sorted(p.id for p in people)
        expected = measures.who5_score([4] * 5)
        for check_in in saved:
            assert check_in.days_done == 4 and check_in.helped == "Walks"
            assert check_in.who5_answers == answers(who5=[4] * 5).who5
            assert check_in.who5_score == expected
        assert db.session.scalar(select(func.count(CheckIn.id))) == len(people)
    results = _assert_each_sent_once_or_accounted(_rows(app, ids), fake)
    assert results["sent"] >= len(ids) - 1, results
    figures(f"PostgreSQL restart: 3 check-ins answered 503 while it was down, all 9 saved once "
            f"after; texts {dict(results)}")
