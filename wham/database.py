"""Database plumbing shared by every domain: UTC datetimes, SQLite settings, and saving a new
row that a double tap may have saved a moment before."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back timezone-aware UTC datetimes, on SQLite too."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use wham.timeutil.utcnow() or to_utc()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # The web app and the scheduler process share the file: WAL lets readers and a writer
    # work at once, and the busy timeout waits for a lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def configure_engine(app: Flask) -> None:
    """Engine options per database kind, set before Flask-SQLAlchemy creates the engine."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})["check_same_thread"] = False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def keep_prepared_statements(app: Flask) -> None:
    """On PostgreSQL, end transactions without making psycopg forget its prepared statements.

    psycopg prepares a statement once it has run five times on a connection, so PostgreSQL
    plans it once; but on every ROLLBACK it forgets them all (a safeguard for DDL rolled back,
    which this app never runs outside migrations). Every page that only reads ends with a
    ROLLBACK, so nothing was ever prepared and each statement was planned anew, often taking
    longer than running it. The ROLLBACK is sent as the same command, through libpq directly;
    anything unusual (a broken connection) goes through psycopg's own rollback and its errors."""
    from wham.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.driver == "psycopg":
                engine.dialect.do_rollback = _rollback_keeping_prepared_statements


def _rollback_keeping_prepared_statements(dbapi_connection) -> None:
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    if pgconn.transaction_status == pq.TransactionStatus.IDLE:
        return
    if pgconn.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
        result = pgconn.exec_(b"ROLLBACK")
        if (result.status == pq.ExecStatus.COMMAND_OK
                and pgconn.transaction_status == pq.TransactionStatus.IDLE):
            return
    dbapi_connection.rollback()


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        _sqlite_pragmas(dbapi_connection, connection_record)


T = TypeVar("T")


def write_again_if_raced(write: Callable[..., T], *args) -> T:
    """Run `write`, which looks for its row and then adds or changes it. When two requests add
    the same new row at once (a double tap), the database refuses the second: roll back and
    run it again, and this time it finds the row the other made and changes it."""
    from wham.extensions import db

    try:
        return write(*args)
    except IntegrityError:
        db.session.rollback()
        return write(*args)
