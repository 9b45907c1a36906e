"""The header for each role: the main links (a participant's eight places), the account links
beside the program's name, the current section marked, and every link opening a page."""
from __future__ import annotations

import re

import pytest

from tests.factories import make_admin, make_family, make_participant, make_peer_specialist
from tests.web import login

MAKERS = {"participant": make_participant, "peer": make_peer_specialist, "admin": make_admin,
          "family": make_family}
MAIN = {
    "participant": ["Home", "My goal", "Log", "Check-in", "Progress", "Support plan", "Sharing",
                    "My groups"],
    "peer": ["My groups", "My participants"],
    "admin": ["Program", "People", "Groups", "Texts", "Audit log"],
    "family": [],
}


def _nav(page: str, label: str) -> str | None:
    found = re.search(rf'<nav class="[^"]*" aria-label="{label}">(.*?)</nav>', page, re.S)
    return found.group(1) if found else None


def _links(html: str) -> list[tuple[str, str]]:
    return [(href, re.sub(r"\s+", " ", text).strip())
            for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)]


@pytest.mark.parametrize("role", MAIN)
def test_each_role_has_its_main_links_and_the_account_links(app, role):
    client = app.test_client()
    login(client, MAKERS[role](app))
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    main = _nav(page, "Main")
    assert [text for _, text in _links(main or "")] == MAIN[role]
    account = _nav(page, "My account")
    assert [text for _, text in _links(account)] == ["Profile"]
    assert "Sign out" in account and 'name="csrf_token"' in account
    for href, text in _links(main or "") + _links(account):
        assert client.get(href, follow_redirects=True).status_code == 200, (role, text)


def test_the_participants_pages_mark_their_section(app):
    client = app.test_client()
    login(client, make_participant(app))
    for url, section in (("/goals", "My goal"), ("/goals/new", "My goal"),
                         ("/inventory", "Progress"), ("/inventory/take", "Progress"),
                         ("/progress", "Progress"), ("/check-in", "Check-in")):
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
        current = re.findall(r'<a href="[^"]+" aria-current="(?:page|true)">([^<]+)</a>',
                             _nav(page, "Main"))
        assert current == [section], url


def test_signed_out_visitors_see_sign_in_and_no_main_links(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login"' in page and "Sign out" not in page
    assert 'aria-label="My account"' not in page
