"""Benchmark: plan a week of nudges for 100,000 participants, against a plain bulk insert.

Creates N participants (default 100,000) with confirmed numbers and check-in reminders at
varied local days, times and time zones, in groups of 12 with a weekly session (half of them
take group reminders). Then, timed in the same run:

1. the planner (`plan_due_nudges`) over the coming 7 days: reading who gets what, the rules
   (local times, DST, quiet hours, usefulness), the bodies, and the idempotent insert;
2. the same planning again: nothing new to queue (what the job does every minute);
3. one job run at the week's busiest minute, as the scheduler runs it (2 hours back);
4. a plain bulk insert of as many outbox rows as the planner queued, into an empty outbox.

Prints the times and the planner's ratio to the plain insert. Not a test: run it by hand
(see bench/README.md).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fresh_db import empty_and_migrate  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from wham import create_app  # noqa: E402
from wham.accounts.models import Role, User  # noqa: E402
from wham.extensions import db  # noqa: E402
from wham.groups.models import Group, GroupFacilitator, GroupSession, Membership  # noqa: E402
from wham.nudges.planner import plan_due_nudges  # noqa: E402
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind  # noqa: E402
from wham.timeutil import COMMON_TIME_ZONES, local_to_utc  # noqa: E402

GROUP_SIZE = 12


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="default: a fresh SQLite file; a PostgreSQL URL is emptied first")
    return parser.parse_args()


def make_app(url: str | None):
    url = url or f"sqlite:///{tempfile.mkdtemp(prefix='wham-bench-')}/bench.db"

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        SMS_BACKEND = "test"

    return create_app(BenchConfig)


def prepare(app, count: int, now: datetime) -> None:
    rng = random.Random(6)
    with app.app_context():
        empty_and_migrate()
        zones = [rng.choice(COMMON_TIME_ZONES) for _ in range(count)]
        languages = [rng.choice(("en", "en", "en", "es")) for _ in range(count)]
        db.session.execute(insert(User), [
            {"email": f"bench{n}@example.org", "display_name": f"Bench {n}",
             "role": Role.PARTICIPANT, "time_zone": zones[n], "language": languages[n],
             "password_hash": "x", "mobile_e164": f"+1202{n:07d}"} for n in range(count)])
        groups = (count + GROUP_SIZE - 1) // GROUP_SIZE
        db.session.execute(insert(User), [
            {"email": f"peer{n}@example.org", "display_name": f"Peer {n}",
             "role": Role.PEER_SPECIALIST, "time_zone": "America/Chicago", "language": "en",
             "password_hash": "x"} for n in range(groups // 10 + 1)])
        ids = db.session.execute(select(User.id, User.mobile_e164).where(
            User.role == Role.PARTICIPANT).order_by(User.id)).all()
        peers = db.session.scalars(select(User.id).where(User.role == Role.PEER_SPECIALIST)).all()
        db.session.execute(insert(SmsContact), [
            {"user_id": uid, "e164": number, "verified_at": now - timedelta(days=30),
             "language": languages[n], "checkin_reminder": True, "group_reminder": n % 2 == 0,
             "checkin_weekday": rng.randrange(7),
             "checkin_time": clock_time(rng.randrange(7, 22), rng.choice((0, 15, 30, 45))),
             "updated_at": now} for n, (uid, number) in enumerate(ids)])
        today = now.date()
        db.session.execute(insert(Group), [
            {"id": g + 1, "name": f"Group {g}", "start_date": today, "weekday": g % 7,
             "local_time": clock_time(18), "time_zone": "America/Chicago", "session_count": 1,
             "capacity": GROUP_SIZE, "join_code": f"B{g:07d}", "created_at": now}
            for g in range(groups)])
        db.session.execute(insert(GroupFacilitator), [
            {"group_id": g + 1, "user_id": peers[g % len(peers)], "added_at": now}
            for g in range(groups)])
        db.session.execute(insert(GroupSession), [
            {"group_id": g + 1, "number": 1, "is_moved": False, "is_cancelled": False,
             "starts_at": local_to_utc(today + timedelta(days=1 + g % 7), clock_time(18),
                                       "America/Chicago")} for g in range(groups)])
        db.session.execute(insert(Membership), [
            {"group_id": n // GROUP_SIZE + 1, "user_id": uid, "joined_at": now,
             "agreed_notice_version": 1} for n, (uid, _) in enumerate(ids)])
        db.session.commit()


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def plain_insert(app, rows: int, now: datetime) -> float:
    """The baseline: as many outbox rows, built beforehand, inserted into an empty outbox."""
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE sms_outbox"))
        users = db.session.execute(select(User.id, User.mobile_e164).where(
            User.role == Role.PARTICIPANT).order_by(User.id)).all()
        batch = [{"idempotency_key": f"plain:{n}", "user_id": users[n % len(users)][0],
                  "to_e164": users[n % len(users)][1], "kind": SmsKind.CHECKIN_REMINDER,
                  "body": "WHAM: time for your weekly check-in: https://wham.example.org/check-in "
                          "Or reply with the number of days (0-7) you followed your plan.",
                  "status": OutboxStatus.QUEUED, "not_before": now, "expires_at": now,
                  "next_attempt_at": now, "attempts": 0, "created_at": now, "updated_at": now}
                 for n in range(rows)]

        def insert_all():
            db.session.execute(insert(OutboxMessage), batch)
            db.session.commit()

        return timed(insert_all)[1]


def main() -> None:
    args = parse_args()
    app = make_app(args.database_url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _, setup = timed(lambda: prepare(app, args.participants, now))
    with app.app_context():
        dialect = db.engine.dialect.name
        report, week = timed(lambda: plan_due_nudges(now, back=timedelta(0),
                                                     ahead=timedelta(days=7)))
        again, replan = timed(lambda: plan_due_nudges(now, back=timedelta(0),
                                                      ahead=timedelta(days=7)))
        rows = db.session.scalar(select(func.count(OutboxMessage.id)))
        keys = db.session.scalar(select(func.count(func.distinct(OutboxMessage.idempotency_key))))
        busiest = Counter(db.session.scalars(select(OutboxMessage.not_before))).most_common(1)
        busy_at, busy_count = busiest[0]
        _, busy_run = timed(lambda: plan_due_nudges(busy_at))
        db.session.remove()
    plain = plain_insert(app, rows, now)
    print(f"database              {dialect}")
    print(f"participants          {args.participants:,} in {args.participants // GROUP_SIZE + 1:,} "
          f"groups (set up in {setup:.1f} s)")
    print(f"planned for 7 days    {report.queued:,} texts: " + ", ".join(
        f"{n:,} {t}" for t, n in sorted(report.by_template.items())))
    print(f"planner, a week       {week:.2f} s ({report.queued / week:,.0f} rows/s)")
    print(f"planner, again        {replan:.2f} s, queued {again.queued} (idempotent)")
    print(f"job at busiest minute {busy_run * 1000:.0f} ms ({busy_count:,} texts due at "
          f"{busy_at:%a %H:%M} UTC, 2 hours looked back)")
    print(f"plain bulk insert     {plain:.2f} s for the same {rows:,} rows")
    print(f"planner / plain       {week / plain:.1f}x")
    ok = report.queued == rows == keys and again.queued == 0
    print("each nudge once       " + ("yes" if ok else "NO"))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
