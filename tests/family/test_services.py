"""Support plan and sharing rules, called directly with a chosen `now`."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_family, make_participant, make_peer_specialist
from tests.family.factories import make_consent, sign_as_read
from wham import audit
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.extensions import db
from wham.family import services
from wham.family.models import Consent, ConsentStatus, Scope

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _get(model, id_):
    return db.session.get(model, id_)


def _terms(**changes) -> services.ConsentTerms:
    values = dict(recipient_name="Ana", recipient_email="Ana@Example.org", recipient_mobile=None,
                  scopes=[Scope.CRISIS_PLAN], purpose="crisis", expires_on=date(2026, 9, 1))
    return services.ConsentTerms(**(values | changes))


def test_each_save_keeps_a_version_and_contacts_follow_the_latest(app, app_ctx):
    owner = make_participant(app)
    user = _get(User, owner.id)
    services.save_support_plan(user, {"triggers": "Noise"},
                               [services.ContactEntry("Ana", "Sister", "555")], NOW)
    services.save_support_plan(user, {"triggers": "Noise and crowds"},
                               [services.ContactEntry("Luis", "Friend", "556"),
                                services.ContactEntry("", "", "")], NOW + timedelta(days=1))
    history = services.plan_history(owner.id)
    assert [v.number for v in history] == [2, 1]
    assert history[1].triggers == "Noise"  # the earlier version is unchanged
    assert services.latest_plan(owner.id).triggers == "Noise and crowds"
    assert services.crisis_contacts_for(owner.id) == [services.ContactEntry("Luis", "Friend", "556")]
    saved = db.session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "support_plan.saved"))
    assert saved == 2


def test_no_plan_means_no_crisis_contacts(app, app_ctx):
    assert services.crisis_contacts_for(make_participant(app).id) == []


def test_unknown_plan_section_is_refused(app, app_ctx):
    with pytest.raises(ValueError):
        services.save_support_plan(_get(User, make_participant(app).id), {"notes": "x"}, [], NOW)


@pytest.mark.parametrize("changes", [
    {"scopes": []},
    {"recipient_email": None},
    {"expires_on": None},  # neither a date nor an event
    {"expiry_event": "when I finish the program"},  # both
    {"expires_on": date(2027, 3, 10)},  # more than a year ahead
    {"expires_on": date(2026, 3, 1)},  # already past
])
def test_consent_needs_every_element(app, app_ctx, changes):
    owner = _get(User, make_participant(app).id)
    with pytest.raises(services.SharingError):
        services.create_consent(owner, _terms(**changes), NOW)
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_only_participants_give_consent(app, app_ctx):
    with pytest.raises(services.SharingError):
        services.create_consent(_get(User, make_peer_specialist(app).id), _terms(), NOW)


def test_expiry_date_ends_at_the_end_of_that_local_day(app, app_ctx):
    owner = _get(User, make_participant(app, time_zone="America/Los_Angeles").id)
    consent = services.create_consent(owner, _terms(expires_on=date(2026, 9, 1)), NOW)
    assert consent.expires_at == datetime(2026, 9, 2, 7, 0, tzinfo=UTC)  # PDT midnight
    assert consent.recipient_email == "ana@example.org"
    assert consent.status(NOW) == ConsentStatus.DRAFT


def test_an_expiry_event_has_no_date(app, app_ctx):
    owner = _get(User, make_participant(app).id)
    consent = services.create_consent(
        owner, _terms(expires_on=None, expiry_event="When I finish WHAM"), NOW)
    assert consent.expires_at is None and consent.expiry_event == "When I finish WHAM"


def test_signing_issues_a_hashed_link_and_records_consent_given(app, app_ctx):
    owner = _get(User, make_participant(app).id)
    consent = services.create_consent(owner, _terms(), NOW)
    token = sign_as_read(owner, consent, "  Maria Alvarez ", NOW).token
    assert consent.signature_name == "Maria Alvarez" and consent.signed_at == NOW
    assert token not in (consent.token_hash or "") and len(consent.token_hash) == 64
    assert consent.token_expires_at == NOW + timedelta(days=7)
    assert consent.status(NOW) == ConsentStatus.INVITED
    with pytest.raises(services.SharingError):  # once signed, it can't be signed again
        sign_as_read(owner, consent, "Maria", NOW)


def test_unsigned_consent_has_no_link_and_grants_nothing(app, app_ctx):
    owner = _get(User, make_participant(app).id)
    services.create_consent(owner, _terms(), NOW)
    assert db.session.scalar(select(Consent.token_hash)) is None


def test_someone_elses_consent_cannot_be_signed_or_revoked(app, app_ctx):
    owner = _get(User, make_participant(app).id)
    other = _get(User, make_participant(app).id)
    consent = services.create_consent(owner, _terms(), NOW)
    with pytest.raises(services.SharingError):
        sign_as_read(other, consent, "Other", NOW)
    with pytest.raises(services.SharingError):
        services.revoke_consent(other, consent, NOW)


def _active_family(app, scopes, **kwargs):
    owner = make_participant(app)
    family = make_family(app)
    made = make_consent(app, owner, family, scopes, now=NOW, **kwargs)
    return owner, family, made


@pytest.mark.parametrize("granted,asked,allowed", [
    ([Scope.CRISIS_PLAN], Scope.CRISIS_PLAN, True),
    ([Scope.CRISIS_PLAN], Scope.SUPPORT_PLAN, False),
    ([Scope.CRISIS_PLAN], Scope.PROGRESS, False),
    ([Scope.SUPPORT_PLAN], Scope.CRISIS_PLAN, True),  # the whole plan holds the crisis plan
    ([Scope.SUPPORT_PLAN], Scope.SUPPORT_PLAN, True),
    ([Scope.PROGRESS], Scope.CRISIS_PLAN, False),
    ([Scope.PROGRESS], None, True),
])
def test_access_follows_the_scopes_granted(app, granted, asked, allowed):
    owner, family, _made = _active_family(app, granted)
    with app.app_context():
        found = services.consent_for_view(_get(User, family.id), owner.id, asked,
                                          NOW + timedelta(hours=1))
        assert (found is not None) is allowed


def test_revoke_ends_access_at_once(app):
    owner, family, made = _active_family(app, [Scope.CRISIS_PLAN])
    later = NOW + timedelta(hours=1)
    with app.app_context():
        fam = _get(User, family.id)
        assert services.consent_for_view(fam, owner.id, Scope.CRISIS_PLAN, later) is not None
        services.revoke_consent(_get(User, owner.id), _get(Consent, made.id), later)
        assert services.consent_for_view(fam, owner.id, Scope.CRISIS_PLAN, later) is None
        assert _get(Consent, made.id).status(later) == ConsentStatus.REVOKED
        assert db.session.scalars(services.shared_with(fam, later)).all() == []


def test_consent_expires_on_its_own_at_the_end_of_the_day(app):
    owner, family, made = _active_family(app, [Scope.CRISIS_PLAN], days=10)
    with app.app_context():
        consent = _get(Consent, made.id)
        fam = _get(User, family.id)
        just_before = consent.expires_at - timedelta(seconds=1)
        assert services.consent_for_view(fam, owner.id, Scope.CRISIS_PLAN, just_before) is not None
        assert services.consent_for_view(fam, owner.id, Scope.CRISIS_PLAN, consent.expires_at) is None
        assert consent.status(consent.expires_at) == ConsentStatus.EXPIRED


def test_consent_for_another_participant_gives_nothing_here(app):
    owner, family, _made = _active_family(app, [Scope.SUPPORT_PLAN])
    stranger = make_participant(app)
    with app.app_context():
        assert services.consent_for_view(_get(User, family.id), stranger.id, None, NOW) is None


def test_family_view_is_recorded_for_the_participant(app):
    owner, family, made = _active_family(app, [Scope.CRISIS_PLAN])
    later = NOW + timedelta(hours=2)
    with app.app_context():
        fam = _get(User, family.id)
        services.record_family_view(fam, _get(Consent, made.id), "crisis_plan", later)
        entries = services.activity_for(_get(User, owner.id), later)
    viewed = [e for e in entries if e.action == "family.viewed"]
    assert len(viewed) == 1 and viewed[0].who == family.display_name
    assert viewed[0].what == "crisis_plan" and viewed[0].when == later
    assert {"consent.given", "consent.accepted"} <= {e.action for e in entries}


def test_activity_lists_views_by_others_consent_events_and_expiry_not_own_actions(app):
    owner, family, made = _active_family(app, [Scope.CRISIS_PLAN], days=3)
    peer = make_peer_specialist(app)
    someone_else = make_participant(app)
    with app.app_context():
        me = _get(User, owner.id)
        audit.record("auth.login", actor=me, subject=me, now=NOW)
        audit.record("peer.viewed_checkins", actor=_get(User, peer.id), subject=me, now=NOW)
        audit.record("family.viewed", actor=_get(User, family.id),
                     subject=_get(User, someone_else.id), now=NOW)  # someone else's
        db.session.commit()
        entries = services.activity_for(me, NOW + timedelta(days=30))
    actions = [e.action for e in entries]
    assert actions[0] == "consent.expired"  # newest first
    assert "peer.viewed_checkins" in actions
    assert "auth.login" not in actions and "family.viewed" not in actions
    expired = entries[0]
    assert expired.recipient == family.display_name and not expired.by_self
    given = next(e for e in entries if e.action == "consent.given")
    assert given.by_self
