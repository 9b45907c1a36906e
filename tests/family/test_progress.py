"""The "current goal and this week's plan" scope: what a family member sees, and nothing more."""
from __future__ import annotations

from tests.factories import make_family, make_participant
from tests.family.factories import make_consent
from tests.web import login
from wham.accounts.models import User
from wham.extensions import db
from wham.family.models import Scope
from wham.goals import services as goals
from wham.timeutil import utcnow


def _goal_with_plan(app, owner):
    with app.app_context():
        me = db.session.get(User, owner.id)
        goal = goals.create_goal(me, goals.GoalDraft(factor="activity", what="Walk to the park",
                                                     why="My private reason"), utcnow())
        goals.save_plan(me, goal, goals.PlanDraft(what="Walk", how_much="20 minutes",
                                                  when="After lunch", days_planned=4,
                                                  confidence=8), utcnow())


def test_progress_scope_shows_the_goal_and_this_weeks_plan_only(app, client):
    owner = make_participant(app, display_name="Maria")
    family = make_family(app)
    _goal_with_plan(app, owner)
    make_consent(app, owner, family, [Scope.PROGRESS])
    login(client, family)
    overview = client.get(f"/shared/{owner.id}").get_data(as_text=True)
    assert "Goal and this week" in overview and "Crisis plan</a>" not in overview
    body = client.get(f"/shared/{owner.id}/progress").get_data(as_text=True)
    assert "Walk to the park" in body and "20 minutes" in body and "0 of 4" in body
    assert "My private reason" not in body  # the "why" is not part of the summary
    assert "Please keep this private." in body
    assert client.get(f"/shared/{owner.id}/crisis-plan").status_code == 404


def test_progress_page_without_a_goal_says_so(app, client):
    owner = make_participant(app, display_name="Maria")
    family = make_family(app)
    make_consent(app, owner, family, [Scope.PROGRESS])
    login(client, family)
    assert "Maria has no active goal right now." in client.get(
        f"/shared/{owner.id}/progress").get_data(as_text=True)


def test_crisis_plan_consent_does_not_open_progress(app, client):
    owner = make_participant(app)
    family = make_family(app)
    _goal_with_plan(app, owner)
    make_consent(app, owner, family, [Scope.CRISIS_PLAN])
    login(client, family)
    assert client.get(f"/shared/{owner.id}/progress").status_code == 404
