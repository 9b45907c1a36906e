"""The family demo: Maria's plan, Ana with an active crisis-plan consent and one Maria stopped."""
from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_participant
from wham.accounts.models import User
from wham.extensions import db
from wham.family import services
from wham.family.demo import FAMILY_EMAIL, load_family_demo
from wham.family.models import Consent, ConsentStatus, Scope
from wham.timeutil import utcnow


def test_the_demo_has_an_active_and_a_revoked_consent_with_their_signed_words(app, app_ctx):
    now = utcnow()
    maria = db.session.get(User, make_participant(app, email="maria@example.org",
                                                  display_name="Maria").id)
    load_family_demo({"maria@example.org": maria}, now)
    ana = db.session.scalar(select(User).where(User.email == FAMILY_EMAIL))
    consents = db.session.scalars(select(Consent).order_by(Consent.id)).all()
    assert sorted(c.status(now) for c in consents) == sorted([ConsentStatus.ACTIVE,
                                                              ConsentStatus.REVOKED])
    assert all(c.family_user_id == ana.id and c.signed_statement for c in consents)
    assert services.consent_for_view(ana, maria.id, Scope.CRISIS_PLAN, now) is not None
    assert services.consent_for_view(ana, maria.id, Scope.SUPPORT_PLAN, now) is None
    actions = [e.action for e in services.activity_for(maria, now)]
    assert "family.viewed" in actions and "consent.revoked" in actions
