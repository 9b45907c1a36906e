"""Support plan, sharing and family pages through the test client, with real forms and CSRF."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from wtforms import StringField

from tests.factories import PASSWORD, make_family, make_participant
from tests.family.factories import make_consent, make_plan
from tests.hostile import assert_hostile_input_handled
from tests.web import login, post_form
from wham.audit import AuditEvent
from wham.extensions import db
from wham.family import forms
from wham.family.models import Consent, ConsentStatus, Scope, SupportPlanVersion
from wham.timeutil import local_today, utcnow


def _views(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "family.viewed"))


def _shared(app, scopes=(Scope.CRISIS_PLAN,), **kwargs):
    owner = make_participant(app, display_name="Maria")
    family = make_family(app, display_name="Ana")
    make_plan(app, owner, crisis_signs="Stays in bed all day", wellness_toolbox="River walks")
    made = make_consent(app, owner, family, scopes, **kwargs)
    return owner, family, made


def test_posts_without_a_csrf_token_are_refused(app, client):
    owner = make_participant(app)
    login(client, owner)
    for url in ("/support-plan/edit", "/sharing/new"):
        assert client.post(url, data={"triggers": "x"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupportPlanVersion)) == 0


def test_participant_writes_the_plan_and_sees_versions_and_print(app, client):
    owner = make_participant(app)
    login(client, owner)
    assert "not written a support plan yet" in client.get("/support-plan").get_data(as_text=True)
    data = {"triggers": "Loud rooms", "crisis_signs": "Quiet for days",
            "contacts-0-name": "Ana", "contacts-0-relationship": "Sister",
            "contacts-0-phone": "555-0110"}
    assert post_form(client, "/support-plan/edit", data).headers["Location"] == "/support-plan"
    post_form(client, "/support-plan/edit", data | {"triggers": "Loud rooms, late nights"})
    history = client.get("/support-plan/history").get_data(as_text=True)
    assert "Version 2" in history and "Version 1" in history and "Loud rooms" in history
    printed = client.get("/support-plan/print").get_data(as_text=True)
    assert "late nights" in printed and "Ana" in printed and "555-0110" in printed
    form = client.get("/support-plan/edit").get_data(as_text=True)
    assert 'value="Ana"' in form  # the form starts from the latest version


def test_contact_without_a_name_is_refused_next_to_the_field(app, client):
    login(client, make_participant(app))
    response = post_form(client, "/support-plan/edit", {"contacts-1-phone": "555"})
    assert response.status_code == 200
    assert 'id="contacts-1-name-error"' in response.get_data(as_text=True)


def _consent_data(app, **changes):
    today = local_today(utcnow(), "America/New_York")
    return {"recipient_name": "Ana", "recipient_email": "ana@example.org",
            "share_crisis_plan": "y", "purpose": "crisis",
            "expires_on": (today + timedelta(days=90)).isoformat()} | changes


def test_participant_writes_reads_and_signs_a_consent(app, client):
    login(client, make_participant(app))
    response = post_form(client, "/sharing/new", _consent_data(app))
    assert response.status_code == 302
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not signed yet. Nothing is shared." in review
    assert "The crisis plan only" in review and "stop sharing at any time" in review
    assert "must not pass this information on" in review
    unsigned = post_form(client, response.headers["Location"], {"signature": "Maria Alvarez"})
    assert 'id="understood-error"' in unsigned.get_data(as_text=True)
    signed = post_form(client, response.headers["Location"],
                       {"signature": "Maria Alvarez", "understood": "y"})
    assert signed.status_code == 200 and "/invitation/" in signed.get_data(as_text=True)
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent.signature_name == "Maria Alvarez"
        assert consent.status(utcnow()) == ConsentStatus.INVITED


@pytest.mark.parametrize("changes,field", [
    ({"share_crisis_plan": ""}, "share_support_plan"),
    ({"recipient_email": ""}, "recipient_mobile"),
    ({"expires_on": ""}, "expires_on"),
    ({"expiry_event": "When I finish"}, "expires_on"),
    ({"purpose": "other"}, "purpose_text"),
])
def test_consent_form_explains_what_is_missing(app, client, changes, field):
    login(client, make_participant(app))
    response = post_form(client, "/sharing/new", _consent_data(app, **changes))
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_expiry_more_than_a_year_ahead_is_refused(app, client):
    login(client, make_participant(app))
    too_late = local_today(utcnow(), "America/New_York") + timedelta(days=400)
    response = post_form(client, "/sharing/new", _consent_data(app, expires_on=too_late.isoformat()))
    assert "at most one year from today" in response.get_data(as_text=True)


def test_a_family_view_writes_exactly_one_audit_event(app, client):
    owner, family, _made = _shared(app)
    login(client, family)
    before = _views(app)
    response = client.get(f"/shared/{owner.id}/crisis-plan")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Stays in bed all day" in body
    assert "Please keep this private." in body
    assert "River walks" not in body  # the wellness toolbox is outside the crisis plan
    assert _views(app) == before + 1


def test_a_failed_family_page_writes_no_audit_event(app, client, monkeypatch):
    owner, family, _made = _shared(app)
    login(client, family)
    before = _views(app)

    def broken(*args, **kwargs):
        raise RuntimeError("template failed")

    monkeypatch.setattr("wham.family.routes.render_template", broken)
    with pytest.raises(RuntimeError):
        client.get(f"/shared/{owner.id}/crisis-plan")
    assert _views(app) == before


def test_every_family_page_carries_the_redisclosure_notice(app, client):
    owner, family, _made = _shared(app, scopes=(Scope.SUPPORT_PLAN,))
    login(client, family)
    for path in ("", "/support-plan", "/crisis-plan"):
        body = client.get(f"/shared/{owner.id}{path}").get_data(as_text=True)
        assert "Do not pass it on to anyone else" in body, path


def test_family_member_with_several_participants_sees_a_list(app, client):
    family = make_family(app)
    first, second = make_participant(app, display_name="Maria"), make_participant(app, display_name="Rosa")
    for person in (first, second):
        make_consent(app, person, family, [Scope.CRISIS_PLAN])
    ended = make_participant(app, display_name="Zed")
    make_consent(app, ended, family, [Scope.CRISIS_PLAN], revoke=True)
    login(client, family)
    assert client.get("/").headers["Location"] == "/shared"
    body = client.get("/shared").get_data(as_text=True)
    assert "Maria" in body and "Rosa" in body and "Zed" not in body


def test_revoke_refuses_the_next_click_in_an_open_session(app, client):
    owner, family, made = _shared(app)
    login(client, family)
    assert client.get(f"/shared/{owner.id}/crisis-plan").status_code == 200
    owner_client = app.test_client()
    login(owner_client, owner)
    post_form(owner_client, f"/sharing/{made.id}/revoke")
    response = client.get(f"/shared/{owner.id}/crisis-plan")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Maria is no longer sharing this with you" in body and "stopped sharing" in body
    assert "Stays in bed" not in body


def test_expired_consent_refuses_with_a_clear_message(app, client):
    owner, family, _made = _shared(app, now=utcnow() - timedelta(days=40), days=20)
    login(client, family)
    response = client.get(f"/shared/{owner.id}/crisis-plan")
    assert response.status_code == 404
    assert "The time Maria chose for sharing has ended." in response.get_data(as_text=True)


def test_participant_sees_who_viewed_and_the_consent_history(app, client):
    owner, family, made = _shared(app)
    viewer = app.test_client()
    login(viewer, family)
    viewer.get(f"/shared/{owner.id}/crisis-plan")
    login(client, owner)
    post_form(client, f"/sharing/{made.id}/revoke")
    body = client.get("/sharing/activity").get_data(as_text=True)
    assert "Looked at your crisis plan" in body and "Ana" in body
    assert "Stopped sharing with Ana" in body and "Signed the permission to share with Ana" in body


# --- hostile input on every form -----------------------------------------------------------


def test_hostile_input_on_the_support_plan_form(app, client):
    login(client, make_participant(app))
    assert_hostile_input_handled(app, client, "/support-plan/edit", forms.SupportPlanForm,
                                 {"triggers": "Noise"})


class _ContactFields(forms.FlaskForm):
    """The first crisis contact row's fields under their names in the plan form."""


for _name in ("name", "relationship", "phone"):
    setattr(_ContactFields, f"contacts-0-{_name}",
            StringField(validators=getattr(forms.ContactForm, _name).kwargs["validators"]))


def test_hostile_input_on_crisis_contacts(app, client):
    login(client, make_participant(app))
    tried = assert_hostile_input_handled(
        app, client, "/support-plan/edit", _ContactFields,
        {"contacts-0-name": "Ana", "contacts-0-relationship": "Sister", "contacts-0-phone": "555"})
    assert tried >= 24


def test_hostile_input_on_the_consent_form(app, client):
    login(client, make_participant(app))
    data = _consent_data(app)
    assert_hostile_input_handled(app, client, "/sharing/new", forms.ConsentForm, data,
                                 skip_fields=("share_progress",))


def test_hostile_input_on_the_sign_form(app, client):
    owner = make_participant(app)
    made = make_consent(app, owner, None, sign=False)
    login(client, owner)
    assert_hostile_input_handled(app, client, f"/sharing/{made.id}", forms.SignForm,
                                 {"signature": "Maria", "understood": "y"})


def test_hostile_input_on_the_invitation_forms(app, client):
    owner = make_participant(app)
    made = make_consent(app, owner, None, accept=False, email="ana@example.org")
    # Another email than the invited one: a post that passes every field check is still
    # refused, so the single-use link survives all the tries.
    data = {"display_name": "Ana", "email": "eve@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "time_zone": "America/Chicago", "language": "en", "agree": "y"}
    assert_hostile_input_handled(app, client, f"/invitation/{made.token}/register",
                                 forms.FamilyRegisterForm, data, skip_fields=("invite_code",))


def test_accepting_needs_the_tick(app, client):
    owner = make_participant(app)
    made = make_consent(app, owner, None, accept=False, email="ana@example.org")
    login(client, make_family(app, email="ana@example.org"))
    response = post_form(client, f"/invitation/{made.token}/accept", {})
    assert response.status_code == 200
    assert 'id="agree-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Consent, made.id).accepted_at is None
