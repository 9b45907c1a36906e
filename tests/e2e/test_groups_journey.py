"""A group in a real browser: Jordan (peer specialist) starts a group and shares the code, a
participant reads the notice and joins, then checks in asking for support now; Jordan takes
attendance for sessions 1 to 3, sees her flagged first on the dashboard and acknowledges the
flag with a note of the call; the admin sees the group. Each step passes axe-core and fits
the phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.pages import assert_page_ok
from tests.factories import PASSWORD, make_admin, make_participant, make_peer_specialist
from wham.timeutil import local_week_start, utcnow

pytestmark = pytest.mark.e2e


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def _answer(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


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
    assert_page_ok(page)
    screenshot(page, "group-join-notice-phone")
    page.get_by_role("button", name="Join the group").click()
    expect(page.get_by_text("Tick the box to agree")).to_be_visible()
    page.get_by_label("I have read what my facilitator will see, and I agree.").check()
    page.get_by_role("button", name="Join the group").click()
    expect(page.get_by_text("Welcome to Tuesday evening group!")).to_be_visible()
    page.get_by_label("Share a win with your group").fill("Walked three days this week")
    page.get_by_role("button", name="Share").click()
    expect(page.get_by_text("Walked three days this week")).to_be_visible()
    # A hard week: she checks in and asks for support now, which flags it for Jordan.
    page.get_by_role("link", name="Check-in").first.click()
    this_week = f"/check-in/{local_week_start(utcnow(), participant.time_zone).isoformat()}"
    if not page.url.endswith(this_week):
        page.goto(this_week)
    _answer(page, "days_done", "0")
    for n in range(1, 6):
        _answer(page, f"who5_{n}", "2")
    _answer(page, "stress", "7")
    _answer(page, "confidence_next", "5")
    page.get_by_label("Yes, I need support now").check()
    page.get_by_role("button", name="Save my check-in").click()
    expect(page.get_by_role("heading", name="You do not have to go through this alone")).to_be_visible()
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
    # Sessions 2 and 3: Maria is excused once, then comes back.
    for number, answer in ((2, "Excused"), (3, "Present")):
        page.locator(".session-list li").nth(number - 1).get_by_role("link").click()
        expect(page.get_by_role("heading", name=f"Session {number}")).to_be_visible()
        page.get_by_role("group", name="Maria").get_by_label(answer).check()
        assert_page_ok(page)
        page.get_by_role("button", name="Save attendance").click()
        expect(page.get_by_text(f"Attendance for session {number} is saved.")).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "group-page-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "group-page-desktop")
    page.set_viewport_size(PHONE)

    # The dashboard puts Maria first, in words as well as colour; Jordan calls her, then
    # acknowledges the flag with a note of the call.
    page.get_by_role("link", name="How the group is doing: dashboard").click()
    expect(page.get_by_role("alert")).to_contain_text("1 member asked for support now")
    maria = page.get_by_role("row", name=re.compile("Maria"))
    expect(maria).to_contain_text("Crisis: Asked for support now")
    expect(maria).to_contain_text("Done")  # this week's check-in
    assert_page_ok(page)
    screenshot(page, "group-dashboard-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "group-dashboard-desktop")
    page.set_viewport_size(PHONE)
    maria.get_by_role("link", name=re.compile("Asked for support now")).click()
    expect(page.get_by_role("heading", name="Maria: Asked for support now")).to_be_visible()
    page.get_by_role("button", name="Acknowledge flag").click()
    expect(page.get_by_text("Write a short note of your contact first.")).to_be_visible()
    page.get_by_label("What happened: your 1:1 contact note").fill(
        "Called Maria. She is safe tonight and her sister is with her; she will come Tuesday.")
    assert_page_ok(page)
    screenshot(page, "group-flag-phone")
    page.get_by_role("button", name="Acknowledge flag").click()
    expect(page.get_by_text("Flag acknowledged for Maria. Your note is saved.")).to_be_visible()
    expect(page.get_by_text("asked for support now or may be in crisis")).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Maria"))).not_to_contain_text("Asked for support now")
    page.get_by_role("link", name="Maria", exact=True).click()
    expect(page.get_by_text("She is safe tonight and her sister is with her")).to_be_visible()
    _sign_out(page)

    _sign_in(page, admin.email)
    page.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("row", name=re.compile("Tuesday evening group.*Jordan"))).to_be_visible()
