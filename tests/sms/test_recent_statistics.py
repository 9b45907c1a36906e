"""The admin's delivery statistics from the cache: the same figures for their max age, then
counted anew, and the page says when they were counted."""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale

from config import TestingConfig
from tests.factories import make_admin
from tests.sms.factories import make_queued, make_texter
from tests.web import login
from wham import create_app
from wham.extensions import db
from wham.sms import outbox
from wham.sms.senders import RecordingSender, SendError
from wham.sms.statistics_view import DeliveryPage
from wham.timeutil import utcnow

AS_OF = re.compile(r"Figures as of (\d{1,2}:\d{2}:\d{2}\u202f[AP]M) UTC; "
                   r"they are updated every (\d+) seconds?\.")


@pytest.fixture
def cached_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Builds an app on the session's database whose cache keeps things (the session's app
    caches nothing: see TestingConfig), with the max age a test asks for and an empty cache."""
    made: list[Flask] = []

    def build(max_age_seconds: int = 30) -> Flask:
        class WithCache(TestingConfig):
            SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
            CACHE_TYPE = "SimpleCache"  # pickles what it keeps, as RedisCache does
            SMS_STATISTICS_MAX_AGE_SECONDS = max_age_seconds

        made.append(create_app(WithCache))
        return made[-1]

    yield build
    for each in made:  # no idle connections left to the database the session's app empties
        with each.app_context():
            db.engine.dispose()


def _admin_page(client) -> str:
    response = client.get("/admin/sms")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _waiting(page: str) -> int:
    return int(re.search(r'stat-number">(\d+)</span><span class="stat-label">Waiting', page)[1])


def _pages_around_a_new_message(app: Flask, wait: float = 0) -> tuple[str, str]:
    """The admin's page with one message waiting, then again after a second one is queued
    and `wait` seconds have passed."""
    client = app.test_client()
    login(client, make_admin(app))
    user = make_texter(app)
    make_queued(app, user, utcnow(), key="first")
    first = _admin_page(client)
    make_queued(app, user, utcnow(), key="second")
    time.sleep(wait)
    return first, _admin_page(client)


def test_figures_are_kept_for_their_max_age_then_counted_anew(cached_app):
    app = cached_app()
    now = utcnow()
    user = make_texter(app)
    make_queued(app, user, now, key="first")
    with app.app_context():
        first = outbox.recent_delivery_statistics(now)
    make_queued(app, user, now, key="second")
    with app.app_context():
        kept = outbox.recent_delivery_statistics(now + timedelta(seconds=29))
        renewed = outbox.recent_delivery_statistics(now + timedelta(seconds=30))
        again = outbox.recent_delivery_statistics(now + timedelta(seconds=31))
    assert (first["waiting"], first["as_of"]) == (1, now)
    assert kept == first  # the message queued since is not counted yet
    assert (renewed["waiting"], renewed["as_of"]) == (2, now + timedelta(seconds=30))
    assert again == renewed


def test_cached_figures_are_plain_data(cached_app):
    app = cached_app()
    now = utcnow()
    make_queued(app, make_texter(app), now, key="failing")
    with app.app_context():
        outbox.send_due_messages(now, RecordingSender(failures=[SendError("21211",
                                                                          retryable=False)]))
        counted = outbox.recent_delivery_statistics(now)
        cached = outbox.recent_delivery_statistics(now)
    # The second came back through pickle (SimpleCache keeps values pickled): no ORM objects.
    assert cached == counted and cached is not counted
    assert [type(row) for row in cached["failures"]] == [outbox.RecentFailure]
    assert cached["failures"][0].error_code == "21211"


def test_the_page_shows_the_same_figures_within_their_max_age_and_when_they_were_counted(
        cached_app):
    first, second = _pages_around_a_new_message(cached_app())
    assert _waiting(first) == _waiting(second) == 1
    as_of = AS_OF.search(first)
    assert as_of is not None and as_of[2] == "30"
    assert AS_OF.search(second)[1] == as_of[1]


def test_the_page_counts_anew_once_the_figures_are_older_than_their_max_age(cached_app):
    first, second = _pages_around_a_new_message(cached_app(max_age_seconds=1), wait=1.1)
    assert (_waiting(first), _waiting(second)) == (1, 2)
    assert AS_OF.search(first)[1] != AS_OF.search(second)[1]
    assert "they are updated every 1 second." in second


def test_as_of_is_the_time_to_the_second_in_utc_in_the_readers_language(app):
    counted = datetime(2026, 11, 20, 18, 5, 12, tzinfo=UTC)
    page = DeliveryPage({"as_of": counted})
    with app.test_request_context("/admin/sms"):
        english = page.as_of
        with force_locale("es"):
            spanish = page.as_of
    assert (english, spanish) == ("6:05:12\u202fPM", "18:05:12")
