"""The demo program loaded by `flask --app wham demo`: people a new user can sign in as."""
from __future__ import annotations

from datetime import datetime

from wham import audit
from wham.accounts.models import Role, User
from wham.accounts.services import hash_password
from wham.extensions import db

DEMO_PASSWORD = "wham-demo-2026"  # noqa: S105 - published on purpose, demo only

DEMO_LOGINS = [
    ("participant", "maria@example.org"),
    ("peer specialist", "peer@example.org"),
    ("admin", "admin@example.org"),
    ("family member", "family@example.org"),
]

PARTICIPANTS = [
    ("Maria", "maria@example.org", "America/New_York", "en"),
    ("James", "james@example.org", "America/Chicago", "en"),
    ("Rosa", "rosa@example.org", "America/Los_Angeles", "es"),
    ("Darnell", "darnell@example.org", "America/New_York", "en"),
    ("Linh", "linh@example.org", "America/Denver", "en"),
    ("Carlos", "carlos@example.org", "America/Phoenix", "es"),
    ("Aisha", "aisha@example.org", "America/New_York", "en"),
    ("Tom", "tom@example.org", "America/Chicago", "en"),
    ("Grace", "grace@example.org", "Pacific/Honolulu", "en"),
    ("Miguel", "miguel@example.org", "America/Puerto_Rico", "es"),
    ("Priya", "priya@example.org", "America/Los_Angeles", "en"),
    ("Sam", "sam@example.org", "America/Anchorage", "en"),
]


def load_demo(now: datetime) -> dict[str, User]:
    """Create the demo people and return them by email. The caller checks the database is empty."""
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: argon2 is slow on purpose

    def person(name: str, email: str, role: Role, tz: str, language: str = "en", **extra) -> User:
        user = User(display_name=name, email=email, role=role, time_zone=tz, language=language,
                    password_hash=password_hash, created_at=now, **extra)
        db.session.add(user)
        return user

    people = {
        "admin@example.org": person("Pat (admin)", "admin@example.org", Role.ADMIN, "America/New_York"),
    }
    peer = person("Jordan", "peer@example.org", Role.PEER_SPECIALIST, "America/New_York",
                  mobile_e164="+12025550143")
    people[peer.email] = peer
    db.session.flush()
    for index, (name, email, tz, language) in enumerate(PARTICIPANTS):
        mobile = f"+1202555{180 + index:04d}"
        people[email] = person(name, email, Role.PARTICIPANT, tz, language,
                               peer_specialist_id=peer.id, mobile_e164=mobile)
    audit.record("demo.loaded", now=now)
    db.session.commit()
    from wham.family.demo import load_family_demo

    load_family_demo(people, now)
    from wham.groups.demo import load_groups_demo

    load_groups_demo(people, now)
    from wham.goals.demo import load_goals_demo

    load_goals_demo(people, now)
    from wham.checkins.demo import load_checkins_demo

    load_checkins_demo(people, now)
    from wham.groups.demo import load_group_flags_demo

    load_group_flags_demo(people, now)  # the follow-up rules look at the check-ins
    from wham.nudges.demo import load_nudges_demo

    load_nudges_demo(people, now)
    return people
