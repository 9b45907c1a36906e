"""A participant's data rights: download everything the app holds about them (JSON and CSV in
one zip), and delete their account (their data erased, the account row kept as an anonymous
tombstone so the audit log stays whole but says nothing about them).

Every table that points at a person is classified below, table by table; a test fails on any
table or column that is not, so a new domain cannot forget its part in the export or the
erasure. The tables are read through the metadata the domains' models define."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, delete, select

from wham import audit
from wham.accounts.models import LoginThrottle, Role, User, new_session_token
from wham.accounts.services import normalize_email
from wham.exports import csv_text
from wham.extensions import db

# Tables holding the person's own rows, by the column that names them: exported and erased.
OWNED_BY = {
    "account_tokens": "user_id",  # erased, never exported: one-time secrets
    "action_plans": "user_id",
    "check_ins": "user_id",
    "consents": "participant_id",
    "flags": "user_id",
    "goals": "user_id",
    "group_attendance": "user_id",
    "group_memberships": "user_id",
    "group_wins": "author_id",
    "inventory_takes": "user_id",
    "log_entries": "user_id",
    "peer_notes": "participant_id",  # notes about them by their peer specialist
    "sms_contacts": "user_id",
    "sms_outbox": "user_id",
    "support_plan_versions": "owner_id",
    "texted_days_done": "user_id",
}
# Rows belonging to one of the person's rows above: (column, the owning table).
PART_OF = {
    "crisis_contacts": ("version_id", "support_plan_versions"),
    "goal_status_changes": ("goal_id", "goals"),
    "inventory_ratings": ("take_id", "inventory_takes"),
}
# Columns that point at a person as staff or as someone else's invitee: never a participant's
# own data. A participant's deletion leaves them alone.
NOT_THEIR_DATA = {
    ("account_tokens", "created_by_id"),  # the admin or peer specialist who made a link
    ("consents", "family_user_id"),  # the family member a consent was given to
    ("flags", "acknowledged_by_id"),
    ("group_attendance", "recorded_by_id"),
    ("group_facilitators", "user_id"),
    ("peer_notes", "author_id"),
    ("users", "peer_specialist_id"),
}
# Kept as they are: the audit log holds identifiers and outcomes, never content, and points at
# the anonymous tombstone once the account is deleted.
KEPT = {("audit_events", "actor_id"), ("audit_events", "subject_id")}

NEVER_EXPORTED_TABLES = {"account_tokens"}
# Secrets and internal keys that are nobody's business, not even the person's.
NEVER_EXPORTED_COLUMNS = {"password_hash", "session_token", "token_hash", "code_hash",
                          "idempotency_key", "dedupe_key"}
PROFILE_COLUMNS = ("id", "email", "display_name", "role", "language", "time_zone", "mobile_e164",
                   "created_at", "last_login_at")

DELETED_NAME = "Deleted account"


class DataRightsError(Exception):
    """The request was refused; the message says why (safe to show)."""


def _table(name: str) -> Table:
    return db.metadata.tables[name]


def _sorted_sections() -> list[str]:
    """Section tables in dependency order (a row's parents before it)."""
    order = [t.name for t in db.metadata.sorted_tables]
    return sorted((*OWNED_BY, *PART_OF), key=order.index)


def _theirs(name: str, user_id: int):
    """The condition picking the person's rows out of table `name`."""
    table = _table(name)
    if name in OWNED_BY:
        return table.c[OWNED_BY[name]] == user_id
    column, parent_name = PART_OF[name]
    parent = _table(parent_name)
    return table.c[column].in_(select(parent.c.id).where(parent.c[OWNED_BY[parent_name]] == user_id))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- download -----------------------------------------------------------------------------


@dataclass
class Export:
    filename: str
    content: bytes
    counts: dict[str, int]


def collect(user: User) -> dict[str, Any]:
    """Everything about `user`, as plain JSON-ready data: profile, then one list per table."""
    sections = {}
    for name in _sorted_sections():
        if name in NEVER_EXPORTED_TABLES:
            continue
        table = _table(name)
        rows = db.session.execute(select(table).where(_theirs(name, user.id))
                                  .order_by(*table.primary_key.columns)).mappings()
        sections[name] = [{k: _plain(v) for k, v in row.items() if k not in NEVER_EXPORTED_COLUMNS}
                          for row in rows]
    return {"profile": {c: _plain(getattr(user, c)) for c in PROFILE_COLUMNS}, "sections": sections}


def _csv(rows: list[dict]) -> str:
    if not rows:
        return ""
    return csv_text(list(rows[0]), ([_json_if_nested(v) for v in row.values()] for row in rows))


def _json_if_nested(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def export_my_data(user: User, now: datetime) -> Export:
    """A zip of my-data.json and one CSV per kind of record; the download is audited."""
    data = {"exported_at": now.isoformat(), **collect(user)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("csv/profile.csv", _csv([data["profile"]]))
        for name, rows in data["sections"].items():
            archive.writestr(f"csv/{name}.csv", _csv(rows))
        archive.writestr("README.txt", _README)
    counts = {name: len(rows) for name, rows in data["sections"].items() if rows}
    audit.record("account.data_exported", actor=user, subject=user, now=now, rows=counts)
    db.session.commit()
    return Export(f"wham-my-data-{now:%Y-%m-%d}.zip", buffer.getvalue(), counts)


_README = """Everything WHAM holds about you.

my-data.json  all of it in one file
csv/          the same, one spreadsheet per kind of record (profile, goals, check_ins, ...)

Times are in UTC. Passwords and one-time codes are never included.
"""


# --- deletion ------------------------------------------------------------------------------


def delete_account(user: User, now: datetime) -> dict[str, int]:
    """Erase the participant's data and anonymise the account, all in one transaction. The
    audit log keeps its rows (content-free) pointing at the tombstone. Returns rows erased."""
    if user.role != Role.PARTICIPANT:
        raise DataRightsError("Only participants delete their own account here; staff and family "
                              "accounts are closed by the program.")
    erased = {}
    for name in reversed(_sorted_sections()):
        result = db.session.execute(delete(_table(name)).where(_theirs(name, user.id)))
        if result.rowcount:
            erased[name] = result.rowcount
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.key_hash == hashlib.sha256(normalize_email(user.email).encode()).hexdigest()))
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.display_name = DELETED_NAME
    user.password_hash = None
    user.mobile_e164 = None
    user.is_enabled = False
    user.session_token = new_session_token()  # signed out everywhere
    user.peer_specialist_id = None
    user.last_login_at = None
    audit.record("account.deleted", actor=user, subject=user, now=now, rows=erased)
    db.session.commit()
    return erased
