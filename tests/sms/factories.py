"""Factories for texting: people with a (confirmed) mobile number, queued messages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from tests.factories import make_user
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.sms.models import OutboxMessage, SmsContact, SmsKind
from wham.sms.outbox import queue_message

_numbers = iter(range(100, 10_000))


def new_number() -> str:
    return f"+1202555{next(_numbers):04d}"


def make_texter(app: Flask, *, role: Role = Role.PARTICIPANT, verified: bool = True,
                kinds: tuple[SmsKind, ...] = (SmsKind.CHECKIN_REMINDER,), number: str | None = None,
                language: str = "en", **contact_fields) -> User:
    """A person with a mobile number on the profile and a contact row (confirmed by default).
    Other keywords go to the contact row, or to the user for user columns (time_zone, ...)."""
    number = number or new_number()
    user_fields = {name: contact_fields.pop(name) for name in list(contact_fields)
                   if hasattr(User, name) and not hasattr(SmsContact, name)}
    user = make_user(app, role, mobile_e164=number, language=language, **user_fields)
    with app.app_context():
        contact = SmsContact(user_id=user.id, e164=number, language=language,
                             verified_at=datetime(2026, 1, 1, tzinfo=UTC) if verified else None,
                             updated_at=datetime(2026, 1, 1, tzinfo=UTC), **contact_fields)
        for kind in kinds:
            setattr(contact, kind.value, True)
        db.session.add(contact)
        db.session.commit()
    return user


def make_queued(app: Flask, user: User, now: datetime, *, kind: SmsKind = SmsKind.CHECKIN_REMINDER,
                key: str | None = None, body: str = "WHAM: time for your weekly check-in.",
                window: timedelta = timedelta(hours=2), delay: timedelta = timedelta(0),
                to_e164: str | None = None) -> int:
    with app.app_context():
        person = db.session.get(User, user.id)
        message = queue_message(person, kind, body, key or f"{kind.value}:{user.id}:{now.date()}",
                                to_e164=to_e164 or person.mobile_e164, not_before=now + delay,
                                expires_at=now + delay + window, now=now)
        return message.id if message else None


def outbox_row(app: Flask, message_id: int) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


def contact_of(app: Flask, user: User) -> SmsContact:
    with app.app_context():
        contact = db.session.scalar(select(SmsContact).where(SmsContact.user_id == user.id))
        if contact is not None:
            db.session.expunge(contact)
        return contact
