"""The migrations and the models describe the same schema (on SQLite and on PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from wham.extensions import db


def test_models_and_migrations_agree(app: Flask):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations differ; run `flask db migrate`: {differences}"


def test_migrations_have_a_single_head(app: Flask):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"
