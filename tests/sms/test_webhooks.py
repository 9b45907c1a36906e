"""Inbound texts and status callbacks: Twilio's signature, keywords, replies, idempotence."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.hostile import db_snapshot
from tests.sms.factories import contact_of, make_queued, make_texter, outbox_row
from wham.audit import AuditEvent
from wham.extensions import db
from wham.sms import outbox, services
from wham.sms.models import OutboxStatus, SmsContact
from wham.sms.senders import RecordingSender

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
STOP_TEXTS = ["STOP", "stop", "  Stop  ", "STOPALL", "unsubscribe", "Cancel", "END", "quit",
              "\tQUIT\n"]
START_TEXTS = ["START", "start", " Unstop ", "YES", "yes"]


def signed_post(client, path, form, *, token=None, url=None, signature=None):
    url = url or f"http://localhost{path}"
    if signature is None:
        signature = RequestValidator(token or "test-auth-token").compute_signature(url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def inbound(client, from_e164, body, **kwargs):
    return signed_post(client, "/sms/inbound", {"From": from_e164, "Body": body,
                                                "MessageSid": "SMin1", "To": "+15005550006"},
                       **kwargs)


def test_nul_characters_in_a_signed_request_are_dropped_not_a_server_error(app, client):
    # Found by tests/test_property_input.py on PostgreSQL: From="\x00" answered 500.
    user = make_texter(app)
    assert inbound(client, "\x00", "hello").status_code == 200
    assert inbound(client, "\x00" + user.mobile_e164, "ST\x00OP").status_code == 200
    assert contact_of(app, user).opted_out_at is not None  # the STOP was read, from that number
    before = db_snapshot(app)
    callback = signed_post(client, "/sms/status", {"MessageSid": "\x00", "MessageStatus": "\x00"})
    assert callback.status_code == 200
    assert db_snapshot(app) == before


@pytest.mark.parametrize("path", ["/sms/inbound", "/sms/status"])
@pytest.mark.parametrize("how", ["missing", "wrong token", "other url", "tampered"])
def test_unsigned_requests_are_refused_and_change_nothing(app, client, path, how):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        outbox.send_due_messages(NOW, RecordingSender())
    sid = outbox_row(app, message_id).provider_sid
    form = {"From": user.mobile_e164, "Body": "STOP", "MessageSid": sid,
            "MessageStatus": "delivered"}
    before = db_snapshot(app)
    if how == "missing":
        response = client.post(path, data=form)
    elif how == "wrong token":
        response = signed_post(client, path, form, token="not-the-token")
    elif how == "other url":
        response = signed_post(client, path, form, url="http://localhost/elsewhere")
    else:
        signature = RequestValidator("test-auth-token").compute_signature(
            f"http://localhost{path}", form | {"Body": "HELLO"})
        response = signed_post(client, path, form, signature=signature)
    assert response.status_code == 403
    assert db_snapshot(app) == before


def test_no_auth_token_configured_refuses_everything(app, client, monkeypatch):
    user = make_texter(app)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    response = inbound(client, user.mobile_e164, "STOP", token="")
    assert response.status_code == 403
    assert contact_of(app, user).opted_out_at is None


@pytest.mark.parametrize("text", STOP_TEXTS)
def test_stop_words_opt_out_of_everything(app, client, text):
    user = make_texter(app)
    response = inbound(client, user.mobile_e164, text)
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    body = response.get_data(as_text=True)
    assert "<Response><Message>" in body and "no more texts" in body
    assert contact_of(app, user).opted_out_at is not None


@pytest.mark.parametrize("text", START_TEXTS)
def test_start_words_opt_back_in(app, client, text):
    user = make_texter(app, opted_out_at=NOW)
    body = inbound(client, user.mobile_e164, text).get_data(as_text=True)
    assert "texts are on again" in body
    assert contact_of(app, user).opted_out_at is None


@pytest.mark.parametrize("text", ["HELP", "help", " Info "])
def test_help_names_the_program_and_how_to_stop(app, client, text):
    user = make_texter(app)
    body = inbound(client, user.mobile_e164, text).get_data(as_text=True)
    assert "WHAM" in body and "Reply STOP to stop" in body
    assert "http://localhost/sms/settings" in body
    assert contact_of(app, user).opted_out_at is None


def test_help_answers_in_the_persons_language(app, client):
    user = make_texter(app, language="es")
    body = inbound(client, user.mobile_e164, "AYUDA").get_data(as_text=True)
    assert "no entendimos" in body
    body = inbound(client, user.mobile_e164, "HELP").get_data(as_text=True)
    assert "Responda STOP" in body


def test_anything_else_gets_the_short_help_text(app, client):
    user = make_texter(app)
    body = inbound(client, user.mobile_e164, "what is this?").get_data(as_text=True)
    assert "we could not read that" in body and "STOP" in body


def test_reply_handlers_get_texts_that_are_not_keywords(app, client, monkeypatch):
    user = make_texter(app)
    seen = []

    def days_done(contact, text, now):
        seen.append((contact.user_id, text))
        return "Thanks!" if text.strip().isdigit() else None

    monkeypatch.setattr(services, "_reply_handlers", [])
    services.register_reply_handler(days_done)
    services.register_reply_handler(days_done)  # registering twice keeps one
    assert "Thanks!" in inbound(client, user.mobile_e164, " 5 ").get_data(as_text=True)
    assert "we could not read that" in inbound(client, user.mobile_e164, "hm").get_data(as_text=True)
    assert "no more texts" in inbound(client, user.mobile_e164, "STOP").get_data(as_text=True)
    assert seen == [(user.id, " 5 "), (user.id, "hm")]  # keywords never reach a handler


def test_unknown_number_leaves_only_an_audit_line_without_number_or_text(app, client):
    before = db_snapshot(app)
    response = inbound(client, "+447911123456", "STOP please")
    assert response.status_code == 200
    after = db_snapshot(app)
    assert after == before  # audit_events are not part of the snapshot
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert [(e.action, e.details) for e in events] == [("sms.inbound_unknown", {"keyword": "other"})]
        assert db.session.scalar(select(SmsContact)) is None


def test_stop_from_a_shared_phone_stops_everyone_on_it(app, client):
    first = make_texter(app, number="+12025550777")
    second = make_texter(app, number="+12025550777")
    inbound(client, "+12025550777", "STOP")
    assert contact_of(app, first).opted_out_at and contact_of(app, second).opted_out_at


def _sent_message(app):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    with app.app_context():
        outbox.send_due_messages(NOW, RecordingSender())
    return user, message_id, outbox_row(app, message_id).provider_sid


def status(client, sid, message_status, error_code=None):
    form = {"MessageSid": sid, "MessageStatus": message_status, "AccountSid": "AC" + "0" * 32}
    if error_code:
        form["ErrorCode"] = error_code
    return signed_post(client, "/sms/status", form)


def test_status_callback_records_delivery_and_a_repeat_changes_nothing(app, client):
    _, message_id, sid = _sent_message(app)
    assert status(client, sid, "delivered").status_code == 200
    first = outbox_row(app, message_id)
    assert first.status == OutboxStatus.DELIVERED
    before = db_snapshot(app)
    assert status(client, sid, "delivered").status_code == 200
    assert db_snapshot(app) == before
    assert status(client, sid, "sent").status_code == 200  # late, out of order
    assert db_snapshot(app) == before


@pytest.mark.parametrize("reported,expected", [("undelivered", OutboxStatus.UNDELIVERED),
                                               ("failed", OutboxStatus.FAILED)])
def test_status_callback_records_failures_with_the_error_code(app, client, reported, expected):
    user, message_id, sid = _sent_message(app)
    status(client, sid, reported, "30003")
    row = outbox_row(app, message_id)
    assert (row.status, row.error_code) == (expected, "30003")
    assert contact_of(app, user).opted_out_at is None


def test_status_callback_with_unsubscribed_code_opts_out(app, client):
    user, message_id, sid = _sent_message(app)
    status(client, sid, "failed", "21610")
    assert contact_of(app, user).opted_out_at is not None


def test_status_callback_for_an_unknown_message_changes_nothing(app, client):
    _sent_message(app)
    before = db_snapshot(app)
    assert status(client, "SMdoesnotexist", "delivered").status_code == 200
    assert status(client, "", "delivered").status_code == 200
    assert db_snapshot(app) == before
