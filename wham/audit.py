"""The append-only audit log: AuditEvent and record(), written in the caller's transaction,
and each action's name in plain words."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, bindparam, event, insert, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow

if TYPE_CHECKING:
    from wham.accounts.models import User


# What each recorded action is called on pages, in the reader's language. The codes themselves
# stay as written (the CSV export and the filter use them); a code missing here is shown as is.
ACTION_LABELS = {
    "account.data_exported": _l("Downloaded their data"),
    "account.delete_refused": _l("Could not delete their account"),
    "account.deleted": _l("Deleted their account"),
    "account.password_changed": _l("Changed their password"),
    "account.password_reset": _l("Set a new password with a reset link"),
    "account.profile_updated": _l("Changed their profile"),
    "account.registered": _l("Signed up"),
    "account.reset_link_created": _l("Made a password reset link"),
    "admin.account_created": _l("Created an account"),
    "admin.account_disabled": _l("Turned off an account's sign-in"),
    "admin.account_enabled": _l("Turned on an account's sign-in"),
    "admin.audit_exported": _l("Downloaded the audit log"),
    "admin.invite_code_created": _l("Made an invite code"),
    "admin.peer_specialist_assigned": _l("Changed a peer specialist"),
    "admin.role_changed": _l("Changed a role"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Sign-in failed"),
    "auth.logout": _l("Signed out"),
    "auth.session_expired": _l("Signed out after a quiet time"),
    "check_in.days_changed": _l("Changed the days done in a check-in"),
    "check_in.days_texted": _l("Texted the days done"),
    "check_in.saved": _l("Saved a check-in"),
    "consent.accepted": _l("Accepted a permission to share"),
    "consent.drafted": _l("Wrote a permission to share"),
    "consent.given": _l("Signed a permission to share"),
    "consent.link_renewed": _l("Made a new invitation link"),
    "consent.revoked": _l("Stopped sharing"),
    "demo.loaded": _l("Loaded the demo data"),
    "family.viewed": _l("Family member looked at shared information"),
    "flag.acknowledged": _l("Followed up on a flag"),
    "flag.raised": _l("Flag raised"),
    "flag.read": _l("Read flags"),
    "goal.created": _l("Set a goal"),
    "goal.status_changed": _l("Changed a goal's status"),
    "goal.updated": _l("Changed a goal"),
    "group.attendance_recorded": _l("Took attendance"),
    "group.created": _l("Created a group"),
    "group.dashboard_viewed": _l("Looked at the group dashboard"),
    "group.exported": _l("Downloaded group figures"),
    "group.joined": _l("Joined a group"),
    "group.left": _l("Left a group"),
    "group.member_moved": _l("Moved a member to another group"),
    "group.members_viewed": _l("Looked at a group's members"),
    "group.summary_viewed": _l("Looked at a group's summary"),
    "group.session_cancelled": _l("Cancelled a session"),
    "group.session_moved": _l("Moved a session"),
    "group.session_restored": _l("Put a cancelled session back"),
    "group.text_sent": _l("Sent a text to a group"),
    "group.updated": _l("Changed a group"),
    "group.win_shared": _l("Shared a win"),
    "inventory.taken": _l("Took the self-inventory"),
    "log.saved": _l("Logged a day"),
    "peer_note.added": _l("Wrote a peer support note"),
    "peer_note.read": _l("Read peer support notes"),
    "plan.copied": _l("Copied last week's plan"),
    "plan.saved": _l("Saved a weekly plan"),
    "sms.code_refused": _l("Wrong text message code"),
    "sms.code_sent": _l("Sent a code to a phone"),
    "sms.inbound": _l("Got a text reply"),
    "sms.inbound_unknown": _l("Got a text from an unknown number"),
    "sms.number_confirmed": _l("Confirmed a phone number"),
    "sms.number_invalid": _l("Phone number does not work"),
    "sms.opted_in": _l("Turned texts back on"),
    "sms.opted_out": _l("Turned texts off"),
    "sms.settings_saved": _l("Changed text settings"),
    "support_plan.saved": _l("Saved the support plan"),
}


def action_label(action: str) -> str:
    """An action's name in plain words, in the current language; an unknown code as is."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


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
        db.session.execute(_insert_for_each_subject(),
                           {**{f"shared_{name}": value for name, value in common.items()},
                            "subject_ids": sorted({s.id for s in subjects})})
    return len(subjects)


_SHARED_COLUMNS = ("occurred_at", "actor_id", "action", "object_type", "object_id", "ip_address",
                   "details")


@cache
def _insert_for_each_subject():
    # INSERT ... SELECT over the subjects' ids: one short statement with the shared values
    # sent once (a multi-row VALUES would send every value once per subject). Built once per
    # process; the values and the id list are bound at each use.
    from wham.accounts.models import User

    columns = AuditEvent.__table__.c
    shared = [bindparam(f"shared_{name}", type_=columns[name].type).label(name)
              for name in _SHARED_COLUMNS]
    # The table, not the mapped class: with parameters, an ORM insert would be a bulk insert.
    return insert(AuditEvent.__table__).from_select(
        [*_SHARED_COLUMNS, "subject_id"],
        select(*shared, User.id).where(User.id.in_(bindparam("subject_ids", expanding=True))))


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
