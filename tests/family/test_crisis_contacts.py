"""The crisis contacts a participant writes in their support plan appear on their own crisis
resources page, and on nobody else's."""
from __future__ import annotations

from flask import url_for

from tests.factories import make_family, make_participant
from tests.family.factories import make_consent, make_plan
from tests.web import login


def _crisis_url(app) -> str:
    with app.test_request_context():
        return url_for("checkins.crisis")


def test_crisis_page_lists_the_participants_own_contacts(app, client):
    owner = make_participant(app)
    make_plan(app, owner, contacts=[("Ana", "Sister", "+1 202-555-0110"),
                                    ("Dr. Okafor", "Psychiatrist", "202-555-0175")])
    login(client, owner)
    body = client.get(_crisis_url(app)).get_data(as_text=True)
    assert "Call Ana" in body and "Sister" in body and 'href="tel:+12025550110"' in body
    assert "Call Dr. Okafor" in body


def test_crisis_page_shows_no_one_elses_contacts(app, client):
    owner = make_participant(app)
    make_plan(app, owner, contacts=[("Ana", "Sister", "+1 202-555-0110")])
    family = make_family(app)
    make_consent(app, owner, family)
    for visitor in (make_participant(app), family):
        other = app.test_client()
        login(other, visitor)
        assert "Call Ana" not in other.get(_crisis_url(app)).get_data(as_text=True)
    assert "Call Ana" not in client.get(_crisis_url(app)).get_data(as_text=True)  # signed out
