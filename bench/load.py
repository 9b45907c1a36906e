"""Load test: participants checking in while facilitators watch their group dashboards.

gunicorn (4 workers, the production configuration) on PostgreSQL with the county-scale demo
(`wham.demo_large`, as bench/pages.py builds it), driven by wrk for 5 minutes (--quick: 10 s)
with a mix of weekly check-in POSTs (each participant once, with their own session and CSRF
token, as a browser would send them) and facilitator dashboard GETs. At the end it counts the
check-in rows: every check-in answered with a redirect must be there, and nothing else may have
failed. Prints throughput and latency (p50/p95/p99).

    python bench/load.py --reuse           # 5 minutes on the data bench/pages.py left
    python bench/load.py --quick           # small data, 10 seconds (CI)

Sessions are minted with the server's secret key instead of signing in thousands of people
through argon2 (that cost is the sign-in page's, measured by bench/pages.py). Exits non-zero on
any error, lost check-in or refused request.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import (  # noqa: E402 - the page benchmark's pieces: data, gunicorn, wrk
    DEFAULT_URL,
    Gunicorn,
    bench_config,
    ensure_wrk,
    prepare_database,
)
from sqlalchemy import func, select  # noqa: E402

CHECK_IN = {"days_done": "3", "stress": "4", "helped": "A walk after lunch", "barriers": "Rain",
            "confidence_next": "7", "support": "none", **{f"who5_{n}": "3" for n in range(1, 6)}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 10 seconds")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--participants", type=int, help="default 10,000 (--quick: 300)")
    parser.add_argument("--weeks", type=int, help="default 52 (--quick: 8)")
    parser.add_argument("--seconds", type=int, help="default 300 (--quick: 10)")
    parser.add_argument("--connections", type=int, default=8, help="one wrk thread each")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--every", type=int, default=3,
                        help="every N-th request is a check-in (default 3: a third)")
    parser.add_argument("--facilitators", type=int, default=40)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    args.participants = args.participants or (300 if args.quick else 10_000)
    args.weeks = args.weeks or (8 if args.quick else 52)
    args.seconds = args.seconds or (10 if args.quick else 300)
    return args


def mint_sessions(app, users) -> list[tuple[object, str, str]]:
    """(user, Cookie header, CSRF form token) per user: the cookie a sign-in would have set."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    now = time.time()
    minted = []
    for user in users:
        with app.test_request_context("/"):
            session.update({"_user_id": user.session_token, "_fresh": True,
                            "signed_in_at": now, "last_seen_at": now})
            g.pop("csrf_token", None)  # Flask-WTF keeps one per app context: one per person here
            token = generate_csrf()
            minted.append((user, f"session={serializer.dumps(dict(session))}", token))
    return minted


def build_plan(app, args, plan_dir: Path) -> dict:
    """Per-thread plan files; returns what the check-ins must add up to afterwards."""
    from wham.accounts.models import Role, User
    from wham.checkins.models import CheckIn
    from wham.extensions import db
    from wham.groups.models import Group, GroupFacilitator
    from wham.timeutil import participant_week_start, utcnow

    now = utcnow()
    with app.app_context():
        participants = list(db.session.scalars(select(User).where(
            User.role == Role.PARTICIPANT, User.is_enabled.is_(True)).order_by(User.id)))
        done = {(uid, week) for uid, week in db.session.execute(select(CheckIn.user_id, CheckIn.week_start))}
        fresh = [(p, participant_week_start(now, p.time_zone)) for p in participants]
        fresh = [(p, w) for p, w in fresh if (p.id, w) not in done]
        facilitated = db.session.execute(
            select(User, Group.id).join(GroupFacilitator, GroupFacilitator.user_id == User.id)
            .join(Group, Group.id == GroupFacilitator.group_id).order_by(User.id, Group.id)).all()
        seen, dashboards = set(), []
        for peer, group_id in facilitated:
            if peer.id not in seen and len(seen) < args.facilitators:
                seen.add(peer.id)
                dashboards.append((peer, f"/groups/{group_id}"))
        participant_sessions = mint_sessions(app, [p for p, _ in fresh])
        peer_sessions = {u.id: cookie for u, cookie, _ in mint_sessions(app, [p for p, _ in dashboards])}
        week_of = {p.id: w for p, w in fresh}
        rows_before = db.session.scalar(select(func.count(CheckIn.id)))
    threads = args.connections
    files = [[] for _ in range(threads)]
    for i, (user, cookie, token) in enumerate(participant_sessions):
        body = urlencode(CHECK_IN | {"csrf_token": token})
        files[i % threads].append(f"POST\t/check-in/{week_of[user.id].isoformat()}\t{cookie}\t{body}")
    for i in range(threads):
        files[i] += [f"GET\t{path}\t{peer_sessions[peer.id]}" for peer, path in dashboards]
        (plan_dir / f"thread-{i}.tsv").write_text("\n".join(files[i]) + "\n")
    return {"fresh_ids": [p.id for p, _ in fresh], "weeks": week_of, "rows_before": rows_before,
            "dashboards": len(dashboards), "participants": len(fresh)}


def check_one_of_each(base: str, plan_dir: Path) -> None:
    """A single check-in and dashboard by hand first, so a broken setup fails clearly."""
    import requests

    lines = (plan_dir / "thread-0.tsv").read_text().splitlines()
    get = next(line for line in lines if line.startswith("GET")).split("\t")
    response = requests.get(base + get[1], headers={"Cookie": get[2]}, timeout=30, allow_redirects=False)
    if response.status_code != 200:
        raise SystemExit(f"dashboard {get[1]} answered {response.status_code}")


def run_wrk(base: str, plan_dir: Path, args) -> dict:
    first_path = (plan_dir / "thread-0.tsv").read_text().split("\t", 2)[1]
    command = ["wrk", f"-t{args.connections}", f"-c{args.connections}", f"-d{args.seconds}s",
               "--timeout", "30s", "-s", str(ROOT / "bench" / "load.lua"), base + first_path,
               "--", str(plan_dir), str(args.every)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return json.loads(output.strip().splitlines()[-1])


def count_saved(app, plan: dict) -> int:
    from wham.checkins.models import CheckIn
    from wham.extensions import db

    with app.app_context():
        rows = db.session.execute(select(CheckIn.user_id, CheckIn.week_start).where(
            CheckIn.user_id.in_(plan["fresh_ids"]))).all()
        return sum(1 for uid, week in rows if plan["weeks"].get(uid) == week)


def main() -> int:
    args = parse_args()
    from wham import create_app

    ensure_wrk()
    url = args.database_url
    prepare_database(url, args)
    secret = secrets.token_urlsafe(48)

    class LoadConfig(bench_config(url)):
        SECRET_KEY = secret
        SESSION_COOKIE_SECURE = True  # as production mints them; wrk sends the header by hand

    app = create_app(LoadConfig)
    with tempfile.TemporaryDirectory(prefix="wham-load-") as tmp:
        plan_dir = Path(tmp)
        plan = build_plan(app, args, plan_dir)
        print(f"load: {args.seconds} s, {args.connections} connections, gunicorn {args.workers} workers; "
              f"{plan['participants']:,} participants yet to check in this week, "
              f"{plan['dashboards']} facilitator dashboards; every {args.every}. request a check-in")
        server = Gunicorn(url, args.port, workers=args.workers, secret_key=secret)
        try:
            check_one_of_each(server.base, plan_dir)
            result = run_wrk(server.base, plan_dir, args)
        finally:
            server.stop()
        saved = count_saved(app, plan)
    checked_in = result["checkin_302"]
    print(f"throughput {result['rps']:.1f} requests/s ({result['requests']:,} in {args.seconds} s); "
          f"latency p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
          f"p99 {result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms")
    print(f"check-ins: {checked_in:,} answered with a redirect, {saved:,} saved, "
          f"{result['checkin_other']} other answers; dashboards: {result['dashboard_200']:,} shown, "
          f"{result['dashboard_other']} other answers; wrk errors {result['errors']}")
    problems = []
    if result["errors"] or result["checkin_other"] or result["dashboard_other"]:
        problems.append("requests failed or were refused")
    # A check-in still in flight when wrk stops is saved without its answer being counted: at
    # most one per connection. A counted answer without its row is a lost check-in.
    if saved < checked_in:
        problems.append(f"{checked_in - saved} check-ins lost")
    if saved > checked_in + args.connections:
        problems.append(f"{saved - checked_in} check-ins saved that nobody was told about")
    if checked_in == 0 or result["dashboard_200"] == 0:
        problems.append("the mix did not run")
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("OK: zero errors, no check-in lost")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
