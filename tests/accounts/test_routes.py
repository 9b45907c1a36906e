"""Account pages driven through the test client: registration, sign-in, sessions, profile,
passwords and one-time reset links."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from tests.factories import (
    PASSWORD,
    make_admin,
    make_participant,
    make_peer_specialist,
)
from tests.web import csrf_token, login, post_form
from wham.accounts import services
from wham.accounts.models import AccountToken, User
from wham.audit import AuditEvent
from wham.extensions import db
from wham.timeutil import utcnow

LINK_RE = re.compile(r"<code>(https?://[^<]+/reset/[^<]+)</code>")
NEW_PASSWORD = "a whole new password"


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _register_data(**overrides) -> dict:
    return {"display_name": "Kim", "email": "kim@example.org", "password": PASSWORD,
            "confirm": PASSWORD, "time_zone": "America/Denver", "language": "es"} | overrides


def _link_path(response) -> str:
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:1500]
    return urlsplit(match.group(1)).path


@pytest.fixture
def invite_only(app):
    saved = app.config["SELF_REGISTRATION"]
    app.config["SELF_REGISTRATION"] = False
    yield
    app.config["SELF_REGISTRATION"] = saved


# --- registration -------------------------------------------------------------------------


def test_register_signs_the_new_participant_in(app, client):
    page = client.get("/register").get_data(as_text=True)
    assert 'name="invite_code"' not in page
    response = post_form(client, "/register", _register_data())
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Kim" in client.get("/").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "kim@example.org"))
        assert (user.time_zone, user.language, user.role.value) == ("America/Denver", "es",
                                                                    "participant")
    assert "account.registered" in _actions(app)


def test_register_refuses_a_taken_email_with_a_neutral_message(app, client):
    make_participant(app, email="kim@example.org")
    response = post_form(client, "/register", _register_data(email="KIM@example.org"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="email-error">(.*?)</p>', body, re.S).group(1)
    assert "We couldn&#39;t create an account with this email" in error
    assert "already" not in error.lower()
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_register_keeps_typed_values_when_passwords_differ(app, client):
    response = post_form(client, "/register", _register_data(confirm="something different"))
    body = response.get_data(as_text=True)
    assert "The two passwords are not the same." in body
    assert 'value="kim@example.org"' in body
    assert PASSWORD not in body  # passwords are never sent back
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_register_enforces_the_password_policy(app, client):
    response = post_form(client, "/register", _register_data(password="short pw", confirm="short pw"))
    assert "Use between 12 and 128 characters." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_invite_only_registration(app, client, invite_only):
    admin = make_admin(app)
    with app.app_context():
        code = services.create_invite_code(db.session.get(User, admin.id), utcnow())
    page = client.get("/register").get_data(as_text=True)
    assert 'name="invite_code"' in page
    # No code, a wrong code: refused with a message by the field.
    for bad in ("", "not-a-real-code"):
        response = post_form(client, "/register", _register_data(invite_code=bad))
        assert response.status_code == 200
        assert "This invite code doesn&#39;t work" in response.get_data(as_text=True)
    response = post_form(client, "/register", _register_data(invite_code=code))
    assert response.status_code == 302
    # The same code a second time is refused.
    other = app.test_client()
    response = post_form(other, "/register", _register_data(email="ana@example.org",
                                                            invite_code=code))
    assert "This invite code doesn&#39;t work" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).count() == 2  # admin and Kim


def test_expired_invite_code_is_refused(app, client, invite_only):
    admin = make_admin(app)
    with app.app_context():
        code = services.create_invite_code(
            db.session.get(User, admin.id),
            utcnow() - app.config["INVITE_CODE_LIFETIME"] - timedelta(minutes=1))
    response = post_form(client, "/register", _register_data(invite_code=code))
    assert "This invite code doesn&#39;t work" in response.get_data(as_text=True)


def test_signed_in_people_are_sent_home_from_register_and_login(app, client):
    login(client, make_participant(app))
    assert client.get("/register").headers["Location"] == "/"
    assert client.get("/login").headers["Location"] == "/"


# --- signing in -----------------------------------------------------------------------------


def test_login_success_records_an_audit_event(app, client):
    user = make_participant(app)
    login(client, user)
    assert client.get("/profile").status_code == 200
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login"))
        assert event.actor_id == user.id
        assert event.ip_address == "127.0.0.1"


def test_unknown_email_and_wrong_password_look_the_same(app, client):
    make_participant(app, email="sam@example.org")
    token = csrf_token(client)

    def attempt(email, password):
        response = client.post("/login", data={"csrf_token": token, "email": email,
                                               "password": password})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        return re.search(r'<div class="form-errors" role="alert">(.*?)</div>', body, re.S).group(1)

    wrong = attempt("sam@example.org", "not the password")
    unknown = attempt("nobody@example.org", "not the password")
    assert wrong == unknown
    assert "That email and password don&#39;t match" in wrong
    assert _actions(app) == ["auth.login_failed", "auth.login_failed"]


def test_back_off_locks_even_the_right_password_then_unlocks(app, client, monkeypatch):
    user = make_participant(app, email="sam@example.org")
    token = csrf_token(client)
    free = app.config["LOGIN_FREE_FAILURES"]
    start = utcnow()
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: start)
    for _ in range(free):
        client.post("/login", data={"csrf_token": token, "email": user.email,
                                    "password": "wrong password"})
    response = client.post("/login", data={"csrf_token": token, "email": user.email,
                                           "password": PASSWORD})
    assert response.status_code == 200
    assert "Please wait 1 minute and try again" in response.get_data(as_text=True)
    # An unknown address gets locked the same way: the lock reveals nothing.
    for _ in range(free):
        client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                    "password": "wrong password"})
    response = client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                           "password": "wrong password"})
    assert "Please wait 1 minute and try again" in response.get_data(as_text=True)
    # A longer lock is counted in minutes.
    client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                "password": "wrong password"})
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: start + timedelta(minutes=1,
                                                                                   seconds=1))
    client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                "password": "wrong password"})
    response = client.post("/login", data={"csrf_token": token, "email": "nobody@example.org",
                                           "password": "wrong password"})
    assert "Please wait 2 minutes and try again" in response.get_data(as_text=True)
    # After the lock time the right password works.
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: start + timedelta(minutes=1,
                                                                                   seconds=1))
    response = client.post("/login", data={"csrf_token": token, "email": user.email,
                                           "password": PASSWORD})
    assert response.status_code == 302


# --- sessions ---------------------------------------------------------------------------------


def test_login_rotates_the_session(app, client):
    user = make_participant(app)
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == user.session_token
        assert sess["_user_id"] != str(user.id)


def test_logout_is_post_only_and_kills_copies_of_the_cookie(app, client):
    user = make_participant(app)
    login(client, user)
    stolen = client.get_cookie("session").value
    assert client.get("/logout").status_code == 405
    response = post_form(client, "/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You are signed out" in client.get("/login").get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    # Someone replaying the old cookie is not signed in.
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _actions(app)[-1] == "auth.logout"


def test_change_password_keeps_this_device_and_signs_out_others(app, client):
    user = make_participant(app)
    login(client, user)
    other_device = app.test_client()
    login(other_device, user)
    response = post_form(client, "/profile/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other_device.get("/profile").status_code == 302
    fresh = app.test_client()
    login(fresh, user, NEW_PASSWORD)
    assert "account.password_changed" in _actions(app)


def test_change_password_with_a_wrong_current_password(app, client):
    user = make_participant(app)
    login(client, user)
    response = post_form(client, "/profile/password", {
        "current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "That is not your current password." in response.get_data(as_text=True)
    assert _user(app, user.id).session_token == user.session_token


def test_change_password_enforces_the_policy(app, client):
    user = make_participant(app)
    login(client, user)
    response = post_form(client, "/profile/password", {
        "current_password": PASSWORD, "password": "too short", "confirm": "too short"})
    assert "Use between 12 and 128 characters." in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in_and_its_sessions_end(app, client):
    admin, user = make_admin(app), make_participant(app)
    login(client, user)
    with app.app_context():
        services.set_enabled(db.session.get(User, admin.id), db.session.get(User, user.id),
                             False, utcnow())
    assert client.get("/profile").status_code == 302
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": user.email,
                                           "password": PASSWORD})
    assert response.status_code == 200
    assert "That email and password don&#39;t match" in response.get_data(as_text=True)


def test_a_disabled_session_token_cannot_be_used_even_if_unchanged(app, client):
    """Defence in depth: an account switched off directly in the database is not let in."""
    user = make_participant(app)
    login(client, user)
    with app.app_context():
        db.session.execute(text("UPDATE users SET is_enabled = :off WHERE id = :id"),
                           {"off": False, "id": user.id})
        db.session.commit()
    assert client.get("/profile").status_code == 302


# --- profile ------------------------------------------------------------------------------------


def test_profile_saves_and_stores_e164(app, client):
    user = make_participant(app)
    login(client, user)
    response = post_form(client, "/profile", {"display_name": "Kimberly", "language": "es",
                                              "time_zone": "America/Chicago",
                                              "mobile": "(202) 555-0188"})
    assert response.status_code == 302
    saved = _user(app, user.id)
    assert (saved.display_name, saved.language, saved.time_zone, saved.mobile_e164) == (
        "Kimberly", "es", "America/Chicago", "+12025550188")
    page = client.get("/profile").get_data(as_text=True)
    assert "+1 202-555-0188" in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "account.profile_updated"))
        assert event.details == {"fields": ["display_name", "language", "mobile", "time_zone"]}


def test_profile_refuses_a_bad_mobile_and_keeps_what_was_typed(app, client):
    user = make_participant(app)
    login(client, user)
    response = post_form(client, "/profile", {"display_name": "Kimberly", "language": "en",
                                              "time_zone": "America/Chicago", "mobile": "555 12"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter a mobile number such as" in body
    assert 'value="555 12"' in body
    assert 'value="Kimberly"' in body
    assert _user(app, user.id).display_name == user.display_name


@pytest.mark.parametrize("zone", ["US/Eastern", "Mars/Base", "UTC", ""])
def test_profile_refuses_time_zones_not_in_the_list(app, client, zone):
    user = make_participant(app)
    login(client, user)
    response = post_form(client, "/profile", {"display_name": "Kim", "language": "en",
                                              "time_zone": zone, "mobile": ""})
    assert response.status_code == 200
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    assert _user(app, user.id).time_zone == "America/New_York"


def test_profile_clearing_the_mobile(app, client):
    user = make_participant(app, mobile_e164="+12025550188")
    login(client, user)
    post_form(client, "/profile", {"display_name": user.display_name, "language": "en",
                                   "time_zone": user.time_zone, "mobile": ""})
    assert _user(app, user.id).mobile_e164 is None


# --- reset links --------------------------------------------------------------------------------


def test_admin_creates_a_reset_link_that_works_once(app, client):
    admin, person = make_admin(app), make_participant(app)
    login(client, admin)
    path = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    token = path.rsplit("/", 1)[1]
    # Only the SHA-256 hash is in the database: the token text is nowhere.
    with app.app_context():
        stored = db.session.scalar(select(AccountToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        for table in ("account_tokens", "audit_events", "users"):
            rows = db.session.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
            assert token not in repr(rows)
    person_client = app.test_client()
    assert person_client.get(path).status_code == 200
    response = post_form(person_client, path, {"password": "too short", "confirm": "too short"})
    assert "Use between 12 and 128 characters." in response.get_data(as_text=True)
    response = post_form(person_client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert person_client.get("/profile").status_code == 200  # signed in
    assert _user(app, person.id).session_token != person.session_token
    # Used: the link is dead.
    assert app.test_client().get(path).status_code == 404
    login(app.test_client(), person, NEW_PASSWORD)


def test_reset_link_signs_out_the_persons_other_sessions(app, client):
    admin, person = make_admin(app), make_participant(app)
    old_device = app.test_client()
    login(old_device, person)
    login(client, admin)
    path = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    post_form(app.test_client(), path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert old_device.get("/profile").status_code == 302


def test_reset_link_expires(app, client, monkeypatch):
    admin, person = make_admin(app), make_participant(app)
    login(client, admin)
    path = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    later = utcnow() + app.config["RESET_LINK_LIFETIME"] + timedelta(seconds=1)
    monkeypatch.setattr("wham.accounts.routes.utcnow", lambda: later)
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_only_the_newest_reset_link_works(app, client):
    admin, person = make_admin(app), make_participant(app)
    login(client, admin)
    first = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    second = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


def test_admin_cannot_make_a_reset_link_for_themselves(app, client):
    admin = make_admin(app)
    login(client, admin)
    assert post_form(client, f"/people/{admin.id}/reset-link").status_code == 404


def test_peer_specialist_makes_links_only_for_their_own_participants(app, client):
    peer, other_peer = make_peer_specialist(app), make_peer_specialist(app)
    mine = make_participant(app, peer_specialist_id=peer.id)
    theirs = make_participant(app, peer_specialist_id=other_peer.id)
    unassigned = make_participant(app)
    admin = make_admin(app)
    login(client, peer)
    people = client.get("/people").get_data(as_text=True)
    assert mine.display_name in people and theirs.display_name not in people
    assert post_form(client, f"/people/{mine.id}/reset-link").status_code == 200
    for person in (theirs, unassigned, admin, other_peer, peer):
        assert post_form(client, f"/people/{person.id}/reset-link").status_code == 404
    assert post_form(client, "/people/999999/reset-link").status_code == 404
    with app.app_context():
        assert db.session.query(AccountToken).count() == 1


def test_participant_cannot_make_reset_links(app, client):
    user, other = make_participant(app), make_participant(app)
    login(client, user)
    assert post_form(client, f"/people/{other.id}/reset-link").status_code == 404


@pytest.mark.parametrize("token", ["nope", "a" * 300, "%00"])
def test_bogus_reset_tokens_show_the_invalid_page(client, token):
    response = client.get(f"/reset/{token}")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_simultaneous_duplicate_registration_shows_the_neutral_message(app, client, monkeypatch):
    make_participant(app, email="kim@example.org")
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)
    response = post_form(client, "/register", _register_data())
    assert response.status_code == 200
    assert "We couldn&#39;t create an account with this email" in response.get_data(as_text=True)


def test_reset_link_does_not_work_while_the_account_is_turned_off(app, client):
    admin, person = make_admin(app), make_participant(app)
    login(client, admin)
    path = _link_path(post_form(client, f"/people/{person.id}/reset-link"))
    post_form(client, f"/admin/users/{person.id}/enabled", {"enabled": "0"})
    person_client = app.test_client()
    assert person_client.get(path).status_code == 404
    token = csrf_token(person_client)
    response = person_client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert _user(app, person.id).password_hash == person.password_hash
    post_form(client, f"/admin/users/{person.id}/enabled", {"enabled": "1"})
    response = post_form(person_client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert person_client.get("/profile").status_code == 200
