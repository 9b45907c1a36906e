"""Accessibility in the markup itself: form errors announced and tied to their fields, the page
language, and charts with a text alternative. (Every page also runs axe-core in tests/e2e.)"""
from __future__ import annotations

import re

from tests.factories import make_participant
from tests.web import login, post_form


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_form_sent_back_says_error_first_and_ties_each_message_to_its_field(app, client):
    login(client, make_participant(app))
    page = _text(post_form(client, "/profile", {"display_name": "", "time_zone": "America/New_York",
                                                "language": "en", "mobile": "not a phone"}))
    assert re.search(r"<title>Error: ", page)
    assert 'role="alert"' in page  # the summary at the top is announced
    name_input = re.search(r'<input[^>]*id="display_name"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in name_input
    described = re.search(r'aria-describedby="([^"]+)"', name_input).group(1).split()
    assert "display_name-error" in described
    assert re.search(r'<p class="error" id="display_name-error">.*Enter the name you want to use', page)


def test_a_page_without_mistakes_has_a_plain_title(app, client):
    login(client, make_participant(app))
    assert "<title>Error:" not in _text(client.get("/profile"))


def test_radio_groups_with_an_error_are_described_by_it(app, client):
    login(client, make_participant(app))
    page = _text(post_form(client, "/sharing/new", {"recipient_name": "Ana"}))
    for name in ("share_support_plan", "purpose"):
        assert re.search(rf'<fieldset[^>]*aria-describedby="{name}-error"', page), name
        assert f'id="{name}-error"' in page


def test_charts_have_a_text_alternative(app, client):
    from tests.goals.factories import make_inventory

    person = make_participant(app)
    make_inventory(app, person, rating=3)
    login(client, person)
    page = _text(client.get("/inventory"))
    charts = re.findall(r"<svg[^>]*>", page)
    assert charts, "the inventory page shows a chart"
    for svg in charts:
        assert 'aria-hidden="true"' in svg or ('role="img"' in svg and "aria-label" in svg), svg
    assert "<table" in page  # the same numbers as a table
