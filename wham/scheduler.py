"""The scheduler process (`flask --app wham scheduler`): timed jobs, never inside web workers."""
from __future__ import annotations

import logging

import click
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext

from wham.extensions import db
from wham.timeutil import utcnow

log = logging.getLogger(__name__)

SEND_OUTBOX_SECONDS = 5
# The follow-up rules (missed check-ins, not seen for two weeks...) for the whole program take
# a few seconds at county scale; pages only read the flags, so this is how late one can be.
FOLLOW_UP_RULES_MINUTES = 5


def send_outbox(app: Flask) -> None:
    from wham.sms.outbox import release_stuck_claims, send_due_messages
    from wham.sms.senders import current_sender

    with app.app_context():
        try:
            now = utcnow()
            # Rows left by a worker that died or lost the database mid-batch go back first.
            release_stuck_claims(now)
            report = send_due_messages(now, current_sender())
            if report.claimed:
                log.info("outbox: %s sent, %s to retry, %s failed, %s cancelled", report.sent,
                         report.retrying, report.failed, report.cancelled)
        finally:
            db.session.remove()


def expire_outbox(app: Flask) -> None:
    from wham.sms.outbox import expire_overdue_messages, release_stuck_claims

    with app.app_context():
        try:
            now = utcnow()
            expired, lost = expire_overdue_messages(now), release_stuck_claims(now)
            if expired or lost:
                log.info("outbox: %s expired, %s lost by a stopped worker", expired, lost)
        finally:
            db.session.remove()


def plan_nudges(app: Flask) -> None:
    from wham.nudges.planner import plan_due_nudges

    with app.app_context():
        try:
            report = plan_due_nudges(utcnow())
            if report.queued:
                log.info("nudges: %s queued (%s)%s", report.queued,
                         ", ".join(f"{n} {t}" for t, n in sorted(report.by_template.items())),
                         f", {report.held} held until quiet hours end" if report.held else "")
        finally:
            db.session.remove()


def add_jobs(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """The jobs, with stable ids so a restart replaces rather than duplicates them. Each one
    calls a function taking `now`, which tests call directly with a chosen time."""
    common = {"args": [app], "replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(plan_nudges, "interval", minutes=1, id="nudges.plan",
                      next_run_time=utcnow(), **common)
    scheduler.add_job(send_outbox, "interval", seconds=SEND_OUTBOX_SECONDS,
                      id="sms.send_outbox", **common)
    scheduler.add_job(expire_outbox, "interval", hours=1, id="sms.expire_outbox",
                      next_run_time=utcnow(), **common)
    scheduler.add_job(raise_group_flags, "interval", minutes=FOLLOW_UP_RULES_MINUTES,
                      id="groups.raise_flags",
                      next_run_time=utcnow(), **common)
    return scheduler


def raise_group_flags(app: Flask) -> None:
    from wham.groups.flags import raise_follow_up_flags

    with app.app_context():
        try:
            raised = raise_follow_up_flags(utcnow())
            if raised:
                log.info("groups: %s follow-up flags raised", raised)
        finally:
            db.session.remove()


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs (planning nudges, sending texts, expiring old ones) until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line every 5 seconds
    app = current_app._get_current_object()
    scheduler = add_jobs(BlockingScheduler(timezone="UTC"), app)
    click.echo(f"Scheduler running (SMS backend: {app.config['SMS_BACKEND']}). Ctrl+C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


def init_app(app: Flask) -> None:
    app.cli.add_command(scheduler_command)
