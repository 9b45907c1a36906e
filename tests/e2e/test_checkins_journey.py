"""A participant checks in for the week in a real phone-sized browser: the days done come
pre-filled from the log, the progress chart shows the week, and asking for support now opens
the crisis page. Saves phone screenshots of the check-in, crisis and progress pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, make_participant, make_peer_specialist
from tests.goals.factories import make_goal, make_inventory
from wham.accounts.models import User
from wham.extensions import db
from wham.goals import services as goals
from wham.goals.models import ActionPlan
from wham.timeutil import local_today, local_week_start, utcnow

pytestmark = pytest.mark.e2e


def _answer(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def test_check_in_then_progress_then_support_now(app, page):
    peer = make_peer_specialist(app, display_name="Jordan")
    person = make_participant(app, display_name="Maria", email="maria.checkin@example.org",
                              peer_specialist_id=peer.id)
    goal = make_goal(app, person)
    make_inventory(app, person, rating=2, now=utcnow().replace(year=utcnow().year - 1))
    make_inventory(app, person, rating=3)
    with app.app_context():
        user = db.session.get(User, person.id)
        goals.log_day(user, db.session.get(ActionPlan, goal.plan_id),
                      local_today(utcnow(), user.time_zone), "yes", "", False, utcnow())

    page.goto("/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Check-in").first.click()
    expect(page.get_by_role("heading", name="Weekly check-in")).to_be_visible()
    # Early in a week the link offers last week while it is still open; she wants this one.
    this_week = f"/check-in/{local_week_start(utcnow(), person.time_zone).isoformat()}"
    if not page.url.endswith(this_week):
        page.goto(this_week)
    expect(page.locator('input[name="days_done"][value="1"]')).to_be_checked()  # from the log
    for n in range(1, 6):
        _answer(page, f"who5_{n}", "3")
    _answer(page, "stress", "4")
    page.get_by_label("What helped?").fill("Walking after lunch with my neighbor")
    _answer(page, "confidence_next", "8")
    screenshot(page, "checkin-form-phone")
    page.get_by_role("button", name="Save my check-in").click()

    expect(page.get_by_text("Thank you. Your check-in is saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    page.get_by_text("Show as a table").first.click()
    first_row = page.locator("table").first.locator("tbody tr").first
    expect(first_row.locator("td").nth(0)).to_have_text("3")  # planned
    expect(first_row.locator("td").nth(1)).to_have_text("1")  # done
    screenshot(page, "checkin-progress-phone")

    # Later the same week she asks for support now: the crisis page opens at once.
    page.goto(page.locator("table").first.locator("tbody tr a").first.get_attribute("href"))
    expect(page.get_by_text("You checked in for this week already")).to_be_visible()
    page.get_by_label("Yes, I need support now").check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_role("heading", name="You do not have to go through this alone")).to_be_visible()
    expect(page.get_by_text("We let Jordan, your peer specialist, know")).to_be_visible()
    expect(page.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    screenshot(page, "checkin-crisis-phone")
