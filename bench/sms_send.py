"""Benchmark: send queued text messages through the real Twilio SDK to a local fake provider.

Queues N messages (default 20,000) in the outbox, starts a fake Twilio Messages API that
answers every request after a fixed latency (default 50 ms), and runs W sending workers, each
the outbox job `send_due_messages` with its own database connection and Twilio client, all
sharing one rate limiter. Prints messages per second against the configured limit and checks
that every message was sent exactly once. Not a test: run it by hand (see bench/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fresh_db import empty_and_migrate  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from wham import create_app  # noqa: E402
from wham.accounts.models import Role, User  # noqa: E402
from wham.extensions import db  # noqa: E402
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind  # noqa: E402
from wham.sms.outbox import Pacer, send_due_messages  # noqa: E402
from wham.sms.senders import TwilioSender  # noqa: E402

PER_PERSON = 10
ROOT = Path(__file__).resolve().parent.parent


class FakeProvider:
    """tests/sms/fake_twilio.py in its own process, so it does not compete with the senders."""

    def __init__(self, latency: float):
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.sms.fake_twilio", "--latency", str(latency)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.origin = self.process.stdout.readline().strip()

    def stats(self) -> dict:
        import requests

        return json.loads(requests.get(self.origin + "/_stats", timeout=10).text)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=400.0,
                        help="SMS_RATE_PER_SECOND for the run (raised from the default of 1)")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--batch", type=int, default=50, help="rows claimed per job run")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="default: a fresh SQLite file; a PostgreSQL URL is emptied first")
    return parser.parse_args()


def make_app(args: argparse.Namespace, fake: FakeProvider):
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='wham-bench-')}/bench.db"

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": args.workers + 2,
                                     "max_overflow": 4} if url.startswith("postgresql") else {}
        SMS_BACKEND = "twilio"
        SMS_RATE_PER_SECOND = args.rate
        SMS_SEND_BATCH = args.batch
        TWILIO_ACCOUNT_SID = "AC" + "b" * 32
        TWILIO_AUTH_TOKEN = "bench-token"  # noqa: S105 - the fake provider accepts anything
        TWILIO_FROM = "+15005550006"
        TWILIO_API_ORIGIN = fake.origin

    return create_app(BenchConfig)


def prepare(app, count: int, now: datetime) -> None:
    with app.app_context():
        empty_and_migrate()
        people = (count + PER_PERSON - 1) // PER_PERSON
        db.session.execute(insert(User), [
            {"email": f"bench{n}@example.org", "display_name": f"Bench {n}", "role": Role.PARTICIPANT,
             "time_zone": "America/New_York", "language": "en", "password_hash": "x",
             "mobile_e164": f"+1202{n:07d}"} for n in range(people)])
        ids = db.session.execute(select(User.id, User.mobile_e164).order_by(User.id)).all()
        db.session.execute(insert(SmsContact), [
            {"user_id": uid, "e164": number, "verified_at": now, "language": "en",
             "checkin_reminder": True, "updated_at": now} for uid, number in ids])
        db.session.execute(insert(OutboxMessage), [
            {"idempotency_key": f"checkin_reminder:{ids[n % people][0]}:{n}",
             "user_id": ids[n % people][0], "to_e164": ids[n % people][1],
             "body": f"WHAM: time for your weekly check-in. #{n}", "kind": SmsKind.CHECKIN_REMINDER,
             "status": OutboxStatus.QUEUED, "not_before": now, "expires_at": now + timedelta(hours=6),
             "next_attempt_at": now, "attempts": 0, "created_at": now, "updated_at": now}
            for n in range(count)])
        db.session.commit()


def run_workers(app, args: argparse.Namespace, fake: FakeProvider) -> tuple[float, int]:
    pacer = Pacer(args.rate)
    errors: list[BaseException] = []
    retried = []

    def worker():
        sender = TwilioSender(app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"],
                              from_number=app.config["TWILIO_FROM"], api_origin=fake.origin,
                              timeout=10)
        try:
            with app.app_context():
                # As the scheduler does, with the clock moving: a message whose send was
                # retried comes due again a little later.
                while True:
                    report = send_due_messages(datetime.now(UTC), sender, limit=args.batch,
                                               pacer=pacer)
                    retried.append(report.retrying)
                    if not report.claimed:
                        waiting = _waiting()
                        # Hand the connection back while idle: the workers still sending need
                        # one to record what they sent (more workers than pooled connections
                        # otherwise wait for each other for ever).
                        db.session.remove()
                        if not waiting:
                            break
                        time.sleep(0.5)
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"a worker failed: {errors[0]!r}")
    return elapsed, sum(retried)


def _waiting() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))))


def main() -> None:
    args = parse_args()
    fake = FakeProvider(args.latency_ms / 1000)
    app = make_app(args, fake)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    prepare(app, args.messages, now)
    setup = time.perf_counter() - t0
    elapsed, retried = run_workers(app, args, fake)
    stats = fake.stats()
    fake.stop()
    with app.app_context():
        sent = db.session.scalar(select(func.count(OutboxMessage.id))
                                 .where(OutboxMessage.status == OutboxStatus.SENT))
        dialect = db.engine.dialect.name
    rate = sent / elapsed
    ceiling = args.workers / (args.latency_ms / 1000) if args.latency_ms else float("inf")
    print(f"database              {dialect}")
    print(f"messages queued       {args.messages:,} (set up in {setup:.1f} s)")
    print(f"provider latency      {args.latency_ms:.0f} ms per request (local fake Twilio, real SDK)")
    print(f"workers               {args.workers} (at most {ceiling:,.0f} msg/s at this latency)")
    print(f"configured limit      {args.rate:,.0f} msg/s (SMS_RATE_PER_SECOND)")
    print(f"sent                  {sent:,} in {elapsed:.1f} s")
    print(f"throughput            {rate:,.1f} msg/s = {rate / args.rate:.0%} of the limit")
    print(f"retried sends         {retried:,}")
    print(f"provider requests     {stats['requests']:,}, distinct bodies {stats['distinct_bodies']:,}")
    ok = sent == args.messages == stats["distinct_bodies"]
    print("exactly once          " + ("yes" if ok else "NO"))
    if not ok or rate > args.rate * 1.02:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
