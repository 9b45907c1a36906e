"""Confirming a mobile number, consent and settings per kind of text, and inbound texts."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from wham import audit
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.links import public_url
from wham.sms.crisis import crisis_language
from wham.sms.models import SmsContact, SmsKind
from wham.sms.outbox import queue_message
from wham.sms.texts import render_sms

_DAY = timedelta(days=1)


class SmsError(Exception):
    """A request the rules refuse; str(error) is a short reason code for the route."""


# --- the person's contact row -------------------------------------------------------------


def contact_for(user: User) -> SmsContact | None:
    return db.session.scalar(select(SmsContact).where(SmsContact.user_id == user.id))


def get_or_create_contact(user: User, now: datetime) -> SmsContact:
    contact = contact_for(user)
    if contact is None:
        contact = SmsContact(user_id=user.id, language=user.language, updated_at=now)
        db.session.add(contact)
        db.session.flush()
    return contact


@dataclass(frozen=True)
class NumberState:
    """What the settings page shows about the number on the profile."""

    number: str | None
    verified: bool
    opted_out: bool
    invalid: bool
    code_pending: bool


def number_state(user: User, contact: SmsContact | None, now: datetime) -> NumberState:
    number = user.mobile_e164
    same = contact is not None and contact.e164 == number
    return NumberState(
        number=number,
        verified=bool(contact and contact.is_verified_for(user)),
        opted_out=bool(contact and contact.opted_out_at),
        invalid=bool(same and contact.invalid_at),
        code_pending=bool(same and contact.code_hash and contact.code_expires_at
                          and now < contact.code_expires_at
                          and contact.code_attempts < current_app.config["SMS_CODE_MAX_ATTEMPTS"]),
    )


# --- confirmation codes -------------------------------------------------------------------


def _code_hash(user_id: int, e164: str, code: str) -> str:
    # Keyed, so six digits cannot be recovered from a copied database by trying them all.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{user_id}:{e164}:{code}".encode(), hashlib.sha256).hexdigest()


def send_confirmation_code(user: User, now: datetime) -> SmsContact:
    """Queue a fresh 6-digit code to the profile number. Refused while an earlier code was sent
    less than a minute ago, after too many codes in a day, or when there is no number."""
    config = current_app.config
    number = user.mobile_e164
    if not number:
        raise SmsError("no_number")
    contact = get_or_create_contact(user, now)
    if contact.opted_out_at is not None:
        raise SmsError("opted_out")
    if contact.e164 == number and contact.invalid_at is not None:
        raise SmsError("invalid_number")
    if contact.code_sent_at and now - contact.code_sent_at < config["SMS_CODE_RESEND_AFTER"]:
        raise SmsError("too_soon")
    if contact.codes_window_start is None or now - contact.codes_window_start >= _DAY:
        contact.codes_window_start, contact.codes_in_window = now, 0
    if contact.codes_in_window >= config["SMS_CODES_PER_DAY"]:
        raise SmsError("too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    if contact.e164 != number:
        contact.e164, contact.verified_at, contact.invalid_at = number, None, None
    contact.code_hash = _code_hash(user.id, number, code)
    contact.code_expires_at = now + config["SMS_CODE_LIFETIME"]
    contact.code_attempts = 0
    contact.code_sent_at = now
    contact.codes_in_window += 1
    contact.updated_at = now
    body = render_sms("verify_code", contact.language, code=code)
    queue_message(user, SmsKind.VERIFY_CODE, body, f"verify_code:{user.id}:{now.isoformat()}",
                  to_e164=number, not_before=now, expires_at=contact.code_expires_at, now=now,
                  commit=False)
    audit.record("sms.code_sent", actor=user, subject=user, obj=contact, now=now)
    db.session.commit()
    return contact


def confirm_number(user: User, code: str, now: datetime) -> SmsContact:
    """Check a typed code. Wrong codes count; after the fifth, a new code is needed."""
    config = current_app.config
    contact = contact_for(user)
    number = user.mobile_e164
    if contact is None or not number or contact.e164 != number or not contact.code_hash:
        raise SmsError("no_code")
    if contact.code_expires_at is None or now >= contact.code_expires_at:
        raise SmsError("expired")
    if contact.code_attempts >= config["SMS_CODE_MAX_ATTEMPTS"]:
        raise SmsError("too_many_tries")
    if not hmac.compare_digest(contact.code_hash, _code_hash(user.id, number, code.strip())):
        contact.code_attempts += 1
        contact.updated_at = now
        audit.record("sms.code_refused", actor=user, subject=user, obj=contact, now=now,
                     attempts=contact.code_attempts)
        db.session.commit()
        if contact.code_attempts >= config["SMS_CODE_MAX_ATTEMPTS"]:
            raise SmsError("too_many_tries")
        raise SmsError("wrong_code")
    contact.verified_at = now
    contact.code_hash = contact.code_expires_at = None
    contact.code_attempts = 0
    contact.updated_at = now
    audit.record("sms.number_confirmed", actor=user, subject=user, obj=contact, now=now)
    db.session.commit()
    return contact


# --- consent and settings -----------------------------------------------------------------


@dataclass(frozen=True)
class SmsSettings:
    checkin_reminder: bool
    group_reminder: bool
    flag_alert: bool
    checkin_weekday: int
    checkin_time: time
    quiet_start: time
    quiet_end: time
    language: str


def save_settings(user: User, settings: SmsSettings, now: datetime) -> SmsContact:
    contact = get_or_create_contact(user, now)
    before = {kind.value: getattr(contact, kind.value) for kind in
              (SmsKind.CHECKIN_REMINDER, SmsKind.GROUP_REMINDER, SmsKind.FLAG_ALERT)}
    for name, value in vars(settings).items():
        setattr(contact, name, value)
    contact.updated_at = now
    after = {name: getattr(contact, name) for name in before}
    # Consent given or withdrawn is worth an audit line; the times and days are not.
    audit.record("sms.settings_saved", actor=user, subject=user, obj=contact, now=now,
                 turned_on=sorted(k for k in after if after[k] and not before[k]),
                 turned_off=sorted(k for k in after if before[k] and not after[k]))
    db.session.commit()
    return contact


def set_opted_out(user: User, opted_out: bool, now: datetime, source: str = "web") -> SmsContact:
    contact = get_or_create_contact(user, now)
    if opted_out and contact.opted_out_at is None:
        contact.opted_out_at = now
        audit.record("sms.opted_out", actor=user, subject=user, obj=contact, now=now, source=source)
    elif not opted_out and contact.opted_out_at is not None:
        contact.opted_out_at = None
        audit.record("sms.opted_in", actor=user, subject=user, obj=contact, now=now, source=source)
    contact.updated_at = now
    db.session.commit()
    return contact


# --- inbound texts ------------------------------------------------------------------------

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

# A reply handler gets the contact, the text as sent and `now`, and returns the answer when
# the text is meant for it (e.g. "5" to a check-in reminder), else None. The check-in nudges
# register theirs; a text no handler takes gets the short help text.
ReplyHandler = Callable[[SmsContact, str, datetime], str | None]
_reply_handlers: list[ReplyHandler] = []


def register_reply_handler(handler: ReplyHandler) -> None:
    if handler not in _reply_handlers:
        _reply_handlers.append(handler)


def _flag_crisis_text(contacts: list[SmsContact], now: datetime) -> None:
    """Flag it for each participant whose confirmed number sent it (on a shared phone we
    cannot tell who wrote, so each is followed up). An unconfirmed number may not be theirs."""
    from wham.checkins.services import raise_crisis_text_flag

    for contact in contacts:
        if contact.user.role == Role.PARTICIPANT and contact.is_verified_for(contact.user):
            raise_crisis_text_flag(contact.user, now)


def keyword(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().upper()


def crisis_reply(language: str | None) -> str:
    """Crisis resources: 911 in danger, the first crisis line (988), the app's crisis page."""
    return render_sms("crisis_reply", language, line=current_app.config["CRISIS_LINES"][0][1],
                      link=public_url("checkins.crisis"))


def handle_inbound(from_e164: str, text: str, now: datetime) -> str:
    """Act on an inbound text and return the reply. An unknown number gets a reply but nothing
    about it is kept except an audit line without the number or the text. Words suggesting a
    crisis get the crisis resources from any number, and raise a flag for a participant
    whose confirmed number it is."""
    word = keyword(text)
    crisis_in = crisis_language(text)
    kind = ("stop" if word in STOP_WORDS else "start" if word in START_WORDS
            else "help" if word in HELP_WORDS else "crisis" if crisis_in else "other")
    # Two people may share a phone: a STOP from it stops texts to both.
    contacts = db.session.scalars(select(SmsContact).where(SmsContact.e164 == from_e164)
                                  .order_by(SmsContact.id)).all()
    link = public_url("sms.settings")
    if not contacts:
        audit.record("sms.inbound_unknown", now=now, keyword=kind)
        db.session.commit()
        if kind == "crisis":
            return crisis_reply(crisis_in)
        return render_sms("stopped" if kind == "stop" else "help", None, link=link)
    language = contacts[0].language
    if kind in ("stop", "start"):
        for contact in contacts:
            set_opted_out(contact.user, kind == "stop", now, source="sms")
        return render_sms("stopped" if kind == "stop" else "started", language)
    for contact in contacts:
        audit.record("sms.inbound", subject=contact.user, obj=contact, now=now, keyword=kind)
    if kind == "crisis":
        _flag_crisis_text(contacts, now)
    db.session.commit()
    if kind == "crisis":
        return crisis_reply(language)
    if kind == "help":
        return render_sms("help", language, link=link)
    for handler in _reply_handlers:
        answer = handler(contacts[0], text, now)
        if answer is not None:
            return answer
    return render_sms("unknown_reply", language, link=link)
