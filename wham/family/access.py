"""Who may open which consent or shared page: loaders that answer 404 for anyone else."""
from __future__ import annotations

from datetime import datetime

from flask import abort, make_response, render_template

from wham.accounts.models import User
from wham.extensions import db
from wham.family import services
from wham.family.models import Consent, Scope


def load_own_consent(user: User, consent_id: int) -> Consent:
    """A consent the signed-in participant gave; anyone else's (or none) is 404."""
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.participant_id != user.id:
        abort(404)
    return consent


def load_shared_consent(family_user: User, person_id: int, scope: Scope | None,
                        now: datetime) -> Consent:
    """The active consent letting this family member see `scope` of person_id now. Without
    one: 404. When they had one that has ended, the 404 page says so plainly."""
    consent = services.consent_for_view(family_user, person_id, scope, now)
    if consent is not None:
        return consent
    ended = services.ended_consent(family_user, person_id)
    if ended is not None and services.consent_for_view(family_user, person_id, None, now) is None:
        abort(make_response(render_template("family/ended.html", consent=ended, now=now), 404))
    abort(404)
