"""Security basics read from real responses: headers, cookies, CSRF, error pages, timeouts,
safe redirects and /healthz."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import InternalServerError

from tests.factories import PASSWORD, make_admin, make_participant
from tests.web import CSRF_RE, csrf_token, login
from wham.audit import AuditEvent
from wham.errors import render_error
from wham.extensions import db
from wham.security import safe_next_url


def _no_stack_trace(body: str) -> None:
    for marker in ("Traceback", 'File "', "werkzeug", "sqlalchemy.exc", "Error:"):
        assert marker not in body


# --- headers and cookies ----------------------------------------------------------------


def test_security_headers_on_a_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer",
                                                   "strict-origin-when-cross-origin"}
    assert "no-store" in response.headers["Cache-Control"]


def test_signed_in_pages_and_error_pages_are_not_cached(app, client):
    login(client, make_participant(app))
    assert "no-store" in client.get("/profile").headers["Cache-Control"]
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "no-store" in missing.headers["Cache-Control"]
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style(app, client):
    login(client, make_participant(app))
    for path in ("/", "/profile", "/profile/password"):
        body = client.get(path).get_data(as_text=True)
        assert "<script>" not in body
        assert " style=" not in body
        assert " onclick=" not in body


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    user = make_participant(app)
    response = login(client, user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


# --- CSRF and error pages -----------------------------------------------------------------


def test_post_without_csrf_token_gets_the_friendly_400_page(app, client):
    make_participant(app, email="kim@example.org")
    response = client.post("/login", data={"email": "kim@example.org", "password": PASSWORD})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "reload the page" in body
    assert "Error 400" in body
    _no_stack_trace(body)
    # And nobody was signed in.
    assert client.get("/profile").status_code == 302


def test_post_with_a_wrong_csrf_token_is_refused(app, client):
    user = make_participant(app)
    login(client, user)
    response = client.post("/logout", data={"csrf_token": "not-the-token"})
    assert response.status_code == 400
    assert client.get("/profile").status_code == 200  # still signed in


def test_404_page(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "We couldn&#39;t find that page" in body or "We couldn't find that page" in body
    _no_stack_trace(body)


def test_405_page(client):
    response = client.get("/logout")  # logging out is POST only
    assert response.status_code == 405
    body = response.get_data(as_text=True)
    assert "can&#39;t be used that way" in body or "can't be used that way" in body
    _no_stack_trace(body)


def test_403_page_renders(app):
    with app.test_request_context("/"):
        body, code = render_error(403)
    assert code == 403
    assert "This action is not open to your account." in body
    _no_stack_trace(body)


def test_429_page_when_logins_come_too_fast(app, client):
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        token = csrf_token(client)
        codes = [client.post("/login", data={"csrf_token": token, "email": "x@example.org",
                                             "password": "wrong password"}).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = client.post("/login", data={"csrf_token": token, "email": "x@example.org",
                                               "password": "wrong password"})
        assert response.status_code == 429
        body = response.get_data(as_text=True)
        assert "Too many tries" in body
        assert "wait a minute" in body
        _no_stack_trace(body)
        # Reading the page is not limited.
        assert client.get("/login").status_code == 200
    finally:
        app.config["LOGIN_RATE_LIMIT"] = saved


def test_500_page_for_an_unexpected_error(app, client, monkeypatch):
    admin = make_admin(app)
    login(client, admin)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals /srv/wham/app.py line 12")

    monkeypatch.setattr("wham.admin.services.search_users", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/admin/users")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body
    _no_stack_trace(body)


def test_500_page_for_an_internal_server_error(app, client, monkeypatch):
    login(client, make_admin(app))

    def broken(*args, **kwargs):
        raise InternalServerError("details nobody should see")

    monkeypatch.setattr("wham.admin.services.search_users", broken)
    response = client.get("/admin/users")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "details nobody should see" not in body
    _no_stack_trace(body)


def test_503_page_when_the_database_is_unreachable(app, client, monkeypatch):
    login(client, make_admin(app))

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT secret", {}, Exception("connection refused"))

    monkeypatch.setattr("wham.admin.services.search_users", unreachable)
    response = client.get("/admin/users")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "not available right now" in body
    assert "SELECT secret" not in body and "connection refused" not in body
    _no_stack_trace(body)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_every_error_page_renders_with_its_code(app, code):
    with app.test_request_context("/"):
        body, status = render_error(code)
    assert status == code
    assert f"Error {code}" in body
    assert "<h1>" in body
    _no_stack_trace(body)


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example",
                                    "/\t/evil.example", "\\\\evil.example", "", None,
                                    "evil.example/path", "///evil.example",
                                    "/\r\nSet-Cookie: x=1", "/\n/evil.example", "/pro\x00file"])
def test_unsafe_next_targets_are_refused(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize("target", ["/profile", "/admin/users?page=2", "/people#top"])
def test_safe_next_targets_are_kept(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "/\r\nSet-Cookie: planted=1",
                                    "/\t/evil.example"])
def test_login_never_redirects_off_site(app, client, target):
    user = make_participant(app)
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_safe_next(app, client):
    user = make_participant(app)
    token = csrf_token(client)
    response = client.post("/login?next=/profile",
                           data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/profile"


# --- session timeouts -------------------------------------------------------------------------


def test_idle_timeout_signs_out_with_a_message_and_next(app, client):
    user = make_participant(app)
    login(client, user)
    assert client.get("/profile").status_code == 200
    with client.session_transaction() as sess:
        sess["last_seen_at"] = time.time() - 31 * 60
    response = client.get("/profile")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/profile"]}
    page = client.get(response.headers["Location"])
    assert "You were signed out because you were away for a while" in page.get_data(as_text=True)
    assert client.get("/profile").status_code == 302  # really signed out
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(
            action="auth.session_expired", actor_id=user.id).count() == 1


def test_activity_within_the_idle_timeout_keeps_the_session(app, client):
    login(client, make_participant(app))
    with client.session_transaction() as sess:
        sess["last_seen_at"] = time.time() - 29 * 60
    assert client.get("/profile").status_code == 200
    with client.session_transaction() as sess:
        assert sess["last_seen_at"] > time.time() - 60  # the clock restarted


def test_absolute_timeout_signs_out_even_an_active_session(app, client):
    login(client, make_participant(app))
    with client.session_transaction() as sess:
        sess["signed_in_at"] = time.time() - 12 * 3600 - 60
        sess["last_seen_at"] = time.time() - 10
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/profile").status_code == 302


def test_idle_timeout_follows_the_configured_length(app, client):
    saved = app.config["IDLE_TIMEOUT"]
    from datetime import timedelta

    app.config["IDLE_TIMEOUT"] = timedelta(minutes=5)
    try:
        login(client, make_participant(app))
        with client.session_transaction() as sess:
            sess["last_seen_at"] = time.time() - 6 * 60
        assert client.get("/profile").status_code == 302
    finally:
        app.config["IDLE_TIMEOUT"] = saved


# --- health -----------------------------------------------------------------------------------


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_down(client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", down, raising=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


# --- behind a reverse proxy ----------------------------------------------------------------


def test_without_trusted_proxies_forwarded_headers_are_ignored(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    user = make_participant(app)
    token = csrf_token(client)
    client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD},
                headers={"X-Forwarded-For": "203.0.113.9"})
    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="auth.login").one()
        assert event.ip_address == "127.0.0.1"


def test_behind_a_trusted_proxy_each_visitor_has_their_own_address(monkeypatch):
    from config import TestingConfig
    from wham import create_app

    class BehindProxy(TestingConfig):
        TRUSTED_PROXIES = 1

    proxied = create_app(BehindProxy)
    seen = []

    @proxied.get("/_test/whoami")
    def whoami():
        from flask import request

        seen.append((request.remote_addr, request.scheme))
        return "ok"

    response = proxied.test_client().get(
        "/_test/whoami", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9",
                                  "X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    # Only the last hop, the one our proxy added, is believed.
    assert seen == [("203.0.113.9", "https")]


def test_the_per_ip_login_limit_counts_each_visitor_behind_the_proxy(app, client):
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        token = csrf_token(client)

        def attempt(address):
            return client.post("/login", data={"csrf_token": token, "email": "x@example.org",
                                               "password": "wrong password"},
                               environ_base={"REMOTE_ADDR": address}).status_code

        assert [attempt("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert attempt("203.0.113.2") == 200  # someone else is not throttled
    finally:
        app.config["LOGIN_RATE_LIMIT"] = saved


def test_production_trusts_one_proxy_by_default():
    from config import ProductionConfig

    assert ProductionConfig.TRUSTED_PROXIES >= 1


def test_too_large_a_request_gets_the_friendly_413_page(client):
    response = client.post("/login", data={"email": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "That was too much to send" in body
    _no_stack_trace(body)


def test_form_fields_carry_no_empty_aria_attributes(client):
    """Bug fix: fields without help or errors rendered aria-describedby="None"."""
    body = client.get("/login").get_data(as_text=True)
    assert '="None"' not in body
    assert 'autocomplete="username"' in body


# --- production headers and cookies, read from real responses ----------------------------------


@pytest.fixture
def production_app(app):
    """The production configuration on the test database, behind one TLS proxy."""
    from config import ProductionConfig
    from wham import create_app

    class Production(ProductionConfig):
        SECRET_KEY = "a-production-like-secret-key-of-plenty-of-characters"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        ARGON2_TIME_COST, ARGON2_MEMORY_COST, ARGON2_PARALLELISM = 1, 8, 1
        SMS_BACKEND = "test"

    return create_app(Production)


HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}


def _assert_protective_headers(response, label: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip())
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, label
    assert directives.get("frame-ancestors") == "'none'", label
    assert directives.get("default-src") == "'self'", label
    assert directives.get("object-src") == "'none'", label
    assert headers.get("X-Content-Type-Options") == "nosniff", label
    assert headers.get("X-Frame-Options") == "DENY", label
    assert headers.get("Referrer-Policy") == "same-origin", label


def test_production_responses_carry_hsts_and_secure_cookies(app, production_app):
    user = make_participant(app)
    client = production_app.test_client()
    page = client.get("/login", headers=HTTPS)
    _assert_protective_headers(page, "GET /login")
    hsts = page.headers["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 31_536_000 and "includeSubDomains" in hsts
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    response = client.post("/login", headers=HTTPS | {"Referer": "https://localhost/login"},
                           data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite"} <= attributes, cookie
        assert "SameSite=Lax" in cookie
    # Signed-in pages, error pages and static files all carry the headers.
    for path in ("/", "/profile", "/no-such-page", "/static/css/wham.css"):
        response = client.get(path, headers=HTTPS)
        assert response.status_code in (200, 302, 404), path
        _assert_protective_headers(response, path)
        assert "Strict-Transport-Security" in response.headers, path


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_the_production_csrf_check_also_wants_a_same_site_referer(app, production_app):
    """Over HTTPS a form posted from another site is refused even with a token."""
    user = make_participant(app)
    client = production_app.test_client()
    token = CSRF_RE.search(client.get("/login", headers=HTTPS).get_data(as_text=True)).group(1)
    response = client.post("/login", headers=HTTPS | {"Referer": "https://evil.example/login"},
                           data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_every_page_a_participant_can_open_carries_the_headers(app):
    """Every GET route without arguments, as a signed-in participant: the headers are on all."""
    client = app.test_client()
    login(client, make_participant(app))
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        response = client.get(rule.rule)
        _assert_protective_headers(response, rule.rule)
        assert "no-store" in response.headers.get("Cache-Control", ""), rule.rule
        checked += 1
    assert checked >= 10


def test_pages_send_the_session_cookie_again_only_when_the_session_changes(app, client):
    login(client, make_participant(app))
    client.get("/profile")
    assert "Set-Cookie" not in client.get("/profile").headers  # seen seconds ago: nothing to re-sign
    with client.session_transaction() as sess:
        sess["last_seen_at"] = time.time() - 2 * 60
    assert "session=" in client.get("/profile").headers.get("Set-Cookie", "")


def test_503_page_when_the_database_fails_while_finding_who_is_signed_in(app, client, monkeypatch):
    """Bug fix, found by the PostgreSQL restart test (tests/test_faults.py): the error page
    itself asked the database who is signed in, failed again, and became a 500."""
    from wham.extensions import login_manager

    login(client, make_participant(app))
    token = csrf_token(client)

    def database_gone(session_token):
        raise OperationalError("SELECT users", {}, Exception("connection refused"))

    monkeypatch.setattr(login_manager, "_user_callback", database_gone)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    for response in (client.get("/profile"), client.post("/logout", data={"csrf_token": token}),
                     client.post("/logout", data={"csrf_token": "wrong"})):
        assert response.status_code == 503
        body = response.get_data(as_text=True)
        assert "not available right now" in body
        _no_stack_trace(body)
