"""What the admin pages read and change, beyond the account rules in accounts.services."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from wham import audit
from wham.accounts.models import Role, User
from wham.audit import AuditEvent
from wham.exports import csv_text
from wham.extensions import db
from wham.timeutil import local_to_utc

PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_users(query: str | None, role: str | None, page: int) -> Page:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == Role(role))
    if query:
        # autoescape: % and _ typed in the search box are searched for literally.
        needle = query.lower()
        stmt = stmt.where(or_(func.lower(User.display_name).contains(needle, autoescape=True),
                              User.email.contains(needle, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(User.display_name, User.id)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(items), page, total or 0)


def peer_specialists() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.PEER_SPECIALIST)
                                   .order_by(User.display_name)))


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events to show: by person (actor or whose information, matched on name or
    email), by action, and by local date range (inclusive) in the admin's time zone."""

    person: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    time_zone: str = "UTC"

    def described(self) -> dict:
        """The filter as recorded in the audit log: no free text, so whether a person was
        searched for, not who."""
        values = asdict(self) | {"since": self.since and self.since.isoformat(),
                                 "until": self.until and self.until.isoformat(),
                                 "person": bool(self.person)}
        return {k: v for k, v in values.items() if v}


def _filtered_events(f: AuditFilter) -> Select:
    stmt = select(AuditEvent)
    if f.person:
        needle = f.person.lower()
        people = select(User.id).where(or_(
            func.lower(User.display_name).contains(needle, autoescape=True),
            User.email.contains(needle, autoescape=True)))
        stmt = stmt.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_id.in_(people)))
    if f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.since:
        stmt = stmt.where(AuditEvent.occurred_at >= local_to_utc(f.since, time(0), f.time_zone))
    if f.until:
        end = local_to_utc(f.until + timedelta(days=1), time(0), f.time_zone)
        stmt = stmt.where(AuditEvent.occurred_at < end)
    return stmt


def audit_page(page: int, f: AuditFilter | None = None) -> Page:
    stmt = _filtered_events(f or AuditFilter())
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(AuditEvent.id.desc())
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(items), page, total or 0)


def audit_actions() -> list[str]:
    """Every action in the log, for the filter's list."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


# Programs read the codes: new columns go at the end. The label is in the admin's language.
AUDIT_CSV_COLUMNS = ("id", "occurred_at_utc", "actor_id", "actor", "action", "subject_id",
                     "subject", "object_type", "object_id", "ip_address", "details", "action_label")


def export_audit_csv(admin: User, f: AuditFilter, now: datetime) -> tuple[str, int]:
    """The filtered audit log as CSV text, oldest first, and how many events it holds. The
    export is itself recorded, in the same transaction."""
    actor, subject = aliased(User), aliased(User)
    rows = db.session.execute(
        _filtered_events(f).add_columns(actor.display_name, subject.display_name)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(subject, subject.id == AuditEvent.subject_id)
        .order_by(AuditEvent.id)).all()
    text = csv_text(AUDIT_CSV_COLUMNS, (
        (event.id, event.occurred_at, event.actor_id, actor_name, event.action,
         event.subject_id, subject_name, event.object_type, event.object_id, event.ip_address,
         json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False),
         audit.action_label(event.action))
        for event, actor_name, subject_name in rows))
    audit.record("admin.audit_exported", actor=admin, now=now, rows=len(rows),
                 filters=f.described())
    db.session.commit()
    return text, len(rows)


def names_by_id(user_ids: set[int]) -> dict[int, str]:
    """Display names for a page of rows in one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
