"""A participant shares their crisis plan with a family member, then stops sharing, in a real
browser: write the plan, invite and sign, accept as the family member, revoke, refused."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.pages import assert_page_ok
from tests.factories import PASSWORD, make_participant

pytestmark = pytest.mark.e2e


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_share_crisis_plan_accept_then_revoke(app, browser, live_server):
    make_participant(app, display_name="Maria", email="maria.e2e@example.org")
    maria_context = browser.new_context(viewport={"width": 360, "height": 740},
                                        base_url=live_server, locale="en-US")
    maria = maria_context.new_page()
    _sign_in(maria, "maria.e2e@example.org")

    # The participant writes a support plan.
    maria.get_by_role("link", name="Support plan").click()
    maria.get_by_role("link", name="Write my plan").click()
    maria.get_by_label("My wellness toolbox").fill("Walks by the river")
    maria.get_by_label("Signs others should watch for").fill("I stay in my room all day")
    maria.locator("#contacts-0-name").fill("Ana")
    maria.locator("#contacts-0-relationship").fill("Sister")
    maria.locator("#contacts-0-phone").fill("202-555-0110")
    maria.get_by_role("button", name="Save my plan").click()
    expect(maria.get_by_text("Your support plan is saved.")).to_be_visible()

    # ... invites Ana with the crisis plan only, reads and signs.
    maria.get_by_role("link", name="Sharing", exact=True).click()
    maria.get_by_role("link", name="Share with someone").click()
    maria.get_by_label("Their name").fill("Ana")
    maria.get_by_label("Their email").fill("ana.e2e@example.org")
    maria.get_by_label("My crisis plan only").check()
    maria.get_by_label("To help me in a crisis").check()
    maria.get_by_label("Or stop sharing when this happens").fill("When I finish the program")
    screenshot(maria, "family-consent-form-phone")
    maria.get_by_role("button", name="Next: read and sign").click()
    expect(maria.get_by_text("Not signed yet. Nothing is shared.")).to_be_visible()
    maria.get_by_label("Type your full name to sign").fill("Maria Alvarez")
    maria.get_by_label("I have read this. I want to share what it says.").check()
    screenshot(maria, "family-consent-sign-phone")
    maria.get_by_role("button", name="Sign and make the link").click()
    link = maria.locator(".one-time-link code").inner_text()
    assert "/invitation/" in link
    # No mail server here: the page says to send the link by hand.
    expect(maria.get_by_text("Send this link to Ana yourself")).to_be_visible()
    screenshot(maria, "family-invite-link-phone")

    # The family member opens the link, reads the same text, creates an account, accepts.
    ana_context = browser.new_context(viewport={"width": 360, "height": 740},
                                      base_url=live_server, locale="en-US")
    ana = ana_context.new_page()
    ana.goto("/invitation/" + link.split("/invitation/")[1])
    expect(ana.get_by_text("The crisis plan only")).to_be_visible()
    expect(ana.get_by_text("Signed by Maria Alvarez")).to_be_visible()
    assert_page_ok(ana)
    ana.get_by_label("Your name").fill("Ana")
    ana.get_by_label("Email").fill("ana.e2e@example.org")
    ana.get_by_label("Password", exact=True).fill(PASSWORD)
    ana.get_by_label("Type the password again").fill(PASSWORD)
    ana.get_by_label("I have read what is shared with me").check()
    ana.get_by_role("button", name="Create my account and accept").click()
    expect(ana.get_by_role("heading", name="Shared by Maria")).to_be_visible()
    expect(ana.get_by_role("link", name="Support plan")).to_have_count(0)  # not granted
    ana.get_by_role("link", name="Crisis plan").click()
    expect(ana.get_by_text("I stay in my room all day")).to_be_visible()
    expect(ana.get_by_text("Please keep this private.")).to_be_visible()
    expect(ana.get_by_text("Walks by the river")).to_have_count(0)  # outside the crisis plan
    assert_page_ok(ana)
    screenshot(ana, "family-view-phone")

    # The participant stops sharing; Ana's next click is refused, clearly.
    maria.goto("/sharing")
    maria.get_by_role("button", name="Stop sharing").click()
    expect(maria.get_by_text("Sharing with Ana has stopped.")).to_be_visible()
    maria.get_by_role("link", name="Who has seen my information").click()
    expect(maria.get_by_text("Looked at your crisis plan").first).to_be_visible()
    screenshot(maria, "family-who-has-seen-phone")

    ana.get_by_role("link", name="Back to Maria").click()
    expect(ana.get_by_role("heading", name="Maria is no longer sharing this with you")).to_be_visible()
    expect(ana.get_by_text("I stay in my room all day")).to_have_count(0)
    assert_page_ok(ana)
    screenshot(ana, "family-view-revoked-phone")
    ana.get_by_role("link", name="Back to my list").click()
    expect(ana).to_have_url(re.compile(r"/shared$"))
    expect(ana.get_by_text("No one is sharing with you right now.")).to_be_visible()
    maria_context.close()
    ana_context.close()
