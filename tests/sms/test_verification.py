"""Confirming a mobile number with a 6-digit code: hashed, expiring, attempt-limited."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_participant
from tests.sms.factories import contact_of
from wham.accounts.models import User
from wham.extensions import db
from wham.sms import outbox, services
from wham.sms.models import OutboxMessage, OutboxStatus, SmsKind

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NUMBER = "+12025550188"


def _send_code(app, user, now=NOW) -> str:
    """Ask for a code and return it as the phone would show it."""
    with app.app_context():
        services.send_confirmation_code(db.session.get(User, user.id), now)
        message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        return re.search(r"\b(\d{6})\b", message.body).group(1)


def _confirm(app, user, code, now=NOW):
    with app.app_context():
        return services.confirm_number(db.session.get(User, user.id), code, now)


def test_code_is_queued_to_the_profile_number_and_kept_only_hashed(app):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    contact = contact_of(app, user)
    assert contact.e164 == NUMBER and contact.verified_at is None
    assert code not in contact.code_hash and len(contact.code_hash) == 64
    assert contact.code_expires_at == NOW + timedelta(minutes=10)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert (message.kind, message.to_e164) == (SmsKind.VERIFY_CODE, NUMBER)
        assert message.expires_at == NOW + timedelta(minutes=10)
        assert message.body.startswith("WHAM: your code is")


def test_the_code_leaves_the_outbox_once_sent(app, sender):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    with app.app_context():
        outbox.send_due_messages(NOW, sender)
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.SENT and code not in message.body
    assert code in sender.sent[0][2]  # the unconfirmed number may get its code


def test_right_code_confirms_the_number(app):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    _confirm(app, user, code, NOW + timedelta(minutes=9))
    contact = contact_of(app, user)
    assert contact.verified_at == NOW + timedelta(minutes=9) and contact.code_hash is None
    with pytest.raises(services.SmsError, match="no_code"):
        _confirm(app, user, code)  # a code works once


def test_wrong_codes_count_and_the_fifth_ends_the_code(app):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in range(1, 5):
        with pytest.raises(services.SmsError, match="wrong_code"):
            _confirm(app, user, wrong)
        assert contact_of(app, user).code_attempts == attempt
    with pytest.raises(services.SmsError, match="too_many_tries"):
        _confirm(app, user, wrong)
    with pytest.raises(services.SmsError, match="too_many_tries"):
        _confirm(app, user, code)  # even the right code: a new one is needed
    assert contact_of(app, user).verified_at is None
    new_code = _send_code(app, user, NOW + timedelta(minutes=2))
    _confirm(app, user, new_code, NOW + timedelta(minutes=3))
    assert contact_of(app, user).verified_at is not None


def test_expired_code_is_refused(app):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    with pytest.raises(services.SmsError, match="expired"):
        _confirm(app, user, code, NOW + timedelta(minutes=10))
    assert contact_of(app, user).verified_at is None


def test_codes_are_rate_limited(app):
    user = make_participant(app, mobile_e164=NUMBER)
    _send_code(app, user)
    with pytest.raises(services.SmsError, match="too_soon"):
        _send_code(app, user, NOW + timedelta(seconds=59))
    for n in range(1, 5):
        _send_code(app, user, NOW + timedelta(minutes=n))
    with pytest.raises(services.SmsError, match="too_many"):
        _send_code(app, user, NOW + timedelta(minutes=6))
    _send_code(app, user, NOW + timedelta(days=1))  # a new day, a new allowance


def test_no_number_no_code(app):
    user = make_participant(app)
    with pytest.raises(services.SmsError, match="no_number"):
        _send_code(app, user)


def test_changing_the_profile_number_needs_a_new_confirmation(app):
    user = make_participant(app, mobile_e164=NUMBER)
    _confirm(app, user, _send_code(app, user))
    with app.app_context():
        person = db.session.get(User, user.id)
        assert services.contact_for(person).is_verified_for(person)
        person.mobile_e164 = "+12025550199"
        db.session.commit()
        assert not services.contact_for(person).is_verified_for(person)
        state = services.number_state(person, services.contact_for(person), NOW)
        assert (state.number, state.verified) == ("+12025550199", False)
    code = _send_code(app, user, NOW + timedelta(minutes=5))
    assert contact_of(app, user).e164 == "+12025550199"
    with pytest.raises(services.SmsError):
        _confirm(app, user, "000000" if code != "000000" else "000001", NOW + timedelta(minutes=6))
    _confirm(app, user, code, NOW + timedelta(minutes=6))
    with app.app_context():
        person = db.session.get(User, user.id)
        assert services.contact_for(person).is_verified_for(person)


def test_a_code_for_the_old_number_does_not_confirm_the_new_one(app):
    user = make_participant(app, mobile_e164=NUMBER)
    code = _send_code(app, user)
    with app.app_context():
        db.session.get(User, user.id).mobile_e164 = "+12025550199"
        db.session.commit()
    with pytest.raises(services.SmsError, match="no_code"):
        _confirm(app, user, code)
