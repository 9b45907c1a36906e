"""Absolute links for things that leave the app (reset links, SMS), built on PUBLIC_BASE_URL."""
from __future__ import annotations

from flask import current_app, url_for


def public_url(endpoint: str, **values) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
