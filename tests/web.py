"""Driving the app as a browser would: CSRF tokens, form posts, signing in."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.factories import PASSWORD
from wham.accounts.models import User

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token for this client's session, read from a page as a browser would."""
    for path in ("/profile", "/login"):
        response = client.get(path)
        match = CSRF_RE.search(response.get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page offered a CSRF token")


def post_form(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST like a browser: with this session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client)} | (data or {}), **kwargs)


def login(client: FlaskClient, user: User | str, password: str = PASSWORD):
    email = user if isinstance(user, str) else user.email
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


