"""Invitation links beyond the page: email through a local fake SMTP server, texts through the
outbox to confirmed numbers only, and neither saying anything about health."""
from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask_mailman import Mail
from sqlalchemy import select

from tests.factories import make_family, make_participant
from tests.family.factories import make_plan
from tests.sms.factories import make_texter, new_number
from tests.web import login, post_form
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.family import services
from wham.family.models import Consent, Scope
from wham.family.statement import build_statement, statement_digest
from wham.sms.models import OutboxMessage, OutboxStatus, SmsKind
from wham.sms.outbox import send_due_messages
from wham.timeutil import local_today, utcnow

LINK_RE = re.compile(r"http://localhost/invitation/[A-Za-z0-9_-]+")
# Words from the plan and the consent that must never travel in an email or a text.
PRIVATE = ("crisis", "Crisis", "support plan", "Stays in bed", "goal", "help me plan", "Sister")


class _Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _use_smtp(app: Flask, monkeypatch, port: int) -> None:
    """Point the app at an SMTP server on this machine, as MAIL_* settings would."""
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                "MAIL_DEFAULT_SENDER": "WHAM <no-reply@example.org>", "MAIL_TIMEOUT": 5}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.extensions, "mailman", Mail.init_mail(app.config, app.testing))


@pytest.fixture
def inbox(app: Flask, monkeypatch) -> Iterator[_Inbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    _use_smtp(app, monkeypatch, port)
    yield handler
    controller.stop()


def _sign_through_the_pages(client, **changes) -> str:
    """Write and sign a consent as the participant does; returns the link page."""
    today = local_today(utcnow(), "America/New_York")
    data = {"recipient_name": "Ana", "recipient_email": "ana@example.org",
            "share_crisis_plan": "y", "purpose": "other", "purpose_text": "So Ana can help me plan",
            "expires_on": (today + timedelta(days=90)).isoformat()} | changes
    url = post_form(client, "/sharing/new", data).headers["Location"]
    digest = re.search(r'name="statement_digest"[^>]*value="(\w+)"',
                       client.get(url).get_data(as_text=True)).group(1)
    response = post_form(client, url, {"signature": "Maria Alvarez", "understood": "y",
                                       "statement_digest": digest})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _body(message: EmailMessage) -> str:
    return message.get_content()


# --- email -------------------------------------------------------------------------------------


def test_signing_emails_the_link_and_still_shows_it(app, client, inbox):
    owner = make_participant(app, display_name="Maria")
    make_plan(app, owner)
    login(client, owner)
    page = _sign_through_the_pages(client)
    assert "We emailed the link to ana@example.org." in page
    shown = LINK_RE.search(page).group(0)
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ana@example.org"]
    assert message["Subject"] == "Maria invited you to WHAM"
    assert "no-reply@example.org" in message["From"]
    body = _body(message)
    assert shown in body and "Maria" in body and "Hello Ana," in body
    for word in PRIVATE:
        assert word not in body + message["Subject"], word


def test_the_email_is_in_the_participants_language(app, client, inbox):
    login(client, make_participant(app, display_name="Maria", language="es"))
    _sign_through_the_pages(client)
    _recipients, message = inbox.messages[0]
    assert message["Subject"] == "Maria le invitó a WHAM"
    assert "Abra este enlace" in _body(message)


def test_a_new_link_is_emailed_and_the_old_one_stops_working(app, client, inbox):
    login(client, make_participant(app))
    first = LINK_RE.search(_sign_through_the_pages(client)).group(0)
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id))
    page = post_form(client, f"/sharing/{consent_id}/new-link").get_data(as_text=True)
    second = LINK_RE.search(page).group(0)
    assert second != first and second in _body(inbox.messages[1][1])
    assert app.test_client().get(first.removeprefix("http://localhost")).status_code == 404


def test_a_server_that_refuses_leaves_the_link_on_the_page(app, client, monkeypatch):
    _use_smtp(app, monkeypatch, _free_port())  # nothing listens there
    login(client, make_participant(app))
    page = _sign_through_the_pages(client)
    assert "We could not send the email. Please send the link below yourself." in page
    assert LINK_RE.search(page)
    with app.app_context():  # the signature stands; only the email failed
        assert db.session.scalar(select(Consent)).signed_at is not None


def test_without_smtp_settings_no_email_is_tried(app, client, inbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    login(client, make_participant(app))
    page = _sign_through_the_pages(client)
    assert inbox.messages == []
    assert "Send this link to Ana yourself" in page and LINK_RE.search(page)
    assert "We emailed" not in page


# --- text message -------------------------------------------------------------------------------


def _sign_for_mobile(app, owner: User, number: str, now: datetime) -> services.IssuedLink:
    with app.app_context():
        me = db.session.get(User, owner.id)
        consent = services.create_consent(me, services.ConsentTerms(
            recipient_name="Luis", recipient_email=None, recipient_mobile=number,
            scopes=[Scope.CRISIS_PLAN], purpose="crisis", expiry_event="When I say so"), now)
        return services.sign_consent(me, consent, "Maria", now,
                                     read_digest=statement_digest(build_statement(consent)))


def _outbox(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return rows


def _send(app, sender, now):
    with app.app_context():
        return send_due_messages(now, sender)


NOON = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # noon in New York


@pytest.mark.parametrize("role", [Role.FAMILY, Role.PARTICIPANT])
def test_a_confirmed_number_gets_the_link_by_text(app, sender, role):
    owner = make_participant(app, display_name="Maria")
    number = new_number()
    make_texter(app, role=role, kinds=(), number=number, time_zone="America/New_York")
    issued = _sign_for_mobile(app, owner, number, NOON)
    assert issued.texted_to == number
    [queued] = _outbox(app)
    assert queued.kind == SmsKind.FAMILY_INVITATION and queued.to_e164 == number
    assert _send(app, sender, NOON).sent == 1
    [(to, kind, body)] = sender.sent
    assert to == number and kind == "family_invitation"
    assert issued.link in body and "Maria" in body
    for word in PRIVATE:
        assert word not in body, word


def test_a_number_no_one_confirmed_gets_no_text(app, sender):
    owner = make_participant(app)
    unconfirmed = new_number()
    make_texter(app, role=Role.FAMILY, kinds=(), number=unconfirmed, verified=False)
    for number in (new_number(), unconfirmed):  # nobody's number, and one never confirmed
        assert _sign_for_mobile(app, owner, number, NOON).texted_to is None
    assert _outbox(app) == []


def test_a_number_that_said_stop_gets_no_text(app, sender):
    owner = make_participant(app)
    number = new_number()
    make_texter(app, role=Role.FAMILY, kinds=(), number=number, opted_out_at=NOON - timedelta(days=1))
    assert _sign_for_mobile(app, owner, number, NOON).texted_to is None
    assert _outbox(app) == []


def test_the_text_waits_for_the_end_of_quiet_hours(app, sender):
    owner = make_participant(app)
    number = new_number()
    make_texter(app, role=Role.FAMILY, kinds=(), number=number, time_zone="America/New_York")
    late = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)  # 22:30 in New York
    _sign_for_mobile(app, owner, number, late)
    [queued] = _outbox(app)
    assert queued.not_before == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)  # 08:00 New York
    assert queued.expires_at <= datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # before 21:00 again
    assert _send(app, sender, late).sent == 0


def test_a_renewed_or_revoked_link_is_not_texted(app, sender):
    owner = make_participant(app)
    number = new_number()
    make_texter(app, role=Role.FAMILY, kinds=(), number=number, time_zone="America/New_York")
    late = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)  # queued for the morning
    issued = _sign_for_mobile(app, owner, number, late)
    with app.app_context():
        me = db.session.get(User, owner.id)
        consent = db.session.scalar(select(Consent))
        renewed = services.renew_link(me, consent, late + timedelta(minutes=1))
    old, new = _outbox(app)
    assert old.status == OutboxStatus.CANCELLED and new.status == OutboxStatus.QUEUED
    with app.app_context():
        services.revoke_consent(db.session.get(User, owner.id), db.session.scalar(select(Consent)),
                                late + timedelta(minutes=2))
    assert [m.status for m in _outbox(app)] == [OutboxStatus.CANCELLED] * 2
    assert _send(app, sender, late + timedelta(hours=10)).sent == 0
    assert sender.sent == [] and issued.link != renewed.link


def test_a_text_still_queued_when_the_link_was_used_is_not_sent(app, sender):
    """The outbox asks again right before sending, for a row already claimed elsewhere."""
    owner = make_participant(app)
    number = new_number()
    luis = make_texter(app, role=Role.FAMILY, kinds=(), number=number, time_zone="America/New_York")
    issued = _sign_for_mobile(app, owner, number, NOON)
    with app.app_context():
        services.accept_invitation(issued.token, db.session.get(User, luis.id), NOON)
        assert db.session.scalar(select(OutboxMessage.status)) == OutboxStatus.CANCELLED
        # As if a sender had claimed the row just before the accept cancelled it.
        db.session.execute(OutboxMessage.__table__.update().values(status=OutboxStatus.QUEUED,
                                                                   error_code=None))
        db.session.commit()
    report = _send(app, sender, NOON + timedelta(minutes=1))
    assert report.sent == 0 and report.cancelled == 1 and sender.sent == []
    assert _outbox(app)[0].error_code == "invitation_ended"


def test_the_link_page_says_a_text_is_on_its_way(app, client, sender):
    number = new_number()
    make_texter(app, role=Role.FAMILY, kinds=(), number=number)
    login(client, make_participant(app))
    page = _sign_through_the_pages(client, recipient_email="", recipient_mobile=number)
    assert "We will text the link to" in page and LINK_RE.search(page)
    assert len(_outbox(app)) == 1


def test_nobody_else_gets_the_text(app, sender):
    """The participant's own confirmed number is never the one texted."""
    number = new_number()
    owner = make_texter(app, role=Role.PARTICIPANT, kinds=(), number=number)
    make_family(app)
    assert _sign_for_mobile(app, owner, number, NOON).texted_to is None
    assert _outbox(app) == []
