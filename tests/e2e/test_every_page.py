"""Every page each role can reach, in English and in Spanish, on a 360x640 phone: no serious or
critical axe-core violations and every chart with a text alternative and a table (checked in
English: the markup is the same), no sideways scrolling
(also at 320 px: WCAG reflow), tap targets of 44 px, and a phone screenshot of each page in each
language under test-output/screenshots/pages. The pages are found by following links from the
home page of each demo account, so new pages are checked too."""
from __future__ import annotations

import os
from collections import deque

import pytest
from sqlalchemy import update

from tests.e2e.conftest import SCREENSHOT_DIR, screenshot
from tests.e2e.pages import (
    accessibility_problems,
    chart_problems,
    page_kind,
    phone_problems,
    reflow_problems,
    same_site_links,
)
from wham.accounts.models import User
from wham.demo import DEMO_PASSWORD, load_demo
from wham.extensions import db
from wham.timeutil import utcnow

pytestmark = pytest.mark.e2e

PHONE_SMALL = {"width": 360, "height": 640}
MAX_PAGES = 60
ACCOUNTS = {
    "visitor": None,
    "participant": "maria@example.org",
    "peer": "peer@example.org",
    "admin": "admin@example.org",
    "family": "family@example.org",
}
# Pages that end the session or only answer a form post are not crawled.
SKIP = ("/logout",)


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo(utcnow())
    return app


def _use_language(app, email: str, language: str) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(language=language))
        db.session.commit()


def _sign_in(page, email: str, language: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in"
    assert page.locator("html").get_attribute("lang") == language


def _crawl(page, base: str, name: str, axe: bool) -> dict[str, list[str]]:
    """Visit each kind of page once, breadth first from the home page; problems per page.
    axe-core runs in one language only: the markup is the same, and it is the slow part."""
    seen_kinds: set[str] = set()
    queue = deque([f"{base}/", f"{base}/no-such-page"])  # the error page too
    problems: dict[str, list[str]] = {}
    while queue and len(seen_kinds) < MAX_PAGES:
        url = queue.popleft()
        kind = page_kind(url)
        if kind in seen_kinds or any(s in url for s in SKIP):
            continue
        seen_kinds.add(kind)
        response = page.goto(url)
        status = response.status if response else None
        assert status is not None and status < 500, f"{url} answered {status}"
        found = ((accessibility_problems(page) + chart_problems(page) if axe else [])
                 + phone_problems(page) + reflow_problems(page))
        if found:
            problems[kind] = found
        slug = kind.strip("/").replace("/", "-").replace("?", "-").replace("&", "-") or "home"
        screenshot(page, f"pages/{name}/{slug}")
        queue.extend(link for link in same_site_links(page, base) if page_kind(link) not in seen_kinds)
    assert len(seen_kinds) > 1, "the crawl found no pages"
    return problems


@pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="pages are the same on either database: the crawl runs once, on SQLite")
@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_is_accessible_and_fits_a_phone(demo, browser, live_server, role):
    email = ACCOUNTS[role]
    problems: dict[str, list[str]] = {}
    for language in ("en", "es"):
        if email:
            _use_language(demo, email, language)
        context = browser.new_context(viewport=PHONE_SMALL, base_url=live_server,
                                      locale="es-US" if language == "es" else "en-US")
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if email:
                _sign_in(page, email, language)
            found = _crawl(page, live_server, f"{role}-{language}", axe=language == "en")
        finally:
            context.close()
        problems |= {f"{kind} ({language})": items for kind, items in found.items()}
    report = "\n".join(f"{kind}:\n  " + "\n  ".join(items) for kind, items in sorted(problems.items()))
    report_file = SCREENSHOT_DIR.parent / f"page-problems-{role}.txt"
    report_file.unlink(missing_ok=True)
    if problems:
        report_file.write_text(report)
    assert not problems, f"{len(problems)} pages have problems for the {role}:\n{report}"
