"""The outbox: queue a message once, claim due rows, send after commit, record what happened."""
from __future__ import annotations

import functools
import random
import threading
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from wham import audit
from wham.accounts.models import User
from wham.database import UTCDateTime
from wham.extensions import cache, db
from wham.sms.models import FINAL_STATUSES, OutboxMessage, OutboxStatus, SmsContact, SmsKind
from wham.sms.senders import INVALID_NUMBERS, UNSUBSCRIBED, SendError, SmsSender
from wham.sms.texts import render_sms


def queue_message(user: User, kind: SmsKind, body: str, key: str, *, to_e164: str,
                  not_before: datetime, expires_at: datetime, now: datetime,
                  commit: bool = True) -> OutboxMessage | None:
    """Add a message to the outbox. Returns None, changing nothing, when a message with the
    same idempotency key was queued before (even by another process at the same moment)."""
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    message = OutboxMessage(idempotency_key=key, user_id=user.id, to_e164=to_e164, body=body,
                            kind=kind, status=OutboxStatus.QUEUED, not_before=not_before,
                            expires_at=expires_at, next_attempt_at=not_before, attempts=0,
                            created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    if commit:
        db.session.commit()
    return message


def queue_messages(rows: list[dict]) -> int:
    """Add many messages at once (the nudge planner). Each row holds the OutboxMessage columns;
    a row whose idempotency key is already queued is skipped, even when another process
    queues it at the same moment (INSERT ... ON CONFLICT DO NOTHING). Returns how many were
    added. The caller commits."""
    if not rows:
        return 0
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - WHAM runs on SQLite and PostgreSQL
        raise RuntimeError(f"queue_messages does not know {dialect}")
    table = OutboxMessage.__table__
    # RETURNING names only the rows really added (drivers differ on executemany row counts).
    statement = (insert(table).on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
                 .returning(table.c.id))
    connection = db.session.connection()  # Core, inside the session's transaction
    added = 0
    for start in range(0, len(rows), 5000):
        added += len(connection.execute(statement, rows[start:start + 5000]).all())
    return added


def cancel_queued_messages(keys: list[str], reason: str, now: datetime) -> int:
    """Cancel the still-queued messages with these idempotency keys (a row being sent right
    now is stopped by the send checks instead). The caller commits."""
    if not keys:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.idempotency_key.in_(keys), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.CANCELLED, error_code=reason, updated_at=now))
    return result.rowcount


# --- sending ------------------------------------------------------------------------------

# A send check gets a claimed message and `now` and returns why it must not go out any more
# (e.g. "checked_in": the check-in it reminds of was logged meanwhile), or None. The nudges
# register theirs; the contact's own state (opt-out, number, consent) is checked here.
SendCheck = Callable[[OutboxMessage, datetime], str | None]
_send_checks: list[SendCheck] = []


def register_send_check(check: SendCheck) -> None:
    if check not in _send_checks:
        _send_checks.append(check)


def _refusal(message: OutboxMessage, now: datetime) -> str | None:
    contact = _contact_for(message)
    if contact is None:
        return "no_contact"
    refusal = contact.may_receive(message.user, message.kind, message.to_e164)
    for check in _send_checks:
        refusal = refusal or check(message, now)
    return refusal



class Pacer:
    """Keeps sends at or under `rate` per second (0 means no limit). One pacer may be shared
    by several sending threads: each takes the next free slot."""

    def __init__(self, rate: float, monotonic: Callable[[], float] = clock.monotonic,
                 sleep: Callable[[float], None] = clock.sleep):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.monotonic = monotonic
        self.sleep = sleep
        self.next_at: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self.monotonic()
            slot = now if self.next_at is None else max(now, self.next_at)
            self.next_at = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0


def _due(now: datetime):
    return (OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now,
            OutboxMessage.not_before <= now, OutboxMessage.expires_at > now)


def claim_due_messages(now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due messages as 'sending' for this worker and commit, so no other
    worker can take them. PostgreSQL skips rows another worker holds; SQLite, which has one
    writer at a time, claims each row with a conditional update."""
    def due_ids(n: int):
        return (select(OutboxMessage.id).where(*_due(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(n))

    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(due_ids(limit).with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .values(status=OutboxStatus.SENDING, updated_at=now,
                                       attempts=OutboxMessage.attempts + 1))
        db.session.commit()
        return ids
    claimed: list[int] = []
    while len(claimed) < limit:
        candidates = db.session.scalars(due_ids(limit - len(claimed))).all()
        db.session.commit()
        if not candidates:
            break
        for message_id in candidates:  # another worker may take some first: look again
            result = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
                .values(status=OutboxStatus.SENDING, updated_at=now,
                        attempts=OutboxMessage.attempts + 1))
            db.session.commit()
            if result.rowcount == 1:
                claimed.append(message_id)
    return claimed


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential back-off with full jitter: up to base * 2^(attempts-1), capped."""
    config = current_app.config
    ceiling = min(config["SMS_RETRY_BASE"] * (2 ** max(0, attempts - 1)), config["SMS_RETRY_MAX"])
    fraction = (rng or random).uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    return ceiling * fraction


def _finish(message: OutboxMessage, status: OutboxStatus, now: datetime,
            error_code: str | None = None) -> None:
    message.status = status
    message.updated_at = now
    if error_code is not None:
        message.error_code = error_code
    if message.kind == SmsKind.VERIFY_CODE and status != OutboxStatus.QUEUED:
        # The code is only kept hashed on the contact; once handed over, drop it here too.
        message.body = render_sms("verify_code", None, code="······")


def _contact_for(message: OutboxMessage) -> SmsContact | None:
    return db.session.scalar(select(SmsContact).where(SmsContact.user_id == message.user_id))


def send_due_messages(now: datetime, sender: SmsSender, limit: int | None = None,
                      pacer: Pacer | None = None) -> SendReport:
    """The sender job: claim due messages, then for each, check again that the person may
    receive it, send it outside any transaction, and record the outcome."""
    config = current_app.config
    limit = limit or config["SMS_SEND_BATCH"]
    pacer = pacer or Pacer(config["SMS_RATE_PER_SECOND"])
    report = SendReport()
    ids = claim_due_messages(now, limit)
    report.claimed = len(ids)
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        refusal = _refusal(message, now)
        if refusal:
            _finish(message, OutboxStatus.CANCELLED, now, refusal)
            db.session.commit()
            report.cancelled += 1
            continue
        to_e164, body, kind = message.to_e164, message.body, message.kind.value
        # Marked as handed over before the provider is called: if this worker dies now, the
        # message is in doubt (never re-sent), while the batch's untouched rows go back. Only
        # one worker can make this mark, so a claim released from under a slow worker and
        # taken by another is still sent once.
        handed_over = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.status == OutboxStatus.SENDING,
                                        OutboxMessage.sent_at.is_(None))
            .values(sent_at=now)).rowcount
        db.session.commit()  # nothing held open while the provider answers
        if not handed_over:
            continue
        pacer.wait()
        try:
            result = sender.send(to_e164, body, kind=kind)
        except SendError as error:
            _record_failure(message_id, error, now, report)
        else:
            message = db.session.get(OutboxMessage, message_id)
            message.provider_sid = result.provider_sid
            message.sent_at = now
            message.error_code = None
            _finish(message, OutboxStatus.SENT, now)
            db.session.commit()
            report.sent += 1
    return report


def _record_failure(message_id: int, error: SendError, now: datetime, report: SendReport) -> None:
    message = db.session.get(OutboxMessage, message_id)
    message.sent_at = None  # the provider said no: nothing was handed over
    if error.retryable:
        next_at = now + retry_delay(message.attempts)
        if next_at >= message.expires_at:
            # The provider is still away and the next try would come too late: the message
            # expires (it never arrives late), keeping the provider's last error.
            _finish(message, OutboxStatus.EXPIRED, now, error.code)
            db.session.commit()
            report.expired += 1
            return
        if message.attempts < current_app.config["SMS_MAX_ATTEMPTS"]:
            message.status = OutboxStatus.QUEUED
            message.next_attempt_at = next_at
            message.error_code = error.code
            message.updated_at = now
            db.session.commit()
            report.retrying += 1
            return
    _finish(message, OutboxStatus.FAILED, now, error.code)
    mark_number_from_error(message.user_id, message.to_e164, error.code, now)
    db.session.commit()
    report.failed += 1


def mark_number_from_error(user_id: int, to_e164: str, error_code: str | None,
                           now: datetime) -> None:
    """Permanent provider errors stop all sending to that number: unsubscribed (21610) is an
    opt-out; invalid or not a mobile (21211, 21614) marks the number invalid."""
    if error_code not in (UNSUBSCRIBED, *INVALID_NUMBERS):
        return
    contact = db.session.scalar(select(SmsContact).where(SmsContact.user_id == user_id))
    if contact is None or contact.e164 != to_e164:
        return
    if error_code == UNSUBSCRIBED and contact.opted_out_at is None:
        contact.opted_out_at = now
        audit.record("sms.opted_out", subject=contact.user, obj=contact, now=now,
                     source="provider", error_code=error_code)
    elif error_code in INVALID_NUMBERS and contact.invalid_at is None:
        contact.invalid_at = now
        audit.record("sms.number_invalid", subject=contact.user, obj=contact, now=now,
                     error_code=error_code)


def expire_overdue_messages(now: datetime) -> int:
    """Queued messages whose window has passed are expired, never sent late."""
    overdue = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.expires_at <= now)).all()
    for message in overdue:
        _finish(message, OutboxStatus.EXPIRED, now)
    db.session.commit()
    return len(overdue)


def release_stuck_claims(now: datetime, after: timedelta | None = None) -> int:
    """A worker that died leaves rows in 'sending'. Those it never handed to the provider go
    back to the queue (or expire when their window has passed); one it was handing over when
    it died is in doubt: marked failed, never re-sent (a duplicate is worse), and counted on
    the admin page. Returns how many were released either way."""
    after = after if after is not None else current_app.config["SMS_CLAIM_TIMEOUT"]
    stuck = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.provider_sid.is_(None),
        OutboxMessage.updated_at <= now - after)).all()
    for message in stuck:
        if message.sent_at is not None:
            _finish(message, OutboxStatus.FAILED, now, "worker_lost")
        elif message.expires_at > now:
            message.status = OutboxStatus.QUEUED
            message.next_attempt_at = now
            message.updated_at = now
        else:
            _finish(message, OutboxStatus.EXPIRED, now)
    db.session.commit()
    return len(stuck)


# --- status callbacks ---------------------------------------------------------------------

CALLBACK_STATUSES = {
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.UNDELIVERED,
    "failed": OutboxStatus.FAILED,
}
# A later callback may move a message on, never back (callbacks can arrive out of order).
_RANK = {OutboxStatus.SENDING: 0, OutboxStatus.SENT: 1, OutboxStatus.DELIVERED: 2,
         OutboxStatus.UNDELIVERED: 2, OutboxStatus.FAILED: 2}


def apply_status_callback(provider_sid: str, status: str, error_code: str | None,
                          now: datetime) -> bool:
    """Record the provider's news about a message. Returns whether anything changed; the
    same callback delivered twice changes nothing the second time."""
    new_status = CALLBACK_STATUSES.get(status)
    if new_status is None or not provider_sid:
        return False
    message = db.session.scalar(select(OutboxMessage)
                                .where(OutboxMessage.provider_sid == provider_sid))
    if message is None or message.status not in _RANK:
        return False
    if _RANK[new_status] <= _RANK[message.status]:
        return False
    message.status = new_status
    message.updated_at = now
    if error_code:
        message.error_code = error_code
        mark_number_from_error(message.user_id, message.to_e164, error_code, now)
    db.session.commit()
    return True


# --- statistics for the admin page --------------------------------------------------------


class RecentFailure(NamedTuple):
    """A message that failed or was not delivered, as the admin page lists it (no body)."""

    id: int
    kind: SmsKind
    status: OutboxStatus
    error_code: str | None
    updated_at: datetime
    attempts: int


def delivery_statistics(now: datetime, days: int = 7) -> dict:
    """The outbox's figures for the `days` before `now` (`as_of`): counts by kind and status,
    the newest failures and page-wide counts. Plain values only (enums, tuples, datetimes), so
    the figures can be pickled into any cache."""
    period = {"since": now - timedelta(days=days)}
    table: dict[SmsKind, dict[OutboxStatus, int]] = {}
    failures: list[RecentFailure] = []
    totals: dict[str, int] = {}
    # Core rows on the session's connection: nothing here is changed, so no ORM objects.
    for part, kind, status, number, *failure in db.session.connection().execute(
            _statistics_statement(), period):
        if part == "count":
            table.setdefault(kind, {})[status] = number
        elif part == "failure":
            failures.append(RecentFailure(number, kind, status, *failure))
        else:
            totals[part] = number
    failures.sort(key=attrgetter("updated_at", "id"), reverse=True)
    return {"by_kind": table, "kinds": list(SmsKind), "statuses": list(OutboxStatus),
            "failures": failures, "days": days, "as_of": now, **totals}


_STATISTICS_CACHE_KEY = "sms.delivery_statistics"


def recent_delivery_statistics(now: datetime) -> dict:
    """delivery_statistics computed at most SMS_STATISTICS_MAX_AGE_SECONDS before `now`: the
    figures in the cache while they are young enough, else new ones, cached for the next views.
    Counting a week of the outbox at every view of a monitoring page is more than its figures
    are worth; their `as_of` tells the reader how old they are."""
    max_age = current_app.config["SMS_STATISTICS_MAX_AGE_SECONDS"]
    stats = cache.get(_STATISTICS_CACHE_KEY)
    # The age is measured from `now` as well as by the cache's timeout: the page's promise
    # holds whatever a cache backend does with timeouts, and for any `now` a caller gives.
    if stats is None or now - stats["as_of"] >= timedelta(seconds=max_age):
        stats = delivery_statistics(now)
        cache.set(_STATISTICS_CACHE_KEY, stats, timeout=max_age)
    return stats


RECENT_FAILURES = 20


@functools.cache
def _statistics_statement() -> Select:
    """delivery_statistics' one statement, built once (building it took longer than the
    database took to answer it); `since` is bound to the start of the period. Its rows are of
    three sorts, told apart by their first column, `part`:
    "count": a kind, a status and how many messages of them the period had;
    "failure": one of the newest failures: kind, status, the message's id (as `number`),
    error code, last change and tries;
    "waiting", "opted_out", "opted_out_recent", "invalid": one page-wide count (`number`).
    Every count comes from an index; no row of the outbox is read but the failures shown."""
    since = bindparam("since", type_=OutboxMessage.created_at.type)
    no_text, no_moment, no_number = (type_coerce(null(), String), type_coerce(null(), UTCDateTime),
                                     type_coerce(null(), Integer))
    # count(*), not count(id): the kind, status and creation time are all in one index
    # (ix_sms_outbox_created_kind_status), so PostgreSQL never reads the rows themselves.
    counts = (select(literal("count").label("part"), OutboxMessage.kind, OutboxMessage.status,
                     func.count().label("number"), no_text.label("error_code"),
                     no_moment.label("updated_at"), no_number.label("attempts"))
              .where(OutboxMessage.created_at >= since)
              .group_by(OutboxMessage.kind, OutboxMessage.status))

    # The newest failures of each failed status from the index on (status, updated_at), then
    # the newest of those: never more rows read than are shown, however many failed before.
    def newest(status: OutboxStatus):
        return select(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.status,
                   OutboxMessage.error_code, OutboxMessage.updated_at, OutboxMessage.attempts)
            .where(OutboxMessage.status == status, OutboxMessage.updated_at >= since)
            .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
            .limit(RECENT_FAILURES).subquery())

    failed = union_all(newest(OutboxStatus.FAILED), newest(OutboxStatus.UNDELIVERED)).subquery()
    shown = (select(failed).order_by(failed.c.updated_at.desc(), failed.c.id.desc())
             .limit(RECENT_FAILURES)
             .subquery())
    failures = select(literal("failure"), shown.c.kind, shown.c.status, shown.c.id,
                      shown.c.error_code, shown.c.updated_at, shown.c.attempts)

    def total(part: str, entity, *conditions):
        number = select(func.count()).select_from(entity).where(*conditions).scalar_subquery()
        return select(literal(part), null(), null(), number, null(), null(), null())

    return union_all(
        counts, failures,
        total("waiting", OutboxMessage,
              OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))),
        total("opted_out", SmsContact, SmsContact.opted_out_at.is_not(None)),
        total("opted_out_recent", SmsContact, SmsContact.opted_out_at >= since),
        total("invalid", SmsContact, SmsContact.invalid_at.is_not(None)))


__all__ = ["FINAL_STATUSES", "Pacer", "SendReport", "apply_status_callback",
           "cancel_queued_messages", "claim_due_messages", "delivery_statistics",
           "expire_overdue_messages", "queue_message", "queue_messages",
           "recent_delivery_statistics", "register_send_check", "release_stuck_claims",
           "send_due_messages"]
