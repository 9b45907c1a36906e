"""Nudge tests share the SMS tests' recording sender."""
from tests.sms.conftest import sender  # noqa: F401 - a fixture, used by name
