"""People and their credentials: users with roles, one-time tokens, login back-off."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    PEER_SPECIALIST = "peer_specialist"
    FAMILY = "family"
    ADMIN = "admin"

    @property
    def label(self):
        """The role in words, in the reader's language."""
        return ROLE_LABELS[self]


ROLE_LABELS = {Role.PARTICIPANT: _l("Participant"), Role.PEER_SPECIALIST: _l("Peer specialist"),
               Role.FAMILY: _l("Family member"), Role.ADMIN: _l("Admin")}


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_class, name=name, native_enum=False, length=20,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # None until the person sets a password through a one-time link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    time_zone: Mapped[str] = mapped_column(String(64))
    mobile_e164: Mapped[str | None] = mapped_column(String(16))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie; changing it signs the person out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    # The peer specialist who gives this participant 1:1 support.
    peer_specialist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    peer_specialist: Mapped[User | None] = relationship(remote_side=[id])

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class TokenPurpose(enum.StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret
    REGISTRATION_INVITE = "registration_invite"


class AccountToken(db.Model):
    """A single-use, expiring secret; only its SHA-256 hash is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # For a reset: whose password it resets. For an invite: unset until used.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class LoginThrottle(db.Model):
    """Failed logins per email address (hashed), whether or not an account exists,
    so the back-off cannot be used to find out who has an account."""

    __tablename__ = "login_throttles"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
