"""The planning job (`nudges.plan`, every minute): gather the facts in a few set queries, let
wham.nudges.rules decide what is due, and queue it in the outbox once.

Running it every minute, or in two scheduler processes at once, never queues a text twice:
each nudge has an idempotency key and the outbox insert skips keys it already holds."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, false, or_, select

from wham.accounts.models import Role, User
from wham.checkins.models import CheckIn, Flag
from wham.checkins.services import GRACE_DAYS
from wham.extensions import db
from wham.groups.models import GroupFacilitator, GroupSession, Membership
from wham.nudges import rules
from wham.nudges.bodies import NudgeTexts
from wham.nudges.rules import Nudge, Rules, Texter, Window
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact
from wham.sms.outbox import queue_messages

CHUNK = 900  # ids per IN (...) list, well under SQLite's parameter limit


@dataclass
class PlanReport:
    due: int = 0  # nudges the rules found due in the window (queued now or before)
    queued: int = 0  # new outbox rows
    held: int = 0  # of those, waiting for a later time (the end of quiet hours)
    by_template: Counter = field(default_factory=Counter)


def rules_from_config() -> Rules:
    config = current_app.config
    return Rules(week_starts_on=config["WEEK_STARTS_ON"], grace_days=GRACE_DAYS,
                 followup_after=config["NUDGE_FOLLOWUP_AFTER"],
                 group_reminder_at=config["NUDGE_GROUP_REMINDER_AT"])


def plan_due_nudges(now: datetime, *, back: timedelta | None = None,
                    ahead: timedelta = timedelta(0)) -> PlanReport:
    """Queue every nudge falling due after `now - back` and up to `now + ahead`. The job
    looks back NUDGE_CATCH_UP (so a planner that was stopped catches up) and not ahead; the
    benchmark plans a whole week ahead at once."""
    window = Window.around(now, back if back is not None else current_app.config["NUDGE_CATCH_UP"],
                           ahead)
    program = rules_from_config()
    nudges = [*check_in_nudges(window, program), *group_reminder_nudges(window, program),
              *flag_alert_nudges(window)]
    report = PlanReport(due=len(nudges))
    texts = NudgeTexts()
    queued_before = _queued_keys(n.key for n in nudges)
    fresh = list({n.key: n for n in nudges if n.key not in queued_before}.values())
    report.queued = queue_messages([outbox_row(n, texts, now) for n in fresh])
    report.by_template.update(n.template for n in fresh)
    report.held = sum(1 for n in fresh if n.send_at > now)
    db.session.commit()
    return report


def outbox_row(nudge: Nudge, texts: NudgeTexts, now: datetime) -> dict:
    return {"idempotency_key": nudge.key, "user_id": nudge.user_id, "to_e164": nudge.to_e164,
            "body": texts.body(nudge), "kind": nudge.kind, "status": OutboxStatus.QUEUED,
            "not_before": nudge.send_at, "expires_at": nudge.expires_at,
            "next_attempt_at": nudge.send_at, "attempts": 0, "created_at": now,
            "updated_at": now}


# --- who may get texts -------------------------------------------------------------------


def texters(consent, *columns) -> Select:
    """People who may get texts of the kind `consent` turns on: a confirmed number that is
    still the one on their profile, not stopped, not invalid, account on. The outbox checks
    all of this again just before sending."""
    return (select(SmsContact.user_id, SmsContact.e164, SmsContact.language, User.time_zone,
                   SmsContact.quiet_start, SmsContact.quiet_end, *columns)
            .join(User, User.id == SmsContact.user_id)
            .where(consent.is_(True), SmsContact.verified_at.is_not(None),
                   SmsContact.opted_out_at.is_(None), SmsContact.invalid_at.is_(None),
                   SmsContact.e164 == User.mobile_e164, User.is_enabled.is_(True)))


def _texter(row) -> Texter:
    return Texter(*row[:6])


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _queued_keys(keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(set(keys))):
        found.update(db.session.scalars(select(OutboxMessage.idempotency_key)
                                        .where(OutboxMessage.idempotency_key.in_(chunk))))
    return found


# --- check-in reminders and follow-ups ---------------------------------------------------


def check_in_nudges(window: Window, program: Rules) -> list[Nudge]:
    query = (texters(SmsContact.checkin_reminder, SmsContact.checkin_weekday,
                     SmsContact.checkin_time)
             .where(User.role == Role.PARTICIPANT))
    near = _reminders_near(window, program)
    if near is not None:
        query = query.where(near)
    rows = db.session.execute(query).all()
    candidates = []
    for row in rows:
        texter, weekday, at = _texter(row), row[6], row[7]
        reminder = rules.reminder_days(weekday, at, texter.time_zone, window.start, window.end)
        followup = rules.reminder_days(weekday, at, texter.time_zone, window.start, window.end,
                                       program.followup_after)
        if reminder or followup:
            candidates.append((texter, weekday, at, bool(followup)))
    if not candidates:
        return []
    weeks = rules.check_in_weeks_in(window, program)
    done = _checked_in_weeks([c[0].user_id for c in candidates], weeks)
    reminded = _reminded_weeks([c[0].user_id for c in candidates if c[3]], window)
    nudges = []
    for texter, weekday, at, has_followup in candidates:
        checked_in = done.get(texter.user_id, ())
        nudges += rules.check_in_reminders(texter, weekday, at, window, program, checked_in)
        if has_followup:
            nudges += rules.check_in_followups(texter, weekday, at, window, program, checked_in,
                                               reminded.get(texter.user_id, ()))
    return nudges


def _reminders_near(window: Window, program: Rules):
    """A condition for the reminder settings that can fall due in `window` (their reminder or
    their follow-up), per time zone in use; None for a window so long that all can."""
    zones = db.session.scalars(select(User.time_zone).distinct()
                               .join(SmsContact, SmsContact.user_id == User.id)
                               .where(SmsContact.checkin_reminder.is_(True))).all()
    near = []
    for zone in zones:
        for shift in (timedelta(0), program.followup_after):
            slots = rules.reminder_slots(window, zone, shift)
            if slots is None:
                return None
            near += [(User.time_zone == zone) & (SmsContact.checkin_weekday == weekday)
                     & SmsContact.checkin_time.between(earliest, latest)
                     for weekday, earliest, latest in slots]
    return or_(*near) if near else false()


def _checked_in_weeks(user_ids: list[int], weeks: set[date]) -> dict[int, set[date]]:
    done: dict[int, set[date]] = defaultdict(set)
    for chunk in _chunks(user_ids):
        for user_id, week in db.session.execute(
                select(CheckIn.user_id, CheckIn.week_start)
                .where(CheckIn.user_id.in_(chunk), CheckIn.week_start.in_(weeks))):
            done[user_id].add(week)
    return done


def _reminded_weeks(user_ids: list[int], window: Window) -> dict[int, set[date]]:
    """The weeks each person's check-in reminder actually went out (sent or delivered)."""
    reminded: dict[int, set[date]] = defaultdict(set)
    since = window.start - timedelta(days=10)
    for chunk in _chunks(user_ids):
        for user_id, key in db.session.execute(
                select(OutboxMessage.user_id, OutboxMessage.idempotency_key)
                .where(OutboxMessage.user_id.in_(chunk),
                       OutboxMessage.idempotency_key.startswith(f"{rules.CHECKIN_REMINDER}:"),
                       OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DELIVERED)),
                       OutboxMessage.created_at >= since)):
            week = rules.week_of_check_in_key(key)
            if week is not None:
                reminded[user_id].add(week)
    return reminded


# --- group session reminders -------------------------------------------------------------


def group_reminder_nudges(window: Window, program: Rules) -> list[Nudge]:
    latest_start = window.end + timedelta(days=2)  # the reminder is the day before
    rows = db.session.execute(
        texters(SmsContact.group_reminder, GroupSession.id, GroupSession.group_id,
                GroupSession.starts_at)
        .join(Membership, (Membership.user_id == SmsContact.user_id)
              & Membership.left_at.is_(None))
        .join(GroupSession, GroupSession.group_id == Membership.group_id)
        .where(User.role == Role.PARTICIPANT, GroupSession.is_cancelled.is_(False),
               GroupSession.starts_at > window.start, GroupSession.starts_at <= latest_start)
        .order_by(SmsContact.user_id, GroupSession.starts_at)).all()
    sessions: dict[Texter, list[rules.UpcomingSession]] = defaultdict(list)
    for row in rows:
        sessions[_texter(row)].append(rules.UpcomingSession(*row[6:9]))
    return [nudge for texter, upcoming in sessions.items()
            for nudge in rules.group_reminders(texter, upcoming, window, program)]


# --- flag alerts -------------------------------------------------------------------------


def flag_alert_nudges(window: Window) -> list[Nudge]:
    """Each new, unacknowledged flag alerts the participant's peer specialists: the
    facilitators of their groups and their 1:1 peer specialist."""
    flags = db.session.execute(
        select(Flag.id, Flag.user_id, Flag.created_at)
        .where(Flag.created_at > window.start, Flag.created_at <= window.end,
               Flag.acknowledged_at.is_(None))).all()
    if not flags:
        return []
    participants = list({user_id for _, user_id, _ in flags})
    supporters = supporters_of(participants)
    by_supporter: dict[int, list[rules.RaisedFlag]] = defaultdict(list)
    for flag_id, user_id, created_at in flags:
        for supporter_id in supporters.get(user_id, ()):
            by_supporter[supporter_id].append(rules.RaisedFlag(flag_id, created_at))
    nudges = []
    for chunk in _chunks(list(by_supporter)):
        for row in db.session.execute(texters(SmsContact.flag_alert).where(
                User.role == Role.PEER_SPECIALIST, SmsContact.user_id.in_(chunk))):
            texter = _texter(row)
            nudges += rules.flag_alerts(texter, by_supporter[texter.user_id], window)
    return nudges


def supporters_of(participant_ids: list[int]) -> dict[int, set[int]]:
    """Participant id -> the peer specialists who support them (as wham.permissions.supports
    has it): facilitators of groups they are an active member of, and their 1:1 peer."""
    supporters: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(participant_ids):
        for participant_id, peer_id in db.session.execute(
                select(Membership.user_id, GroupFacilitator.user_id)
                .join(GroupFacilitator, GroupFacilitator.group_id == Membership.group_id)
                .where(Membership.user_id.in_(chunk), Membership.left_at.is_(None))):
            supporters[participant_id].add(peer_id)
        for participant_id, peer_id in db.session.execute(
                select(User.id, User.peer_specialist_id)
                .where(User.id.in_(chunk), User.peer_specialist_id.is_not(None))):
            supporters[participant_id].add(peer_id)
    return supporters
