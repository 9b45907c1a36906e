"""Friendly error pages for every error status; never a stack trace."""
from __future__ import annotations

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from wham.extensions import db, login_manager

MESSAGES = {
    400: (_l("Something was wrong with that request"),
          _l("Please go back, reload the page, and try again.")),
    403: (_l("You can't do that here"), _l("This action is not open to your account.")),
    404: (_l("We couldn't find that page"),
          _l("It may have moved, or you may not have access to it.")),
    405: (_l("That didn't work"), _l("This page can't be used that way. Please go back.")),
    413: (_l("That was too much to send"), _l("Please send something shorter.")),
    429: (_l("Too many tries"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong on our side"),
          _l("It's not your fault. Please try again in a moment.")),
    503: (_l("We're having a short break"),
          _l("The service is not available right now. Please try again in a minute.")),
}


def render_error(code: int, message=None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    try:
        return render_template("errors/error.html", code=code, title=title,
                               message=message or default_message), code
    except OperationalError:
        # The database went away while the page asked who is signed in: say so instead.
        return _database_unavailable(None)


def _http_error(error: HTTPException):
    code = error.code if error.code in MESSAGES else 500
    return render_error(code)


def _csrf_error(error: CSRFError):
    return render_error(400, _l("This form was open too long or was sent twice. "
                                "Please go back, reload the page, and try again."))


def _database_unavailable(error: OperationalError | None):
    db.session.rollback()
    # The page itself must not need the database: shown as to a visitor not signed in, since
    # looking up who is signed in would fail again.
    g._login_user = login_manager.anonymous_user()
    title, message = MESSAGES[503]
    return render_template("errors/error.html", code=503, title=title, message=message), 503


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InternalServerError, _http_error)
    app.register_error_handler(ServiceUnavailable, _http_error)
    if not app.testing:
        # In tests exceptions propagate, so a bug fails the test instead of hiding behind a page.
        app.register_error_handler(Exception, _unexpected)
