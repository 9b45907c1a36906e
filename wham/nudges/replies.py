"""Replies to nudges: a number 0-7 texted back after a check-in reminder records that week's
days done (registered with wham.sms.services as a reply handler)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from wham.accounts.models import User
from wham.extensions import db
from wham.links import public_url
from wham.nudges import rules
from wham.nudges.services import record_texted_days_done
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind
from wham.sms.texts import render_sms

# "5", " 5 ", "5 days", "5 días": the number and nothing else that could mean something else.
DAYS_REPLY = re.compile(r"^\s*([0-7])\s*(?:days?|d[ií]as?)?\s*[.!]?\s*$", re.IGNORECASE)
# A number counts as an answer to a reminder (or its follow-up) sent this recently.
REPLY_WITHIN = timedelta(days=3)


def answer_days_done(contact: SmsContact, text: str, now: datetime) -> str | None:
    """The answer to "5" after a check-in reminder, or None when the text is not that (the
    SMS package then sends its short help text)."""
    from wham.checkins.services import is_open

    match = DAYS_REPLY.match(text or "")
    if match is None:
        return None
    reminded = last_check_in_nudge(contact.e164, now)
    if reminded is None:
        return None
    user, week = reminded
    if not is_open(user, week, now):
        return render_sms("checkin_reply_closed", contact.language,
                          link=public_url("checkins.check_in"))
    record_texted_days_done(user, week, int(match.group(1)), now)
    return render_sms("checkin_reply_thanks", contact.language,
                      link=public_url("checkins.week", week=week.isoformat()))


def last_check_in_nudge(e164: str, now: datetime):
    """(person, week) of the latest check-in reminder or follow-up that went to this number
    lately, for a person whose confirmed number it still is; None if there is none. On a
    phone two people share, the one reminded last is the one who answers."""
    rows = db.session.execute(
        select(OutboxMessage.idempotency_key, User)
        .join(User, User.id == OutboxMessage.user_id)
        .join(SmsContact, SmsContact.user_id == User.id)
        .where(OutboxMessage.to_e164 == e164, OutboxMessage.kind == SmsKind.CHECKIN_REMINDER,
               OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DELIVERED)),
               OutboxMessage.sent_at >= now - REPLY_WITHIN,
               SmsContact.e164 == e164, User.mobile_e164 == e164,
               SmsContact.verified_at.is_not(None))
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(5)).all()
    for key, user in rows:
        week = rules.week_of_check_in_key(key)
        if week is not None:
            return user, week
    return None
