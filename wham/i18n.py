"""Language and time zone for each request: the profile first, else the browser."""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user

from wham.extensions import babel


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    if current_user.is_authenticated:
        return current_user.time_zone
    return None


def init_app(app: Flask) -> None:
    # Catalogs live in wham/translations (Flask-Babel's default, relative to the package).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.context_processor
    def _language():
        return {"current_language": str(get_locale() or "en")}
