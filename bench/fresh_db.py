"""The benchmarks' one way to start from an empty, migrated database."""
from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import text

from wham.extensions import db


def empty_and_migrate() -> None:
    """Drop everything in the app's database and build the schema from the migrations, as a
    fresh deployment has it. Call inside an app context."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(revision="heads")
