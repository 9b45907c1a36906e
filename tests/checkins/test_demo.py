"""The demo program's check-ins: weeks of history with gaps, different trends, one open flag."""
from __future__ import annotations

from sqlalchemy import func, select

from wham.accounts.models import User
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.demo import load_demo
from wham.extensions import db
from wham.timeutil import utcnow


def test_demo_participants_have_weeks_of_check_ins_and_one_asked_for_support(app, app_ctx):
    people = load_demo(utcnow())
    per_person = dict(db.session.execute(
        select(CheckIn.user_id, func.count(CheckIn.id)).group_by(CheckIn.user_id)).all())
    participants = [u for u in people.values() if u.role == "participant"]
    assert all(5 <= per_person.get(u.id, 0) <= 8 for u in participants)
    assert any(per_person[u.id] < 7 for u in participants)  # some missed weeks
    darnell = db.session.scalar(select(User).where(User.email == "darnell@example.org"))
    open_flags = db.session.scalars(select(Flag).where(Flag.acknowledged_at.is_(None))).all()
    assert FlagReason.SUPPORT_NOW in {f.reason for f in open_flags if f.user_id == darnell.id}
    maria = people["maria@example.org"]
    scores = db.session.scalars(select(CheckIn.who5_score).where(CheckIn.user_id == maria.id)
                                .order_by(CheckIn.week_start)).all()
    assert scores[-1] > scores[0]  # Maria is feeling better over the weeks
