"""One-time secret tokens for links: random, handed out once, stored only as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import secrets

MAX_TOKEN_LENGTH = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store; only the hash is kept."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def looks_like_token(token: str | None) -> bool:
    """Cheap check before a lookup: empty or absurdly long input is never a token."""
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH
