"""The demo shows a nudge: two minutes after `flask demo`, the planner queues Tom's check-in
reminder and the sender prints it, day or night."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.nudges.test_planner import outbox_rows, plan, send
from wham.demo import load_demo
from wham.extensions import db


@pytest.mark.parametrize("now", [datetime(2026, 3, 18, 16, 7, 30, tzinfo=UTC),  # 11:07 in Chicago
                                 datetime(2026, 3, 19, 8, 7, 30, tzinfo=UTC)],  # 03:07: quiet hours
                         ids=["day", "night"])
def test_a_reminder_is_printed_two_minutes_after_the_demo_loads(app, sender, now):
    with app.app_context():
        load_demo(now)
        db.session.remove()
    plan(app, now + timedelta(minutes=1))
    assert not [r for r in outbox_rows(app) if r.kind == "checkin_reminder"]
    plan(app, now + timedelta(minutes=2))
    send(app, sender, now + timedelta(minutes=2, seconds=5))
    reminders = [(to, body) for to, kind, body in sender.sent if kind == "checkin_reminder"]
    assert reminders == [("+12025550187", "WHAM: time for your weekly check-in.\n"
                          "http://localhost/check-in\nOr reply with the number of days (0-7) "
                          "you followed your plan. Reply STOP to stop.")]
