"""Load test: participants checking in while facilitators watch their group dashboards.

gunicorn (4 workers, the production configuration) on PostgreSQL with the county-scale demo
(`wham.demo_large`, as bench/pages.py builds it), driven by wrk for 5 minutes (--quick: 10 s)
with a mix of weekly check-in POSTs (each participant once, with their own session and CSRF
token, as a browser would send them) and facilitator dashboard GETs. At the end it counts the
check-in rows: every check-in answered with a redirect must be there, and nothing else may have
failed. Prints throughput and latency (p50/p95/p99).

    python bench/load.py                   # 10,000 participants, 52 weeks, 5 minutes
    python bench/load.py --reuse           # the same on the data an earlier run left
    python bench/load.py --quick           # small data, 10 seconds (CI)

Its database (default wham_load, not the page benchmark's: this one writes check-ins) is
emptied and refilled unless --reuse. Sessions are minted with the server's secret key instead
of signing in thousands of people through argon2 (that cost is the sign-in page's, measured by
bench/pages.py); they are what a sign-in from wrk's address would have stored. Exits non-zero
on any error or refused request, and on any check-in answered as saved that is not in the
database (or saved twice, or saved without being sent).
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
    Gunicorn,
    bench_config,
    ensure_wrk,
    prepare_database,
)
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wham_load"
USER_AGENT = "wham-load"  # sent by load.lua too: the session's identifier depends on it

CHECK_IN = {"days_done": "3", "stress": "4", "helped": "A walk after lunch", "barriers": "Rain",
            "confidence_next": "7", "support": "none", **{f"who5_{n}": "3" for n in range(1, 6)}}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 10 seconds")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL),
                        help="emptied and refilled unless --reuse (default: %(default)s)")
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
    """(user, Cookie header, CSRF form token) per user: the session a sign-in from wrk's
    address and user agent would have stored (Flask-Login's identifier included, so the
    session is not marked stale and sent again on every answer)."""
    from flask import current_app, g, session
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    now = time.time()
    minted = []
    for user in users:
        with app.test_request_context("/", headers={"User-Agent": USER_AGENT},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            session.permanent = True
            session.update({"_user_id": user.session_token, "_fresh": True,
                            "_id": current_app.login_manager._session_identifier_generator(),
                            "signed_in_at": now, "last_seen_at": now})
            g.pop("csrf_token", None)  # Flask-WTF keeps one per app context: one per person here
            token = generate_csrf()
            minted.append((user, f"session={serializer.dumps(dict(session))}", token))
    return minted


def build_plan(app, args) -> dict:
    """Who checks in for which week with which cookie, and which dashboards are watched."""
    from wham.accounts.models import Role, User
    from wham.checkins.models import CheckIn
    from wham.checkins.services import current_week
    from wham.extensions import db
    from wham.groups.models import Group, GroupFacilitator
    from wham.timeutil import utcnow

    now = utcnow()
    with app.app_context():
        participants = list(db.session.scalars(select(User).where(
            User.role == Role.PARTICIPANT, User.is_enabled.is_(True)).order_by(User.id)))
        done = set(db.session.execute(select(CheckIn.user_id, CheckIn.week_start)).all())
        week_of = {p.id: current_week(p, now) for p in participants}
        fresh = [p for p in participants if (p.id, week_of[p.id]) not in done]
        facilitated = db.session.execute(
            select(User, Group.id).join(GroupFacilitator, GroupFacilitator.user_id == User.id)
            .join(Group, Group.id == GroupFacilitator.group_id).order_by(User.id, Group.id)).all()
        seen, dashboards = set(), []
        for peer, group_id in facilitated:
            if peer.id not in seen and len(seen) < args.facilitators:
                seen.add(peer.id)
                dashboards.append((peer, f"/groups/{group_id}"))
        peer_cookie = {u.id: cookie for u, cookie, _ in mint_sessions(app, [p for p, _ in dashboards])}
        checkins = [(user.id, f"/check-in/{week_of[user.id].isoformat()}", cookie,
                     urlencode(CHECK_IN | {"csrf_token": token}))
                    for user, cookie, token in mint_sessions(app, fresh)]
    return {"checkins": checkins, "weeks": {uid: week_of[uid] for uid, *_ in checkins},
            "dashboards": [(path, peer_cookie[peer.id]) for peer, path in dashboards]}


def write_plan(plan: dict, plan_dir: Path, threads: int) -> None:
    """One file per wrk thread: its share of the check-ins, and every dashboard."""
    files = [[] for _ in range(threads)]
    for i, (user_id, path, cookie, body) in enumerate(plan["checkins"]):
        files[i % threads].append(f"POST\t{path}\t{cookie}\t{body}\t{user_id}")
    for i in range(threads):
        files[i] += [f"GET\t{path}\t{cookie}" for path, cookie in plan["dashboards"]]
        (plan_dir / f"thread-{i}.tsv").write_text("\n".join(files[i]) + "\n")


def check_one_of_each(base: str, plan: dict) -> int:
    """One dashboard and one check-in by hand before the load, so a broken setup fails with a
    clear message; that participant is taken out of the plan. Returns their id."""
    import requests

    headers = {"User-Agent": USER_AGENT}
    path, cookie = plan["dashboards"][0]
    response = requests.get(base + path, headers=headers | {"Cookie": cookie}, timeout=30,
                            allow_redirects=False)
    if response.status_code != 200:
        raise SystemExit(f"dashboard {path} answered {response.status_code} "
                         f"{response.headers.get('Location', '')}")
    user_id, path, cookie, body = plan["checkins"].pop(0)
    response = requests.post(base + path, data=body, timeout=30, allow_redirects=False, headers=headers | {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    if response.status_code != 302 or not response.headers["Location"].endswith("/progress"):
        raise SystemExit(f"check-in {path} answered {response.status_code} "
                         f"{response.headers.get('Location', '')}")
    return user_id


def run_wrk(base: str, plan_dir: Path, args) -> dict:
    command = ["wrk", f"-t{args.connections}", f"-c{args.connections}", f"-d{args.seconds}s",
               "--timeout", "30s", "-s", str(ROOT / "bench" / "load.lua"), base + "/",
               "--", str(plan_dir), str(args.every)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return json.loads(output.strip().splitlines()[-1])


def stored_check_ins(app) -> tuple[int, dict[int, list]]:
    """All check-in rows, and the weeks each participant has one for."""
    from wham.checkins.models import CheckIn
    from wham.extensions import db

    with app.app_context():
        weeks: dict[int, list] = {}
        for user_id, week in db.session.execute(select(CheckIn.user_id, CheckIn.week_start)):
            weeks.setdefault(user_id, []).append(week)
        return db.session.scalar(select(func.count(CheckIn.id))), weeks


def judge(result: dict, plan: dict, by_hand: int, rows_before: int, rows_after: int,
          weeks_after: dict[int, list], connections: int) -> list[str]:
    """Every way the run can have gone wrong, as sentences; empty when it went right."""
    problems = []
    if result["errors"]:
        problems.append(f"wrk saw {result['errors']} socket errors, timeouts or 4xx/5xx answers")
    if result["refused"] or result["dashboard_other"]:
        problems.append(f"{len(result['refused'])} check-ins and {result['dashboard_other']} dashboards "
                        f"were not answered as expected: {'; '.join(dict.fromkeys(result['refusals']))}")
    sent, saved = set(result["sent"]), set(result["saved"]) | {by_hand}
    if len(sent) != len(result["sent"]):
        problems.append("a participant was sent twice (plan error)")
    stored = {uid for uid, week in plan["weeks"].items() if week in weeks_after.get(uid, [])}
    lost = saved - stored
    if lost:
        problems.append(f"{len(lost)} check-ins answered as saved are not in the database "
                        f"(participants {sorted(lost)[:10]})")
    unasked = stored - sent - {by_hand}
    if unasked:
        problems.append(f"{len(unasked)} check-ins stored that were never sent")
    # A check-in still in flight when wrk stops may be saved without its answer being seen:
    # at most one per connection.
    in_flight = sent - saved - set(result["refused"])
    if len(in_flight) > connections:
        problems.append(f"{len(in_flight)} check-ins unanswered, more than one per connection")
    doubles = [uid for uid in stored if weeks_after[uid].count(plan["weeks"][uid]) > 1]
    if doubles:
        problems.append(f"{len(doubles)} participants have two check-ins for the week")
    if rows_after - rows_before != len(stored):
        problems.append(f"check-in rows grew by {rows_after - rows_before:,}, "
                        f"but {len(stored):,} were sent in this run")
    if not result["saved"] or not result["dashboard_200"]:
        problems.append("the mix did not run (no check-in or no dashboard answered)")
    return problems


def main() -> int:
    args = parse_args()
    from wham import create_app

    ensure_wrk()
    url = args.database_url
    print(f"database: {make_url(url).render_as_string()}  participants: {args.participants:,}  "
          f"weeks: {args.weeks}")
    prepare_database(url, args)
    secret = secrets.token_urlsafe(48)

    class LoadConfig(bench_config(url)):
        SECRET_KEY = secret

    app = create_app(LoadConfig)
    plan = build_plan(app, args)
    rows_before, _ = stored_check_ins(app)
    print(f"load: {args.seconds} s, {args.connections} connections, gunicorn {args.workers} workers; "
          f"{len(plan['checkins']):,} participants yet to check in this week, "
          f"{len(plan['dashboards'])} facilitator dashboards; every {args.every}. request a check-in")
    server = Gunicorn(url, args.port, workers=args.workers, secret_key=secret)
    try:
        by_hand = check_one_of_each(server.base, plan)
        with tempfile.TemporaryDirectory(prefix="wham-load-") as tmp:
            write_plan(plan, Path(tmp), args.connections)
            result = run_wrk(server.base, Path(tmp), args)
    finally:
        server.stop()
    rows_after, weeks_after = stored_check_ins(app)
    problems = judge(result, plan, by_hand, rows_before, rows_after, weeks_after, args.connections)

    sent, saved = len(result["sent"]), len(result["saved"])
    stored = rows_after - rows_before - 1  # new rows, less the one sent by hand first
    print(f"throughput {result['rps']:.1f} requests/s ({result['requests']:,} in "
          f"{result['seconds']:.0f} s); latency p50 {result['p50_ms']:.0f} ms, "
          f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms")
    print(f"check-ins: {sent:,} sent, {saved:,} answered as saved, {len(result['refused'])} refused, "
          f"{sent - saved - len(result['refused'])} in flight at the end; {stored:,} new rows in check_ins")
    print(f"dashboards: {result['dashboard_200']:,} shown, {result['dashboard_other']} other answers; "
          f"wrk errors {result['errors']}")
    if sent == len(plan["checkins"]):
        print("note: every participant had checked in before the end, so the last part of the run "
              "was dashboards only (more --participants or fewer --seconds keep the mix)")
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("OK: zero errors, every check-in answered as saved is stored, once")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
