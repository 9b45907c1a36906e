"""A new participant in a real browser: register, sign out, sign in, edit profile, sign out."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_register_login_edit_profile_logout(page):
    page.goto("/register")
    screenshot(page, "register-phone")
    page.get_by_label("Your name").fill("Alex")
    page.get_by_label("Email").fill("alex@example.org")
    page.get_by_label("Password", exact=True).fill("a long walk every day")
    page.get_by_label("Type the password again").fill("a long walk every day")
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Hello, Alex")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You are signed out")).to_be_visible()

    page.get_by_label("Email").fill("alex@example.org")
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That email and password don't match")).to_be_visible()
    page.get_by_label("Password").fill("a long walk every day")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Alex")).to_be_visible()

    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_label("Mobile number (optional)").fill("not a phone")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Enter a mobile number such as")).to_be_visible()
    expect(page.get_by_label("Mobile number (optional)")).to_have_value("not a phone")
    page.get_by_label("Your name").fill("Alex R.")
    page.get_by_label("Mobile number (optional)").fill("(202) 555-0188")
    page.get_by_role("button", name="Save my profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Mobile number (optional)")).to_have_value("+1 202-555-0188")
    screenshot(page, "profile-phone")

    page.get_by_role("button", name="Sign out").click()
    page.goto("/profile")
    expect(page).to_have_url(re.compile(r"/login\?next="))
