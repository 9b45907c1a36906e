"""Factories for support plans and consents, made through the services as the app makes them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask

from wham.accounts.models import User
from wham.extensions import db
from wham.family import services
from wham.family.models import Consent, Scope
from wham.family.statement import build_statement, statement_digest
from wham.timeutil import local_today, utcnow


def make_plan(app: Flask, owner: User, contacts=(("Ana", "Sister", "+1 202-555-0110"),),
              now: datetime | None = None, **sections: str) -> int:
    values = {"crisis_signs": "Stays in bed all day", "wellness_toolbox": "Walks by the river"}
    with app.app_context():
        version = services.save_support_plan(
            db.session.get(User, owner.id), values | sections,
            [services.ContactEntry(*c) for c in contacts], now or utcnow())
        return version.id


def sign_as_read(participant: User, consent: Consent, signature: str = "Full Name",
                 now: datetime | None = None) -> services.IssuedLink:
    """Sign as the consent page does: the words shown are the words signed."""
    return services.sign_consent(participant, consent, signature, now or utcnow(),
                                 read_digest=statement_digest(build_statement(consent)))


@dataclass
class MadeConsent:
    id: int
    token: str | None


def make_consent(app: Flask, participant: User, family_user: User | None = None,
                 scopes=(Scope.CRISIS_PLAN,), *, now: datetime | None = None, sign: bool = True,
                 accept: bool = True, revoke: bool = False, days: int = 90,
                 email: str | None = None) -> MadeConsent:
    """A consent given at `now` (default: now) lasting `days`; signed, accepted by
    `family_user`, and revoked as asked."""
    now = now or utcnow()
    with app.app_context():
        owner = db.session.get(User, participant.id)
        recipient = db.session.get(User, family_user.id) if family_user else None
        terms = services.ConsentTerms(
            recipient_name=recipient.display_name if recipient else "Invitee",
            recipient_email=email or (recipient.email if recipient else "invitee@example.org"),
            recipient_mobile=None, scopes=list(scopes), purpose="crisis",
            expires_on=local_today(now, owner.time_zone) + timedelta(days=days))
        consent = services.create_consent(owner, terms, now)
        token = None
        if sign:
            token = sign_as_read(owner, consent, "Full Name", now).token
            if accept and recipient is not None:
                services.accept_invitation(token, recipient, now + timedelta(minutes=5))
                token = None
        if revoke:
            services.revoke_consent(owner, db.session.get(Consent, consent.id),
                                    now + timedelta(minutes=10))
        return MadeConsent(consent.id, token)
