"""A group in a real browser: Jordan (peer specialist) starts a group and shares the code, a
participant reads the notice and joins, Jordan takes attendance; the admin sees the group."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.factories import PASSWORD, make_admin, make_participant, make_peer_specialist

pytestmark = pytest.mark.e2e


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_create_share_join_and_take_attendance(page, app):
    admin = make_admin(app)
    peer = make_peer_specialist(app, display_name="Jordan")
    participant = make_participant(app, display_name="Maria")

    _sign_in(page, peer.email)
    page.get_by_role("link", name="My groups").click()
    page.get_by_role("link", name="Start a group").click()
    page.get_by_label("Group name").fill("Tuesday evening group")
    page.get_by_label("First week starts on").fill("2026-11-16")
    page.get_by_label("Meets on").select_option(label="Tuesday")
    page.get_by_label("Starts at (local time)").fill("18:00")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Place (optional)").fill("Community Room B")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_text("The group is created.")).to_be_visible()
    code = page.locator(".join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{7}", code)
    _sign_out(page)

    _sign_in(page, participant.email)
    page.get_by_role("link", name="My groups").click()
    page.get_by_label("Join code").fill(code.lower())
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="What your facilitator will see")).to_be_visible()
    expect(page.get_by_text("They never see log notes you mark as private.")).to_be_visible()
    screenshot(page, "group-join-notice-phone")
    page.get_by_role("button", name="Join the group").click()
    expect(page.get_by_text("Tick the box to agree")).to_be_visible()
    page.get_by_label("I have read what my facilitator will see, and I agree.").check()
    page.get_by_role("button", name="Join the group").click()
    expect(page.get_by_text("Welcome to Tuesday evening group!")).to_be_visible()
    page.get_by_label("Share a win with your group").fill("Walked three days this week")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_text("Walked three days this week")).to_be_visible()
    _sign_out(page)

    _sign_in(page, peer.email)
    page.get_by_role("link", name="My groups").click()
    page.get_by_role("link", name="Tuesday evening group").click()
    expect(page.get_by_role("row", name=re.compile("Maria"))).to_be_visible()
    page.get_by_role("link", name=re.compile(r"Tue, Nov 17")).click()
    expect(page.get_by_role("heading", name="Session 1")).to_be_visible()
    page.get_by_role("group", name="Maria").get_by_label("Present").check()
    screenshot(page, "group-attendance-phone")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance for session 1 is saved.")).to_be_visible()
    expect(page.get_by_text("1 present")).to_be_visible()
    screenshot(page, "group-page-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "group-page-desktop")
    page.set_viewport_size(PHONE)
    _sign_out(page)

    _sign_in(page, admin.email)
    page.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("row", name=re.compile("Tuesday evening group.*Jordan"))).to_be_visible()
