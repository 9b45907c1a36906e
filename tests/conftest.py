"""Shared fixtures: the app on a freshly migrated database (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), per-test cleanup, a test client, factories and small helpers."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestingConfig
from tests.catalogs import compile_stale_catalogs
from tests.queries import count_queries
from wham import create_app
from wham.extensions import db, limiter


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
            "postgresql://") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wham-test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Flask:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(tmp_path_factory)

    compile_stale_catalogs()  # as `make test` does, for runs of pytest on its own

    app = create_app(Config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Start from nothing: no state left by an earlier run can leak in.
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(revision="heads")  # the schema comes from the migrations, as in production
    return app


def _empty_all_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - table names from metadata


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    yield
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
    limiter.reset()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context for tests that call services directly (not for client requests)."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def query_counter(app: Flask):
    return lambda: count_queries(app)


_LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch) -> Iterator[None]:
    """No test reaches the SMS provider or anything else off this machine: a connection to a
    non-local host is refused, and the test fails even if the code under test caught that."""
    import socket

    attempts: list[str] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in _LOCAL_HOSTS:
            attempts.append(str(host))
            raise ConnectionRefusedError(f"tests may not connect to {host}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith("twilio.com"):
            attempts.append(host)
            raise socket.gaierror(f"tests may not reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts
    assert not attempts, f"a test tried to reach the network: {attempts}"
