"""Form field rules shared by every domain: clean text, passwords, time zones, phones."""
from __future__ import annotations

import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError
from wtforms.fields.choices import SelectChoice

from wham.timeutil import is_valid_time_zone

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


def select_choices(pairs, optgroup: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label, optgroup=optgroup) for value, label in pairs]


def strip(value):
    return value.strip() if isinstance(value, str) else value


class CleanText:
    """Printable text only: no NUL or other control characters (newlines allowed when
    `multiline`). PostgreSQL cannot store NUL, and control characters have no place here."""

    def __init__(self, multiline: bool = False):
        self.allowed = {"\n", "\r", "\t"} if multiline else set()

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data or ""
        if any(unicodedata.category(ch) == "Cc" and ch not in self.allowed for ch in value):
            raise ValidationError(_l("Please remove special control characters."))
        # Bidirectional overrides can disguise text; plain right-to-left writing is fine.
        if any(ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for ch in value):
            raise ValidationError(_l("Please remove text-direction control characters."))


class ValidTimeZone:
    def __call__(self, form: Form, field: Field) -> None:
        if not is_valid_time_zone(field.data or ""):
            raise ValidationError(_l("Choose a time zone from the list."))


def mobile_e164(field: Field) -> str | None:
    """The E.164 form of a validated mobile number field, None when left empty."""
    from wham.accounts.services import parse_mobile_number

    if not field.data:
        return None
    return parse_mobile_number(field.data, current_app.config["DEFAULT_PHONE_REGION"])


class MobileNumber:
    """Accepts a mobile number typed any common way (stored later in E.164 form)."""

    def __call__(self, form: Form, field: Field) -> None:
        try:
            mobile_e164(field)
        except ValueError as exc:
            raise ValidationError(
                _l("Enter a mobile number such as (202) 555-0188, or +44 7911 123456.")) from exc
