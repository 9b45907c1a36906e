"""The real Twilio SDK path against a local fake provider: successes, rate limits, provider
errors, permanent errors and timeouts, through the sender job as the scheduler runs it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from tests.sms.factories import contact_of, make_queued, make_texter, outbox_row
from tests.sms.fake_twilio import OK, error
from wham.sms import outbox
from wham.sms.models import OutboxStatus
from wham.sms.senders import (
    ConsoleSender,
    RecordingSender,
    SendError,
    TwilioSender,
    build_sender,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SID = "AC" + "1" * 32


def twilio_sender(fake, **kwargs) -> TwilioSender:
    options = {"from_number": "+15005550006", "timeout": 0.5,
               "status_callback": "https://wham.example.org/sms/status"} | kwargs
    return TwilioSender(SID, "secret-token", api_origin=fake.origin, **options)


def test_sdk_sends_the_message_to_the_provider(fake_twilio):
    result = twilio_sender(fake_twilio).send("+12025550188", "Hello", kind="checkin_reminder")
    assert result.provider_sid.startswith("SM") and result.status == "queued"
    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["auth"].startswith("Basic ")
    assert request["form"] == {"To": "+12025550188", "Body": "Hello", "From": "+15005550006",
                               "StatusCallback": "https://wham.example.org/sms/status"}


def test_messaging_service_replaces_the_from_number(fake_twilio):
    twilio_sender(fake_twilio, from_number="", messaging_service_sid="MG" + "2" * 32).send(
        "+12025550188", "Hi", kind="group_reminder")
    form = fake_twilio.messages()[0]
    assert form["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in form


@pytest.mark.parametrize("answer,code,retryable", [
    (error(429, 20429), "20429", True),
    (error(500), "http_500", True),
    (error(503, 20503), "20503", True),
    (error(400, 21610), "21610", False),
    (error(400, 21211), "21211", False),
    (error(400, 21614), "21614", False),
    (error(401, 20003), "20003", False),
])
def test_provider_errors_become_send_errors(fake_twilio, answer, code, retryable):
    fake_twilio.script.append(answer)
    with pytest.raises(SendError) as raised:
        twilio_sender(fake_twilio).send("+12025550188", "Hi", kind="checkin_reminder")
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


def test_timeout_is_retryable(fake_twilio):
    fake_twilio.script.append(error(201, delay=1.5))
    with pytest.raises(SendError) as raised:
        twilio_sender(fake_twilio, timeout=0.3).send("+12025550188", "Hi", kind="checkin_reminder")
    assert (raised.value.code, raised.value.retryable) == ("timeout", True)


def test_connection_refused_is_retryable(fake_twilio):
    origin = fake_twilio.origin
    fake_twilio.stop()
    sender = TwilioSender(SID, "t", from_number="+15005550006", api_origin=origin, timeout=0.5)
    with pytest.raises(SendError) as raised:
        sender.send("+12025550188", "Hi", kind="checkin_reminder")
    assert raised.value.retryable and raised.value.code == "connection_error"


@pytest.mark.parametrize("first", [error(429, 20429), error(500), error(201, delay=1.5)],
                         ids=["429", "500", "timeout"])
def test_job_retries_then_delivers_exactly_once(app, fake_twilio, first):
    user = make_texter(app)
    message_id = make_queued(app, user, NOW)
    fake_twilio.script += [first, OK]
    sender = twilio_sender(fake_twilio, timeout=0.3)
    with app.app_context():
        assert outbox.send_due_messages(NOW, sender).retrying == 1
    row = outbox_row(app, message_id)
    assert row.status == OutboxStatus.QUEUED and row.provider_sid is None
    with app.app_context():
        assert outbox.send_due_messages(row.next_attempt_at, sender).sent == 1
    row = outbox_row(app, message_id)
    assert row.status == OutboxStatus.SENT and row.provider_sid.startswith("SM")
    assert row.attempts == 2
    assert [r["form"]["To"] for r in fake_twilio.requests] == [user.mobile_e164] * 2


@pytest.mark.parametrize("code,field", [(21610, "opted_out_at"), (21211, "invalid_at"),
                                        (21614, "invalid_at")])
def test_permanent_errors_stop_sending_to_the_number(app, fake_twilio, code, field):
    user = make_texter(app)
    first = make_queued(app, user, NOW, key="first")
    second = make_queued(app, user, NOW + timedelta(minutes=1), key="second")
    fake_twilio.script.append(error(400, code))
    sender = twilio_sender(fake_twilio)
    with app.app_context():
        outbox.send_due_messages(NOW, sender)
        outbox.send_due_messages(NOW + timedelta(minutes=2), sender)
    assert getattr(contact_of(app, user), field) == NOW
    row = outbox_row(app, first)
    assert (row.status, row.error_code, row.attempts) == (OutboxStatus.FAILED, str(code), 1)
    assert outbox_row(app, second).status == OutboxStatus.CANCELLED
    assert len(fake_twilio.requests) == 1  # the second message never reached the provider


def test_backend_is_chosen_by_configuration(fake_twilio):
    app = Flask("x")
    app.config.update(SMS_BACKEND="twilio", PUBLIC_BASE_URL="https://wham.example.org/",
                      TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN="t", TWILIO_FROM="+15005550006",
                      TWILIO_MESSAGING_SERVICE_SID="", SMS_HTTP_TIMEOUT=1.0,
                      TWILIO_API_ORIGIN=fake_twilio.origin)
    sender = build_sender(app)
    assert isinstance(sender, TwilioSender)
    sender.send("+12025550188", "Hi", kind="checkin_reminder")
    assert fake_twilio.messages()[0]["StatusCallback"] == "https://wham.example.org/sms/status"
    app.config["SMS_BACKEND"] = "console"
    assert isinstance(build_sender(app), ConsoleSender)
    app.config["SMS_BACKEND"] = "test"
    assert isinstance(build_sender(app), RecordingSender)
    app.config["SMS_BACKEND"] = "carrier-pigeon"
    with pytest.raises(RuntimeError):
        build_sender(app)
    app.config.update(SMS_BACKEND="twilio", TWILIO_AUTH_TOKEN="")
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        build_sender(app)


def test_real_twilio_host_cannot_be_reached_from_tests(_no_real_network):
    """The autouse guard stops the SDK at the real provider's address and records the try,
    which fails the test at teardown; here the try is on purpose, so it is checked and forgotten."""
    sender = TwilioSender(SID, "t", from_number="+15005550006", timeout=0.5)  # no api_origin
    with pytest.raises(SendError):
        sender.send("+12025550188", "Hi", kind="checkin_reminder")
    assert _no_real_network == ["api.twilio.com"]
    _no_real_network.clear()


def test_console_backend_prints_a_readable_line_without_the_full_number():
    lines = []
    sender = ConsoleSender(echo=lambda line, flush=False: lines.append(line))
    result = sender.send("+12025550188", "WHAM: time for your weekly check-in.",
                         kind="checkin_reminder")
    assert lines == ["[SMS to +1202•••0188 · checkin_reminder] WHAM: time for your weekly check-in."]
    assert sender.sent == [("+12025550188", "checkin_reminder",
                            "WHAM: time for your weekly check-in.")]
    assert result.provider_sid.startswith("CONSOLE")


def test_console_backend_indents_the_later_lines_of_a_text():
    lines = []
    sender = ConsoleSender(echo=lambda line, flush=False: lines.append(line))
    sender.send("+12025550188", "WHAM: time for your weekly check-in.\nhttp://localhost/check-in",
                kind="checkin_reminder")
    assert lines == ["[SMS to +1202•••0188 · checkin_reminder] WHAM: time for your weekly check-in."
                     "\n    http://localhost/check-in"]
    assert sender.sent[0][2] == "WHAM: time for your weekly check-in.\nhttp://localhost/check-in"
