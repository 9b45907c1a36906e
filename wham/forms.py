"""The base of every form: WTForms' own messages (a box left empty, a number that is not a
number) said in short, plain words in the reader's language, like the messages we write."""
from __future__ import annotations

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations

CHOOSE_FROM_LIST = _l("Choose from the list.")

# WTForms' English message -> ours. WTForms fills in %(min)s and the like afterwards.
PLAIN_MESSAGES = {
    "This field is required.": _l("Please fill this in."),
    "Invalid input.": _l("Please check what you typed."),
    "Invalid email address.": _l("Enter an email address like name@example.org."),
    "Invalid URL.": _l("Enter a full link starting with https://."),
    "Not a valid integer value.": _l("Enter a whole number, like 3."),
    "Not a valid decimal value.": _l("Enter a number, like 2.5."),
    "Not a valid float value.": _l("Enter a number, like 2.5."),
    "Not a valid date value.": _l("Enter a date like 2026-09-14."),
    "Not a valid time value.": _l("Enter a time like 18:00."),
    "Not a valid datetime value.": _l("Enter a date and time, like 2026-09-14 18:00."),
    "Not a valid choice.": CHOOSE_FROM_LIST,
    "Invalid Choice: could not coerce.": CHOOSE_FROM_LIST,
    "Invalid choice(s): one or more data inputs could not be coerced.": CHOOSE_FROM_LIST,
    "Number must be at least %(min)s.": _l("Enter %(min)s or more."),
    "Number must be at most %(max)s.": _l("Enter %(max)s or less."),
    "Number must be between %(min)s and %(max)s.": _l("Enter a number from %(min)s to %(max)s."),
    "Field must be between %(min)d and %(max)d characters long.":
        _l("Use %(min)d to %(max)d characters."),
}


# The same for messages that depend on a number, keyed by WTForms' singular.
PLAIN_PLURALS = {
    "Field must be at least %(min)d character long.": lambda n: get_translations().ungettext(
        "Use at least %(min)d character.", "Use at least %(min)d characters.", n),
    "Field cannot be longer than %(max)d character.": lambda n: get_translations().ungettext(
        "Use %(max)d character or fewer.", "Use %(max)d characters or fewer.", n),
    "Field must be exactly %(max)d character long.": lambda n: get_translations().ungettext(
        "Use exactly %(max)d character.", "Use exactly %(max)d characters.", n),
    "'%(value)s' is not a valid choice for this field.": lambda n: str(CHOOSE_FROM_LIST),
}


class PlainMessages:
    """WTForms' translations object: our words where we have them, else WTForms' own catalog
    in the request's language (through Flask-WTF)."""

    def gettext(self, string: str) -> str:
        plain = PLAIN_MESSAGES.get(string)
        return str(plain) if plain is not None else wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        plain = PLAIN_PLURALS.get(singular)
        return plain(n) if plain is not None else wtforms_translations.ngettext(singular, plural, n)


plain_messages = PlainMessages()


class WhamForm(FlaskForm):
    """Every form of the app: Flask-WTF's (CSRF, request data) with plain built-in messages."""

    class Meta:
        def get_translations(self, form):
            return plain_messages
