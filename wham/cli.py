"""Command-line tasks: `flask --app wham create-admin`, `flask --app wham demo`."""
from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from wham.accounts import services as accounts
from wham.accounts.models import Role, User
from wham.accounts.password_policy import Weakness, weakness
from wham.extensions import db
from wham.timeutil import is_valid_time_zone, utcnow
from wham.validators import PASSWORD_MIN_LENGTH


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt="Display name")
@click.option("--time-zone", default=None, help="IANA time zone, e.g. America/Chicago")
@click.password_option()
@with_appcontext
def create_admin(email: str, name: str, time_zone: str | None, password: str) -> None:
    """Create a program admin account."""
    time_zone = time_zone or current_app.config["DEFAULT_TIME_ZONE"]
    name = name.strip()
    if not name or len(name) > 80:
        raise click.BadParameter("use between 1 and 80 characters", param_hint="--name")
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from exc
    if len(email) > 254:
        raise click.BadParameter("use 254 characters or fewer", param_hint="--email")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise click.BadParameter(f"use at least {PASSWORD_MIN_LENGTH} characters", param_hint="password")
    problem = weakness(password, [email, name])
    if problem not in (None, Weakness.TOO_SHORT):
        raise click.BadParameter(f"too easy to guess ({problem.value.replace('_', ' ')}); "
                                 "try a short sentence only you would think of", param_hint="password")
    if not is_valid_time_zone(time_zone):
        raise click.BadParameter("not an IANA time zone", param_hint="--time-zone")
    account = accounts.NewAccount(email=email, display_name=name, password=password,
                                  role=Role.ADMIN, time_zone=time_zone)
    try:
        user = accounts.create_admin_account(account, utcnow())
    except accounts.AccountError as exc:
        raise click.ClickException(f"an account with {email} already exists") from exc
    click.echo(f"Admin {user.email} created.")


@click.command("demo")
@click.option("--large", is_flag=True,
              help="A county-scale program for benchmarks (10,000 participants, a year of history).")
@click.option("--participants", type=click.IntRange(1), default=10_000, show_default=True,
              help="With --large.")
@click.option("--weeks", type=click.IntRange(1, 520), default=52, show_default=True,
              help="Weeks of history, with --large.")
@with_appcontext
def demo(large: bool, participants: int, weeks: int) -> None:
    """Load the demo program when the database is empty (never in production)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("demo data is not allowed in this environment")
    from wham.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo

    if db.session.scalar(select(func.count(User.id))):
        click.echo("The database already has data; demo data not loaded.")
    elif large:
        _load_large(participants, weeks)
        return
    else:
        load_demo(utcnow())
        click.echo("Demo program loaded.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS:
        click.echo(f"  {role:18} {email}")


def _load_large(participants: int, weeks: int) -> None:
    import time

    from wham.demo import DEMO_PASSWORD
    from wham.demo_large import LargeLogins, Scale, load_large_demo

    peers = max(1, round(participants * 40 / 10_000))
    groups = max(1, round(participants * 700 / 10_000))
    started = time.perf_counter()
    counts = load_large_demo(utcnow(), Scale(participants, peers, groups, weeks))
    click.echo(f"Large program loaded in {time.perf_counter() - started:.0f} s:")
    for table, count in counts.items():
        click.echo(f"  {table:22} {count:>10,}")
    click.echo(f"Sign in as {LargeLogins.participant}, {LargeLogins.peer_specialist} or "
               f"{LargeLogins.admin} (password {DEMO_PASSWORD}).")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
