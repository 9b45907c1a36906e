"""An admin's day in a real browser, on the demo program: signing in with the keyboard only,
the overview, a new peer specialist with a one-time link (which she opens in Spanish to choose
her password, once), an invite code, finding a participant and giving her
that peer specialist, turning an account off and on, a new group, text-message delivery
statistics, and the audit log showing the day. Each page passes axe-core and fits the phone;
screenshots are saved per step."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.pages import assert_page_ok, tab_to
from wham.accounts.models import User
from wham.demo import DEMO_PASSWORD, load_demo
from wham.extensions import db
from wham.sms.models import OutboxStatus, SmsKind
from wham.sms.outbox import queue_message
from wham.timeutil import local_today, utcnow

pytestmark = pytest.mark.e2e


def _seed_texts(app) -> None:
    """Two of yesterday's reminders: one delivered, one refused for a number that is not valid."""
    now = utcnow()
    with app.app_context():
        people = db.session.scalars(select(User).where(User.email.in_(
            ["maria@example.org", "james@example.org"])).order_by(User.email)).all()
        for person, status, error in zip(people, (OutboxStatus.FAILED, OutboxStatus.DELIVERED),
                                         ("21211", None), strict=True):
            message = queue_message(person, SmsKind.CHECKIN_REMINDER, "WHAM: time for your check-in.",
                                    f"e2e-admin:{person.id}", to_e164=person.mobile_e164,
                                    not_before=now - timedelta(days=1), expires_at=now, now=now,
                                    commit=False)
            message.status, message.error_code, message.attempts = status, error, 1
        db.session.commit()


def test_an_admins_day(page, app, browser, live_server):
    with app.app_context():
        load_demo(utcnow())
    _seed_texts(app)

    # Signing in with the keyboard only, each stop visibly focused.
    page.goto("/login")
    tab_to(page, "#email")
    page.keyboard.type("admin@example.org")
    tab_to(page, "#password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Program overview")).to_be_visible()
    expect(page.locator(".stat", has_text="Participants").locator(".stat-number")).to_have_text("12")
    assert_page_ok(page)
    screenshot(page, "admin-day/01-overview-phone")

    # A new peer specialist: mistakes first, then the account and its one-time link.
    page.get_by_role("link", name="Add a peer specialist").click()
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_page_ok(page)
    page.get_by_label("Your name").fill("Dana")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="Account created for Dana")).to_be_visible()
    link = page.locator(".one-time-link code").inner_text()
    assert "/reset/" in link
    link = "/reset/" + link.split("/reset/")[1]  # the public address is the test server's here
    assert_page_ok(page)
    screenshot(page, "admin-day/02-new-peer-link-phone")

    # Dana opens the link on her own phone, whose browser asks for Spanish, and chooses her
    # password; the link works once.
    dana = browser.new_context(viewport=PHONE, base_url=live_server, locale="es-US").new_page()
    dana.goto(link)
    expect(dana.get_by_role("heading", name="Elija una contraseña nueva")).to_be_visible()
    assert_page_ok(dana)
    dana.get_by_label("Contraseña nueva").fill("un paseo largo cada tarde")
    dana.get_by_label("Escriba la contraseña otra vez").fill("un paseo largo cada tarde")
    dana.get_by_role("button", name="Guardar mi contraseña nueva").click()
    # Signed in, her profile's language (English, as the admin made it) comes before the browser's.
    expect(dana.get_by_text("Your new password is set.")).to_be_visible()
    dana.get_by_role("button", name="Sign out").click()
    dana.goto(link)
    expect(dana.get_by_role("heading", name="Este enlace ya no funciona")).to_be_visible()
    assert_page_ok(dana)
    dana.context.close()

    # An invite code for a new participant.
    page.get_by_role("link", name="Program", exact=True).click()
    page.get_by_role("button", name="Make an invite code").click()
    expect(page.get_by_role("heading", name="New invite code")).to_be_visible()
    assert_page_ok(page)

    # Rosa gets Dana as her peer specialist.
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Name or email").fill("rosa")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 person")).to_be_visible()
    assert_page_ok(page)
    page.get_by_role("link", name="Rosa").click()
    expect(page.locator(".facts")).to_contain_text("Participant")
    page.get_by_label("Peer specialist").select_option(label="Dana")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("Peer specialist")).to_have_value(re.compile(r"\d+"))
    assert_page_ok(page)
    screenshot(page, "admin-day/03-person-phone")

    # Sam has left the program: his sign-in is turned off, then back on by mistake-fix.
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Name or email").fill("sam@example.org")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Sam").click()
    page.get_by_role("button", name="Turn off sign-in").click()
    expect(page.get_by_text("Sam can no longer sign in.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Turned off")
    page.get_by_role("button", name="Turn sign-in back on").click()
    expect(page.get_by_text("Sam can sign in again.")).to_be_visible()

    # A new group that Dana facilitates.
    page.get_by_role("link", name="Groups", exact=True).click()
    assert_page_ok(page)
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Group name").fill("Tuesday evening group")
    page.get_by_label("Facilitators").select_option(label="Dana")
    page.get_by_label("First week starts on").fill(local_today(utcnow(), "America/New_York").isoformat())
    page.get_by_label("Meets on").select_option(label="Tuesday")
    page.get_by_label("Starts at (local time)").fill("18:00")
    page.get_by_label("Place (optional)").fill("Community room, 12 Main St")
    assert_page_ok(page)
    page.get_by_role("button", name="Create group").click()
    created = re.compile(r"The group is created\. Its join code is [A-Z0-9]{7}\.")
    expect(page.get_by_text(created)).to_be_visible()
    assert_page_ok(page)
    screenshot(page, "admin-day/04-new-group-phone")

    # How the texts went: one delivered, one to a number that cannot get texts.
    page.get_by_role("link", name="Texts", exact=True).click()
    expect(page.get_by_role("heading", name="Text message delivery")).to_be_visible()
    by_kind = page.get_by_role("table").first
    expect(by_kind.get_by_role("row", name=re.compile("Check-in reminder"))).to_be_visible()
    failures = page.get_by_role("table").last
    expect(failures).to_contain_text("21211")
    expect(failures).to_contain_text("Failed")
    assert_page_ok(page)
    screenshot(page, "admin-day/05-texts-phone")

    # The audit log shows the day's work, and can be narrowed to one person.
    page.get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    log = page.locator("table")
    for action in ("Created an account", "Changed a peer specialist", "Turned on an account's sign-in",
                   "Created a group"):
        expect(log).to_contain_text(action)
    assert_page_ok(page)
    screenshot(page, "admin-day/06-audit-phone")
    page.get_by_label("Person").fill("Sam")
    page.get_by_role("button", name="Filter").click()
    expect(log).to_contain_text("Turned on an account's sign-in")
    expect(log).not_to_contain_text("Created a group")
