"""Nudges outside the planning job: a saved check-in ends its reminders, the last check before
a nudge leaves, days done texted back, and a facilitator's message to their group."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from wham import audit
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.groups.models import Group, GroupSession, Membership
from wham.nudges import rules
from wham.nudges.bodies import NudgeTexts
from wham.nudges.models import TextedDaysDone
from wham.nudges.planner import outbox_row, texters
from wham.sms.models import OutboxMessage, SmsContact, SmsKind
from wham.sms.outbox import cancel_queued_messages, queue_messages
from wham.timeutil import local_today, to_local

# --- the check-in is saved: its reminders are no longer wanted ---------------------------


def check_in_saved(user_id: int, week: date, now: datetime) -> None:
    """Cancel the week's queued reminder and follow-up and forget days texted for it (the
    check-in holds them now). Called by wham.checkins.services in the saving transaction."""
    cancel_queued_messages([rules.check_in_key(nudge, user_id, week)
                            for nudge in rules.CHECK_IN_NUDGES], "checked_in", now)
    db.session.execute(delete(TextedDaysDone).where(TextedDaysDone.user_id == user_id,
                                                    TextedDaysDone.week_start == week))


def still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    """The outbox's last check before a nudge leaves: why it is no longer wanted, or None.
    Catches what changed since planning and did not cancel the row itself."""
    from wham.checkins.services import check_in_for_week

    key = message.idempotency_key
    week = rules.week_of_check_in_key(key)
    if week is not None:
        return "checked_in" if check_in_for_week(message.user_id, week) else None
    about_session = rules.session_of_group_reminder_key(key)
    if about_session is not None:
        return _session_changed(message.user, *about_session)
    return None


def _session_changed(member: User, session_id: int, day: date) -> str | None:
    session = db.session.get(GroupSession, session_id)
    if session is None or session.is_cancelled:
        return "session_cancelled"
    if to_local(session.starts_at, member.time_zone).date() != day:
        return "session_moved"  # the planner queues a reminder for the new day
    still_member = db.session.scalar(select(Membership.id).where(
        Membership.group_id == session.group_id, Membership.user_id == member.id,
        Membership.left_at.is_(None)))
    return None if still_member else "left_group"


# --- days done, texted back to a reminder ------------------------------------------------


def texted_days_done(user_id: int, week: date) -> int | None:
    return db.session.scalar(select(TextedDaysDone.days_done).where(
        TextedDaysDone.user_id == user_id, TextedDaysDone.week_start == week))


def record_texted_days_done(user: User, week: date, days: int, now: datetime) -> bool:
    """Record the days done a participant texted for `week`: on the check-in when it exists
    (returns True), otherwise kept for the check-in form to start with (returns False)."""
    from wham.checkins import services as checkins

    if not 0 <= days <= 7:
        raise ValueError("days done is 0-7")
    check_in = checkins.check_in_for_week(user.id, week)
    if check_in is not None:
        checkins.change_days_done(user, check_in, days, now, source="sms")
        return True
    reply = db.session.scalar(select(TextedDaysDone).where(
        TextedDaysDone.user_id == user.id, TextedDaysDone.week_start == week))
    if reply is None:
        reply = TextedDaysDone(user_id=user.id, week_start=week)
        db.session.add(reply)
    reply.days_done, reply.received_at = days, now
    db.session.flush()
    audit.record("check_in.days_texted", actor=user, subject=user, obj=reply, now=now,
                 week=week.isoformat())
    db.session.commit()
    return False


# --- a facilitator's message to their group ----------------------------------------------


@dataclass(frozen=True)
class GroupMessageTemplate:
    name: str
    label: object  # lazy text
    needs_next_session: bool = False


# The reviewed messages a facilitator may send; the texts are templates/sms/group_<name>.*.txt.
# None says anything about anyone's health, and none names the group (its name may).
GROUP_MESSAGES = (
    GroupMessageTemplate("next_session", _l("When we meet next"), needs_next_session=True),
    GroupMessageTemplate("schedule_change", _l("The meeting times have changed")),
    GroupMessageTemplate("check_in", _l("Remember your weekly check-in")),
    GroupMessageTemplate("thanks", _l("Thank you for coming")),
)
GROUP_MESSAGES_BY_NAME = {template.name: template for template in GROUP_MESSAGES}


def group_message_choices(group: Group, now: datetime) -> list[GroupMessageTemplate]:
    """The messages that make sense now (the next meeting needs a next meeting)."""
    upcoming = _next_session(group, now)
    return [t for t in GROUP_MESSAGES if upcoming is not None or not t.needs_next_session]


def _next_session(group: Group, now: datetime) -> GroupSession | None:
    from wham.groups.services import next_sessions

    return next_sessions([group.id], now).get(group.id)


def _member_texters(group: Group) -> list[rules.Texter]:
    rows = db.session.execute(
        texters(SmsContact.group_reminder)
        .join(Membership, (Membership.user_id == SmsContact.user_id)
              & Membership.left_at.is_(None))
        .where(Membership.group_id == group.id, User.role == Role.PARTICIPANT)
        .order_by(SmsContact.user_id)).all()
    return [rules.Texter(*row[:6]) for row in rows]


def _member_count(group: Group) -> int:
    from wham.groups.services import active_member_count

    return active_member_count(group.id)


def _nudges(group: Group, template: GroupMessageTemplate, now: datetime) -> list[rules.Nudge]:
    upcoming = _next_session(group, now)
    day = local_today(now, group.time_zone)
    starts_at = upcoming.starts_at if upcoming is not None else None
    found = [rules.group_message(member, group.id, template.name, day, starts_at, now)
             for member in _member_texters(group)]
    return [nudge for nudge in found if nudge is not None]


@dataclass(frozen=True)
class GroupMessagePreview:
    template: GroupMessageTemplate
    texts: dict[str, str]  # language -> the text as members get it
    recipients: int  # members who get texts about the group
    members: int


def preview_group_message(group: Group, name: str, now: datetime) -> GroupMessagePreview:
    """What the members would get: the text in each program language, and to how many."""
    template = GROUP_MESSAGES_BY_NAME[name]
    upcoming = _next_session(group, now)
    texts = NudgeTexts()
    bodies = {}
    for language in ("en", "es"):
        sample = rules.Nudge("preview", 0, "", language, group.time_zone, SmsKind.GROUP_MESSAGE,
                             f"group_{name}", now, now, group_id=group.id,
                             session_starts_at=upcoming.starts_at if upcoming else None)
        bodies[language] = texts.body(sample)
    return GroupMessagePreview(template, bodies, len(_nudges(group, template, now)),
                               _member_count(group))


def send_group_message(actor: User, group: Group, name: str, now: datetime) -> int:
    """Queue the message for each member who gets texts about the group (at the end of their
    quiet hours if it is night for them). The same message to the same group on the same
    day is queued once, so a double click sends nothing twice. Returns how many were queued."""
    template = GROUP_MESSAGES_BY_NAME[name]
    if template.needs_next_session and _next_session(group, now) is None:
        raise ValueError("no next session to announce")
    texts = NudgeTexts()
    queued = queue_messages([outbox_row(n, texts, now) for n in _nudges(group, template, now)])
    audit.record("group.text_sent", actor=actor, obj=group, now=now, template=name,
                 queued=queued)
    db.session.commit()
    return queued
