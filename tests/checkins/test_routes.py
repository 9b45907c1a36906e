"""Check-in, crisis and progress pages through real forms with CSRF, as a browser would."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.checkins.factories import make_check_in
from tests.factories import make_participant, make_peer_specialist
from tests.family.factories import make_plan
from tests.goals.factories import add_history, make_goal, make_inventory
from tests.hostile import assert_hostile_input_handled
from tests.web import login, post_form
from wham.accounts.models import User
from wham.checkins.forms import CheckInForm, CheckInWithBoth
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.extensions import db
from wham.goals import services as goals
from wham.goals.models import ActionPlan
from wham.timeutil import local_today, local_week_start, utcnow

VALID = {"days_done": "2", "stress": "4", "helped": "Morning walks", "barriers": "Rain",
         "confidence_next": "8", "support": "none",
         **{f"who5_{n}": "3" for n in range(1, 6)}}
MEASURES = {**{f"phq9_{n}": "0" for n in range(1, 10)}, **{f"gad7_{n}": "1" for n in range(1, 8)}}


@pytest.fixture
def peer(app):
    return make_peer_specialist(app, display_name="Jordan")


@pytest.fixture
def participant(app, client, peer):
    user = make_participant(app, peer_specialist_id=peer.id)
    login(client, user)
    return user


@pytest.fixture
def measures_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "CHECKIN_PHQ9_ENABLED", True)
    monkeypatch.setitem(app.config, "CHECKIN_GAD7_ENABLED", True)


def this_week(user) -> str:
    return local_week_start(utcnow(), user.time_zone).isoformat()


def saved(app, user) -> CheckIn | None:
    with app.app_context():
        check_in = db.session.scalar(select(CheckIn).where(CheckIn.user_id == user.id))
        if check_in is not None:
            db.session.expunge(check_in)
        return check_in


def flag_reasons(app, user) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Flag.reason).where(Flag.user_id == user.id)))


def test_check_in_is_prefilled_from_the_log_and_saved(app, client, participant):
    goal = make_goal(app, participant)
    with app.app_context():
        user = db.session.get(User, participant.id)
        plan = db.session.get(ActionPlan, goal.plan_id)
        goals.log_day(user, plan, local_today(utcnow(), user.time_zone), "yes", "", False,
                      utcnow())
    url = f"/check-in/{this_week(participant)}"
    page = client.get(url).get_data(as_text=True)
    assert 'checked id="days_done-1"' in page  # one day logged "yes" so far
    assert "You planned 3 days." in page and "Walk" in page
    response = post_form(client, url, VALID | {"days_done": "1"}, follow_redirects=True)
    assert "Thank you. Your check-in is saved." in response.get_data(as_text=True)
    check_in = saved(app, participant)
    assert (check_in.days_done, check_in.who5_score, check_in.helped) == (1, 60, "Morning walks")
    assert flag_reasons(app, participant) == []


def test_the_check_in_link_opens_a_week_the_participant_can_use(client, participant):
    response = client.get("/check-in")
    assert response.status_code == 302
    assert re.fullmatch(r"/check-in/\d{4}-\d{2}-\d{2}", response.headers["Location"])
    assert client.get(response.headers["Location"]).status_code == 200


def test_changing_a_check_in_keeps_one_per_week(app, client, participant):
    url = f"/check-in/{this_week(participant)}"
    post_form(client, url, VALID)
    page = client.get(url).get_data(as_text=True)
    assert "You checked in for this week already" in page
    assert "Morning walks" in page  # the earlier answers are shown to change
    post_form(client, url, VALID | {"stress": "9"})
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 1
    assert saved(app, participant).stress == 9


def test_support_now_shows_the_crisis_page_and_flags_the_peer_specialist(app, client,
                                                                         participant):
    response = post_form(client, f"/check-in/{this_week(participant)}", VALID | {"support": "now"})
    assert response.status_code == 302 and response.headers["Location"] == "/crisis"
    page = client.get("/crisis").get_data(as_text=True)
    assert "We let Jordan, your peer specialist, know" in page
    assert 'href="tel:988"' in page and 'href="sms:988"' in page
    assert 'href="tel:+18006624357"' in page
    assert flag_reasons(app, participant) == [FlagReason.SUPPORT_NOW]


def test_low_wellbeing_shows_the_crisis_page_with_a_gentle_message(app, client, participant):
    low = VALID | {f"who5_{n}": "1" for n in range(1, 6)}  # WHO-5 20
    response = post_form(client, f"/check-in/{this_week(participant)}", low,
                         follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your answers tell us things are hard right now" in page
    assert flag_reasons(app, participant) == [FlagReason.WHO5_LOW]


def test_phq9_and_gad7_appear_when_switched_on_and_item9_flags(app, client, participant,
                                                               measures_on):
    url = f"/check-in/{this_week(participant)}"
    page = client.get(url).get_data(as_text=True)
    assert "Thoughts that you would be better off dead" in page
    assert "Feeling nervous, anxious or on edge" in page
    missing = post_form(client, url, VALID)  # the switched-on questions are not answered
    assert missing.status_code == 200 and 'id="phq9_1-error"' in missing.get_data(as_text=True)
    assert saved(app, participant) is None
    response = post_form(client, url, VALID | MEASURES | {"phq9_9": "1"})
    assert response.headers["Location"] == "/crisis"
    check_in = saved(app, participant)
    assert check_in.phq9_answers[8] == 1 and check_in.gad7_score == 7
    assert flag_reasons(app, participant) == [FlagReason.PHQ9_ITEM9]


def test_measures_are_not_shown_when_switched_off(client, participant):
    page = client.get(f"/check-in/{this_week(participant)}").get_data(as_text=True)
    assert "Thoughts that you would be better off dead" not in page
    assert "I have felt cheerful and in good spirits" in page


def test_a_missing_answer_is_shown_next_to_the_question_and_typed_text_kept(app, client,
                                                                           participant):
    data = dict(VALID)
    del data["who5_3"]
    response = post_form(client, f"/check-in/{this_week(participant)}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="who5_3-error"' in page and "Please choose one answer." in page
    assert "Morning walks" in page
    assert saved(app, participant) is None


def test_a_closed_week_is_read_only_with_a_kind_message(app, client, participant):
    old_week = local_week_start(utcnow(), participant.time_zone) - timedelta(days=14)
    make_check_in(app, participant, old_week)
    url = f"/check-in/{old_week.isoformat()}"
    page = client.get(url).get_data(as_text=True)
    assert "can no longer be changed" in page and 'name="stress"' not in page
    response = post_form(client, url, VALID | {"stress": "10"})
    assert response.status_code == 200
    assert saved(app, participant).stress == 4  # unchanged
    older = old_week - timedelta(days=7)
    assert "every week is a fresh start" in client.get(
        f"/check-in/{older.isoformat()}").get_data(as_text=True)


@pytest.mark.parametrize("week", ["not-a-date", "2026-02-30", "next"])
def test_weeks_that_are_not_weeks_answer_404(client, participant, week):
    assert client.get(f"/check-in/{week}").status_code == 404


def test_a_day_that_is_not_a_week_start_and_a_future_week_answer_404(client, participant):
    monday = local_week_start(utcnow(), participant.time_zone)
    assert client.get(f"/check-in/{(monday + timedelta(days=1)).isoformat()}").status_code == 404
    assert client.get(f"/check-in/{(monday + timedelta(days=7)).isoformat()}").status_code == 404


def test_crisis_page_is_open_to_everyone_and_calm(app, client):
    page = client.get("/crisis").get_data(as_text=True)
    assert "You do not have to go through this alone" in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    assert " style=" not in page and "<script" not in page
    assert 'href="/crisis"' in client.get("/login").get_data(as_text=True)  # footer link


def test_crisis_page_shows_the_participants_own_crisis_contacts(app, client, participant):
    make_plan(app, participant, contacts=(("Ana", "Sister", "+1 202-555-0110"),))
    page = client.get("/crisis").get_data(as_text=True)
    assert "People on my support plan" in page
    assert 'href="tel:+12025550110"' in page and "Call Ana" in page


def test_crisis_page_without_a_support_plan_has_no_empty_section(client, participant):
    assert "People on my support plan" not in client.get("/crisis").get_data(as_text=True)


def forget_check_ins(app) -> None:
    """Accepted hostile values save a check-in; start each try from none."""
    with app.app_context():
        db.session.execute(Flag.__table__.delete())
        db.session.execute(CheckIn.__table__.delete())
        db.session.commit()


def test_hostile_input_on_the_check_in_form(app, client, participant):
    url = f"/check-in/{this_week(participant)}"
    tried = assert_hostile_input_handled(app, client, url, CheckInForm, VALID,
                                         before_each=lambda: forget_check_ins(app))
    assert tried > 40


def test_hostile_input_on_the_check_in_form_with_measures(app, client, participant, measures_on):
    url = f"/check-in/{this_week(participant)}"
    tried = assert_hostile_input_handled(app, client, url, CheckInWithBoth, VALID | MEASURES,
                                         before_each=lambda: forget_check_ins(app))
    assert tried > 100


def test_progress_shows_charts_with_tables_for_the_week(app, client, participant):
    make_goal(app, participant)
    make_inventory(app, participant, rating=2, now=utcnow() - timedelta(days=30))
    make_inventory(app, participant, rating=4)
    post_form(client, f"/check-in/{this_week(participant)}", VALID | {"days_done": "2"})
    page = client.get("/progress").get_data(as_text=True)
    assert page.count("<svg") == 4 and page.count("<table") == 4
    assert " style=" not in page
    week_label = local_week_start(utcnow(), participant.time_zone)
    assert f'href="/check-in/{week_label.isoformat()}"' in page  # the week, in the table
    assert page.count('href="/check-in/') == 1  # only a week with a check-in links to it
    assert "<td>3</td>" in page and "<td>2</td>" in page  # planned 3, done 2
    assert "<td>60</td>" in page  # wellbeing


def test_progress_for_a_new_participant_says_what_comes_next(client, participant):
    page = client.get("/progress").get_data(as_text=True)
    assert "Nothing to show yet" in page and "Take the self-inventory" in page
    assert 'href="/inventory/take"' in page  # the inventory is reached from Progress


def test_progress_links_to_the_self_inventory_and_is_marked_in_the_navigation(app, client,
                                                                              participant):
    make_inventory(app, participant)
    page = client.get("/progress").get_data(as_text=True)
    assert 'href="/inventory"' in page
    assert '<a href="/progress" aria-current="page">' in page
    inventory = client.get("/inventory").get_data(as_text=True)
    assert '<a href="/progress" aria-current="true">' in inventory  # its section


def _history(app, weeks: int):
    user = make_participant(app)
    goal = make_goal(app, user)
    week = local_week_start(utcnow(), user.time_zone)
    add_history(app, user, goal.id, week, weeks)
    for n in range(weeks):
        make_inventory(app, user, rating=1 + n % 5, now=utcnow() - timedelta(days=7 * n))
    with app.app_context():
        for n in range(weeks):
            db.session.add(CheckIn(user_id=user.id, week_start=week - timedelta(days=7 * n),
                                   days_done=n % 8, stress=3, confidence_next=7,
                                   who5_answers=[3] * 5, who5_score=60, created_at=utcnow(),
                                   updated_at=utcnow()))
        db.session.commit()
    return user


def test_progress_page_query_count_does_not_grow_with_history(app, query_counter):
    counts = []
    for weeks in (8, 52):
        user = _history(app, weeks)
        client = app.test_client()
        login(client, user)
        with query_counter() as counter:
            response = client.get("/progress")
        assert response.status_code == 200
        counts.append(counter.count)
    assert counts == [2, 2], counts  # the signed-in user, then the whole page in one query


def test_another_participant_at_the_same_week_only_ever_sees_and_changes_their_own(app, client,
                                                                                  participant):
    url = f"/check-in/{this_week(participant)}"
    post_form(client, url, VALID | {"helped": "Calling my sponsor", "support": "soon"})
    stranger = make_participant(app)
    theirs = app.test_client()
    login(theirs, stranger)
    page = theirs.get(url).get_data(as_text=True)
    assert "Calling my sponsor" not in page
    assert "You checked in for this week already" not in page
    assert "Calling my sponsor" not in theirs.get("/progress").get_data(as_text=True)
    post_form(theirs, url, VALID | {"helped": "Music", "stress": "9"})
    mine, other = saved(app, participant), saved(app, stranger)
    assert (mine.helped, mine.stress) == ("Calling my sponsor", 4)
    assert (other.helped, other.stress, other.user_id) == ("Music", 9, stranger.id)


def test_checking_in_before_the_week_is_over_says_until_when_answers_can_change(app, client,
                                                                               participant):
    week = local_week_start(utcnow(), participant.time_zone)
    last_day = week + timedelta(days=8)
    page = client.get(f"/check-in/{week.isoformat()}").get_data(as_text=True)
    assert "This week is not over yet." in page
    assert f"until the end of {last_day:%A}, {last_day:%b} {last_day.day}." in page
    make_check_in(app, participant, week - timedelta(days=14))
    old = client.get(f"/check-in/{(week - timedelta(days=14)).isoformat()}").get_data(as_text=True)
    assert "This week is not over yet." not in old


def test_the_check_in_form_reads_the_week_in_one_query_however_long_the_history(app,
                                                                                query_counter):
    counts = []
    for weeks in (2, 30):
        user = _history(app, weeks)
        client = app.test_client()
        login(client, user)
        with query_counter() as counter:
            page = client.get(f"/check-in/{this_week(user)}")  # its check-in, to change
        assert page.status_code == 200 and 'name="stress"' in page.get_data(as_text=True)
        counts.append(counter.count)
    newcomer = make_participant(app)
    make_goal(app, newcomer)
    client = app.test_client()
    login(client, newcomer)
    with query_counter() as counter:
        page = client.get(f"/check-in/{this_week(newcomer)}")  # a new one, from the log
    assert 'checked id="days_done-0"' in page.get_data(as_text=True)
    counts.append(counter.count)
    # The signed-in person, then the week's check-in, plan and days done together.
    assert counts == [2, 2, 2], counts


def test_the_answers_are_in_each_readers_own_language(app, measures_on):
    pages = {}
    for language in ("es", "en", "es"):
        client = app.test_client()
        person = make_participant(app, language=language)
        login(client, person)
        pages.setdefault(language, []).append(
            client.get(f"/check-in/{this_week(person)}").get_data(as_text=True))
    for page in pages["es"]:
        assert "<span>Todo el tiempo</span>" in page and "<span>Varios días</span>" in page
        assert "All of the time" not in page and "Several days" not in page
        assert "<legend>¿Cuántos días cumplió su plan esta semana?</legend>" in page
    english = pages["en"][0]
    assert "<span>All of the time</span>" in english and "<span>Several days</span>" in english
    assert "<span>Yes, I need support now</span>" in english and "Todo el tiempo" not in english
