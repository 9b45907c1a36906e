"""Configuration: Production refuses a guessable SECRET_KEY and turns on the secure settings."""
from __future__ import annotations

import secrets

import pytest

from config import ProductionConfig, TestingConfig
from wham import create_app


@pytest.mark.parametrize("key", [None, "", "changeme", "dev-only-insecure-key", "secret",
                                 "short-but-random-Zq81"])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, key):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_a_long_random_secret_key(monkeypatch):
    key = secrets.token_urlsafe(36)
    assert len(key) == 48
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", key)
    production = create_app("production")
    assert production.config["SECRET_KEY"] == key
    assert not production.testing
    assert production.config["DEBUG"] is False


def test_production_uses_secure_cookies_hsts_and_no_demo_data():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"
    assert ProductionConfig.HSTS is True
    assert ProductionConfig.DEMO_DATA_ALLOWED is False
    assert ProductionConfig.PREFERRED_URL_SCHEME == "https"


def test_testing_config_is_not_secure_by_accident_in_production():
    # The cheap argon2 parameters exist only under test.
    assert TestingConfig.ARGON2_MEMORY_COST < ProductionConfig.ARGON2_MEMORY_COST
    assert ProductionConfig.ARGON2_MEMORY_COST >= 64 * 1024


def test_hsts_header_sent_when_configured(app, client):
    saved = app.config["HSTS"]
    try:
        app.config["HSTS"] = True
        assert "max-age=" in client.get("/login").headers["Strict-Transport-Security"]
        app.config["HSTS"] = False
        assert "Strict-Transport-Security" not in client.get("/login").headers
    finally:
        app.config["HSTS"] = saved


@pytest.mark.parametrize(("given", "expected"), [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_names_the_psycopg_driver(monkeypatch, given, expected):
    from config import _database_url

    monkeypatch.setenv("DATABASE_URL", given)
    assert _database_url("sqlite:///wham.db") == expected
