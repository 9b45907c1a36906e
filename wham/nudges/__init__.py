"""Nudges: which texts are due to whom and when (check-in reminders and their follow-up, group
reminders, flag alerts, facilitators' messages), and replies to them."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """The facilitator's message page, and the hooks the SMS package calls: a check at send
    time (is the nudge still wanted?) and the reply handler (days done)."""
    from wham.nudges import replies, services
    from wham.nudges.routes import bp
    from wham.sms.outbox import register_send_check
    from wham.sms.services import register_reply_handler

    app.register_blueprint(bp)
    register_send_check(services.still_wanted)
    register_reply_handler(replies.answer_days_done)
