"""Database plumbing: on PostgreSQL, statements stay prepared across requests that only read."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from wham.extensions import db


def test_postgresql_keeps_prepared_statements_after_a_rollback(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are PostgreSQL's (psycopg prepares after 5 runs)")
        with db.engine.connect() as connection:
            # Each page that only reads ends its transaction with a ROLLBACK; psycopg's own
            # rollback forgets every prepared statement, so nothing was ever planned only once.
            for n in range(8):
                assert connection.execute(text("SELECT 1 + :n"), {"n": n}).scalar() == 1 + n
                connection.rollback()
            prepared = connection.execute(text(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT 1 + $1%'"
            )).scalar()
            connection.rollback()
    assert prepared == 1


def test_a_failed_statement_is_rolled_back_and_the_connection_goes_on(app):
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(Exception):  # noqa: B017 - any driver's error for a bad statement
            connection.execute(text("SELECT no_such_column FROM users"))
        connection.rollback()
        assert connection.execute(text("SELECT 2")).scalar() == 2
