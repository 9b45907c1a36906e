"""Absolute links for things that leave the app (reset links, SMS), built on PUBLIC_BASE_URL."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    # The scheduler builds links outside any request: the path alone, from the URL map.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
