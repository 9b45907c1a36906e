"""A person's confirmed mobile number and SMS settings, and the outbox of messages to send."""
from __future__ import annotations

import enum
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wham.accounts.models import User, _enum
from wham.database import UTCDateTime
from wham.extensions import db
from wham.i18n import translate
from wham.timeutil import utcnow


class SmsKind(enum.StrEnum):
    """What a message is for. The nudge kinds are opted in to one by one."""

    VERIFY_CODE = "verify_code"
    CHECKIN_REMINDER = "checkin_reminder"
    GROUP_REMINDER = "group_reminder"
    GROUP_MESSAGE = "group_message"  # a facilitator's message from the reviewed templates
    FLAG_ALERT = "flag_alert"
    FAMILY_INVITATION = "family_invitation"  # a participant's invitation link (wham/family)

    @property
    def label(self):
        """What the message is for, in words, for the delivery statistics."""
        return KIND_LABELS[self]


KIND_LABELS = {SmsKind.VERIFY_CODE: _l("Number confirmation code"),
               SmsKind.CHECKIN_REMINDER: _l("Check-in reminder"),
               SmsKind.GROUP_REMINDER: _l("Group reminder"),
               SmsKind.GROUP_MESSAGE: _l("Message to a group"),
               SmsKind.FLAG_ALERT: _l("Alert to a peer specialist"),
               SmsKind.FAMILY_INVITATION: _l("Family invitation")}


# Kinds a person must have turned on in their settings before anything of that kind is sent,
# with the setting that turns each on (texts about one's group share one setting).
CONSENT_FOR = {SmsKind.CHECKIN_REMINDER: "checkin_reminder",
               SmsKind.GROUP_REMINDER: "group_reminder",
               SmsKind.GROUP_MESSAGE: "group_reminder",
               SmsKind.FLAG_ALERT: "flag_alert"}
OPT_IN_KINDS = tuple(CONSENT_FOR)


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {OutboxStatus.QUEUED: _l("Waiting"), OutboxStatus.SENDING: _l("Sending"),
                 OutboxStatus.SENT: _l("Sent"), OutboxStatus.DELIVERED: _l("Delivered"),
                 OutboxStatus.UNDELIVERED: _l("Not delivered"), OutboxStatus.FAILED: _l("Failed"),
                 OutboxStatus.EXPIRED: _l("Too late, not sent"),
                 OutboxStatus.CANCELLED: _l("Cancelled, not sent")}


def kind_labels() -> dict[SmsKind, str]:
    """Every kind in the reader's language, looked up once for a page that shows them often
    (one lazy label costs a Flask-Babel look-up each time it is shown)."""
    return {kind: translate(label) for kind, label in KIND_LABELS.items()}


def status_labels() -> dict[OutboxStatus, str]:
    """Every status in the reader's language, looked up once (as kind_labels)."""
    return {status: translate(label) for status, label in STATUS_LABELS.items()}


# Statuses after which the message never leaves again.
FINAL_STATUSES = (OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED,
                  OutboxStatus.EXPIRED, OutboxStatus.CANCELLED)


class SmsContact(db.Model):
    """One person's texting state. The number counts as confirmed only while it is still the
    number on their profile: changing the profile number needs a new confirmation."""

    __tablename__ = "sms_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # The number that was (or is being) confirmed, E.164.
    e164: Mapped[str | None] = mapped_column(String(16), index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed for the admin's counts of numbers that stopped texts or cannot get them.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    invalid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")

    # The confirmation code in flight: only an HMAC of it is kept.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(default=0)
    code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Codes sent in the current 24-hour window, against misuse of "send me a code".
    codes_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    codes_in_window: Mapped[int] = mapped_column(default=0)

    # Consent per kind of message, and when.
    checkin_reminder: Mapped[bool] = mapped_column(default=False)
    group_reminder: Mapped[bool] = mapped_column(default=False)
    flag_alert: Mapped[bool] = mapped_column(default=False)
    checkin_weekday: Mapped[int] = mapped_column(default=0)  # 0 Monday ... 6 Sunday
    checkin_time: Mapped[time] = mapped_column(Time, default=time(18, 0))
    quiet_start: Mapped[time] = mapped_column(Time, default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(Time, default=time(8, 0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def is_verified_for(self, user: User) -> bool:
        return (self.verified_at is not None and self.e164 is not None
                and self.e164 == user.mobile_e164)

    def may_receive(self, user: User, kind: SmsKind, to_e164: str) -> str | None:
        """Why a message of `kind` to `to_e164` must not go out now, or None when it may."""
        if self.opted_out_at is not None:
            return "opted_out"
        if self.invalid_at is not None and self.e164 == to_e164:
            return "invalid_number"
        if not user.is_enabled:
            return "account_disabled"
        if kind == SmsKind.VERIFY_CODE:
            # A code goes to the number being confirmed, and only while it is on the profile.
            return None if to_e164 == self.e164 == user.mobile_e164 else "number_changed"
        if not self.is_verified_for(user) or to_e164 != self.e164:
            return "unverified"
        if kind in CONSENT_FOR and not getattr(self, CONSENT_FOR[kind]):
            return "not_opted_in"
        return None

    def __repr__(self) -> str:
        return f"<SmsContact {self.id} user={self.user_id}>"


class OutboxMessage(db.Model):
    """One text to send. The idempotency key (person, kind, local date or session) makes
    planning the same message twice harmless."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        # The sender's query: due queued rows, oldest first.
        Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # The admin's weekly counts by kind and status read this index alone (an index-only
        # scan), not the rows with their bodies; it also serves any look-up by creation time.
        Index("ix_sms_outbox_created_kind_status", "created_at", "kind", "status"),
        # The admin's recent failures: the newest few of each failed status.
        Index("ix_sms_outbox_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    to_e164: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[SmsKind] = mapped_column(_enum(SmsKind, "sms_kind"), index=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"),
                                                 default=OutboxStatus.QUEUED)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
