"""Support plan, sharing and family pages through the test client, with real forms and CSRF."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import func, select
from wtforms import StringField

from tests.factories import PASSWORD, make_admin, make_family, make_participant, make_peer_specialist
from tests.family.factories import make_consent, make_plan
from tests.groups.factories import make_group
from tests.hostile import assert_hostile_input_handled
from tests.web import csrf_token, login, post_form
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.extensions import db
from wham.family import forms, statement
from wham.family.models import Consent, ConsentStatus, Scope, SupportPlanVersion
from wham.family.statement import statement_digest
from wham.groups.models import Group
from wham.groups.services import NOTICE_VERSION, join_group
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


@pytest.mark.parametrize(("language", "shown"), [("en", "Mar 10, 2026, 6:05"), ("es", "10 mar 2026, 18:05")])
def test_plan_versions_show_their_day_and_time_without_seconds(app, client, language, shown):
    owner = make_participant(app, language=language, time_zone="America/New_York")
    make_plan(app, owner, now=datetime(2026, 3, 10, 22, 5, 42, tzinfo=UTC))
    login(client, owner)
    for page in ("/support-plan", "/support-plan/history", "/support-plan/print"):
        text = " ".join(unescape(client.get(page).get_data(as_text=True)).split())
        assert shown in text, page
        assert "6:05:42" not in text and "18:05:42" not in text, page


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


DIGEST_RE = re.compile(r'name="statement_digest"[^>]*value="([0-9a-f]{64})"')


def _read(client, url) -> tuple[str, str]:
    """The consent page as the participant reads it, and the fingerprint of its words."""
    page = client.get(url).get_data(as_text=True)
    return page, DIGEST_RE.search(page).group(1)


def test_participant_writes_reads_and_signs_a_consent(app, client):
    login(client, make_participant(app))
    response = post_form(client, "/sharing/new", _consent_data(app))
    assert response.status_code == 302
    review, digest = _read(client, response.headers["Location"])
    assert "Not signed yet. Nothing is shared." in review
    assert "The crisis plan only" in review and "stop sharing at any time" in review
    assert "must not pass this information on" in review
    unsigned = post_form(client, response.headers["Location"],
                         {"signature": "Maria Alvarez", "statement_digest": digest})
    assert 'id="understood-error"' in unsigned.get_data(as_text=True)
    signed = post_form(client, response.headers["Location"],
                       {"signature": "Maria Alvarez", "understood": "y", "statement_digest": digest})
    assert signed.status_code == 200 and "/invitation/" in signed.get_data(as_text=True)
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent.signature_name == "Maria Alvarez"
        assert consent.status(utcnow()) == ConsentStatus.INVITED


def test_signing_keeps_the_words_read_with_every_element(app, client):
    owner = make_participant(app, display_name="Maria")
    login(client, owner)
    url = post_form(client, "/sharing/new", _consent_data(
        app, purpose="other", purpose_text="So Ana can help me plan", share_progress="y")
    ).headers["Location"]
    review, digest = _read(client, url)
    post_form(client, url, {"signature": "Maria Alvarez", "understood": "y",
                            "statement_digest": digest})
    with app.app_context():
        statement = db.session.scalar(select(Consent)).signed_statement
    assert statement_digest(statement) == digest  # the very words the page showed
    words = " ".join([statement["title"], *statement["points"]]
                     + [" ".join([f["label"], *f["lines"], f.get("note", "")])
                        for f in statement["facts"]])
    for element in ("Who shares Maria", "With whom Ana (ana@example.org)",
                    "The crisis plan only", "The current goal and this week's plan",
                    "no check-ins", "So Ana can help me plan", "the end of",
                    "can stop sharing at any time", "must not pass this information on",
                    "42 CFR Part 2"):
        assert element in words, element
    for line in statement["facts"][4]["lines"] + statement["points"]:
        assert str(escape(line)) in review


def test_a_page_read_before_the_words_changed_cannot_be_signed(app, client):
    owner = make_participant(app, display_name="Maria")
    login(client, owner)
    url = post_form(client, "/sharing/new", _consent_data(app)).headers["Location"]
    _page, digest = _read(client, url)
    with app.app_context():  # e.g. her name changed in another tab: the words now differ
        db.session.get(User, owner.id).display_name = "Maria A."
        db.session.commit()
    response = post_form(client, url, {"signature": "Maria Alvarez", "understood": "y",
                                       "statement_digest": digest})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please read them again" in page
    assert DIGEST_RE.search(page).group(1) != digest  # the page now carries the new words
    with app.app_context():
        consent = db.session.scalar(select(Consent))
        assert consent.signed_at is None and consent.signed_statement is None


def test_the_signed_words_stay_when_the_apps_words_change(app, client, monkeypatch):
    owner, family, made = _shared(app)
    with app.app_context():
        db.session.get(User, owner.id).display_name = "M. Alvarez"
        db.session.commit()
    changed = statement.build_statement

    def new_wording(consent):
        words = changed(consent)
        words["points"] = ["Wording from a later version of the app."]
        return words

    monkeypatch.setattr(statement, "build_statement", new_wording)
    login(client, owner)
    mine = client.get(f"/sharing/{made.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, family)
    theirs = client.get(f"/shared/{owner.id}").get_data(as_text=True)
    for page in (mine, theirs):
        assert "Maria can stop sharing at any time" in page  # as signed, under her old name
        assert "Wording from a later version" not in page


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


def test_expiry_ends_access_on_the_next_request_of_an_open_session(app, client, monkeypatch):
    owner, family, made = _shared(app, days=1)
    login(client, family)
    assert client.get(f"/shared/{owner.id}/crisis-plan").status_code == 200
    with app.app_context():
        ends = db.session.get(Consent, made.id).expires_at
    monkeypatch.setattr("wham.family.routes.utcnow", lambda: ends - timedelta(seconds=1))
    assert client.get(f"/shared/{owner.id}/crisis-plan").status_code == 200
    monkeypatch.setattr("wham.family.routes.utcnow", lambda: ends)  # the chosen day is over
    response = client.get(f"/shared/{owner.id}/crisis-plan")
    assert response.status_code == 404
    assert "The time Maria chose for sharing has ended." in response.get_data(as_text=True)
    assert "Stays in bed" not in response.get_data(as_text=True)


def test_a_view_whose_audit_cannot_be_written_is_not_shown(app, client, monkeypatch):
    owner, family, _made = _shared(app)
    login(client, family)

    def refused(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("wham.family.services.audit.record", refused)
    with pytest.raises(RuntimeError):
        client.get(f"/shared/{owner.id}/crisis-plan")
    assert _views(app) == 0


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


def test_who_has_seen_lists_the_peer_specialists_and_admins_looks(app, client):
    peer = make_peer_specialist(app, display_name="Jordan")
    owner = make_participant(app, display_name="Maria", peer_specialist_id=peer.id)
    admin = make_admin(app, display_name="Pat")
    group = make_group(app, [peer], [owner])
    facilitator = app.test_client()
    login(facilitator, peer)
    for path in (f"/groups/{group.id}", f"/groups/{group.id}/dashboard",
                 f"/groups/{group.id}/summary", f"/groups/{group.id}/members/{owner.id}"):
        assert facilitator.get(path).status_code == 200, path
    office = app.test_client()
    login(office, admin)
    assert office.get(f"/groups/{group.id}").status_code == 200
    later = make_participant(app, display_name="Rosa")  # joins after those looks
    with app.app_context():
        join_group(db.session.get(User, later.id), db.session.get(Group, group.id),
                   NOTICE_VERSION, utcnow())
    login(client, owner)
    rows = _activity_rows(client)
    assert ("Jordan", "Looked at your group's member list") in rows
    assert ("Jordan", "Looked at how you are doing in your group") in rows
    assert ("Jordan", "Looked at your group's summary figures") in rows
    assert ("Jordan", "Read the notes of your peer support") in rows
    assert ("Pat", "Looked at your group's member list") in rows
    assert not [what for _who, what in rows if re.search(r"\w\.\w", what)]  # no codes: plain words
    facilitator.get(f"/groups/{group.id}")  # once Rosa is a member, she sees this look only
    rosa = app.test_client()
    login(rosa, later)
    assert _activity_rows(rosa) == [("Jordan", "Looked at your group's member list")]


def _activity_rows(client) -> list[tuple[str, str]]:
    body = client.get("/sharing/activity").get_data(as_text=True)
    cells = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", body)
    return [(str(unescape(who)).strip(), str(unescape(what)).strip()) for who, what in cells]


# --- hostile input on every form -----------------------------------------------------------


def test_hostile_input_on_the_support_plan_form(app, client):
    login(client, make_participant(app))
    assert_hostile_input_handled(app, client, "/support-plan/edit", forms.SupportPlanForm,
                                 {"triggers": "Noise"})


class _ContactFields(forms.WhamForm):
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
    _page, digest = _read(client, f"/sharing/{made.id}")
    assert_hostile_input_handled(app, client, f"/sharing/{made.id}", forms.SignForm,
                                 {"signature": "Maria", "understood": "y",
                                  "statement_digest": digest})


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
