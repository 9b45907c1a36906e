"""`flask demo --large`: the county-scale program the page benchmark runs against."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.web import login
from wham.accounts.models import Role, User
from wham.checkins.models import CheckIn
from wham.demo import DEMO_PASSWORD
from wham.demo_large import HISTORY_DEPTHS, HISTORY_GROUP_SIZE, LargeLogins, Scale, load_large_demo
from wham.extensions import db
from wham.goals.models import ActionPlan
from wham.groups.models import Group, GroupFacilitator, Membership
from wham.timeutil import utcnow


def _load(app, participants=28, weeks=3):
    with app.app_context():
        return load_large_demo(utcnow(), Scale(participants, peer_specialists=2, groups=2, weeks=weeks))


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_the_program_has_the_asked_size_and_history_depths(app):
    counts = _load(app)
    with app.app_context():
        participants = _count(select(User.id).where(User.role == Role.PARTICIPANT))
        assert participants == 28 + HISTORY_GROUP_SIZE * len(HISTORY_DEPTHS)
        assert counts["users"] == participants + 2 + len(HISTORY_DEPTHS) + 1  # peers, history peers, admin
        # One plan per participant per week: 3 weeks for the program, 8/52/260 for the history groups.
        assert counts["action_plans"] == 28 * 3 + HISTORY_GROUP_SIZE * sum(HISTORY_DEPTHS)
        for weeks in HISTORY_DEPTHS:
            member = db.session.scalar(select(User).where(
                User.email == LargeLogins.history_participant(weeks)))
            assert _count(select(ActionPlan.id).where(ActionPlan.user_id == member.id)) == weeks
            # This week's check-in is still due; some earlier weeks are missed.
            check_ins = _count(select(CheckIn.id).where(CheckIn.user_id == member.id))
            assert 0 < check_ins <= weeks - 1
            group = db.session.scalar(select(Group).where(Group.name == f"History {weeks} weeks"))
            assert _count(select(Membership.id).where(Membership.group_id == group.id)) == HISTORY_GROUP_SIZE
            facilitator = db.session.scalar(select(User).join(GroupFacilitator).where(
                GroupFacilitator.group_id == group.id))
            assert facilitator.email == LargeLogins.history_facilitator(weeks)


def test_every_role_can_sign_in_and_new_rows_get_fresh_ids(app):
    _load(app)
    for email, page in ((LargeLogins.participant, "/progress"), (LargeLogins.peer_specialist, "/groups"),
                        (LargeLogins.admin, "/admin/sms")):
        client = app.test_client()
        login(client, email, DEMO_PASSWORD)
        assert client.get(page).status_code == 200
    with app.app_context():
        # Ids were given explicitly: on PostgreSQL the sequences must have been moved past them.
        db.session.add(User(email="new@example.org", display_name="New", role=Role.PARTICIPANT,
                            time_zone="UTC"))
        db.session.commit()


def test_the_cli_refuses_a_database_with_data(app):
    _load(app, participants=14, weeks=1)
    result = app.test_cli_runner().invoke(args=["demo", "--large", "--participants", "14"])
    assert result.exit_code == 0
    assert "already has data" in result.output
