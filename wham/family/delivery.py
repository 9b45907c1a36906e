"""Sending an invitation link beyond the page that shows it: by email when the app has an SMTP
server, and by text when the number the participant wrote is one its owner confirmed in the
app. Neither message says anything about health: who invites, and the link."""
from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMessage
from sqlalchemy import select

from wham.accounts.models import Role, User
from wham.extensions import db
from wham.family.models import Consent, ConsentStatus
from wham.family.statement import signer_language
from wham.sms.models import OutboxMessage, SmsContact, SmsKind
from wham.sms.outbox import cancel_queued_messages, queue_message
from wham.sms.texts import render_sms
from wham.timeutil import next_quiet_start, quiet_hours_end

TEXT_KEY_PREFIX = "family_invitation"
# A text not sent by then is dropped: the participant has the link on their page anyway.
TEXT_USEFUL_FOR = timedelta(hours=12)


# --- email -----------------------------------------------------------------------------------


def email_configured() -> bool:
    config = current_app.config
    return bool(config.get("MAIL_SERVER") and config.get("MAIL_DEFAULT_SENDER"))


def email_invitation(consent: Consent, link: str, days: int) -> bool | None:
    """Email the link to the address the participant wrote, in the current language. None when
    there is nothing to do (no address, or no SMTP server configured), else whether the
    server took the message. It is written in the participant's language. A failure is
    logged without the address and is not fatal: the participant still has the link."""
    if not (consent.recipient_email and email_configured()):
        return None
    with force_locale(signer_language(consent)):
        message = _invitation_email(consent, link, days)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.warning("invitation email for consent %s not sent: %s", consent.id,
                                   type(error).__name__)
        return False
    return True


def _invitation_email(consent: Consent, link: str, days: int) -> EmailMessage:
    who = consent.participant.display_name
    program = current_app.config["PROGRAM_NAME"]
    body = "\n\n".join([
        _("Hello %(name)s,", name=consent.recipient_name),
        _("%(who)s invited you to see what they choose to share with you in %(program)s.",
          who=who, program=program),
        _("Open this link to read their permission and accept it:") + "\n" + link,
        _("The link works once, for %(days)s days.", days=days),
        _("If you did not expect this email, you can ignore it."),
    ])
    return EmailMessage(subject=_("%(who)s invited you to %(program)s", who=who, program=program),
                        body=body, to=[consent.recipient_email])


# --- text message ------------------------------------------------------------------------------


def text_key(consent: Consent) -> str:
    """One text per link: a new link is a new text, and the same link is never texted twice."""
    return f"{TEXT_KEY_PREFIX}:{consent.id}:{consent.token_hash[:16]}"


def confirmed_texter(consent: Consent) -> tuple[User, SmsContact] | None:
    """The account whose confirmed number is the one the participant wrote, and which may get
    a text now (not stopped, not an invalid number, sign-in on). A number someone else typed
    is never texted unless its owner confirmed it: that is what "verified" means here. A
    family account comes first when two share the number."""
    number = consent.recipient_mobile
    if not number:
        return None
    rows = db.session.execute(
        select(User, SmsContact).join(SmsContact, SmsContact.user_id == User.id)
        .where(SmsContact.e164 == number, User.mobile_e164 == number,
               User.id != consent.participant_id)
        .order_by(User.id)).all()
    allowed = [(user, contact) for user, contact in rows
               if contact.may_receive(user, SmsKind.FAMILY_INVITATION, number) is None]
    allowed.sort(key=lambda row: row[0].role != Role.FAMILY)
    return allowed[0] if allowed else None


def queue_invitation_text(consent: Consent, link: str, now: datetime) -> str | None:
    """Queue the link as a text in the caller's transaction, when the number is confirmed.
    It goes out after the caller commits, outside the recipient's quiet hours, and expires
    before the next ones so a retry never arrives at night. Returns the number, or None."""
    found = confirmed_texter(consent)
    if found is None or consent.token_hash is None or consent.token_expires_at is None:
        return None
    user, contact = found
    hours = (user.time_zone, contact.quiet_start, contact.quiet_end)
    send_at = quiet_hours_end(now, *hours)
    expires_at = min(consent.token_expires_at, send_at + TEXT_USEFUL_FOR,
                     next_quiet_start(send_at, *hours) or consent.token_expires_at)
    body = render_sms("family_invitation", contact.language, who=consent.participant.display_name,
                      days=(consent.token_expires_at - now).days, link=link)
    queue_message(user, SmsKind.FAMILY_INVITATION, body, text_key(consent), to_e164=contact.e164,
                  not_before=send_at, expires_at=expires_at, now=now, commit=False)
    return contact.e164


def cancel_invitation_text(consent: Consent, now: datetime) -> None:
    """Before the link changes or ends: a text with the old link still waiting is not sent."""
    if consent.token_hash is not None:
        cancel_queued_messages([text_key(consent)], "invitation_ended", now)


def invitation_text_refusal(message: OutboxMessage, now: datetime) -> str | None:
    """The outbox's last check before sending: an invitation text goes only while its link
    still works (not accepted, renewed, revoked or expired meanwhile)."""
    if message.kind != SmsKind.FAMILY_INVITATION:
        return None
    _prefix, consent_id, hash_start = message.idempotency_key.split(":")
    consent = db.session.get(Consent, int(consent_id))
    if (consent is None or consent.status(now) != ConsentStatus.INVITED
            or not (consent.token_hash or "").startswith(hash_start)
            or consent.token_expires_at is None or now >= consent.token_expires_at):
        return "invitation_ended"
    return None
