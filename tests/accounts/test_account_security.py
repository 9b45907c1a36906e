"""Account security beyond the basics in test_routes.py: the password policy, sessions rotated
on sign-in and on a change of role, and no way to learn who has an account (same answers and
the same password-hashing work on login, registration and reset links)."""
from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.factories import PASSWORD, make_admin, make_participant, make_peer_specialist
from tests.web import csrf_token, login, post_form
from wham.accounts import password_policy, services
from wham.accounts.models import Role, User
from wham.accounts.password_policy import Weakness, weakness
from wham.audit import AuditEvent
from wham.extensions import db
from wham.timeutil import utcnow

# --- password policy ------------------------------------------------------------------------


def test_the_common_password_list_is_the_bundled_20k_list():
    common = password_policy.common_passwords()
    assert 19_000 < len(common) < 21_000
    assert {"password", "123456", "iloveyou", "q1w2e3r4t5y6"} <= common
    assert all(p == p.lower() for p in list(common)[:2000])  # compared lowercased


@pytest.mark.parametrize("password,expected", [
    ("q1w2e3r4t5y6", Weakness.COMMON),
    ("Q1W2E3R4T5Y6", Weakness.COMMON),  # case does not matter
    ("  qwerty123456 ", Weakness.COMMON),
    ("iloveyou2026!!", Weakness.COMMON),  # a common one with digits stuck on
    ("Password12345", Weakness.COMMON),
    ("aaaaaaaaaaaaaa", Weakness.REPETITIVE),
    ("abcabcabcabc", Weakness.REPETITIVE),
    ("passwordpassword", Weakness.REPETITIVE),
    ("123456789012", Weakness.SEQUENCE),
    ("abcdefghijklmn", Weakness.SEQUENCE),
    ("zyxwvutsrqpo", Weakness.SEQUENCE),
    ("short", Weakness.TOO_SHORT),
    ("x" * 129, Weakness.TOO_LONG),
    ("wham-wham-2026", Weakness.PERSONAL),  # the app's own name
])
def test_weak_passwords_are_named(password, expected):
    assert weakness(password) == expected


@pytest.mark.parametrize("password", [PASSWORD, "wham-demo-2026", "a whole new password",
                                      "8405719263548172", "Xk9#mQ2$vL8!p7", "Zoë 🌱 مرحبا 你好 ok",
                                      "my sister's red bicycle"])
def test_good_passwords_pass(password):
    assert weakness(password) is None


def test_a_password_made_of_the_persons_own_name_or_email_is_refused():
    context = ["kimberly.jones@example.org", "Kimberly Jones"]
    assert weakness("kimberly.jones1", context) == Weakness.PERSONAL
    assert weakness("KimberlyJones!!", context) == Weakness.PERSONAL
    assert weakness("kimberly likes long walks at dawn", context) is None
    assert weakness("kimberly.jones1") is None  # someone else may use it


def test_register_refuses_a_common_password_next_to_the_field(app, client):
    response = post_form(client, "/register", {
        "display_name": "Kim", "email": "kim@example.org", "password": "Qwerty123456",
        "confirm": "Qwerty123456", "time_zone": "America/Denver", "language": "en"})
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="password-error">(.*?)</p>', body, re.S)
    assert error and "one of the most common" in error.group(1)
    assert 'value="kim@example.org"' in body
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_change_password_refuses_the_persons_own_email(app, client):
    user = make_participant(app, email="robin.banks@example.org", display_name="Robin")
    login(client, user)
    response = post_form(client, "/profile/password", {
        "current_password": PASSWORD, "password": "robin.banks2026", "confirm": "robin.banks2026"})
    assert "mostly your name, your email" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).password_hash == user.password_hash


def test_reset_refuses_a_common_password(app, client):
    admin, person = make_admin(app), make_participant(app)
    with app.app_context():
        token = services.create_reset_link(db.session.get(User, admin.id),
                                           db.session.get(User, person.id), utcnow())
    response = post_form(client, f"/reset/{token}", {"password": "1q2w3e4r5t6y7u8i",
                                                     "confirm": "1q2w3e4r5t6y7u8i"})
    assert response.status_code == 200
    assert "easy to guess" in response.get_data(as_text=True)


def test_create_admin_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "boss@example.org", "--name", "Boss",
        "--password", "qwertyuiop123", "--time-zone", "America/Chicago"])
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    with app.app_context():
        assert db.session.query(User).count() == 0


# --- sessions rotated on sign-in and on a change of role --------------------------------------


def test_the_csrf_token_from_before_sign_in_is_dead_after_it(app, client):
    user = make_participant(app)
    before = csrf_token(client)
    cookie_before = client.get_cookie("session").value
    login(client, user)
    assert client.get_cookie("session").value != cookie_before
    # A token an attacker learned from the signed-out page cannot be used afterwards.
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert client.get("/profile").status_code == 200


def _admin_changes_role(app, admin_client, person, role):
    return post_form(admin_client, f"/admin/users/{person.id}/role", {"role": role})


def test_a_change_of_role_signs_the_person_out_everywhere(app, client):
    admin = make_admin(app)
    peer = make_peer_specialist(app, display_name="Robin Peer")
    admin_client = app.test_client()
    login(admin_client, admin)
    login(client, peer)
    assert client.get("/people").status_code == 200
    old_cookie = client.get_cookie("session").value

    response = _admin_changes_role(app, admin_client, peer, Role.ADMIN.value)
    assert response.status_code == 302
    assert "signs in again" in admin_client.get(response.headers["Location"]).get_data(as_text=True)
    # The session from before the change no longer works, not even a copy of its cookie.
    response = client.get("/people")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    thief = app.test_client()
    thief.set_cookie("session", old_cookie)
    assert thief.get("/admin/").status_code == 302
    # Signing in again gives the new role.
    login(client, peer)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.role_changed")).one()
        assert (event.actor_id, event.subject_id) == (admin.id, peer.id)
        assert event.details == {"previous": "peer_specialist", "role": "admin"}


def test_role_changes_are_for_staff_accounts_only(app, client):
    admin = make_admin(app)
    participant = make_participant(app)
    login(client, admin)
    _admin_changes_role(app, client, participant, Role.ADMIN.value)
    _admin_changes_role(app, client, admin, Role.PEER_SPECIALIST.value)  # not oneself
    response = _admin_changes_role(app, client, make_peer_specialist(app), "participant")
    assert "Choose a role from the list." in client.get(response.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(User, participant.id).role == Role.PARTICIPANT
        assert db.session.get(User, admin.id).role == Role.ADMIN
        assert db.session.get(User, participant.id).session_token == participant.session_token
        assert not db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.role_changed")).all()


def test_the_same_role_again_changes_nothing(app, client):
    admin, peer = make_admin(app), make_peer_specialist(app)
    login(client, admin)
    _admin_changes_role(app, client, peer, Role.PEER_SPECIALIST.value)
    with app.app_context():
        assert db.session.get(User, peer.id).session_token == peer.session_token


# --- nobody can find out who has an account -----------------------------------------------


class HashingWork:
    """Counts argon2 hash and verify calls: the expensive work whose absence would show in
    the response time."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

        def verify(hasher, *args, **kwargs):
            self.calls.append("verify")
            return real_verify(hasher, *args, **kwargs)

        def hash_(hasher, *args, **kwargs):
            self.calls.append("hash")
            return real_hash(hasher, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, "verify", verify)
        monkeypatch.setattr(PasswordHasher, "hash", hash_)

    def during(self, action) -> list[str]:
        self.calls.clear()
        action()
        return sorted(self.calls)


def _login_error(response) -> str:
    body = response.get_data(as_text=True)
    return re.search(r'<div class="form-errors" role="alert">(.*?)</div>', body, re.S).group(1)


def test_login_answers_and_works_the_same_for_unknown_disabled_and_wrong(app, client, monkeypatch):
    make_participant(app, email="sam@example.org")
    make_participant(app, email="off@example.org", is_enabled=False)
    make_participant(app, email="new@example.org", password_hash=None)  # no password set yet
    with app.app_context():
        services._dummy_hash()  # made once per process; not part of any one answer
    token = csrf_token(client)
    work = HashingWork(monkeypatch)
    answers, efforts = {}, {}
    for email in ("sam@example.org", "nobody@example.org", "off@example.org", "new@example.org"):
        def attempt(email=email):
            answers[email] = client.post("/login", data={"csrf_token": token, "email": email,
                                                         "password": "not the password"})
        efforts[email] = work.during(attempt)
    assert {r.status_code for r in answers.values()} == {200}
    assert len({_login_error(r) for r in answers.values()}) == 1
    assert all(effort == ["verify"] for effort in efforts.values()), efforts
    # The disabled account with its right password answers the same too.
    response = client.post("/login", data={"csrf_token": token, "email": "off@example.org",
                                           "password": PASSWORD})
    assert _login_error(response) == _login_error(answers["sam@example.org"])


def test_register_does_the_same_hashing_work_for_a_taken_email(app, client, monkeypatch):
    make_participant(app, email="kim@example.org")
    work = HashingWork(monkeypatch)
    data = {"display_name": "Kim", "time_zone": "America/Denver", "language": "en",
            "password": PASSWORD, "confirm": PASSWORD}
    taken = work.during(lambda: post_form(client, "/register", data | {"email": "kim@example.org"}))
    client.delete_cookie("session")
    free = work.during(lambda: post_form(client, "/register", data | {"email": "lee@example.org"}))
    assert taken == free == ["hash"]


def test_reset_links_unknown_used_and_expired_look_the_same(app, client):
    admin, person = make_admin(app), make_participant(app)
    with app.app_context():
        admin_row, person_row = db.session.get(User, admin.id), db.session.get(User, person.id)
        expired = services.create_reset_link(admin_row, person_row, utcnow() - timedelta(days=3))
        used = services.create_reset_link(admin_row, person_row, utcnow())
        services.reset_password(used, "a brand new passphrase", utcnow())
    unknown = "A" * 43
    pages = [client.get(f"/reset/{t}") for t in (unknown, used, expired)]
    assert {p.status_code for p in pages} == {404}
    assert len({p.get_data(as_text=True) for p in pages}) == 1


def test_login_timing_does_not_tell_whether_an_account_exists(app, client, monkeypatch):
    """With production-strength hashing (scaled down a little), an unknown email takes as long
    as a wrong password: medians of interleaved tries within a factor of 1.5. Measured in this
    process's CPU time (the hashing is the cost that would differ), so other work on a busy
    machine, or the database server's own time, does not decide the test."""
    monkeypatch.setitem(app.extensions, "wham_password_hasher",
                        PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1))
    monkeypatch.delitem(app.extensions, "wham_dummy_hash", raising=False)
    with app.app_context():
        known_hash = services.hash_password(PASSWORD)
        services._dummy_hash()
    make_participant(app, email="sam@example.org", password_hash=known_hash)
    token = csrf_token(client)
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(14):  # interleaved, so a busy machine slows both alike
        kind = ("known", "unknown")[i % 2]
        email = "sam@example.org" if kind == "known" else f"nobody{i}@example.org"
        start = time.process_time()
        client.post("/login", data={"csrf_token": token, "email": email, "password": "wrong one"})
        times[kind].append(time.process_time() - start)
    known, unknown = statistics.median(times["known"]), statistics.median(times["unknown"])
    assert 1 / 1.5 < known / unknown < 1.5, (known, unknown)
