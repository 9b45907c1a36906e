"""Account rules called directly: registration, invite codes, log in with back-off, passwords,
profiles and one-time reset links."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from wtforms import ValidationError

from tests.factories import PASSWORD, make_admin, make_participant, make_peer_specialist
from wham.accounts import services
from wham.accounts.models import AccountToken, LoginThrottle, Role, TokenPurpose, User
from wham.audit import AuditEvent
from wham.extensions import db
from wham.validators import MobileNumber

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _account(email="kim@example.org", password=PASSWORD) -> services.NewAccount:
    return services.NewAccount(email=email, display_name="Kim", password=password,
                               role=Role.PARTICIPANT, time_zone="America/Denver")


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def invite_only(app_ctx):
    saved = app_ctx.config["SELF_REGISTRATION"]
    app_ctx.config["SELF_REGISTRATION"] = False
    yield app_ctx
    app_ctx.config["SELF_REGISTRATION"] = saved


# --- registration -----------------------------------------------------------------------


def test_register_participant_with_self_registration(app_ctx):
    user = services.register_participant(_account(email="  Kim@Example.ORG "), None, NOW)
    assert user.email == "kim@example.org"
    assert user.role == Role.PARTICIPANT
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    [event] = _events("account.registered")
    assert event.actor_id == user.id
    assert event.details == {"invited": False}


def test_duplicate_email_is_refused_whatever_its_case(app_ctx):
    services.register_participant(_account(), None, NOW)
    with pytest.raises(services.AccountError):
        services.register_participant(_account(email="KIM@example.org"), None, NOW)
    db.session.rollback()
    assert db.session.query(User).count() == 1


def test_invite_only_registration_needs_a_code(invite_only):
    with pytest.raises(services.AccountError, match="invite code"):
        services.register_participant(_account(), None, NOW)
    with pytest.raises(services.AccountError, match="invite code"):
        services.register_participant(_account(), "made-up-code", NOW)
    db.session.rollback()
    assert db.session.query(User).count() == 0


def test_invite_code_is_single_use(invite_only, app):
    admin = make_admin(app)
    code = services.create_invite_code(db.session.get(User, admin.id), NOW)
    user = services.register_participant(_account(), code, NOW + timedelta(minutes=5))
    token = db.session.scalar(select(AccountToken))
    assert token.used_at == NOW + timedelta(minutes=5)
    assert token.user_id == user.id
    assert _events("account.registered")[0].details == {"invited": True}
    with pytest.raises(services.AccountError, match="invite code"):
        services.register_participant(_account(email="other@example.org"), code,
                                      NOW + timedelta(minutes=6))


def test_expired_invite_code_is_refused(invite_only, app):
    admin = make_admin(app)
    code = services.create_invite_code(db.session.get(User, admin.id), NOW)
    later = NOW + app.config["INVITE_CODE_LIFETIME"] + timedelta(seconds=1)
    with pytest.raises(services.AccountError, match="invite code"):
        services.register_participant(_account(), code, later)


def test_invite_code_with_a_taken_email_stays_usable(invite_only, app):
    admin = make_admin(app)
    make_participant(app, email="kim@example.org")
    code = services.create_invite_code(db.session.get(User, admin.id), NOW)
    with pytest.raises(services.AccountError, match="email taken"):
        services.register_participant(_account(), code, NOW)
    db.session.rollback()
    assert services.register_participant(_account(email="new@example.org"), code, NOW)


def test_a_reset_token_is_not_an_invite_code(invite_only, app):
    admin, person = make_admin(app), make_participant(app)
    token = services.create_reset_link(db.session.get(User, admin.id),
                                       db.session.get(User, person.id), NOW)
    with pytest.raises(services.AccountError, match="invite code"):
        services.register_participant(_account(email="new@example.org"), token, NOW)


# --- logging in ----------------------------------------------------------------------------


def test_authenticate_success_records_login(app, app_ctx):
    person = make_participant(app, email="sam@example.org")
    user = services.authenticate("SAM@example.org ", PASSWORD, NOW)
    assert user.id == person.id
    assert user.last_login_at == NOW
    [event] = _events("auth.login")
    assert (event.actor_id, event.subject_id) == (person.id, person.id)


def test_unknown_email_and_wrong_password_are_refused_alike(app, app_ctx):
    person = make_participant(app, email="sam@example.org")
    with pytest.raises(services.LoginRefused) as wrong:
        services.authenticate("sam@example.org", "not the password", NOW)
    with pytest.raises(services.LoginRefused) as unknown:
        services.authenticate("nobody@example.org", PASSWORD, NOW)
    assert str(wrong.value) == str(unknown.value)
    events = _events("auth.login_failed")
    assert [e.subject_id for e in events] == [person.id, None]
    # The audit log never holds the typed email or password.
    for event in events:
        assert "nobody" not in str(event.details) and PASSWORD not in str(event.details)


def test_a_user_without_a_password_cannot_sign_in(app, app_ctx):
    make_peer_specialist(app, email="new@example.org", password_hash=None)
    with pytest.raises(services.LoginRefused):
        services.authenticate("new@example.org", "", NOW)
    with pytest.raises(services.LoginRefused):
        services.authenticate("new@example.org", "anything at all", NOW)


def test_disabled_account_cannot_sign_in(app, app_ctx):
    make_participant(app, email="sam@example.org", is_enabled=False)
    with pytest.raises(services.LoginRefused):
        services.authenticate("sam@example.org", PASSWORD, NOW)


@pytest.mark.parametrize("email", ["sam@example.org", "nobody@example.org"])
def test_back_off_locks_after_free_failures(app, app_ctx, email):
    make_participant(app, email="sam@example.org")
    free = app.config["LOGIN_FREE_FAILURES"]
    for i in range(free - 1):
        with pytest.raises(services.LoginRefused):
            services.authenticate(email, "wrong password", NOW + timedelta(seconds=i))
    # The last free failure starts a one-minute lock.
    with pytest.raises(services.LoginRefused):
        services.authenticate(email, "wrong password", NOW)
    with pytest.raises(services.LoginLocked) as locked:
        services.authenticate(email, PASSWORD, NOW + timedelta(seconds=1))
    assert locked.value.minutes == 1
    # Once the lock is over, the right password works again (for the real account).
    after = NOW + app.config["LOGIN_LOCK_BASE"] + timedelta(seconds=1)
    if email == "sam@example.org":
        assert services.authenticate(email, PASSWORD, after).email == email
        assert db.session.query(LoginThrottle).count() == 0
    else:
        with pytest.raises(services.LoginRefused):
            services.authenticate(email, PASSWORD, after)


def test_lock_doubles_up_to_the_maximum(app, app_ctx):
    make_participant(app, email="sam@example.org")
    cfg = app.config
    now = NOW
    for _ in range(cfg["LOGIN_FREE_FAILURES"] - 1):
        with pytest.raises(services.LoginRefused):
            services.authenticate("sam@example.org", "wrong password", now)
    locks = []
    for _ in range(8):
        with pytest.raises(services.LoginRefused):
            services.authenticate("sam@example.org", "wrong password", now)
        throttle = db.session.scalar(select(LoginThrottle))
        locks.append(throttle.locked_until - now)
        with pytest.raises(services.LoginLocked) as locked:
            services.authenticate("sam@example.org", PASSWORD, now)
        assert locked.value.minutes == int(locks[-1].total_seconds() // 60)
        now = throttle.locked_until + timedelta(seconds=1)
    base, top = cfg["LOGIN_LOCK_BASE"], cfg["LOGIN_LOCK_MAX"]
    assert locks[:5] == [base, base * 2, base * 4, base * 8, base * 16]
    assert locks[5:] == [top, top, top]


def test_locked_message_counts_the_minutes_left(app, app_ctx):
    make_participant(app, email="sam@example.org")
    for _ in range(app.config["LOGIN_FREE_FAILURES"] + 2):  # lock of 4 minutes
        try:
            services.authenticate("sam@example.org", "wrong password", NOW)
        except services.LoginLocked:
            break
        except services.LoginRefused:
            pass
    throttle = db.session.scalar(select(LoginThrottle))
    throttle.locked_until = NOW + timedelta(minutes=4)
    db.session.commit()
    cases = [(timedelta(0), 4), (timedelta(seconds=30), 4), (timedelta(minutes=1), 3),
             (timedelta(minutes=3, seconds=59), 1)]
    for elapsed, minutes in cases:
        with pytest.raises(services.LoginLocked) as locked:
            services.authenticate("sam@example.org", PASSWORD, NOW + elapsed)
        assert locked.value.minutes == minutes, elapsed


def test_failures_for_one_email_do_not_lock_another(app, app_ctx):
    make_participant(app, email="sam@example.org")
    make_participant(app, email="ana@example.org")
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        with pytest.raises(services.LoginRefused):
            services.authenticate("sam@example.org", "wrong password", NOW)
    assert services.authenticate("ana@example.org", PASSWORD, NOW).email == "ana@example.org"


# --- passwords, profiles, logout ----------------------------------------------------------------


def test_change_password_rotates_the_session_token(app, app_ctx):
    person = make_participant(app)
    user = db.session.get(User, person.id)
    with pytest.raises(services.AccountError):
        services.change_password(user, "not my password", "a brand new password", NOW)
    db.session.rollback()
    services.change_password(user, PASSWORD, "a brand new password", NOW)
    assert user.session_token != person.session_token
    assert services.authenticate(user.email, "a brand new password", NOW).id == person.id
    with pytest.raises(services.LoginRefused):
        services.authenticate(user.email, PASSWORD, NOW)
    assert len(_events("account.password_changed")) == 1


def test_logout_rotates_the_session_token(app, app_ctx):
    person = make_participant(app)
    user = db.session.get(User, person.id)
    services.record_logout(user, NOW)
    assert user.session_token != person.session_token
    assert len(_events("auth.logout")) == 1


def test_update_profile_audits_changed_field_names_only(app, app_ctx):
    person = make_participant(app, display_name="Kim", time_zone="America/New_York")
    user = db.session.get(User, person.id)
    services.update_profile(user, display_name="Kimberly", language="en",
                            time_zone="America/Chicago", mobile_e164="+12025550188", now=NOW)
    [event] = _events("account.profile_updated")
    assert event.details == {"fields": ["display_name", "mobile", "time_zone"]}
    assert "Kimberly" not in str(event.details) and "5550188" not in str(event.details)


@pytest.mark.parametrize(("raw", "expected"), [
    ("(202) 555-0188", "+12025550188"),
    ("202.555.0188", "+12025550188"),
    ("+1 202 555 0188", "+12025550188"),
    ("+44 7911 123456", "+447911123456"),
])
def test_parse_mobile_number(raw, expected):
    assert services.parse_mobile_number(raw, "US") == expected


@pytest.mark.parametrize("raw", ["12", "555-0188", "hello", "+1 000 000 0000", "٠١٢"])
def test_parse_mobile_number_refuses_non_numbers(raw):
    with pytest.raises(ValueError):
        services.parse_mobile_number(raw, "US")


def test_set_enabled_signs_the_person_out(app, app_ctx):
    admin, person = make_admin(app), make_participant(app)
    user = db.session.get(User, person.id)
    services.set_enabled(db.session.get(User, admin.id), user, False, NOW)
    assert not user.is_enabled and not user.is_active
    assert user.session_token != person.session_token
    assert len(_events("admin.account_disabled")) == 1


# --- one-time links -----------------------------------------------------------------------------


def test_reset_link_is_single_use_and_stored_hashed(app, app_ctx):
    admin, person = make_admin(app), make_participant(app)
    user = db.session.get(User, person.id)
    token = services.create_reset_link(db.session.get(User, admin.id), user, NOW)
    stored = db.session.scalar(select(AccountToken))
    assert stored.purpose == TokenPurpose.PASSWORD_RESET
    assert stored.token_hash != token and token not in stored.token_hash
    assert len(stored.token_hash) == 64
    assert services.reset_token_user(token, NOW).id == person.id
    services.reset_password(token, "a new long password", NOW + timedelta(minutes=1))
    assert user.session_token != person.session_token
    assert services.reset_token_user(token, NOW + timedelta(minutes=2)) is None
    with pytest.raises(services.AccountError):
        services.reset_password(token, "yet another password", NOW + timedelta(minutes=2))
    db.session.rollback()
    assert services.authenticate(user.email, "a new long password", NOW).id == person.id


def test_reset_link_expires(app, app_ctx):
    admin, person = make_admin(app), make_participant(app)
    token = services.create_reset_link(db.session.get(User, admin.id),
                                       db.session.get(User, person.id), NOW)
    lifetime = app.config["RESET_LINK_LIFETIME"]
    assert services.reset_token_user(token, NOW + lifetime - timedelta(seconds=1)) is not None
    assert services.reset_token_user(token, NOW + lifetime) is None
    with pytest.raises(services.AccountError):
        services.reset_password(token, "a new long password", NOW + lifetime)


def test_only_the_newest_reset_link_works(app, app_ctx):
    admin, person = make_admin(app), make_participant(app)
    creator, user = db.session.get(User, admin.id), db.session.get(User, person.id)
    first = services.create_reset_link(creator, user, NOW)
    second = services.create_reset_link(creator, user, NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=2)
    assert services.reset_token_user(first, later) is None
    assert services.reset_token_user(second, later).id == person.id


@pytest.mark.parametrize("token", ["", "x", "a" * 500, "../../etc", "\x00"])
def test_garbage_reset_tokens_find_no_one(app_ctx, token):
    assert services.reset_token_user(token, NOW) is None


def test_the_example_numbers_in_the_mobile_message_are_accepted(app):
    class Field:
        data = "not a number"

    with app.test_request_context("/"), pytest.raises(ValidationError) as refused:
        MobileNumber()(None, Field())
    examples = re.findall(r"[+(]?\d[\d ()\-.]{6,}\d", str(refused.value))
    assert len(examples) == 2
    for example in examples:
        services.parse_mobile_number(example, "US")


def test_sign_in_upgrades_a_hash_made_with_older_parameters(app, app_ctx):
    from argon2 import PasswordHasher

    old_hash = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    person = make_participant(app, email="sam@example.org", password_hash=old_hash)
    user = services.authenticate("sam@example.org", PASSWORD, NOW)
    assert user.password_hash != old_hash
    assert not services.password_hasher().check_needs_rehash(user.password_hash)
    db.session.expire_all()
    assert db.session.get(User, person.id).password_hash == user.password_hash
    assert services.authenticate("sam@example.org", PASSWORD, NOW).id == person.id


def test_sign_in_keeps_a_current_hash(app, app_ctx):
    person = make_participant(app, email="sam@example.org")
    assert services.authenticate("sam@example.org", PASSWORD, NOW).password_hash == \
        person.password_hash


def test_a_simultaneous_duplicate_registration_is_refused_not_a_crash(app, app_ctx, monkeypatch):
    make_participant(app, email="kim@example.org")
    # The other request's row lands between our check and our insert.
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)
    with pytest.raises(services.AccountError, match="email taken"):
        services.register_participant(_account(), None, NOW)
    assert db.session.query(User).count() == 1
