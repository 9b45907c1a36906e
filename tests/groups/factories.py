"""Factories for group tests: a saved group with facilitators, members and sessions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Flask

from wham.accounts.models import User
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.extensions import db
from wham.groups import services
from wham.groups.models import Group
from wham.timeutil import local_to_utc, utcnow


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


def make_flag(app: Flask, person: User, reason: FlagReason = FlagReason.SUPPORT_NOW,
              created_at: datetime | None = None, **fields) -> int:
    """An open flag about `person` (as a check-in or a rule would raise it); returns its id."""
    with app.app_context():
        flag = Flag(user_id=person.id, reason=reason, kind=fields.pop("kind", "safety"),
                    created_at=created_at or utcnow(), note=fields.pop("note", ""), **fields)
        db.session.add(flag)
        db.session.commit()
        return flag.id


def add_check_in(app: Flask, person: User, week: date, *, confidence: int = 7, who5: int = 60,
                 days_done: int = 3, saved_at: datetime | None = None) -> int:
    """A check-in row written directly (as a text reply or an import would, without the
    save-time safety flags), saved on the Friday of its week unless `saved_at` says."""
    saved_at = saved_at or local_to_utc(week + timedelta(days=4), time(12), person.time_zone)
    raw = who5 // 4
    items = [raw // 5 + (1 if n < raw % 5 else 0) for n in range(5)]
    with app.app_context():
        check_in = CheckIn(user_id=person.id, week_start=week, days_done=days_done, stress=4,
                           helped="", barriers="", confidence_next=confidence,
                           who5_answers=items, who5_score=who5, created_at=saved_at,
                           updated_at=saved_at)
        db.session.add(check_in)
        db.session.commit()
        return check_in.id
