"""Factories for group tests: a saved group with facilitators, members and sessions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import Flask

from wham.accounts.models import User
from wham.extensions import db
from wham.groups import services
from wham.groups.models import Group
from wham.timeutil import utcnow


@dataclass
class SavedGroup:
    id: int
    join_code: str
    session_ids: list[int]


def group_details(**overrides) -> services.GroupDetails:
    values = {"name": "Tuesday evening group", "start_date": date(2026, 9, 14), "weekday": 1,
              "local_time": time(18, 0), "time_zone": "America/New_York", "session_count": 8,
              "capacity": 12, "place": "Room 2, 10 Main St"} | overrides
    return services.GroupDetails(**values)


def make_group(app: Flask, facilitators: list[User], members: list[User] = (),
               now: datetime | None = None, **details) -> SavedGroup:
    """A group facilitated by `facilitators` with `members` joined (notice agreed)."""
    now = now or utcnow()
    with app.app_context():
        creator = db.session.get(User, facilitators[0].id) if facilitators else None
        group = services.create_group(creator, group_details(**details),
                                      [f.id for f in facilitators], now)
        for person in members:
            services.join_group(db.session.get(User, person.id), group,
                                services.NOTICE_VERSION, now)
        group = db.session.get(Group, group.id)
        saved = SavedGroup(group.id, group.join_code, [s.id for s in group.sessions])
        db.session.remove()
    return saved
