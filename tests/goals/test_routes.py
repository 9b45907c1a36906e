"""Goal, plan, log and inventory pages through real forms with CSRF, as a browser would."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from tests.factories import make_participant
from tests.goals.factories import add_history, goal_count, make_goal, make_inventory
from tests.hostile import assert_hostile_input_handled
from tests.web import login, post_form
from wham.accounts.models import User
from wham.checkins.models import CheckIn, Flag
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals import services
from wham.goals.forms import GoalForm, GoalStatusForm, InventoryForm, LogForm, PlanForm
from wham.goals.models import ActionPlan, Goal, GoalStatus, LogEntry
from wham.timeutil import local_today, participant_week_start, utcnow

PLAN = {"what": "Walk", "how_much": "10 minutes", "when": "after lunch", "days_planned": "3"}


@pytest.fixture
def participant(app, client):
    user = make_participant(app)
    login(client, user)
    return user


def today_of(app, user):
    return local_today(utcnow(), user.time_zone)


def test_new_participant_home_starts_with_the_inventory(client, participant):
    page = client.get("/").get_data(as_text=True)
    assert "Start with a quick self-inventory" in page
    assert 'href="/inventory/take"' in page


def test_take_inventory_and_see_the_chart_with_a_table(app, client, participant):
    assert "Start my self-inventory" in client.get("/inventory").get_data(as_text=True)
    first = dict.fromkeys(FACTOR_CODES, "2")
    assert post_form(client, "/inventory/take", first).status_code == 302
    second = first | {"sleep": "4"}
    response = post_form(client, "/inventory/take", second, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your self-inventory is saved" in page
    assert "<svg" in page and 'role="img"' in page and "<table" in page
    assert " style=" not in page
    assert "up 2" in page  # sleep, from 2 to 4, in the table alternative
    with app.app_context():
        assert len(services.inventory_takes(participant.id)) == 2
    # A retake starts from the last answers.
    retake = client.get("/inventory/take").get_data(as_text=True)
    checked = [tag for tag in re.findall(r"<input[^>]*>", retake)
               if 'name="sleep"' in tag and "checked" in tag]
    assert len(checked) == 1 and 'value="4"' in checked[0]


def test_inventory_with_a_missing_factor_is_refused(app, client, participant):
    answers = dict.fromkeys(FACTOR_CODES, "3")
    del answers["meaning"]
    response = post_form(client, "/inventory/take", answers)
    assert response.status_code == 200
    assert 'id="meaning-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert services.inventory_takes(participant.id) == []


def test_create_goal_shows_examples_and_leads_to_the_plan(app, client, participant):
    page = client.get("/goals/new?factor=sleep").get_data(as_text=True)
    assert "Turn off screens 30 minutes before bed" in page
    response = post_form(client, "/goals/new", {
        "factor": "sleep", "what": "Feel rested", "why": "So I can enjoy mornings",
        "milestones": "Bed by 11\nNo phone in bed"})
    assert response.status_code == 302 and "/plan" in response.headers["Location"]
    with app.app_context():
        goal = db.session.scalar(select(Goal).where(Goal.user_id == participant.id))
        assert goal.milestone_lines == ["Bed by 11", "No phone in bed"]
        assert [c.to_status for c in goal.changes] == [GoalStatus.ACTIVE]


def test_goal_target_date_in_the_past_is_refused(app, client, participant):
    yesterday = today_of(app, participant) - timedelta(days=1)
    response = post_form(client, "/goals/new", {"factor": "sleep", "what": "Rest", "why": "Tired",
                                                "target_date": yesterday.isoformat()})
    assert response.status_code == 200
    assert 'id="target_date-error"' in response.get_data(as_text=True)
    assert goal_count(app, participant) == 0


def test_second_active_goal_is_refused_by_default(app, client, participant):
    make_goal(app, participant)
    response = post_form(client, "/goals/new", {"factor": "sleep", "what": "Rest", "why": "Tired"})
    assert response.status_code == 200
    assert "as many active goals as your program allows" in response.get_data(as_text=True)
    assert goal_count(app, participant) == 1


def test_goal_states_through_the_page(app, client, participant):
    goal = make_goal(app, participant, plan=False)
    response = post_form(client, f"/goals/{goal.id}/status", {"status": "achieved"},
                         follow_redirects=True)
    assert "You achieved your goal" in response.get_data(as_text=True)
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    assert "Goal set" in page and "Achieved" in page
    refused = post_form(client, f"/goals/{goal.id}/status", {"status": "nonsense"})
    assert refused.status_code == 200 and 'id="status-error"' in refused.get_data(as_text=True)


def test_low_confidence_plan_shows_the_rule_then_can_be_saved_anyway(app, client, participant):
    goal = make_goal(app, participant, plan=False)
    url = f"/goals/{goal.id}/plan"
    response = post_form(client, url, PLAN | {"confidence": "5", "save": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "WHAM&#39;s rule" in page or "WHAM's rule" in page
    assert "Save it anyway" in page and 'value="Walk"' in page
    with app.app_context():
        assert db.session.scalar(select(ActionPlan)) is None
    # Shown every time the confidence is below 7.
    again = post_form(client, url, PLAN | {"confidence": "6", "save": "1"})
    assert "Save it anyway" in again.get_data(as_text=True)
    saved = post_form(client, url, PLAN | {"confidence": "6", "save_anyway": "1"})
    assert saved.status_code == 302
    with app.app_context():
        plan = db.session.scalar(select(ActionPlan))
        assert (plan.confidence, plan.low_confidence_acknowledged) == (6, True)


def test_confident_plan_saves_at_once_and_is_changed_not_duplicated(app, client, participant):
    goal = make_goal(app, participant, plan=False)
    url = f"/goals/{goal.id}/plan"
    first = post_form(client, url, PLAN | {"confidence": "8", "save": "1"})
    assert first.status_code == 302 and "/log" in first.headers["Location"]
    post_form(client, url, PLAN | {"how_much": "15 minutes", "confidence": "9", "save": "1"})
    with app.app_context():
        plans = db.session.scalars(select(ActionPlan)).all()
        assert [(p.how_much, p.confidence, p.low_confidence_acknowledged) for p in plans] == [
            ("15 minutes", 9, False)]


def test_copy_last_weeks_plan_in_one_step(app, client, participant):
    goal = make_goal(app, participant, plan=False)
    with app.app_context():
        week = participant_week_start(utcnow(), participant.time_zone)
    add_history(app, participant, goal.id, week, 1)
    assert "Copy last week" in client.get(f"/goals/{goal.id}/plan").get_data(as_text=True)
    response = post_form(client, f"/goals/{goal.id}/plan/copy", follow_redirects=True)
    assert "copied into this week" in response.get_data(as_text=True)
    with app.app_context():
        assert services.plan_for_week(participant.id, week) is not None


def test_log_a_day_and_keep_a_note_private(app, client, participant):
    goal = make_goal(app, participant)
    today = today_of(app, participant)
    url = f"/plans/{goal.plan_id}/log"
    response = post_form(client, url, {"day": today.isoformat(), "done": "yes",
                                       "note": "felt good", "is_private": "y"},
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Every day you notice counts" in page and "felt good" in page and "Private" in page
    with app.app_context():
        entry = db.session.scalar(select(LogEntry))
        assert (entry.day, entry.is_private) == (today, True)
        assert services.days_done_in_week(participant.id, goal_week(app, participant)) == 1


def goal_week(app, user):
    with app.app_context():
        return participant_week_start(utcnow(), user.time_zone)


def test_future_day_cannot_be_logged(app, client, participant):
    goal = make_goal(app, participant)
    tomorrow = today_of(app, participant) + timedelta(days=1)
    response = post_form(client, f"/plans/{goal.plan_id}/log", {"day": tomorrow.isoformat(),
                                                               "done": "yes"})
    assert response.status_code == 200 and 'id="day-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(LogEntry)) is None


def test_log_today_link_goes_to_this_weeks_plan(app, client, participant):
    assert client.get("/log").headers["Location"].endswith("/goals")
    goal = make_goal(app, participant)
    assert client.get("/log").headers["Location"].endswith(f"/plans/{goal.plan_id}/log")


def test_home_shows_goal_plan_and_today(app, client, participant):
    make_inventory(app, participant)
    goal = make_goal(app, participant, what="Walk to the park")
    page = client.get("/").get_data(as_text=True)
    assert "Walk to the park" in page and "Did you do your plan today?" in page
    assert f"/plans/{goal.plan_id}/log?day=" in page
    summary = client.get("/summary").get_data(as_text=True)
    assert "Walk to the park" in summary and "no-print" in summary


def _home_at(app, client, person, now, monkeypatch) -> str:
    make_inventory(app, person, now=now - timedelta(days=1))
    make_goal(app, person, now=now)
    login(client, person)
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: now)
    return " ".join(client.get("/").get_data(as_text=True).split())


def test_home_says_by_when_to_check_in_and_until_when_answers_can_change(app, client,
                                                                         monkeypatch):
    # A Wednesday in New York; the week runs Monday March 2 to Sunday March 8.
    person = make_participant(app, created_at=datetime(2026, 2, 1, tzinfo=UTC))
    page = _home_at(app, client, person, datetime(2026, 3, 4, 19, 0, tzinfo=UTC), monkeypatch)
    assert "Check in by Sunday, Mar 8" in page
    assert "You can change your answers until the end of Tuesday, Mar 10." in page
    assert "end of this week" not in page


def test_home_says_until_when_last_weeks_check_in_stays_open(app, client, monkeypatch):
    person = make_participant(app, created_at=datetime(2026, 2, 1, tzinfo=UTC))
    page = _home_at(app, client, person, datetime(2026, 3, 9, 15, 0, tzinfo=UTC), monkeypatch)
    assert "Last week's check-in is still open" in page
    assert "You can check in until the end of Tuesday, Mar 10." in page


def test_home_check_in_days_in_spanish(app, client, monkeypatch):
    person = make_participant(app, language="es", created_at=datetime(2026, 2, 1, tzinfo=UTC))
    page = _home_at(app, client, person, datetime(2026, 3, 4, 19, 0, tzinfo=UTC), monkeypatch)
    sunday, tuesday = (format_date(date(2026, 3, day), "EEEE, d 'de' MMM", locale="es")
                       for day in (8, 10))
    assert f"Haga su chequeo a más tardar el {sunday}" in page
    assert f"Puede cambiar sus respuestas hasta el final del {tuesday}." in page
    assert sunday.startswith("domingo") and tuesday.startswith("martes")


def _week_with_three_days_logged(app, person, week, now) -> None:
    """This week's plan logged yes, partly and no on Monday to Wednesday, a second active goal
    and a plan last week (so last week's plan could be copied, and is not)."""
    make_inventory(app, person, now=now - timedelta(days=10))
    goal = make_goal(app, person, what="Walk to the park", plan=False, now=now - timedelta(days=10))
    add_history(app, person, goal.id, week, 1)
    with app.app_context():
        user, made = db.session.get(User, person.id), db.session.get(Goal, goal.id)
        plan = services.save_plan(user, made, services.PlanDraft("Walk", "10 minutes", "at noon",
                                                                 3, 8), now)
        for offset, done in enumerate(("yes", "partly", "no")):
            services.log_day(user, plan, week + timedelta(days=offset), done, "", False, now)
        db.session.add(Goal(user_id=person.id, factor="sleep", what="Sleep & rest",
                            status=GoalStatus.ACTIVE, created_at=now, status_changed_at=now))
        db.session.commit()


@pytest.mark.parametrize("language,words", [
    ("en", ["Monday, Mar 2: done", "Tuesday, Mar 3: partly", "Wednesday, Mar 4: not done",
            "Thursday, Mar 5: not logged", "Sunday, Mar 8: not logged",
            "Also working on: <a href=\"/goals/{other}\">Sleep &amp; rest</a>",
            '<span class="stat-number">1</span> of 3 planned days done',
            "Walk, 10 minutes, at noon"]),
    ("es", ["lunes, 2 de mar: cumplido", "martes, 3 de mar: en parte",
            "miércoles, 4 de mar: no cumplido", "jueves, 5 de mar: sin anotar",
            "También trabajando en: <a href=\"/goals/{other}\">Sleep &amp; rest</a>",
            '<span class="stat-number">1</span> de 3 días planeados cumplidos']),
])
def test_home_shows_the_week_day_by_day_in_words(app, client, monkeypatch, language, words):
    now = datetime(2026, 3, 4, 19, 0, tzinfo=UTC)  # Wednesday afternoon in New York
    person = make_participant(app, language=language, created_at=datetime(2026, 2, 1, tzinfo=UTC))
    _week_with_three_days_logged(app, person, date(2026, 3, 2), now)
    with app.app_context():
        other = db.session.scalar(select(Goal.id).where(Goal.user_id == person.id,
                                                        Goal.factor == "sleep"))
    login(client, person)
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: now)
    page = " ".join(client.get("/").get_data(as_text=True).split())
    for text in words:
        assert text.format(other=other) in page
    assert page.count('class="dot done-yes"') == 1 and 'class="dot done-no is-today"' in page
    assert page.count('class="dot done-partly"') == 1 and page.count('class="dot"') == 4
    assert "Copy last week" not in page  # this week's plan is made


def test_other_participants_goal_and_plan_answer_404(app, client, participant):
    stranger = make_participant(app)
    theirs = make_goal(app, stranger)
    assert client.get(f"/goals/{theirs.id}").status_code == 404
    assert client.get(f"/plans/{theirs.plan_id}/log").status_code == 404
    response = post_form(client, f"/plans/{theirs.plan_id}/log", {"day": "2026-01-01", "done": "yes"})
    assert response.status_code == 404
    assert post_form(client, f"/goals/{theirs.id}/status", {"status": "achieved"}).status_code == 404


def add_check_ins(app, user, this_week, weeks: int) -> None:
    """A check-in for each of the `weeks` weeks before this one (the streak is that long)."""
    with app.app_context():
        for n in range(1, weeks + 1):
            db.session.add(CheckIn(user_id=user.id, week_start=this_week - timedelta(weeks=n),
                                   days_done=3, stress=3, confidence_next=8, who5_answers=[3] * 5,
                                   who5_score=60, created_at=utcnow(), updated_at=utcnow()))
        db.session.commit()


def _home_queries(app, client, query_counter) -> int:
    with query_counter() as counter:
        assert client.get("/").status_code == 200
    # The goals, this week's plan, its days and the self-inventory come from one statement.
    goal_reads = [s for s in counter.statements
                  if any(table in s for table in ("goals", "action_plans", "log_entries",
                                                  "inventory_takes"))]
    assert len(goal_reads) == 1, goal_reads
    return counter.count


def test_home_query_count_does_not_grow_with_history(app, client, query_counter):
    few, many = make_participant(app), make_participant(app)
    counts = []
    for user, weeks in ((few, 8), (many, 52)):
        make_inventory(app, user)
        goal = make_goal(app, user)
        add_history(app, user, goal.id, goal_week(app, user), weeks)
        add_check_ins(app, user, goal_week(app, user), weeks)
        with app.app_context():
            services.log_day(db.session.get(User, user.id),
                             db.session.get(ActionPlan, goal.plan_id),
                             local_today(utcnow(), user.time_zone), "yes", "", False, utcnow())
        client.post("/logout", data={})
        test_client = app.test_client()
        login(test_client, user)
        _home_queries(app, test_client, query_counter)  # warm up
        counts.append(_home_queries(app, test_client, query_counter))
        page = test_client.get("/").get_data(as_text=True)
        assert f"{weeks} weeks in a row checked in." in page
    assert counts[0] == counts[1], counts


# --- hostile input on every form --------------------------------------------------------------


def test_hostile_input_inventory(app, client, participant):
    assert_hostile_input_handled(app, client, "/inventory/take", InventoryForm,
                                 dict.fromkeys(FACTOR_CODES, "3"))


def test_hostile_input_goal_forms(app, client, participant):
    valid = {"factor": "sleep", "second_factor": "", "what": "Rest more", "why": "Tired",
             "target_date": "", "milestones": ""}

    def no_goals():
        with app.app_context():
            for goal in db.session.scalars(select(Goal).where(Goal.user_id == participant.id)):
                db.session.delete(goal)
            db.session.commit()

    assert_hostile_input_handled(app, client, "/goals/new", GoalForm, valid, before_each=no_goals)
    no_goals()
    goal = make_goal(app, participant, plan=False)
    assert_hostile_input_handled(app, client, f"/goals/{goal.id}/edit", GoalForm,
                                 valid | {"factor": "activity"})


def test_hostile_input_status_plan_and_log(app, client, participant):
    goal = make_goal(app, participant, plan=False)
    assert_hostile_input_handled(app, client, f"/goals/{goal.id}/plan", PlanForm,
                                 PLAN | {"confidence": "8", "save": "1"})

    with app.app_context():
        plan_id = db.session.scalar(select(ActionPlan.id))
    today = today_of(app, participant).isoformat()
    assert_hostile_input_handled(app, client, f"/plans/{plan_id}/log", LogForm,
                                 {"day": today, "done": "partly", "note": "ok"})

    def back_to_active():
        with app.app_context():
            g = db.session.get(Goal, goal.id)
            if g.status != GoalStatus.ACTIVE:
                services.change_goal_status(db.session.get(User, participant.id), g,
                                            GoalStatus.ACTIVE, utcnow())

    assert_hostile_input_handled(app, client, f"/goals/{goal.id}/status", GoalStatusForm,
                                 {"status": "set_aside"}, before_each=back_to_active)


def test_last_weeks_log_can_be_filled_in_late(app, client, participant):
    goal = make_goal(app, participant)
    week = goal_week(app, participant)
    add_history(app, participant, goal.id, week, 1)
    with app.app_context():
        earlier = services.last_plan_before(goal.id, week)
        earlier_id, last_sunday = earlier.id, earlier.week_start + timedelta(days=6)
    page = client.get(f"/plans/{goal.plan_id}/log").get_data(as_text=True)
    assert f"/plans/{earlier_id}/log" in page
    response = post_form(client, f"/plans/{earlier_id}/log",
                         {"day": last_sunday.isoformat(), "done": "yes", "note": "late entry"})
    assert response.status_code == 302
    with app.app_context():
        assert services.log_entries(earlier_id)[last_sunday].note == "late entry"


def test_private_log_notes_never_reach_the_peer_specialist_or_family(app, client):
    from tests.factories import make_family, make_peer_specialist
    from tests.family.factories import make_consent
    from tests.groups.factories import make_group
    from wham.family.models import Scope

    peer = make_peer_specialist(app)
    owner = make_participant(app, peer_specialist_id=peer.id)
    login(client, owner)
    goal = make_goal(app, owner)
    today = today_of(app, owner).isoformat()
    post_form(client, f"/plans/{goal.plan_id}/log", {"day": today, "done": "no",
                                                     "note": "Argued with Luis, felt low",
                                                     "is_private": "y"})
    group = make_group(app, [peer], [owner])
    family = make_family(app)
    make_consent(app, owner, family, [Scope.PROGRESS])
    staff_pages = ["/", "/people", "/groups", f"/groups/{group.id}",
                   f"/groups/{group.id}/members/{owner.id}"]
    family_pages = ["/", "/shared", f"/shared/{owner.id}/progress"]
    assert "Argued with Luis" in client.get(f"/plans/{goal.plan_id}/log").get_data(as_text=True)
    for visitor, pages in ((peer, staff_pages), (family, family_pages)):
        other = app.test_client()
        login(other, visitor)
        for url in pages:
            response = other.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            assert "Argued with Luis" not in response.get_data(as_text=True), url


def test_every_goal_plan_log_and_check_in_post_needs_the_csrf_token(app, client, participant):
    goal = make_goal(app, participant)
    with app.app_context():
        week = participant_week_start(utcnow(), participant.time_zone)
    today = today_of(app, participant).isoformat()
    posts = {
        "/inventory/take": dict.fromkeys(FACTOR_CODES, "3"),
        "/goals/new": {"factor": "sleep", "what": "Rest", "why": "Tired"},
        f"/goals/{goal.id}/edit": {"factor": "sleep", "what": "Changed", "why": ""},
        f"/goals/{goal.id}/status": {"status": "achieved"},
        f"/goals/{goal.id}/plan": PLAN | {"confidence": "9", "save": "1"},
        f"/goals/{goal.id}/plan/copy": {},
        f"/plans/{goal.plan_id}/log": {"day": today, "done": "yes", "note": "forged"},
        f"/check-in/{week.isoformat()}": {"days_done": "1", "stress": "3", "confidence_next": "8",
                                          "support": "now",
                                          **{f"who5_{n}": "3" for n in range(1, 6)}},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 400, url
    with app.app_context():
        goal_now = db.session.get(Goal, goal.id)
        assert (goal_now.what, goal_now.status) == ("Walk more", GoalStatus.ACTIVE)
        assert services.inventory_takes(participant.id) == []
        assert db.session.scalar(select(LogEntry)) is None
        assert db.session.scalar(select(CheckIn)) is None and db.session.scalar(select(Flag)) is None
        assert db.session.get(ActionPlan, goal.plan_id).confidence == 8
