"""Support plan versions with their crisis contacts, and consents to share with family."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wham.accounts.models import User
from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow

# The text sections of a support plan, in the order people read them. The crisis plan is the
# part a participant can share on its own.
PLAN_SECTIONS = ("wellness_toolbox", "daily_maintenance", "triggers", "early_warning_signs")
CRISIS_SECTIONS = ("crisis_signs", "crisis_supporters", "crisis_helps", "crisis_does_not_help",
                   "crisis_services", "medications")
AFTER_SECTIONS = ("after_crisis",)
ALL_SECTIONS = PLAN_SECTIONS + CRISIS_SECTIONS + AFTER_SECTIONS
SECTION_MAX_LENGTH = 4000


class SupportPlanVersion(db.Model):
    """One saved state of a participant's support plan. Saving adds a version; none is changed."""

    __tablename__ = "support_plan_versions"
    __table_args__ = (UniqueConstraint("owner_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wellness_toolbox: Mapped[str] = mapped_column(Text, default="")
    daily_maintenance: Mapped[str] = mapped_column(Text, default="")
    triggers: Mapped[str] = mapped_column(Text, default="")
    early_warning_signs: Mapped[str] = mapped_column(Text, default="")
    crisis_signs: Mapped[str] = mapped_column(Text, default="")
    crisis_supporters: Mapped[str] = mapped_column(Text, default="")
    crisis_helps: Mapped[str] = mapped_column(Text, default="")
    crisis_does_not_help: Mapped[str] = mapped_column(Text, default="")
    crisis_services: Mapped[str] = mapped_column(Text, default="")
    medications: Mapped[str] = mapped_column(Text, default="")
    after_crisis: Mapped[str] = mapped_column(Text, default="")

    owner: Mapped[User] = relationship()
    contacts: Mapped[list[CrisisContact]] = relationship(
        order_by="CrisisContact.position", cascade="all, delete-orphan")


class CrisisContact(db.Model):
    """Someone to call in a crisis, as the participant wrote them in one plan version."""

    __tablename__ = "crisis_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("support_plan_versions.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    relationship_: Mapped[str] = mapped_column("relationship", String(80), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")


class Scope(enum.StrEnum):
    """What a consent lets the family member see."""

    SUPPORT_PLAN = "support_plan"  # the whole support plan, crisis plan included
    CRISIS_PLAN = "crisis_plan"
    PROGRESS = "progress"  # current goal and this week's plan


class ConsentStatus(enum.StrEnum):
    DRAFT = "draft"  # written, not signed: no link exists yet
    INVITED = "invited"  # signed, link not yet used
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Consent(db.Model):
    """A participant's written permission for one person to see chosen parts of their
    information, with the elements of a 42 CFR Part 2 style consent. It doubles as the
    invitation: the link's token hash lives here until it is used."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # To whom: as the participant wrote it, then the account that accepted.
    recipient_name: Mapped[str] = mapped_column(String(80))
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    recipient_mobile: Mapped[str | None] = mapped_column(String(16))
    family_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    share_support_plan: Mapped[bool] = mapped_column(default=False)
    share_crisis_plan: Mapped[bool] = mapped_column(default=False)
    share_progress: Mapped[bool] = mapped_column(default=False)
    purpose: Mapped[str] = mapped_column(String(40))
    purpose_text: Mapped[str] = mapped_column(String(300), default="")
    # Expiry: a local date (access ends when that day ends) or an event the participant wrote.
    expires_on: Mapped[date | None] = mapped_column(Date)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    expiry_event: Mapped[str] = mapped_column(String(200), default="")
    signature_name: Mapped[str | None] = mapped_column(String(120))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The words of the permission exactly as the participant read and signed them (see
    # wham/family/statement.py), so what was signed can be shown whatever the app says later.
    signed_statement: Mapped[dict | None] = mapped_column(JSON)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[User] = relationship(foreign_keys=[participant_id])
    family_user: Mapped[User | None] = relationship(foreign_keys=[family_user_id])

    @property
    def scopes(self) -> list[Scope]:
        return [scope for scope, on in ((Scope.SUPPORT_PLAN, self.share_support_plan),
                                        (Scope.CRISIS_PLAN, self.share_crisis_plan),
                                        (Scope.PROGRESS, self.share_progress)) if on]

    def covers(self, scope: Scope) -> bool:
        if scope == Scope.CRISIS_PLAN:
            return self.share_crisis_plan or self.share_support_plan
        return scope in self.scopes

    def status(self, now: datetime) -> ConsentStatus:
        if self.revoked_at is not None:
            return ConsentStatus.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return ConsentStatus.EXPIRED
        if self.signed_at is None:
            return ConsentStatus.DRAFT
        if self.accepted_at is None:
            return ConsentStatus.INVITED
        return ConsentStatus.ACTIVE

    def ended_at(self) -> datetime | None:
        """When access ended or will end by itself (revoke wins when it came first)."""
        if self.revoked_at is not None:
            return self.revoked_at
        return self.expires_at
