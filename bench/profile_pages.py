"""Where a page's time goes, in-process: each key page through Flask's test client, timed
over many requests, with an optional cProfile of one page.

    python bench/profile_pages.py --database-url URL            # mean ms per page
    python bench/profile_pages.py --database-url URL --profile dashboard --top 40

Uses the data an earlier `bench/pages.py` run left in the database (it does not refill it).
Timings include the test client's own cost, so compare pages with each other and with
/healthz, not with figures from wrk."""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import pages as bench  # noqa: E402


@contextmanager
def _timing(app, spent: dict[str, float]):
    """Add the time spent in SQL statements (sent and answered) and in rendering templates."""
    from sqlalchemy import event

    from wham.extensions import db

    with app.app_context():
        engine = db.engine
    started: list[float] = []

    def before(*_args):
        started.append(time.perf_counter())

    def after(*_args):
        spent["sql"] += time.perf_counter() - started.pop()

    import flask.templating as templating

    original = templating._render

    def render(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["template"] += time.perf_counter() - begin

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    templating._render = render
    try:
        yield
    finally:
        templating._render = original
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=bench.DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", help="part of a page name to profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--only", help="time only pages whose name holds this (and /healthz)")
    parser.add_argument("--production", action="store_true",
                        help="the production configuration (as gunicorn runs it)")
    args = parser.parse_args()

    from wham import create_app
    from wham.demo import DEMO_PASSWORD

    key, growth = bench.build_pages(args.database_url)
    every = key + [page for pair in growth.values() for page in pair]
    if args.only:
        every = [page for page in every if page.path == "/healthz" or args.only in page.name]
    config = bench.bench_config(args.database_url)
    if args.production:
        from config import ProductionConfig

        class Production(ProductionConfig):
            SQLALCHEMY_DATABASE_URI = args.database_url
            SECRET_KEY = "x" * 48
            RATELIMIT_ENABLED = False
            SESSION_COOKIE_SECURE = False

        config = Production
    app = create_app(config)
    clients = {}
    for page in every:
        if page.login not in clients:
            clients[page.login] = app.test_client()
            if page.login:
                bench._login_test_client(clients[page.login], page.login, DEMO_PASSWORD)
    health = None
    for page in every:
        client = clients[page.login]
        for _ in range(5):
            assert client.get(page.path).status_code == 200, page.name
        if args.profile and args.profile in page.name:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                client.get(page.path)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
            return 0
        spent = {"sql": 0.0, "template": 0.0}
        with _timing(app, spent):
            started = time.perf_counter()
            for _ in range(args.requests):
                client.get(page.path)
            ms = (time.perf_counter() - started) * 1000 / args.requests
        health = health or ms
        print(f"{page.name:24} {ms:7.2f} ms  {ms / health:5.1f}x /healthz   "
              f"sql {spent['sql'] * 1000 / args.requests:6.2f} ms  "
              f"templates {spent['template'] * 1000 / args.requests:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
