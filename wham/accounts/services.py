"""Account rules: registration, log in with back-off, passwords, profiles, one-time links."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from wham import audit
from wham.accounts.models import (
    AccountToken,
    LoginThrottle,
    Role,
    TokenPurpose,
    User,
    new_session_token,
)
from wham.extensions import db
from wham.tokens import hash_token, looks_like_token, new_token

# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_PASSWORD = "not-a-real-password-for-timing"  # noqa: S105


class AccountError(Exception):
    """A rule refused the request; the message is safe to show to the person."""


class LoginRefused(AccountError):
    pass


class LoginLocked(AccountError):
    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


def password_hasher() -> PasswordHasher:
    hasher = current_app.extensions.get("wham_password_hasher")
    if hasher is None:
        cfg = current_app.config
        hasher = PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"],
                                memory_cost=cfg["ARGON2_MEMORY_COST"],
                                parallelism=cfg["ARGON2_PARALLELISM"])
        current_app.extensions["wham_password_hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


def _verify_password(password_hash: str | None, password: str) -> bool:
    hasher = password_hasher()
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash() -> str:
    dummy = current_app.extensions.get("wham_dummy_hash")
    if dummy is None:
        dummy = current_app.extensions["wham_dummy_hash"] = hash_password(_DUMMY_PASSWORD)
    return dummy


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def parse_mobile_number(raw: str, region: str) -> str:
    """E.164 form of a mobile number typed in any common way; ValueError when it is not one."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_mobile_number(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- registration and accounts ---------------------------------------------------------


@dataclass
class NewAccount:
    email: str
    display_name: str
    password: str | None
    role: Role
    time_zone: str
    language: str = "en"


def create_account(account: NewAccount) -> User:
    """Add a user to the session (the caller records and commits)."""
    # Hashed before looking the email up, so a taken email answers no faster than a free one.
    password_hash = hash_password(account.password) if account.password else None
    if find_user_by_email(account.email) is not None:
        raise AccountError("email taken")
    user = User(
        email=normalize_email(account.email),
        display_name=account.display_name.strip(),
        password_hash=password_hash,
        role=account.role,
        time_zone=account.time_zone,
        language=account.language,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same email registered at the same moment
        db.session.rollback()
        raise AccountError("email taken") from exc
    return user


def register_participant(account: NewAccount, invite_code: str | None, now: datetime) -> User:
    """Self-registration; when the program has turned it off, a valid invite code is needed."""
    invite = None
    if not current_app.config["SELF_REGISTRATION"]:
        invite = _usable_token(invite_code or "", TokenPurpose.REGISTRATION_INVITE, now)
        if invite is None:
            raise AccountError("invite code")
    user = create_account(account)
    if invite is not None:
        invite.used_at = now
        invite.user_id = user.id
    audit.record("account.registered", actor=user, subject=user, now=now,
                 invited=invite is not None)
    db.session.commit()
    return user


def create_admin_account(account: NewAccount, now: datetime) -> User:
    """The first admin, from the command line."""
    user = create_account(account)
    audit.record("admin.account_created", subject=user, now=now, role=user.role.value, via="cli")
    db.session.commit()
    return user


def create_staff_account(admin: User, account: NewAccount, now: datetime) -> tuple[User, str]:
    """An admin creates a peer specialist (or admin) account; the person sets a password
    through the one-time link returned with it."""
    user = create_account(account)
    token = _issue_token(TokenPurpose.PASSWORD_RESET, admin, now,
                         current_app.config["RESET_LINK_LIFETIME"], user=user)
    audit.record("admin.account_created", actor=admin, subject=user, now=now, role=user.role.value)
    db.session.commit()
    return user, token


def update_profile(user: User, *, display_name: str, language: str, time_zone: str,
                   mobile_e164: str | None, now: datetime) -> None:
    changed = sorted(
        name for name, value in (("display_name", display_name), ("language", language),
                                 ("time_zone", time_zone), ("mobile", mobile_e164))
        if getattr(user, "mobile_e164" if name == "mobile" else name) != value
    )
    user.display_name = display_name.strip()
    user.language = language
    user.time_zone = time_zone
    user.mobile_e164 = mobile_e164
    audit.record("account.profile_updated", actor=user, subject=user, now=now, fields=changed)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str, now: datetime) -> None:
    if not _verify_password(user.password_hash, current_password):
        raise AccountError("current password")
    _set_password(user, new_password)
    audit.record("account.password_changed", actor=user, subject=user, now=now)
    db.session.commit()


def password_matches(user: User, password: str) -> bool:
    """Re-authentication before something that cannot be undone."""
    return _verify_password(user.password_hash, password)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    # Every other signed-in device is signed out.
    user.session_token = new_session_token()


def set_enabled(admin: User, user: User, enabled: bool, now: datetime) -> None:
    user.is_enabled = enabled
    user.session_token = new_session_token()
    audit.record("admin.account_enabled" if enabled else "admin.account_disabled",
                 actor=admin, subject=user, now=now)
    db.session.commit()


STAFF_ROLES = (Role.PEER_SPECIALIST, Role.ADMIN)


def change_role(admin: User, user: User, role: Role, now: datetime) -> None:
    """Move a staff account between peer specialist and admin. What a session may do changes,
    so every session the person has is ended: they sign in again under the new role."""
    if user.role not in STAFF_ROLES or role not in STAFF_ROLES or user.id == admin.id:
        raise AccountError("role")
    if user.role == role:
        return
    previous = user.role
    user.role = role
    user.session_token = new_session_token()
    audit.record("admin.role_changed", actor=admin, subject=user, now=now,
                 previous=previous.value, role=role.value)
    db.session.commit()


def assign_peer_specialist(admin: User, participant: User, peer: User | None, now: datetime) -> None:
    participant.peer_specialist_id = peer.id if peer else None
    audit.record("admin.peer_specialist_assigned", actor=admin, subject=participant, now=now,
                 peer_specialist_id=participant.peer_specialist_id)
    db.session.commit()


# --- logging in ---------------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def authenticate(email: str, password: str, now: datetime) -> User:
    """The user for these credentials, or LoginRefused / LoginLocked. The refusal never says
    whether the email has an account."""
    throttle = db.session.get(LoginThrottle, _throttle_key(email))
    if throttle and throttle.locked_until and throttle.locked_until > now:
        # Whole minutes left, rounded up: a fresh one-minute lock says 1, not 2.
        minutes = max(1, math.ceil((throttle.locked_until - now).total_seconds() / 60))
        raise LoginLocked(minutes)
    user = find_user_by_email(email)
    valid = _verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        _note_failure(email, user, now)
        raise LoginRefused()
    if throttle is not None:
        db.session.delete(throttle)
    if password_hasher().check_needs_rehash(user.password_hash):
        # Hashes made with older (weaker) argon2 parameters are upgraded on the next sign-in.
        user.password_hash = hash_password(password)
    user.last_login_at = now
    audit.record("auth.login", actor=user, subject=user, now=now)
    db.session.commit()
    return user


def _note_failure(email: str, user: User | None, now: datetime) -> None:
    cfg = current_app.config
    key = _throttle_key(email)
    throttle = db.session.get(LoginThrottle, key) or LoginThrottle(key_hash=key, failures=0)
    throttle.failures += 1
    throttle.last_failure_at = now
    extra = throttle.failures - cfg["LOGIN_FREE_FAILURES"]
    if extra >= 0:
        lock = min(cfg["LOGIN_LOCK_BASE"] * (2 ** extra), cfg["LOGIN_LOCK_MAX"])
        throttle.locked_until = now + lock
    db.session.add(throttle)
    audit.record("auth.login_failed", subject=user, now=now, email_hash=key[:16])
    db.session.commit()


def record_logout(user: User, now: datetime) -> None:
    # A new session token makes any copy of the old cookie useless.
    user.session_token = new_session_token()
    audit.record("auth.logout", actor=user, subject=user, now=now)
    db.session.commit()


def record_delete_refused(user: User, now: datetime) -> None:
    audit.record("account.delete_refused", actor=user, subject=user, now=now)
    db.session.commit()


def record_session_timeout(user: User, now: datetime) -> None:
    audit.record("auth.session_expired", actor=user, subject=user, now=now)
    db.session.commit()


# --- one-time links -------------------------------------------------------------------------


def _issue_token(purpose: TokenPurpose, creator: User, now: datetime, lifetime: timedelta,
                 user: User | None = None) -> str:
    token, token_hash = new_token()
    db.session.add(AccountToken(purpose=purpose, token_hash=token_hash,
                                user_id=user.id if user else None, created_by_id=creator.id,
                                created_at=now, expires_at=now + lifetime))
    return token


def _usable_token(token: str, purpose: TokenPurpose, now: datetime) -> AccountToken | None:
    if not looks_like_token(token):
        return None
    found = db.session.scalar(select(AccountToken).where(
        AccountToken.token_hash == hash_token(token), AccountToken.purpose == purpose))
    return found if found and found.is_usable(now) else None


def create_reset_link(creator: User, user: User, now: datetime) -> str:
    """A one-time password reset token for `user`; the caller checks creator may do this."""
    # Older unused links for this person stop working: only the newest one is valid.
    for old in db.session.scalars(select(AccountToken).where(
            AccountToken.user_id == user.id, AccountToken.used_at.is_(None),
            AccountToken.purpose == TokenPurpose.PASSWORD_RESET)):
        old.expires_at = min(old.expires_at, now)
    token = _issue_token(TokenPurpose.PASSWORD_RESET, creator, now,
                         current_app.config["RESET_LINK_LIFETIME"], user=user)
    audit.record("account.reset_link_created", actor=creator, subject=user, now=now)
    db.session.commit()
    return token


def reset_token_user(token: str, now: datetime) -> User | None:
    """The person a usable reset link is for; None while their account is turned off
    (the link would set a password they cannot sign in with)."""
    found = _usable_token(token, TokenPurpose.PASSWORD_RESET, now)
    return found.user if found and found.user and found.user.is_enabled else None


def reset_password(token: str, new_password: str, now: datetime) -> User:
    found = _usable_token(token, TokenPurpose.PASSWORD_RESET, now)
    if found is None or found.user is None or not found.user.is_enabled:
        raise AccountError("link")
    found.used_at = now
    _set_password(found.user, new_password)
    audit.record("account.password_reset", actor=found.user, subject=found.user, now=now)
    db.session.commit()
    return found.user


def create_invite_code(admin: User, now: datetime) -> str:
    token = _issue_token(TokenPurpose.REGISTRATION_INVITE, admin, now,
                         current_app.config["INVITE_CODE_LIFETIME"])
    audit.record("admin.invite_code_created", actor=admin, now=now)
    db.session.commit()
    return token


def count_users_by_role() -> dict[Role, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role))
    return {role: count for role, count in rows}
