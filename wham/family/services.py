"""Support plan and family sharing rules: saving plan versions, consents and their links,
who may see what right now, and the participant's record of who has seen their information."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Select, and_, exists, or_, select

from wham import audit
from wham.accounts.models import Role, User
from wham.accounts.services import AccountError, NewAccount, create_account, normalize_email
from wham.audit import AuditEvent
from wham.extensions import db
from wham.family import delivery
from wham.family.models import (
    ALL_SECTIONS,
    Consent,
    ConsentStatus,
    CrisisContact,
    Scope,
    SupportPlanVersion,
)
from wham.family.statement import build_statement, statement_digest
from wham.groups.models import Membership
from wham.links import public_url
from wham.timeutil import local_to_utc, local_today
from wham.tokens import hash_token, looks_like_token, new_token

INVITATION_LIFETIME = timedelta(days=7)
MAX_CONSENT_DAYS = 366  # "at most a year ahead", leap years included
MAX_CRISIS_CONTACTS = 5


class SharingError(Exception):
    """A sharing rule refused the request; str() is a short reason code for the route."""


# --- support plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactEntry:
    name: str
    relationship: str
    phone: str


def latest_plan(owner_id: int) -> SupportPlanVersion | None:
    return db.session.scalar(select(SupportPlanVersion)
                             .where(SupportPlanVersion.owner_id == owner_id)
                             .order_by(SupportPlanVersion.number.desc()).limit(1))


def plan_history(owner_id: int) -> list[SupportPlanVersion]:
    return list(db.session.scalars(select(SupportPlanVersion)
                                   .where(SupportPlanVersion.owner_id == owner_id)
                                   .order_by(SupportPlanVersion.number.desc())))


def save_support_plan(owner: User, sections: dict[str, str], contacts: list[ContactEntry],
                      now: datetime) -> SupportPlanVersion:
    """Keep the plan as a new version; earlier versions stay as they were."""
    unknown = set(sections) - set(ALL_SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}")
    previous = latest_plan(owner.id)
    version = SupportPlanVersion(owner_id=owner.id, number=(previous.number + 1) if previous else 1,
                                 saved_at=now, **{name: sections.get(name, "") for name in ALL_SECTIONS})
    version.contacts = [CrisisContact(position=i, name=c.name, relationship_=c.relationship,
                                      phone=c.phone)
                        for i, c in enumerate(contacts[:MAX_CRISIS_CONTACTS]) if c.name]
    db.session.add(version)
    db.session.flush()
    audit.record("support_plan.saved", actor=owner, subject=owner, obj=version, now=now,
                 version=version.number)
    db.session.commit()
    return version


def crisis_contacts_for(user_id: int) -> list[ContactEntry]:
    """The participant's own crisis contacts from their latest support plan, for the crisis
    resources page. Empty when they have written none."""
    plan = latest_plan(user_id)
    if plan is None:
        return []
    return [ContactEntry(c.name, c.relationship_, c.phone) for c in plan.contacts]


# --- consents and invitations --------------------------------------------------------------


@dataclass
class ConsentTerms:
    recipient_name: str
    recipient_email: str | None
    recipient_mobile: str | None
    scopes: list[Scope]
    purpose: str
    purpose_text: str = ""
    expires_on: date | None = None
    expiry_event: str = ""


def latest_expiry_date(participant: User, now: datetime) -> date:
    return local_today(now, participant.time_zone) + timedelta(days=MAX_CONSENT_DAYS - 1)


def end_of_local_day(day: date, tz_name: str) -> datetime:
    return local_to_utc(day + timedelta(days=1), time(0, 0), tz_name)


def create_consent(participant: User, terms: ConsentTerms, now: datetime) -> Consent:
    """A draft consent: nothing is shared, and no link exists, until the participant signs."""
    if participant.role != Role.PARTICIPANT:
        raise SharingError("not a participant")
    if not terms.scopes:
        raise SharingError("scope")
    if not (terms.recipient_email or terms.recipient_mobile):
        raise SharingError("contact")
    if (terms.expires_on is None) == (not terms.expiry_event.strip()):
        raise SharingError("expiry")
    if terms.expires_on is not None and not (
            local_today(now, participant.time_zone) <= terms.expires_on
            <= latest_expiry_date(participant, now)):
        raise SharingError("expiry")
    consent = Consent(
        participant_id=participant.id, recipient_name=terms.recipient_name.strip(),
        recipient_email=normalize_email(terms.recipient_email) if terms.recipient_email else None,
        recipient_mobile=terms.recipient_mobile,
        share_support_plan=Scope.SUPPORT_PLAN in terms.scopes,
        share_crisis_plan=Scope.CRISIS_PLAN in terms.scopes,
        share_progress=Scope.PROGRESS in terms.scopes,
        purpose=terms.purpose, purpose_text=terms.purpose_text.strip(),
        expires_on=terms.expires_on,
        expires_at=end_of_local_day(terms.expires_on, participant.time_zone) if terms.expires_on else None,
        expiry_event=terms.expiry_event.strip() if terms.expires_on is None else "",
        created_at=now)
    db.session.add(consent)
    db.session.flush()
    audit.record("consent.drafted", actor=participant, subject=participant, obj=consent, now=now,
                 scopes=[s.value for s in consent.scopes])
    db.session.commit()
    return consent


@dataclass(frozen=True)
class IssuedLink:
    """A new invitation link, shown once, and how else it went out."""

    token: str
    link: str
    days: int  # how long it works
    emailed: bool | None  # None: no email (no address, or no SMTP server); False: it failed
    texted_to: str | None  # the confirmed number a text is queued for


def _issue_link(consent: Consent, now: datetime) -> str:
    delivery.cancel_invitation_text(consent, now)
    token, token_hash = new_token()
    consent.token_hash = token_hash
    consent.token_expires_at = now + current_app.config.get("FAMILY_INVITATION_LIFETIME",
                                                            INVITATION_LIFETIME)
    return token


def _send_link(consent: Consent, token: str, audit_action: str, now: datetime) -> IssuedLink:
    """Queue the text (if any) with the change, commit, then email: nothing leaves before
    the link is saved, and a failed email does not undo it."""
    link = public_url("family.invitation", invite_token=token)
    days = (consent.token_expires_at - now).days
    texted_to = delivery.queue_invitation_text(consent, link, now)
    audit.record(audit_action, actor=consent.participant, subject=consent.participant,
                 obj=consent, now=now, scopes=[s.value for s in consent.scopes],
                 texted=texted_to is not None)
    db.session.commit()
    emailed = delivery.email_invitation(consent, link, days)
    return IssuedLink(token, link, days, emailed, texted_to)


def sign_consent(participant: User, consent: Consent, signature_name: str, now: datetime, *,
                 read_digest: str) -> IssuedLink:
    """The participant signs the words they read: `read_digest` is the fingerprint of the
    statement their page showed, and those words are kept with the consent. The invitation
    link (returned, stored only as a hash) starts to work, and goes out by email or text
    where it can."""
    if consent.participant_id != participant.id or consent.status(now) != ConsentStatus.DRAFT:
        raise SharingError("not signable")
    if not signature_name.strip():
        raise SharingError("signature")
    statement = build_statement(consent)
    if read_digest != statement_digest(statement):
        raise SharingError("wording changed")
    consent.signature_name = signature_name.strip()
    consent.signed_at = now
    consent.signed_statement = statement
    return _send_link(consent, _issue_link(consent, now), "consent.given", now)


def renew_link(participant: User, consent: Consent, now: datetime) -> IssuedLink:
    """A new link for a signed invitation not yet accepted; the old link stops working."""
    if consent.participant_id != participant.id or consent.status(now) != ConsentStatus.INVITED:
        raise SharingError("not invited")
    return _send_link(consent, _issue_link(consent, now), "consent.link_renewed", now)


def revoke_consent(participant: User, consent: Consent, now: datetime) -> None:
    """Stop sharing at once: the very next request of the family member is refused."""
    if consent.participant_id != participant.id:
        raise SharingError("not yours")
    if consent.status(now) in (ConsentStatus.REVOKED, ConsentStatus.EXPIRED):
        return
    consent.revoked_at = now
    delivery.cancel_invitation_text(consent, now)
    consent.token_hash = None
    audit.record("consent.revoked", actor=participant, subject=participant, obj=consent, now=now,
                 family_user_id=consent.family_user_id)
    db.session.commit()


def invitation_for_token(token: str, now: datetime) -> Consent | None:
    """The signed, unused, unexpired invitation this link belongs to, or None."""
    if not looks_like_token(token):
        return None
    consent = db.session.scalar(select(Consent).where(Consent.token_hash == hash_token(token)))
    if (consent is None or consent.status(now) != ConsentStatus.INVITED
            or consent.token_expires_at is None or now >= consent.token_expires_at):
        return None
    return consent


def _check_invitee(consent: Consent, user: User) -> None:
    if user.role != Role.FAMILY:
        raise SharingError("role")
    if user.id == consent.participant_id:
        raise SharingError("self")
    if consent.recipient_email and normalize_email(user.email) != consent.recipient_email:
        raise SharingError("other person")
    if not consent.recipient_email and consent.recipient_mobile != user.mobile_e164:
        raise SharingError("other person")


def _accept(consent: Consent, user: User, now: datetime) -> None:
    consent.family_user_id = user.id
    consent.accepted_at = now
    delivery.cancel_invitation_text(consent, now)
    consent.token_hash = None  # single use: the link is gone once it has worked
    audit.record("consent.accepted", actor=user, subject=consent.participant, obj=consent, now=now)


def accept_invitation(token: str, user: User, now: datetime) -> Consent:
    """A signed-in family member accepts. The link must be theirs: the email (or mobile) the
    participant wrote must be the account's."""
    consent = invitation_for_token(token, now)
    if consent is None:
        raise SharingError("link")
    _check_invitee(consent, user)
    _accept(consent, user, now)
    db.session.commit()
    return consent


def register_through_invitation(token: str, account: NewAccount, now: datetime) -> tuple[User, Consent]:
    """Create the invitee's family account and accept, in one transaction."""
    consent = invitation_for_token(token, now)
    if consent is None:
        raise SharingError("link")
    if consent.recipient_email and normalize_email(account.email) != consent.recipient_email:
        raise SharingError("other person")
    try:
        user = create_account(NewAccount(email=account.email, display_name=account.display_name,
                                         password=account.password, role=Role.FAMILY,
                                         time_zone=account.time_zone, language=account.language))
    except AccountError as exc:
        raise SharingError("email taken") from exc
    if not consent.recipient_email:
        user.mobile_e164 = consent.recipient_mobile
    audit.record("account.registered", actor=user, subject=user, now=now, via="family_invitation")
    _accept(consent, user, now)
    db.session.commit()
    return user, consent


def consents_of(participant: User) -> list[Consent]:
    return list(db.session.scalars(select(Consent).where(Consent.participant_id == participant.id)
                                   .order_by(Consent.created_at.desc(), Consent.id.desc())))


# --- what a family member may see now -------------------------------------------------------


def _active(now: datetime) -> list:
    return [Consent.accepted_at.is_not(None), Consent.signed_at.is_not(None),
            Consent.revoked_at.is_(None),
            or_(Consent.expires_at.is_(None), Consent.expires_at > now)]


def shared_with(family_user: User, now: datetime) -> Select[tuple[Consent]]:
    """Active consents given to this family member, by the name of who gave them."""
    return (select(Consent).join(User, User.id == Consent.participant_id)
            .where(Consent.family_user_id == family_user.id, *_active(now))
            .order_by(User.display_name, Consent.id))


def consent_for_view(family_user: User, participant_id: int, scope: Scope | None,
                     now: datetime) -> Consent | None:
    """The active consent letting this family member see `scope` of this participant now
    (any active consent when scope is None). Checked on every request."""
    if family_user.role != Role.FAMILY:
        return None
    query = select(Consent).where(Consent.family_user_id == family_user.id,
                                  Consent.participant_id == participant_id, *_active(now))
    if scope == Scope.CRISIS_PLAN:
        query = query.where(or_(Consent.share_crisis_plan, Consent.share_support_plan))
    elif scope == Scope.SUPPORT_PLAN:
        query = query.where(Consent.share_support_plan)
    elif scope == Scope.PROGRESS:
        query = query.where(Consent.share_progress)
    return db.session.scalar(query.order_by(Consent.id).limit(1))


def ended_consent(family_user: User, participant_id: int) -> Consent | None:
    """A consent this family member once had from this participant, now ended; for saying
    clearly why a page is no longer there."""
    return db.session.scalar(select(Consent).where(
        Consent.family_user_id == family_user.id, Consent.participant_id == participant_id,
        Consent.accepted_at.is_not(None)).order_by(Consent.id.desc()).limit(1))


def record_family_view(family_user: User, consent: Consent, what: str, now: datetime) -> None:
    """Write the audit event of one family view; called after the page rendered, so a page
    that failed leaves no trace and a shown page exactly one."""
    audit.record("family.viewed", actor=family_user, subject=consent.participant, obj=consent,
                 now=now, what=what)
    db.session.commit()


# --- who has seen my information -------------------------------------------------------------


@dataclass(frozen=True)
class ActivityEntry:
    when: datetime
    who: str  # the person who acted; empty when no one did (a consent running out)
    by_self: bool
    action: str
    what: str = ""
    recipient: str = ""  # for consent events: the person the consent names


# Reads of a whole group's members, audited once per group rather than per member: each
# person who was a member at that moment sees them.
GROUP_READS = ("group.members_viewed", "group.summary_viewed", "group.exported")
CONSENT_ACTIONS = ("consent.drafted", "consent.given", "consent.link_renewed", "consent.revoked")


def activity_for(participant: User, now: datetime, limit: int = 200) -> list[ActivityEntry]:
    """Every audited action of someone else on the participant's information (their own
    events, and reads of a group while they were in it), every consent event, and consents
    that ran out on their own, newest first."""
    member_then = exists().where(
        Membership.user_id == participant.id, Membership.group_id == AuditEvent.object_id,
        Membership.joined_at <= AuditEvent.occurred_at,
        or_(Membership.left_at.is_(None), Membership.left_at > AuditEvent.occurred_at))
    rows = db.session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(or_(
            and_(AuditEvent.subject_id == participant.id,
                 or_(AuditEvent.actor_id != participant.id,
                     AuditEvent.action.in_(CONSENT_ACTIONS))),
            and_(AuditEvent.action.in_(GROUP_READS), AuditEvent.object_type == "Group",
                 AuditEvent.actor_id != participant.id, member_then)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)).all()
    consents = {c.id: c for c in consents_of(participant)}

    def recipient(event: AuditEvent) -> str:
        consent = consents.get(event.object_id) if event.object_type == "Consent" else None
        return consent.recipient_name if consent else ""

    entries = [ActivityEntry(event.occurred_at, name or "", event.actor_id == participant.id,
                             event.action, str(event.details.get("what", "")), recipient(event))
               for event, name in rows]
    entries += [ActivityEntry(c.expires_at, "", False, "consent.expired", "", c.recipient_name)
                for c in consents.values()
                if c.revoked_at is None and c.expires_at is not None and c.expires_at <= now]
    return sorted(entries, key=lambda e: e.when, reverse=True)
