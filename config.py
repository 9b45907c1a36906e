"""Configuration classes for WHAM, read from environment variables only."""
from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# Keys that must never be used in production (shipped defaults, common placeholders).
WEAK_SECRET_KEYS = {"", "dev", "dev-only-insecure-key", "changeme", "secret", "secret-key"}
MIN_SECRET_KEY_LENGTH = 32


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def N_(text: str) -> str:
    """Marks a text for the Spanish catalog; templates translate it where it is shown."""
    return text


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key")
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite:///wham.db")  # relative: inside instance/
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Program settings
    PROGRAM_NAME = os.environ.get("WHAM_PROGRAM_NAME", "WHAM")
    SELF_REGISTRATION = _env_bool("WHAM_SELF_REGISTRATION", True)
    DEFAULT_TIME_ZONE = os.environ.get("WHAM_DEFAULT_TIME_ZONE", "America/New_York")
    # First day of the participant's week: 0 Monday ... 6 Sunday.
    WEEK_STARTS_ON = _env_int("WHAM_WEEK_STARTS_ON", 0)
    DEFAULT_PHONE_REGION = os.environ.get("WHAM_DEFAULT_PHONE_REGION", "US")
    # Active whole-health goals a participant may have at once: 1 by default, at most 3.
    MAX_ACTIVE_GOALS = max(1, min(_env_int("WHAM_MAX_ACTIVE_GOALS", 1), 3))
    CRISIS_LINES = [
        (N_("Call or text"), "988", "tel:988"),
        (N_("SAMHSA National Helpline"), "1-800-662-4357", "tel:+18006624357"),
    ]
    # Weekly check-in: optional standard measures, and when a check-in raises a safety flag.
    CHECKIN_PHQ9_ENABLED = _env_bool("WHAM_CHECKIN_PHQ9_ENABLED", False)
    CHECKIN_GAD7_ENABLED = _env_bool("WHAM_CHECKIN_GAD7_ENABLED", False)
    SAFETY_PHQ9_THRESHOLD = _env_int("WHAM_SAFETY_PHQ9_THRESHOLD", 20)  # flag at this total or more
    SAFETY_GAD7_THRESHOLD = _env_int("WHAM_SAFETY_GAD7_THRESHOLD", 15)  # the same; 15 = severe
    SAFETY_WHO5_MIN = _env_int("WHAM_SAFETY_WHO5_MIN", 28)  # flag at this WHO-5 score or less

    # Sessions and accounts
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    IDLE_TIMEOUT = timedelta(minutes=_env_int("WHAM_IDLE_TIMEOUT_MINUTES", 30))
    ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is sent again only when the session changes (wham/security.py restarts the idle
    # clock once a minute); the 12-hour absolute limit is enforced from the sign-in time.
    SESSION_REFRESH_EACH_REQUEST = False
    RESET_LINK_LIFETIME = timedelta(hours=24)
    INVITE_CODE_LIFETIME = timedelta(days=14)
    # argon2id parameters (RFC 9106 second recommended option: 64 MiB, 3 passes).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4
    # Per-account back-off after failed logins: free tries, then a lock that doubles.
    LOGIN_FREE_FAILURES = 5
    LOGIN_LOCK_BASE = timedelta(minutes=1)
    LOGIN_LOCK_MAX = timedelta(minutes=30)
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"

    # Flask-Limiter: memory by default; Redis where several web nodes must share counters.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # Flask-Caching, for figures a page may show a little late. SimpleCache keeps them in each
    # process (every gunicorn worker computes its own copy); several workers or web nodes can
    # share one copy with CACHE_TYPE=RedisCache and CACHE_REDIS_URL=redis://host:6379/0 (this
    # needs the `redis` package installed). Each use names its own timeout; this is the fallback.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_KEY_PREFIX = "wham:"  # one Redis may serve other apps too
    CACHE_DEFAULT_TIMEOUT = 60  # seconds

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = {"en": "English", "es": "Español"}
    MAX_CONTENT_LENGTH = 1024 * 1024

    DEMO_DATA_ALLOWED = True
    HSTS = False
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted. Without
    # this, behind a proxy every visitor shares the proxy's address, so the per-IP login limit
    # would throttle everyone together and the audit log would record only the proxy.
    TRUSTED_PROXIES = _env_int("WHAM_TRUSTED_PROXIES", 0)

    # Text messages: twilio (production), console (prints; the development default) or test.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM = os.environ.get("TWILIO_FROM", "")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
    # Empty means the real Twilio API; a local fake provider's origin in benchmarks.
    TWILIO_API_ORIGIN = os.environ.get("TWILIO_API_ORIGIN", "")
    SMS_RATE_PER_SECOND = float(os.environ.get("SMS_RATE_PER_SECOND", "1"))
    SMS_HTTP_TIMEOUT = float(os.environ.get("SMS_HTTP_TIMEOUT", "10"))
    SMS_SEND_BATCH = _env_int("SMS_SEND_BATCH", 50)
    # Enough tries to outlast a provider outage of an hour; the window ends them sooner.
    SMS_MAX_ATTEMPTS = _env_int("SMS_MAX_ATTEMPTS", 10)
    SMS_RETRY_BASE = timedelta(seconds=30)
    SMS_RETRY_MAX = timedelta(minutes=30)
    # A claim older than this whose worker never finished it is released (see outbox).
    SMS_CLAIM_TIMEOUT = timedelta(seconds=_env_int("SMS_CLAIM_TIMEOUT_SECONDS", 600))
    SMS_CODE_LIFETIME = timedelta(minutes=10)
    SMS_CODE_MAX_ATTEMPTS = 5
    SMS_CODE_RESEND_AFTER = timedelta(seconds=60)
    SMS_CODES_PER_DAY = 5
    # The admin's delivery statistics count a week of the outbox: they are computed at most this
    # often and shown with the time they were computed (a product decision: at most 30 s old).
    SMS_STATISTICS_MAX_AGE_SECONDS = 30
    # Nudges (wham/nudges): a follow-up this long after an unanswered check-in reminder, the
    # group reminder at this local time the day before, and how far back a planner that was
    # stopped still catches up on nudges it missed.
    NUDGE_FOLLOWUP_AFTER = timedelta(hours=_env_int("WHAM_NUDGE_FOLLOWUP_HOURS", 24))
    NUDGE_GROUP_REMINDER_AT = time(_env_int("WHAM_NUDGE_GROUP_REMINDER_HOUR", 17), 0)
    NUDGE_CATCH_UP = timedelta(hours=2)

    # Email (Flask-Mailman over SMTP): sent only when MAIL_SERVER is set; invitation links are
    # always shown on the page as well.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)  # STARTTLS, as on port 587
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)  # seconds; a stuck server must not hang a page


class DevelopmentConfig(Config):
    DEBUG = False  # the interactive debugger is never on; error pages stay friendly


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production-use"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # tests/conftest.py picks a file or TEST_DATABASE_URL
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    LOGIN_RATE_LIMIT = "1000 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    SELF_REGISTRATION = True
    PUBLIC_BASE_URL = "http://localhost"
    SMS_BACKEND = "test"
    TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    TWILIO_AUTH_TOKEN = "test-auth-token"  # noqa: S105 - signs webhook requests in tests
    TWILIO_FROM = "+15005550006"
    TWILIO_MESSAGING_SERVICE_SID = ""
    TWILIO_API_ORIGIN = ""
    SMS_RATE_PER_SECOND = 0.0  # 0: no pacing; the pacer has its own tests
    # Nothing cached: tests share one app, so one test's figures must not show in the next.
    # Tests of caching build their own app with a real cache.
    CACHE_TYPE = "NullCache"
    CACHE_NO_NULL_WARNING = True
    MAIL_SERVER = ""  # no email unless a test points it at its local fake SMTP server


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    DEMO_DATA_ALLOWED = False
    HSTS = True
    TRUSTED_PROXIES = _env_int("WHAM_TRUSTED_PROXIES", 1)  # deployed behind one TLS proxy

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a missing or guessable SECRET_KEY."""
        key = cls.SECRET_KEY or ""
        if key in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                "Production needs a real SECRET_KEY (at least 32 random characters), "
                "for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
