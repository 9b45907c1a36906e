"""A new participant in a real browser, phone size: self-inventory, a goal, a plan (first at
confidence 5, which shows WHAM's rule, then 8), two days of the log, then the weekly check-in
and the progress chart showing the week."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, make_participant
from wham.factors import FACTORS
from wham.timeutil import local_today, utcnow

pytestmark = pytest.mark.e2e


def test_inventory_goal_plan_and_log(page, app, monkeypatch):
    tz = "America/Chicago"
    # The program week starts yesterday, so there are two days to log whatever today is.
    yesterday = local_today(utcnow(), tz) - timedelta(days=1)
    monkeypatch.setitem(app.config, "WEEK_STARTS_ON", yesterday.weekday())
    person = make_participant(app, display_name="Alex", time_zone=tz)

    page.goto("/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Alex")).to_be_visible()
    expect(page.get_by_text("Start with a quick self-inventory")).to_be_visible()
    screenshot(page, "goals-home-new-phone")

    page.get_by_role("link", name="Start my self-inventory").click()
    for n, factor in enumerate(FACTORS):
        group = page.get_by_role("group", name=factor.label("en"))
        group.get_by_role("radio", name=re.compile(rf"^{1 + n % 4}\b")).check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_text("Your self-inventory is saved")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("How satisfied I am"))).to_be_visible()
    page.get_by_text("Show the numbers as a table").click()
    expect(page.get_by_role("row", name=re.compile("Restful sleep"))).to_be_visible()
    screenshot(page, "goals-inventory-phone")

    page.get_by_role("link", name="Choose a goal").click()
    page.get_by_label("Which part of your whole health is this about?").select_option("activity")
    ideas = page.get_by_role("complementary", name="Ideas to get you started")
    ideas.get_by_text("Physical activity", exact=True).click()
    expect(ideas.get_by_text("Walk around the block three times a week")).to_be_visible()
    page.get_by_label("What I want").fill("Have more energy for my kids")
    page.get_by_label("Why it matters to me").fill("I want to play with them at the park.")
    page.get_by_label("Small steps along the way (optional)").fill("Walk 3 days\nWalk to the park")
    screenshot(page, "goals-goal-form-phone")
    page.get_by_role("button", name="Save my goal").click()
    expect(page.get_by_text("Your goal is saved")).to_be_visible()

    page.get_by_label("What I will do").fill("Walk around the block")
    page.get_by_label("How much").fill("20 minutes")
    page.get_by_label("When", exact=True).fill("after lunch")
    page.get_by_label("How many days this week").fill("6")
    page.get_by_label(re.compile("How sure am I")).fill("5")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.get_by_text("WHAM's rule is: if your confidence is below 7")).to_be_visible()
    expect(page.get_by_role("button", name="Save it anyway")).to_be_visible()
    screenshot(page, "goals-plan-rule-phone")
    page.get_by_label("How much").fill("10 minutes")
    page.get_by_label("How many days this week").fill("3")
    page.get_by_label(re.compile("How sure am I")).fill("8")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.get_by_text("Your plan for this week is saved")).to_be_visible()

    page.get_by_label("Day").select_option(index=1)  # yesterday
    page.get_by_text("Partly", exact=True).click()
    page.get_by_label("A short note (optional)").fill("Only got to the corner")
    page.get_by_role("button", name="Save this day").click()
    expect(page.get_by_text("Only got to the corner")).to_be_visible()
    page.get_by_text("Yes", exact=True).click()
    page.get_by_label("A short note (optional)").fill("Felt sad before, better after")
    page.get_by_label("Keep this note private (only I can see it)").check()
    page.get_by_role("button", name="Save this day").click()
    expect(page.get_by_text("Done on 1 day so far, of 3 planned.")).to_be_visible()
    expect(page.get_by_text("Private", exact=True)).to_be_visible()
    screenshot(page, "goals-log-phone")

    page.get_by_role("link", name="My goal", exact=True).click()
    expect(page.get_by_role("heading", name="Have more energy for my kids")).to_be_visible()
    screenshot(page, "goals-goal-phone")
    page.get_by_role("link", name="Change my plan").click()
    screenshot(page, "goals-plan-phone")
    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.get_by_text("1 of 3 planned days done")).to_be_visible()
    screenshot(page, "goals-home-phone")

    # The weekly check-in: days done come from the log; the progress chart shows the week.
    page.get_by_role("link", name="Check-in", exact=True).click()
    this_week = f"/check-in/{yesterday.isoformat()}"
    if not page.url.endswith(this_week):  # last week's check-in is offered first while open
        page.goto(this_week)
    expect(page.locator('input[name="days_done"][value="1"]')).to_be_checked()
    for n in range(1, 6):
        page.locator(f'input[name="who5_{n}"][value="3"]').check()
    page.locator('input[name="stress"][value="3"]').check()
    page.locator('input[name="confidence_next"][value="8"]').check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_text("Thank you. Your check-in is saved.")).to_be_visible()
    chart = page.get_by_role("img", name="Days you did your plan, and days you planned, each week")
    expect(chart).to_be_visible()
    expect(chart.locator("text").last).to_have_text(f"{yesterday:%b} {yesterday.day}")  # this week
    expect(chart.locator("rect.chart-planned")).to_have_count(2)  # the legend and this week
    expect(chart.locator("rect.chart-bar")).to_have_count(2)
    page.get_by_text("Show as a table").first.click()
    week_row = page.locator("table").first.locator("tbody tr").first
    expect(week_row.locator("td")).to_have_text(["3", "1"])  # planned, done
    screenshot(page, "goals-checkin-progress-phone")
