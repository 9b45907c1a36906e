"""Command-line tasks: `flask create-admin` and `flask demo`."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.web import login
from wham.accounts.models import Role, User
from wham.audit import AuditEvent
from wham.demo import DEMO_LOGINS, DEMO_PASSWORD, PARTICIPANTS
from wham.extensions import db


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _count(app, model=User) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _create_admin(runner, **overrides):
    options = {"--email": "Boss@Example.org", "--name": "Boss", "--password": "a long admin password",
               "--time-zone": "America/Chicago"} | overrides
    args = ["create-admin"]
    for name, value in options.items():
        if value is not None:
            args += [name, value]
    return runner.invoke(args=args)


def test_create_admin(app, runner, client):
    result = _create_admin(runner)
    assert result.exit_code == 0, result.output
    assert "Admin boss@example.org created." in result.output
    with app.app_context():
        admin = db.session.scalar(select(User))
        assert (admin.email, admin.role, admin.time_zone) == ("boss@example.org", Role.ADMIN,
                                                              "America/Chicago")
        event = db.session.scalar(select(AuditEvent))
        assert event.action == "admin.account_created"
        assert event.details == {"role": "admin", "via": "cli"}
    login(client, "boss@example.org", "a long admin password")
    assert client.get("/admin/").status_code == 200


def test_create_admin_uses_the_default_time_zone(app, runner):
    result = _create_admin(runner, **{"--time-zone": None})
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.time_zone)) == app.config["DEFAULT_TIME_ZONE"]


def test_create_admin_prompts_for_missing_values(app, runner):
    result = runner.invoke(args=["create-admin"],
                           input="kim@example.org\nKim\na long admin password\na long admin password\n")
    assert result.exit_code == 0, result.output
    assert _count(app) == 1


def test_create_admin_rejects_a_short_password(app, runner):
    result = _create_admin(runner, **{"--password": "short"})
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _count(app) == 0


@pytest.mark.parametrize("zone", ["US/Eastern", "Nowhere/Special", "utc"])
def test_create_admin_rejects_a_bad_time_zone(app, runner, zone):
    result = _create_admin(runner, **{"--time-zone": zone})
    assert result.exit_code != 0
    assert "not an IANA time zone" in result.output
    assert _count(app) == 0


def test_create_admin_rejects_a_duplicate_email(app, runner):
    assert _create_admin(runner).exit_code == 0
    result = _create_admin(runner, **{"--email": "BOSS@example.org"})
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert _count(app) == 1


@pytest.mark.parametrize("email", ["not an email", "boss@", "@example.org", "a" * 250 + "@example.org"])
def test_create_admin_rejects_a_malformed_email(app, runner, email):
    result = _create_admin(runner, **{"--email": email})
    assert result.exit_code != 0
    assert "--email" in result.output
    assert _count(app) == 0


@pytest.mark.parametrize("name", ["   ", "x" * 81])
def test_create_admin_rejects_a_bad_name(app, runner, name):
    result = _create_admin(runner, **{"--name": name})
    assert result.exit_code != 0
    assert "--name" in result.output
    assert _count(app) == 0


def test_demo_loads_once(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo program loaded." in result.output
    assert DEMO_PASSWORD in result.output
    for _role, email in DEMO_LOGINS:
        assert email in result.output
    people = _count(app)
    assert people >= len(PARTICIPANTS) + 2
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        assert {email for _name, email, _tz, _lang in PARTICIPANTS} <= emails
        assert {"peer@example.org", "admin@example.org"} <= emails
        maria = db.session.scalar(select(User).where(User.email == "maria@example.org"))
        assert maria.peer_specialist.email == "peer@example.org"
    login(client, "maria@example.org", DEMO_PASSWORD)

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already has data; demo data not loaded" in again.output
    assert "Demo program loaded." not in again.output
    assert _count(app) == people


def test_demo_does_nothing_when_someone_exists(app, runner):
    assert _create_admin(runner).exit_code == 0
    result = runner.invoke(args=["demo"])
    assert "not loaded" in result.output
    assert _count(app) == 1


def test_demo_refused_where_not_allowed(app, runner):
    saved = app.config["DEMO_DATA_ALLOWED"]
    app.config["DEMO_DATA_ALLOWED"] = False
    try:
        result = runner.invoke(args=["demo"])
    finally:
        app.config["DEMO_DATA_ALLOWED"] = saved
    assert result.exit_code != 0
    assert "not allowed" in result.output
    assert _count(app) == 0
