"""Fixtures for the SMS tests: the app's recording sender, a fake Twilio, texting people."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.sms.fake_twilio import FakeTwilio
from wham.sms.senders import RecordingSender, current_sender


@pytest.fixture
def sender(app: Flask) -> Iterator[RecordingSender]:
    """The test double the app sends through (SMS_BACKEND=test), emptied for each test."""
    with app.app_context():
        recorder = current_sender()
    assert isinstance(recorder, RecordingSender)
    recorder.reset()
    yield recorder
    recorder.reset()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()
