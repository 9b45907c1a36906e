"""Security wiring for every request: who is signed in, session timeouts, safe redirects,
and response headers (CSP without inline script, no framing, no caching of private pages)."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import String, bindparam, select
from werkzeug.middleware.proxy_fix import ProxyFix

from wham.accounts.models import User
from wham.extensions import db, login_manager
from wham.timeutil import utcnow

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")


# The idle clock is restarted at most once a minute, so most pages leave the session cookie
# as it is instead of signing and sending it again (SESSION_REFRESH_EACH_REQUEST is off).
LAST_SEEN_RESOLUTION_SECONDS = 60


def safe_next_url(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Control characters: browsers drop tabs and newlines (so "/\t/evil" becomes "//evil"),
    # and CR/LF in a Location header would break the response.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@login_manager.user_loader
def _load_user(session_token: str) -> User | None:
    return db.session.scalar(_user_by_session_token(), {"token": session_token})


@cache
def _user_by_session_token():
    # Every signed-in page runs it first: built once per process (building the statement
    # took longer than the database took to answer it), the token bound at each request.
    return select(User).where(User.session_token == bindparam("token", type_=String))


def start_session(now: datetime) -> None:
    """Called right after login_user: remember when, for the idle and absolute timeouts."""
    session["signed_in_at"] = now.timestamp()
    session["last_seen_at"] = now.timestamp()
    session.permanent = True


def _enforce_session_timeouts():
    # The endpoint first: static files and /healthz never load the signed-in user.
    if request.endpoint in ("static", "health.healthz") or not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    cfg = current_app.config
    idle = now - session.get("last_seen_at", 0) > cfg["IDLE_TIMEOUT"].total_seconds()
    too_old = now - session.get("signed_in_at", 0) > cfg["ABSOLUTE_SESSION_LIFETIME"].total_seconds()
    if idle or too_old:
        from wham.accounts.services import record_session_timeout

        record_session_timeout(current_user._get_current_object(), utcnow())
        logout_user()
        session.clear()
        flash(_l("You were signed out because you were away for a while. Please sign in again."),
              "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")
                                if request.method == "GET" else None))
    if now - session.get("last_seen_at", 0) >= LAST_SEEN_RESOLUTION_SECONDS:
        session["last_seen_at"] = now
    return None


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["HSTS"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static":
        # Pages carry personal health information: never keep them in shared caches.
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.before_request(_enforce_session_timeouts)
    app.after_request(_security_headers)
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        # The client's own address (for login throttling and the audit log) and scheme
        # (for secure cookies and links), as told by the trusted proxies in front.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
