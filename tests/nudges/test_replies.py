"""Texts back: a number 0-7 after a check-in reminder records that week's days done; words
suggesting a crisis get the crisis resources and a flag; anything else the short help."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from tests.checkins.factories import make_check_in
from tests.groups.factories import make_group
from tests.hostile import db_snapshot
from tests.nudges.test_planner import outbox_rows, plan, reminder_texter, send
from tests.sms.factories import make_texter
from tests.sms.test_webhooks import inbound
from tests.web import login
from wham.accounts.models import Role, User
from wham.audit import AuditEvent
from wham.checkins.models import CheckIn, Flag, FlagReason
from wham.extensions import db
from wham.nudges.models import TextedDaysDone
from wham.sms import services
from wham.sms.models import SmsKind
from wham.timeutil import to_local, utcnow

SUNDAY_6PM = datetime(2026, 3, 15, 22, tzinfo=UTC)  # Sunday 18:00 EDT; week of 9 March
WEEK = date(2026, 3, 9)


def reminded(app, sender, **fields) -> User:
    """A participant whose Sunday 18:00 check-in reminder went out."""
    person = reminder_texter(app, **fields)
    plan(app, SUNDAY_6PM)
    send(app, sender, SUNDAY_6PM)
    return person


def reply(app, person_or_number, text, now) -> str:
    number = getattr(person_or_number, "mobile_e164", person_or_number)
    with app.app_context():
        return services.handle_inbound(number, text, now)


def texted_days(app, person) -> int | None:
    with app.app_context():
        return db.session.scalar(select(TextedDaysDone.days_done)
                                 .where(TextedDaysDone.user_id == person.id))


@pytest.mark.parametrize("text,days", [("5", 5), (" 0 ", 0), ("7", 7), ("3 days", 3),
                                       ("4 días", 4), ("2.", 2)])
def test_a_number_after_the_reminder_is_kept_for_the_check_in(app, sender, text, days):
    person = reminded(app, sender)
    answer = reply(app, person, text, SUNDAY_6PM + timedelta(minutes=20))
    assert answer == ("WHAM: thank you, we noted your days. Finish your check-in here: "
                      "http://localhost/check-in/2026-03-09")
    assert texted_days(app, person) == days
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0  # not a check-in yet


def test_a_second_number_replaces_the_first(app, sender):
    person = reminded(app, sender)
    reply(app, person, "3", SUNDAY_6PM + timedelta(minutes=5))
    reply(app, person, "4", SUNDAY_6PM + timedelta(minutes=9))
    assert texted_days(app, person) == 4


def test_the_check_in_form_starts_with_the_texted_number_and_saving_clears_it(app, client, sender):
    person = reminded(app, sender)
    reply(app, person, "6", SUNDAY_6PM + timedelta(minutes=5))
    with app.app_context():
        from wham.checkins.services import days_done_to_prefill

        assert days_done_to_prefill(person.id, WEEK) == 6
    make_check_in(app, person, WEEK, now=SUNDAY_6PM + timedelta(hours=1), days_done=6)
    assert texted_days(app, person) is None  # the check-in holds it now


def test_a_number_after_the_check_in_changes_its_days(app, sender):
    person = reminded(app, sender)
    make_check_in(app, person, WEEK, now=SUNDAY_6PM + timedelta(minutes=30), days_done=2)
    answer = reply(app, person, "5", SUNDAY_6PM + timedelta(hours=2))
    assert "thank you" in answer
    with app.app_context():
        check_in = db.session.scalar(select(CheckIn).where(CheckIn.user_id == person.id))
        assert check_in.days_done == 5
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "check_in.days_changed" in actions
    assert texted_days(app, person) is None


def test_a_number_after_the_week_closed_says_so(app, sender):
    person = reminded(app, sender)
    # Wednesday 18 March: last week closed at midnight; the reminder is still recent.
    answer = reply(app, person, "5", datetime(2026, 3, 18, 14, tzinfo=UTC))
    assert answer.startswith("WHAM: that week's check-in is closed now.")
    assert texted_days(app, person) is None


@pytest.mark.parametrize("text", ["8", "10", "-1", "5 or 6", "five"])
def test_other_numbers_get_the_short_help(app, sender, text):
    person = reminded(app, sender)
    answer = reply(app, person, text, SUNDAY_6PM + timedelta(minutes=5))
    assert "we could not read that" in answer
    assert texted_days(app, person) is None


def test_a_number_with_no_reminder_sent_gets_the_short_help(app, sender):
    person = reminder_texter(app)
    assert "we could not read that" in reply(app, person, "5", SUNDAY_6PM)
    person = reminded(app, sender)  # and one sent more than three days ago is no longer it
    assert "we could not read that" in reply(app, person, "5", SUNDAY_6PM + timedelta(days=4))


def test_on_a_shared_phone_the_person_reminded_last_answers(app, sender):
    first = reminder_texter(app, number="+12025550999", at=time(17))
    second = reminder_texter(app, number="+12025550999", at=time(18))
    plan(app, SUNDAY_6PM)
    send(app, sender, SUNDAY_6PM)
    assert len(sender.sent) == 2
    reply(app, "+12025550999", "4", SUNDAY_6PM + timedelta(minutes=5))
    assert (texted_days(app, first), texted_days(app, second)) == (None, 4)


def test_numeric_reply_through_the_signed_webhook_prefills_the_check_in_page(app, client, sender):
    """End to end at the real clock: the reminder goes out now, the reply comes through Twilio's
    signed webhook, and the check-in page starts at the texted number."""
    now = utcnow()
    local = to_local(now, "America/New_York")
    person = reminder_texter(app, weekday=local.weekday(), at=time(local.hour, local.minute),
                             quiet_start=time(0), quiet_end=time(0))
    plan(app, now)
    send(app, sender, now)
    [row] = outbox_rows(app)
    week = date.fromisoformat(row.idempotency_key.rsplit(":", 1)[1])
    body = inbound(client, person.mobile_e164, "3").get_data(as_text=True)
    assert f"http://localhost/check-in/{week.isoformat()}" in body
    login(client, person)
    page = client.get(f"/check-in/{week.isoformat()}").get_data(as_text=True)
    checked = re.findall(r'<input checked id="(days_done-\d)"', page)
    assert checked == ["days_done-3"]


# --- crisis words ------------------------------------------------------------------------


CRISIS_TEXTS = ["I want to die", "i dont want to live anymore", "thinking about SUICIDE",
                "I might hurt myself tonight", "5 and I can't go on"]
CRISIS_TEXTS_ES = ["quiero morir", "No quiero vivir más", "pienso en quitarme la vida"]


@pytest.mark.parametrize("text", CRISIS_TEXTS + CRISIS_TEXTS_ES)
def test_crisis_words_get_the_crisis_resources_and_a_flag(app, client, sender, text):
    person = make_texter(app)
    body = inbound(client, person.mobile_e164, text).get_data(as_text=True)
    assert "988" in body and "911" in body and "http://localhost/crisis" in body
    with app.app_context():
        flags = db.session.scalars(select(Flag).where(Flag.user_id == person.id)).all()
        assert [(f.reason, f.note, f.check_in_id) for f in flags] == \
            [(FlagReason.CRISIS_TEXT, "", None)]  # the reason only, never the text


@pytest.mark.parametrize("text", ["I died laughing", "stop by the store", "5", "I killed it today",
                                  "overdue bill", "me muero de risa"])
def test_ordinary_texts_raise_no_flag(app, client, sender, text):
    person = reminded(app, sender)
    with app.app_context():
        answer = services.handle_inbound(person.mobile_e164, text, SUNDAY_6PM)
        assert db.session.scalar(select(func.count(Flag.id))) == 0
    assert "988" not in answer


def test_crisis_reply_in_spanish_for_a_spanish_speaker(app, client, sender):
    person = make_texter(app, language="es")
    body = inbound(client, person.mobile_e164, "I want to die").get_data(as_text=True)
    assert "corre peligro" in body and "988" in body


def test_a_second_crisis_text_while_the_flag_is_open_adds_no_flag(app, sender):
    person = make_texter(app)
    now = datetime(2026, 3, 18, 15, tzinfo=UTC)
    reply(app, person, "I want to die", now)
    reply(app, person, "I want to die", now + timedelta(hours=1))
    with app.app_context():
        assert db.session.scalar(select(func.count(Flag.id))) == 1
    reply(app, person, "I want to die", now + timedelta(hours=25))  # a day later: a new one
    with app.app_context():
        assert db.session.scalar(select(func.count(Flag.id))) == 2


def test_a_crisis_text_alerts_the_facilitator_without_details(app, sender):
    facilitator = make_texter(app, role=Role.PEER_SPECIALIST, kinds=(SmsKind.FLAG_ALERT,))
    person = make_texter(app, display_name="Rosa Diaz")
    make_group(app, [facilitator], [person])
    now = datetime(2026, 3, 18, 15, tzinfo=UTC)
    reply(app, person, "quiero morir", now)
    plan(app, now + timedelta(minutes=1))
    send(app, sender, now + timedelta(minutes=1))
    [(to, kind, body)] = sender.sent
    assert (to, kind) == (facilitator.mobile_e164, "flag_alert")
    assert "Rosa" not in body and "morir" not in body and "crisis" not in body


def test_crisis_text_from_an_unknown_number_is_answered_and_nothing_is_kept(app, client):
    before = db_snapshot(app)
    body = inbound(client, "+447911123456", "no quiero vivir").get_data(as_text=True)
    assert "corre peligro" in body and "988" in body
    assert db_snapshot(app) == before
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert [(e.action, e.details) for e in events] == \
            [("sms.inbound_unknown", {"keyword": "crisis"})]


def test_crisis_text_from_an_unconfirmed_number_is_answered_without_a_flag(app, client):
    person = make_texter(app, verified=False)
    body = inbound(client, person.mobile_e164, "I want to kill myself").get_data(as_text=True)
    assert "988" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Flag.id))) == 0
