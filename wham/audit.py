"""The append-only audit log: AuditEvent and record(), written in the caller's transaction."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, String, event, insert
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow

if TYPE_CHECKING:
    from wham.accounts.models import User


class AuditEvent(db.Model):
    """One thing that happened. Rows are only ever inserted; the app has no update or delete."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    # Whose data the action touched, so a participant can see who viewed their information.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    ip_address: Mapped[str | None] = mapped_column(String(45))
    # Identifiers and outcomes only: never health information or free text.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    action: str,
    *,
    actor: User | None = None,
    subject: User | None = None,
    obj: Any = None,
    now: datetime | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current session; the caller's commit makes it durable."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_id=subject.id if subject is not None else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None),
        ip_address=request.remote_addr if has_request_context() else None,
        details=details,
    )
    db.session.add(event)
    return event


def record_for_each(
    action: str,
    subjects: list[User],
    *,
    actor: User | None = None,
    obj: Any = None,
    now: datetime | None = None,
    **details: Any,
) -> int:
    """One event per subject (say, each member a facilitator's dashboard showed), written in
    one INSERT however many there are. Like record(), the caller's commit makes them durable."""
    common = {"occurred_at": now or utcnow(), "actor_id": actor.id if actor is not None else None,
              "action": action, "object_type": type(obj).__name__ if obj is not None else None,
              "object_id": getattr(obj, "id", None),
              "ip_address": request.remote_addr if has_request_context() else None,
              "details": details}
    if subjects:
        db.session.execute(insert(AuditEvent), [common | {"subject_id": s.id} for s in subjects])
    return len(subjects)


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit event."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_events(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly("audit events are never deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditLogIsAppendOnly("audit events are never changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
            mapper.class_ is AuditEvent for mapper in state.all_mappers):
        raise AuditLogIsAppendOnly("audit events are never changed or deleted")
