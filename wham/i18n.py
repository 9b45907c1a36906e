"""Language and time zone for each request (the profile first, else the browser), and the date
shapes pages use, written the way each language writes them."""
from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

from babel import dates as babel_dates
from flask import Flask, current_app, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations, to_user_timezone
from flask_babel import gettext as babel_gettext
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from wham.extensions import babel
from wham.timeutil import time_zone_label

# CLDR patterns per language for the short dates pages show; English is the fallback.
DATE_SHAPES = {
    "weekday_day_month": {"en": "EEEE, MMM d", "es": "EEEE, d 'de' MMM"},
    "short_weekday_day_month": {"en": "EEE, MMM d", "es": "EEE, d MMM"},
    "day_month": {"en": "MMM d", "es": "d MMM"},
    "day_month_year": {"en": "MMM d, y", "es": "d MMM y"},
    "short_weekday_day": {"en": "EEE d", "es": "EEE d"},
    "weekday_letter": {"en": "EEEEE", "es": "EEEEE"},
}


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    if current_user.is_authenticated:
        return current_user.time_zone
    return None


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def format_day(day: date, shape: str = "day_month") -> str:
    """A day in one of DATE_SHAPES, e.g. "Friday, Jul 3" / "viernes, 3 de jul". A datetime is
    shown on its day in the reader's time zone (as Flask-Babel's format_date does)."""
    if isinstance(day, datetime):
        day = to_user_timezone(day).date()
    locale = _locale()
    patterns = DATE_SHAPES[shape]
    pattern = patterns.get(locale.language if locale else "en", patterns["en"])
    return _formatted_day(day, pattern, str(locale or "en"))


def format_moment(moment: datetime, shape: str = "short_weekday_day_month") -> str:
    """A local date and time, e.g. "Fri, Jul 3, 6:00 PM" / "vie, 3 jul, 18:00". The value is
    shown as given: convert it to the right time zone first."""
    time_text = _formatted_time(moment.time(), str(_locale() or "en"))
    return f"{format_day(moment.date(), shape)}, {time_text}"


# A page shows the same few days and times again and again (this week's days, a group's
# session times), and Babel takes tens of microseconds for each: kept per process, by value,
# pattern and locale, which is all the text depends on.
@lru_cache(maxsize=8192)
def _formatted_day(day: date, pattern: str, locale: str) -> str:
    return babel_dates.format_date(day, pattern, locale=locale)


@lru_cache(maxsize=4096)
def _formatted_time(moment: time, locale: str) -> str:
    return babel_dates.format_time(moment, "short", locale=locale)


def format_local_moment(moment: datetime, shape: str = "short_weekday_day_month") -> str:
    """A stored (UTC) moment as format_moment shows it, in the reader's time zone."""
    return format_moment(to_user_timezone(moment), shape)


def format_time_zone(name: str) -> str:
    """A time zone's name in the reader's language, e.g. "Central Time (Chicago)"."""
    return time_zone_label(name, current_language())


_catalogs: dict = {}
# The catalog last looked up, by the identity of the Locale object Flask-Babel chose for the
# request: the same object serves every gettext of a page, so the common case is one `is`.
_last_catalog: tuple[object, object] = (None, None)


def _translations():
    """The current locale's catalog: Flask-Babel's, kept per locale once the request has chosen
    its locale (also inside `force_locale`); before that, Flask-Babel's own look-up."""
    global _last_catalog
    ctx = _cv_app.get(None)
    state = getattr(ctx.g, "_flask_babel", None) if ctx is not None else None
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    last_locale, catalog = _last_catalog
    if last_locale is locale:
        return catalog
    catalog = _catalogs.get(locale)
    if catalog is None:
        catalog = _catalogs[locale] = get_translations()
    _last_catalog = (locale, catalog)
    return catalog


def _locale():
    """The request's locale, as get_locale(), without Flask-Babel's look-ups once chosen."""
    ctx = _cv_app.get(None)
    state = getattr(ctx.g, "_flask_babel", None) if ctx is not None else None
    return getattr(state, "babel_locale", None) or get_locale()


def translate(text) -> str:
    """`text` (a message id, or a lazy string from `lazy_gettext` without arguments) in the
    reader's language, through the quick catalog look-up templates use."""
    if getattr(text, "_func", None) is babel_gettext and len(text._args) == 1 and not text._kwargs:
        text = text._args[0]
    return _translations().ugettext(str(text))


# Jinja's newstyle gettext: the text is always a format string, filled with the keyword
# arguments (escaped in autoescaped templates, as Markup's % does).
def _filled(eval_ctx, text: str, variables: dict):
    # The catalog's texts are ours, trusted as markup exactly as Jinja's own gettext does.
    if not eval_ctx.autoescape:
        return text % variables
    if not variables:  # nothing to escape: the same text, without Markup's escaping helper
        return Markup(text % variables)  # noqa: S704
    return Markup(text) % variables  # noqa: S704


@pass_eval_context
def _template_gettext(eval_ctx, string, /, **variables):
    text = _translations().ugettext(string)
    return _filled(eval_ctx, text, variables)


@pass_eval_context
def _template_ngettext(eval_ctx, singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    return _filled(eval_ctx, text, variables)


@pass_eval_context
def _template_pgettext(eval_ctx, context, string, /, **variables):
    variables.setdefault("context", context)
    text = _translations().upgettext(context, string)
    return _filled(eval_ctx, text, variables)


@pass_eval_context
def _template_npgettext(eval_ctx, context, singular, plural, num, /, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = _translations().unpgettext(context, singular, plural, num)
    return _filled(eval_ctx, text, variables)


def init_app(app: Flask) -> None:
    # Catalogs live in wham/translations (Flask-Babel's default, relative to the package).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # The same catalogs as Flask-Babel's own template callables, found in one look-up: a page
    # calls gettext hundreds of times and Flask-Babel's path costs several context look-ups.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    # The same "newstyle" callables as Jinja's, taking only the evaluation context (is this
    # template autoescaped?) rather than the whole context, which Jinja copies for each call
    # made inside a loop; `_` is bound to gettext directly instead of through an alias.
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext,
                                 ngettext=_template_ngettext, pgettext=_template_pgettext,
                                 npgettext=_template_npgettext)
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_local_moment, "local_moment")
    app.add_template_filter(format_time_zone, "time_zone")

    @app.context_processor
    def _language():
        return {"current_language": str(get_locale() or "en")}
