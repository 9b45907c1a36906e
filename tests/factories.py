"""Factories for tests: small functions that return saved objects with sensible defaults."""
from __future__ import annotations

from flask import Flask

from wham.accounts.models import Role, User
from wham.accounts.services import hash_password
from wham.extensions import db

PASSWORD = "correct horse battery"  # 21 characters, passes the policy


_counter = iter(range(1, 10**9))


def make_user(app: Flask, role: Role = Role.PARTICIPANT, **fields) -> User:
    """A saved user with sensible defaults, detached so its attributes stay readable."""
    n = next(_counter)
    values = {
        "email": f"person{n}@example.org",
        "display_name": f"Person {n}",
        "time_zone": "America/New_York",
        "language": "en",
        "password_hash": _cheap_hash(app),
        "role": role,
    } | fields
    with app.app_context():
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def _cheap_hash(app: Flask) -> str:
    cached = app.extensions.get("tests_password_hash")
    if cached is None:
        with app.app_context():
            cached = app.extensions["tests_password_hash"] = hash_password(PASSWORD)
    return cached


def make_participant(app: Flask, **fields) -> User:
    return make_user(app, Role.PARTICIPANT, **fields)


def make_peer_specialist(app: Flask, **fields) -> User:
    return make_user(app, Role.PEER_SPECIALIST, **fields)


def make_admin(app: Flask, **fields) -> User:
    return make_user(app, Role.ADMIN, **fields)


def make_family(app: Flask, **fields) -> User:
    return make_user(app, Role.FAMILY, **fields)


