"""Factories for check-ins: saved through the service, so scores and flags are real."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Flask

from wham.accounts.models import User
from wham.checkins import services
from wham.checkins.models import CheckIn, Support
from wham.extensions import db
from wham.timeutil import local_to_utc


def answers(**fields) -> services.CheckInAnswers:
    """Answers of a participant doing fairly well: nothing here raises a flag."""
    values = {"days_done": 3, "who5": [3, 3, 3, 3, 3], "stress": 4, "helped": "Walking with my sister",
              "barriers": "Rain", "confidence_next": 8, "support": Support.NONE}
    return services.CheckInAnswers(**(values | fields))


def inside_week(user: User, week_start: date) -> datetime:
    """Midday on the Friday of that week, in the person's own zone."""
    return local_to_utc(week_start + timedelta(days=4), time(12), user.time_zone)


def make_check_in(app: Flask, user: User, week_start: date, now: datetime | None = None,
                  **fields) -> CheckIn:
    with app.app_context():
        person = db.session.get(User, user.id)
        result = services.save_check_in(person, week_start, answers(**fields),
                                        now or inside_week(person, week_start))
        check_in = result.check_in
        db.session.refresh(check_in)
        db.session.expunge(check_in)
    return check_in
