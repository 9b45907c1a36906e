"""Family tests share the SMS tests' recording sender (invitation links go out by text too)."""
from tests.sms.conftest import sender  # noqa: F401 - a fixture, used by name
