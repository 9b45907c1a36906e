"""Demo texting: confirmed numbers and choices for a few demo people, and a check-in reminder
due two minutes after the demo loads, so `make run` shows a nudge in the console."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from wham.accounts.models import User
from wham.extensions import db
from wham.sms.models import SmsContact
from wham.timeutil import in_quiet_hours, to_local

DEFAULT_QUIET = (time(21, 0), time(8, 0))
# Tom has not checked in last week or this week, so his reminder is due whatever the day.
SOON = "tom@example.org"
CHOICES = {
    # email: (check-in reminder, group texts, flag alerts)
    "maria@example.org": (True, True, False),
    "rosa@example.org": (True, True, False),
    SOON: (True, True, False),
    "peer@example.org": (False, False, True),
}


def load_nudges_demo(people: dict[str, User], now: datetime) -> None:
    for email, (checkin, group, flags) in CHOICES.items():
        person = people[email]
        contact = SmsContact(user_id=person.id, e164=person.mobile_e164, language=person.language,
                             verified_at=now - timedelta(days=30), checkin_reminder=checkin,
                             group_reminder=group, flag_alert=flags, checkin_weekday=6,
                             checkin_time=time(18, 0), quiet_start=DEFAULT_QUIET[0],
                             quiet_end=DEFAULT_QUIET[1], updated_at=now - timedelta(days=30))
        if email == SOON:
            _due_in_two_minutes(contact, person, now)
        db.session.add(contact)
    db.session.commit()


def _due_in_two_minutes(contact: SmsContact, person: User, now: datetime) -> None:
    """Today, two minutes from now in the person's own zone. If that falls in the default quiet
    hours (a demo started at night), his quiet hours are set well away from it instead, so the
    reminder is not held until morning."""
    soon = (to_local(now, person.time_zone) + timedelta(minutes=2)).replace(second=0,
                                                                          microsecond=0)
    contact.checkin_weekday, contact.checkin_time = soon.weekday(), soon.time()
    if in_quiet_hours(soon.time(), *DEFAULT_QUIET):
        contact.quiet_start = (soon + timedelta(hours=8)).time()
        contact.quiet_end = (soon + timedelta(hours=16)).time()
