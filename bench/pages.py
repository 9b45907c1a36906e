"""Page benchmark: the key pages against /healthz, on a program at county scale.

One run: builds the large demo program (`wham.demo_large`) in a PostgreSQL database, starts
gunicorn (2 workers, the production configuration), signs in as each role through the login
form, drives each page with wrk for a fixed time, and prints each page's throughput as a ratio
of /healthz measured in the same run, its p95, its SQL query count, and the workers' peak
memory. Then repeats the progress page and the group dashboard for 8, 52 and 260 weeks of
history and prints how time and query count grow. On PostgreSQL it also EXPLAINs every query
a page runs and reports any sequential scan of a big table.

    python bench/pages.py            # 10,000 participants, 52 weeks, 15 s per page
    python bench/pages.py --quick    # small data, 1 s per page (run by .ci/run)

Exits non-zero when a page does not answer 200, wrk saw errors, or a page's query count
grows with history (those are bugs, not noise); with --strict also when a speed target is
missed. See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402 - installed with twilio
from sqlalchemy import event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import DevelopmentConfig  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wham_bench"
BIG_TABLES = ("check_ins", "log_entries", "action_plans", "inventory_ratings", "group_attendance",
              "flags", "audit_events", "sms_outbox", "group_memberships", "goals")
TARGET_RATIO = 0.25
TARGET_DASHBOARD_P95 = 4.0
TARGET_GROWTH = 1.5
TARGET_RSS_MB = 200
TARGET_GENERATE_S = 300


@dataclass
class Page:
    name: str
    path: str
    login: str | None  # email, None for anonymous
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    mean: float = 0.0
    ratio: float = 1.0  # req/s to /healthz's in the same round (median over the rounds)
    p95_ratio: float = 1.0  # p95 to /healthz's p95 in the same round (median)
    queries: int = 0
    seq_scans: list[str] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 1 s per page")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help="emptied and refilled unless --reuse (default: %(default)s)")
    parser.add_argument("--participants", type=int, help="default 10,000 (--quick: 300)")
    parser.add_argument("--weeks", type=int, help="default 52 (--quick: 8)")
    parser.add_argument("--seconds", type=int, help="per page and round (default 5, --quick: 1)")
    parser.add_argument("--rounds", type=int,
                        help="key pages measured this many times in turn, /healthz first in each "
                             "round; the median of each round's ratios is shown (default 3, "
                             "--quick: 1)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--strict", action="store_true", help="also fail when a target is missed")
    args = parser.parse_args()
    args.participants = args.participants or (300 if args.quick else 10_000)
    args.weeks = args.weeks or (8 if args.quick else 52)
    args.seconds = args.seconds or (1 if args.quick else 5)
    args.rounds = args.rounds or (1 if args.quick else 3)
    return args


# --- data ------------------------------------------------------------------------------


def bench_config(url: str) -> type:
    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = True
        RATELIMIT_ENABLED = False  # in-process only: many sign-ins from one address

    return BenchConfig


def prepare_database(url: str, args: argparse.Namespace) -> float | None:
    """Empty the database and load the large program; returns the seconds it took."""
    from fresh_db import empty_and_migrate

    from wham import create_app
    from wham.accounts.models import User
    from wham.demo_large import Scale, load_large_demo
    from wham.extensions import db
    from wham.timeutil import utcnow

    if url.startswith("postgresql"):
        _create_pg_database(url)
    app = create_app(bench_config(url))
    with app.app_context():
        if args.reuse and _has_data(db, User):
            return None
        empty_and_migrate()
        peers = max(1, round(args.participants * 40 / 10_000))
        groups = max(1, round(args.participants * 700 / 10_000))
        started = time.perf_counter()
        counts = load_large_demo(utcnow(), Scale(args.participants, peers, groups, args.weeks))
        elapsed = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    rows = ", ".join(f"{t} {n:,}" for t, n in counts.items() if n >= 1000)
    print(f"generated in {elapsed:.0f} s: {rows}")
    return elapsed


def _has_data(db, user_model) -> bool:
    try:
        return db.session.scalar(select(user_model.id).limit(1)) is not None
    except Exception:  # noqa: BLE001 - no tables yet
        db.session.rollback()
        return False


def _create_pg_database(url: str) -> None:
    import psycopg

    target = make_url(url)
    server = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (target.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{target.database}"')


# --- in-process measurements: query counts and EXPLAIN ------------------------------------


def count_queries(url: str, pages: list[Page], password: str, explain: bool) -> None:
    """Sign in through the form with Flask's test client and count the SQL each page runs;
    with `explain`, also look for sequential scans of big tables in their plans.

    Each page is opened once before it is counted: the first view of a dashboard may raise
    the follow-up flags the hourly job has not raised yet (a one-off write); what is counted
    is the page's steady cost. Nothing is cached here, so a page whose figures are cached for
    a while (SMS statistics) is counted and explained as when it computes them."""
    from wham import create_app
    from wham.extensions import db

    class Uncached(bench_config(url)):
        CACHE_TYPE = "NullCache"
        CACHE_NO_NULL_WARNING = True

    app = create_app(Uncached)
    with app.app_context():
        engine = db.engine
    clients = {}
    for page in pages:
        if page.login not in clients:
            clients[page.login] = app.test_client()
            if page.login:
                _login_test_client(clients[page.login], page.login, password)
        client = clients[page.login]
        client.get(page.path)
        statements: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany, into=statements):
            into.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get(page.path)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        if response.status_code != 200:
            raise SystemExit(f"{page.name}: {page.path} answered {response.status_code} in-process")
        page.queries = len(statements)
        if explain and engine.dialect.name == "postgresql":
            page.seq_scans = _seq_scans(engine, statements)


def _login_test_client(client, email: str, password: str) -> None:
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"could not sign in as {email} in-process")


def _seq_scans(engine, statements) -> list[str]:
    found = set()
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
            for line in plan:
                match = re.search(r"Seq Scan on (\w+)", line)
                if match and match.group(1) in BIG_TABLES:
                    found.add(match.group(1))
        conn.rollback()
    return sorted(found)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise SystemExit("no CSRF token on the login page")
    return match.group(1)


# --- the web server under load --------------------------------------------------------


class Gunicorn:
    def __init__(self, url: str, port: int, workers: int = 2, secret_key: str | None = None):
        env = dict(os.environ, WHAM_ENV="production", DATABASE_URL=url, WHAM_TRUSTED_PROXIES="0",
                   SECRET_KEY=secret_key or secrets.token_urlsafe(48), SMS_BACKEND="console")
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and the app
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "wham:create_app()"], cwd=ROOT, env=env)
        for _ in range(100):
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not up yet, or too busy to answer in time
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not start")

    def worker_rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        sizes = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


def login_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the real login form; the session cookie is Secure in production, so it
    is carried by hand over plain HTTP."""
    first = requests.get(base + "/login", timeout=10)
    cookie = f"session={first.cookies['session']}"
    response = requests.post(base + "/login", timeout=30, allow_redirects=False,
                             headers={"Cookie": cookie},
                             data={"email": email, "password": password, "csrf_token": _csrf(first.text)})
    if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
        raise SystemExit(f"could not sign in as {email}: {response.status_code}")
    return f"session={response.cookies['session']}"


def measure(base: str, page: Page, cookie: str | None, args: argparse.Namespace) -> dict[str, float]:
    """The page under wrk for args.seconds: rps, p50, p95 and mean (ms)."""
    headers = {"Cookie": cookie} if cookie else {}
    check = requests.get(base + page.path, headers=headers, timeout=30, allow_redirects=False)
    if check.status_code != 200:
        raise SystemExit(f"{page.name}: {page.path} answered {check.status_code}")
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
               "-s", str(ROOT / "bench" / "wrk_report.lua"), base + page.path]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    report = json.loads(output.strip().splitlines()[-1])
    if report["errors"]:
        raise SystemExit(f"{page.name}: wrk saw {report['errors']} errors")
    return {"rps": report["rps"], "p50": report["p50_ms"], "p95": report["p95_ms"],
            "mean": report["mean_ms"]}


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("wrk is missing; installing it from Debian's packages")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"],  # noqa: S607
                   capture_output=True, check=False)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (Debian package wrk): apt-get install wrk")


# --- the run ---------------------------------------------------------------------------


def build_pages(url: str) -> tuple[list[Page], dict[int, tuple[Page, Page]]]:
    from flask import url_for

    from wham import create_app
    from wham.accounts.models import User
    from wham.checkins.services import week_to_check_in
    from wham.demo_large import HISTORY_DEPTHS, LargeLogins
    from wham.extensions import db
    from wham.groups.models import Group
    from wham.timeutil import utcnow

    app = create_app(bench_config(url))
    with app.app_context(), app.test_request_context():
        group_of = {weeks: db.session.scalar(select(Group.id).where(Group.name == f"History {weeks} weeks"))
                    for weeks in HISTORY_DEPTHS}
        participant = db.session.scalar(select(User).where(User.email == LargeLogins.participant))
        check_in_week = week_to_check_in(participant, utcnow())

        def dashboard(weeks: int) -> Page:
            return Page(f"dashboard, {weeks} wk", url_for("groups.dashboard", group_id=group_of[weeks]),
                        LargeLogins.history_facilitator(weeks))

        def progress(weeks: int) -> Page:
            return Page(f"progress, {weeks} wk", url_for("checkins.progress"),
                        LargeLogins.history_participant(weeks))

        key = [
            Page("/healthz", url_for("health.healthz"), None),
            Page("participant home", url_for("accounts.home"), LargeLogins.participant),
            progress(52),
            Page("check-in form", url_for("checkins.week", week=check_in_week.isoformat()),
                 LargeLogins.participant),
            dashboard(52),
            Page("facilitator's groups", url_for("groups.my_groups"), LargeLogins.peer_specialist),
            Page("admin SMS statistics", url_for("sms.admin_statistics"), LargeLogins.admin),
        ]
        growth = {weeks: (progress(weeks), dashboard(weeks)) for weeks in HISTORY_DEPTHS}
    return key, growth


def main() -> int:
    args = parse_args()
    from wham.demo import DEMO_PASSWORD

    url = args.database_url
    ensure_wrk()
    print(f"database: {make_url(url).render_as_string()}  participants: {args.participants:,}  "
          f"weeks: {args.weeks}  {args.seconds} s per page and round, {args.rounds} rounds, "
          f"{args.connections} connections")
    generated = prepare_database(url, args)
    key, growth = build_pages(url)
    every = key + [page for pair in growth.values() for page in pair]
    # On small tables the planner rightly prefers sequential scans: EXPLAIN at scale only.
    count_queries(url, every, DEMO_PASSWORD, explain=not args.quick)

    server = Gunicorn(url, args.port)
    try:
        cookies: dict[str, str] = {}
        for page in every:
            if page.login and page.login not in cookies:
                cookies[page.login] = login_cookie(server.base, page.login, DEMO_PASSWORD)
        # The machine's speed drifts within minutes: each round measures /healthz and then
        # every key page, each page is compared with the /healthz of its own round, and the
        # median of the rounds is shown.
        rounds = [[measure(server.base, page, cookies.get(page.login), args) for page in key]
                  for _ in range(args.rounds)]
        for n, page in enumerate(key):
            runs = [measured[n] for measured in rounds]
            page.rps, page.p50, page.p95, page.mean = (
                median(run[field] for run in runs) for field in ("rps", "p50", "p95", "mean"))
            page.ratio = median(run["rps"] / health["rps"] for run, health in
                                zip(runs, (measured[0] for measured in rounds), strict=True))
            page.p95_ratio = median(run["p95"] / health["p95"] for run, health in
                                    zip(runs, (measured[0] for measured in rounds), strict=True))
        for page in every[len(key):]:
            page.rps, page.p50, page.p95, page.mean = measure(
                server.base, page, cookies.get(page.login), args).values()
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    return report(key, growth, rss, generated, args)


def report(key: list[Page], growth: dict[int, tuple[Page, Page]], rss: list[float],
           generated: float | None, args: argparse.Namespace) -> int:
    health = key[0]
    misses: list[str] = []
    bugs: list[str] = []
    print()
    print(f"{'page':24} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95/hz':>7} "
          f"{'queries':>7}  target")
    for page in key:
        ratio, p95_ratio = page.ratio, page.p95_ratio
        target = ""
        if page is not health:
            ok = ratio >= TARGET_RATIO
            target = f"ratio >= {TARGET_RATIO} {'ok' if ok else 'MISSED'}"
            if not ok:
                misses.append(f"{page.name} throughput {ratio:.2f} of /healthz")
            if page.name.startswith("dashboard"):
                ok = p95_ratio < TARGET_DASHBOARD_P95
                target += f"; p95 < {TARGET_DASHBOARD_P95:g}x /healthz {'ok' if ok else 'MISSED'}"
                if not ok:
                    misses.append(f"dashboard p95 {p95_ratio:.1f}x /healthz")
        if page.seq_scans:
            target += f"; seq scan of {', '.join(page.seq_scans)}"
            misses.append(f"{page.name}: sequential scan of {', '.join(page.seq_scans)}")
        print(f"{page.name:24} {page.rps:8.1f} {ratio:6.2f} {page.p50:8.1f} {page.p95:8.1f} "
              f"{p95_ratio:7.1f} {page.queries:7}  {target}")

    print()
    print(f"{'history':24} {'progress ms':>12} {'queries':>8} {'dashboard ms':>13} {'queries':>8}")
    depths = sorted(growth)
    for weeks in depths:
        progress, dashboard = growth[weeks]
        print(f"{f'{weeks} weeks':24} {progress.mean:12.1f} {progress.queries:8} "
              f"{dashboard.mean:13.1f} {dashboard.queries:8}")
    for index, name in ((0, "progress"), (1, "dashboard")):
        first, last = growth[depths[0]][index], growth[depths[-1]][index]
        times = last.mean / first.mean
        ok = times < TARGET_GROWTH
        print(f"{name}: {depths[0]} -> {depths[-1]} weeks takes {times:.2f}x the time "
              f"(target < {TARGET_GROWTH}x: {'ok' if ok else 'MISSED'}), queries "
              f"{first.queries} -> {last.queries} "
              f"({'constant' if first.queries == last.queries else 'GROWS'})")
        if not ok:
            misses.append(f"{name} time grows {times:.2f}x with history")
        if len({growth[w][index].queries for w in depths}) > 1:
            bugs.append(f"{name} query count grows with history")

    peak = max(rss) if rss else 0.0
    ok = peak < TARGET_RSS_MB
    print(f"\nweb workers' RSS after the run: {', '.join(f'{mb:.0f} MB' for mb in rss)} "
          f"(target < {TARGET_RSS_MB} MB: {'ok' if ok else 'MISSED'})")
    if not ok:
        misses.append(f"worker RSS {peak:.0f} MB")
    if generated is not None:
        ok = generated < TARGET_GENERATE_S or args.quick
        print(f"data generated in {generated:.0f} s (target < {TARGET_GENERATE_S} s for the full set: "
              f"{'ok' if ok else 'MISSED'})")
        if not ok:
            misses.append(f"generation took {generated:.0f} s")

    for line in bugs:
        print(f"BUG: {line}")
    for line in misses:
        print(f"target missed: {line}")
    return 1 if bugs or (args.strict and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
