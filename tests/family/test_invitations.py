"""Invitation links: single use, 7 days, stored hashed, only for the person invited."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import PASSWORD, make_family, make_participant
from tests.family.factories import make_consent, sign_as_read
from tests.web import login, post_form
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.family.models import Consent, ConsentStatus, Scope
from wham.timeutil import utcnow


def _invite(app, email="ana@example.org", **kwargs):
    owner = make_participant(app)
    made = make_consent(app, owner, None, [Scope.CRISIS_PLAN], accept=False, email=email, **kwargs)
    return owner, made


def _consent(app, consent_id) -> Consent:
    with app.app_context():
        consent = db.session.get(Consent, consent_id)
        db.session.expunge(consent)
        return consent


def _accept(client, token):
    return post_form(client, f"/invitation/{token}/accept", {"agree": "y"})


def test_the_token_is_stored_only_as_a_hash(app):
    _owner, made = _invite(app)
    with app.app_context():
        stored = db.session.scalars(select(Consent.token_hash)).all()
    assert made.token not in stored and all(len(h) == 64 for h in stored)


def test_the_invitee_accepts_once_and_the_link_cannot_be_used_again(app, client):
    owner, made = _invite(app)
    family = make_family(app, email="ana@example.org")
    login(client, family)
    page = client.get(f"/invitation/{made.token}")
    assert page.status_code == 200 and "Please keep" not in page.get_data(as_text=True)
    response = _accept(client, made.token)
    assert response.status_code == 302 and response.headers["Location"] == f"/shared/{owner.id}"
    assert _consent(app, made.id).family_user_id == family.id
    assert client.get(f"/invitation/{made.token}").status_code == 404
    assert _accept(client, made.token).status_code == 404


def test_a_link_older_than_seven_days_is_refused(app, client):
    _owner, made = _invite(app, now=utcnow() - timedelta(days=7, minutes=1))
    login(client, make_family(app, email="ana@example.org"))
    assert client.get(f"/invitation/{made.token}").status_code == 404
    assert _accept(client, made.token).status_code == 404
    assert _consent(app, made.id).accepted_at is None


def test_a_link_six_days_old_still_works(app, client):
    _owner, made = _invite(app, now=utcnow() - timedelta(days=6))
    login(client, make_family(app, email="ana@example.org"))
    assert _accept(client, made.token).status_code == 302


def test_a_tampered_token_is_refused(app, client):
    _owner, made = _invite(app)
    login(client, make_family(app, email="ana@example.org"))
    last = made.token[-1]
    tampered = made.token[:-1] + ("A" if last != "A" else "B")
    for bad in (tampered, made.token[:-1], made.token + "x", "x" * 101):
        assert client.get(f"/invitation/{bad}").status_code == 404, bad
        assert _accept(client, bad).status_code == 404, bad
    assert _consent(app, made.id).accepted_at is None


def test_a_token_for_one_invitee_is_refused_for_another_account(app, client):
    _owner, made = _invite(app, email="ana@example.org")
    login(client, make_family(app, email="someone.else@example.org"))
    response = _accept(client, made.token)
    assert response.status_code == 200
    assert "sent to someone else" in response.get_data(as_text=True)
    consent = _consent(app, made.id)
    assert consent.accepted_at is None and consent.family_user_id is None
    # ... and it still works for the person it was meant for.
    other = app.test_client()
    login(other, make_family(app, email="ana@example.org"))
    assert _accept(other, made.token).status_code == 302


def test_a_participant_account_cannot_accept(app, client):
    _owner, made = _invite(app, email="ana@example.org")
    login(client, make_participant(app, email="ana@example.org"))
    response = _accept(client, made.token)
    assert "family or supporter account" in response.get_data(as_text=True)
    assert _consent(app, made.id).accepted_at is None


def test_an_unsigned_consent_has_no_working_link(app, client):
    owner = make_participant(app)
    made = make_consent(app, owner, None, sign=False)
    assert made.token is None
    assert _consent(app, made.id).status(utcnow()) == ConsentStatus.DRAFT


def test_a_revoked_invitation_link_stops_working(app, client):
    owner, made = _invite(app)
    login(client, owner)
    post_form(client, f"/sharing/{made.id}/revoke")
    assert client.get(f"/invitation/{made.token}").status_code == 404


def test_a_new_link_replaces_the_old_one(app, client):
    owner, made = _invite(app)
    login(client, owner)
    response = post_form(client, f"/sharing/{made.id}/new-link")
    body = response.get_data(as_text=True)
    new_token = body.split("/invitation/")[1].split("<")[0]
    assert new_token != made.token
    anyone = app.test_client()
    assert anyone.get(f"/invitation/{made.token}").status_code == 404
    assert anyone.get(f"/invitation/{new_token}").status_code == 200


def test_the_invitee_registers_a_family_account_through_the_link(app, client):
    owner, made = _invite(app, email="ana@example.org")
    page = client.get(f"/invitation/{made.token}").get_data(as_text=True)
    assert "Create my account and accept" in page and "The crisis plan only" in page
    data = {"display_name": "Ana", "email": "Ana@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "time_zone": "America/Chicago", "language": "en", "agree": "y"}
    response = post_form(client, f"/invitation/{made.token}/register", data)
    assert response.status_code == 302 and response.headers["Location"] == f"/shared/{owner.id}"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
        assert user.role == Role.FAMILY
        assert db.session.get(Consent, made.id).family_user_id == user.id
    assert client.get(f"/shared/{owner.id}/crisis-plan").status_code == 200
    assert client.get("/").headers["Location"] == "/shared"


def test_registering_with_another_email_is_refused_and_nothing_is_saved(app, client):
    _owner, made = _invite(app, email="ana@example.org")
    data = {"display_name": "Eve", "email": "eve@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "time_zone": "America/Chicago", "language": "en", "agree": "y"}
    response = post_form(client, f"/invitation/{made.token}/register", data)
    assert response.status_code == 200
    assert "Use the email this invitation was sent to." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "eve@example.org")) is None


def test_an_invitation_by_mobile_gives_the_new_account_that_number(app, client):
    owner = make_participant(app)
    with app.app_context():
        from wham.family import services

        me = db.session.get(User, owner.id)
        consent = services.create_consent(me, services.ConsentTerms(
            recipient_name="Luis", recipient_email=None, recipient_mobile="+12025550123",
            scopes=[Scope.CRISIS_PLAN], purpose="crisis", expiry_event="When I say so"), utcnow())
        token = sign_as_read(me, consent, "Maria").token
    assert "Luis (+1 202-555-0123)" in client.get(f"/invitation/{token}").get_data(as_text=True)
    data = {"display_name": "Luis", "email": "luis@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "time_zone": "America/Chicago", "language": "en", "agree": "y"}
    assert post_form(client, f"/invitation/{token}/register", data).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "luis@example.org"))
        assert user.mobile_e164 == "+12025550123"


def _consent_text(html: str) -> str:
    start = html.index('<div class="consent-text"')
    return html[start:html.index("</div>", html.index("consent-points", start)) + 6]


def test_the_invitee_reads_the_same_text_the_participant_signed(app, client):
    owner, made = _invite(app)
    login(client, owner)
    signed = _consent_text(client.get(f"/sharing/{made.id}").get_data(as_text=True))
    shown = _consent_text(app.test_client().get(f"/invitation/{made.token}").get_data(as_text=True))
    assert shown == signed
    assert "Signed by Full Name" in shown and "stop sharing at any time" in shown
