"""A program at county scale for benchmarks: `flask --app wham demo --large` (development only).

10,000 participants, 40 peer specialists, 700 groups and 52 weeks of plans, daily logs and
check-ins by default, written with bulk inserts (explicit ids, no ORM objects, one
transaction per batch of participants). Besides the program, three "history" groups of 15
members each have 8, 52 and 260 weeks of history, so a benchmark can show how pages grow
with history while everything else stays the same. Every account uses the demo password.
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, text

from wham.accounts.models import Role, User
from wham.accounts.services import hash_password
from wham.checkins.measures import who5_score
from wham.checkins.models import CheckIn, Flag, FlagReason, Support
from wham.demo import DEMO_PASSWORD
from wham.extensions import db
from wham.factors import FACTORS
from wham.goals.models import (
    ActionPlan,
    Done,
    Goal,
    GoalStatus,
    GoalStatusChange,
    InventoryRating,
    InventoryTake,
    LogEntry,
)
from wham.groups.models import (
    Attendance,
    AttendanceStatus,
    Group,
    GroupFacilitator,
    GroupSession,
    Membership,
)
from wham.groups.services import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, NOTICE_VERSION, schedule
from wham.sms.models import OutboxMessage, OutboxStatus, SmsContact, SmsKind
from wham.timeutil import participant_week_start

DOMAIN = "large.example.org"
HISTORY_DEPTHS = (8, 52, 260)
HISTORY_GROUP_SIZE = 15
GROUP_SIZE = 14
SESSIONS = 8
TIME_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
              "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico")
PLAN_WHATS = ("Walk after lunch", "Call a friend", "Drink water instead of soda", "Bed by 11 pm",
              "Cook one meal at home", "Ten minutes of stretching", "Read before bed")
LOG_NOTES = ("", "", "", "", "Felt good", "Hard day but did it", "Rain, walked inside")
BATCH_PEOPLE = 250


@dataclass(frozen=True)
class Scale:
    participants: int = 10_000
    peer_specialists: int = 40
    groups: int = 700
    weeks: int = 52


@dataclass(frozen=True)
class LargeLogins:
    """Accounts a benchmark signs in as (all with the demo password)."""

    admin: str = f"admin@{DOMAIN}"
    participant: str = f"p1@{DOMAIN}"
    peer_specialist: str = f"peer1@{DOMAIN}"

    @staticmethod
    def history_participant(weeks: int) -> str:
        return f"history{weeks}-1@{DOMAIN}"

    @staticmethod
    def history_facilitator(weeks: int) -> str:
        return f"history{weeks}-peer@{DOMAIN}"


@dataclass
class _Ids:
    """The next primary key per table: the tables are empty, so ids are given, not fetched."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next.get(table, 1)
        self.next[table] = value + 1
        return value


class _Writer:
    """Collects rows per table and writes them with one executemany per table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model, row: dict) -> None:
        self.rows.setdefault(model.__tablename__, []).append(row)

    def flush(self) -> None:
        tables = db.metadata.tables
        for name in _INSERT_ORDER:
            rows = self.rows.pop(name, None)
            if rows:
                db.session.execute(tables[name].insert(), rows)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
        db.session.commit()


# Parents before children, for the foreign keys.
_INSERT_ORDER = ("users", "groups", "group_facilitators", "group_sessions", "group_memberships",
                 "group_attendance", "inventory_takes", "inventory_ratings", "goals",
                 "goal_status_changes", "action_plans", "log_entries", "check_ins", "flags",
                 "sms_contacts", "sms_outbox")


class _Program:
    def __init__(self, now: datetime, seed: int) -> None:
        self.now = now
        self.rng = random.Random(seed)
        self.ids = _Ids()
        self.out = _Writer()
        self.password_hash = hash_password(DEMO_PASSWORD)

    # --- people -------------------------------------------------------------------------

    def user(self, email: str, name: str, role: Role, tz: str, peer_id: int | None = None) -> int:
        uid = self.ids.take("users")
        self.out.add(User, {
            "id": uid, "email": email, "display_name": name, "role": role, "language": "en",
            "time_zone": tz, "password_hash": self.password_hash, "is_enabled": True,
            "session_token": secrets.token_urlsafe(32), "peer_specialist_id": peer_id,
            "created_at": self.now - timedelta(days=400), "mobile_e164": None,
        })
        return uid

    # --- groups -------------------------------------------------------------------------

    def group(self, name: str, facilitators: list[int], members: list[int], weeks_ago: int) -> None:
        gid = self.ids.take("groups")
        tz = self.rng.choice(TIME_ZONES)
        weekday, at = self.rng.randrange(5), time(self.rng.choice((10, 13, 18)), 0)
        start = (self.now - timedelta(weeks=weeks_ago)).date()
        self.out.add(Group, {
            "id": gid, "name": name, "start_date": start, "weekday": weekday, "local_time": at,
            "time_zone": tz, "session_count": SESSIONS, "place": "Community room",
            "video_link": None, "capacity": max(GROUP_SIZE, len(members)),
            "join_code": _join_code(gid), "created_at": self.now - timedelta(weeks=weeks_ago + 1),
        })
        for peer in facilitators:
            self.out.add(GroupFacilitator, {"group_id": gid, "user_id": peer,
                                            "added_at": self.now - timedelta(weeks=weeks_ago + 1)})
        joined = self.now - timedelta(weeks=weeks_ago, days=1)
        for member in members:
            self.out.add(Membership, {"id": self.ids.take("group_memberships"), "group_id": gid,
                                      "user_id": member, "joined_at": joined,
                                      "agreed_notice_version": NOTICE_VERSION, "left_at": None})
        for number, starts_at in enumerate(schedule(start, weekday, at, tz, SESSIONS), start=1):
            sid = self.ids.take("group_sessions")
            self.out.add(GroupSession, {"id": sid, "group_id": gid, "number": number,
                                        "starts_at": starts_at, "is_moved": False,
                                        "is_cancelled": False, "notes": None})
            if starts_at < self.now:
                for member in members:
                    status = self.rng.choices(list(AttendanceStatus), (80, 8, 12))[0]
                    self.out.add(Attendance, {"session_id": sid, "user_id": member,
                                              "status": status, "recorded_at": starts_at,
                                              "recorded_by_id": facilitators[0]})

    # --- text messages: a verified number for some, and a week of sent reminders ----------

    def texts(self, uid: int, number: int) -> None:
        rng, now = self.rng, self.now
        if rng.random() > 0.4:
            return
        e164 = f"+1202{number:07d}"
        self.out.add(SmsContact, {
            "id": self.ids.take("sms_contacts"), "user_id": uid, "e164": e164,
            "verified_at": now - timedelta(days=60), "opted_out_at": None, "invalid_at": None,
            "language": "en", "code_hash": None, "code_expires_at": None, "code_attempts": 0,
            "code_sent_at": None, "codes_window_start": None, "codes_in_window": 0,
            "checkin_reminder": True, "group_reminder": True, "flag_alert": False,
            "checkin_weekday": rng.randrange(7), "checkin_time": time(18, 0),
            "quiet_start": time(21, 0), "quiet_end": time(8, 0), "updated_at": now - timedelta(days=60),
        })
        for days_ago in range(7):
            if rng.random() > 0.3:
                continue
            sent = now - timedelta(days=days_ago, hours=rng.randrange(24))
            status = rng.choices((OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED,
                                  OutboxStatus.FAILED, OutboxStatus.EXPIRED), (94, 3, 2, 1))[0]
            message = self.ids.take("sms_outbox")
            self.out.add(OutboxMessage, {
                "id": message, "idempotency_key": f"large:{message}", "user_id": uid,
                "to_e164": e164, "body": "WHAM: time for your weekly check-in.",
                "kind": rng.choice((SmsKind.CHECKIN_REMINDER, SmsKind.GROUP_REMINDER)),
                "status": status, "not_before": sent, "expires_at": sent + timedelta(hours=6),
                "attempts": 1, "next_attempt_at": sent, "provider_sid": f"SM{message:032d}",
                "error_code": "30003" if status != OutboxStatus.DELIVERED else None,
                "created_at": sent, "sent_at": sent, "updated_at": sent,
            })

    # --- one participant's history --------------------------------------------------------

    def history(self, uid: int, tz: str, weeks: int) -> None:
        rng, now = self.rng, self.now
        this_week = participant_week_start(now, tz)
        first_week = this_week - timedelta(weeks=weeks - 1)
        for when in (first_week, this_week - timedelta(weeks=1)):
            take = self.ids.take("inventory_takes")
            self.out.add(InventoryTake, {"id": take, "user_id": uid, "taken_at": _at(when, 12)})
            for factor in FACTORS:
                self.out.add(InventoryRating, {"id": self.ids.take("inventory_ratings"),
                                               "take_id": take, "factor": factor.code,
                                               "rating": rng.randint(1, 5)})
        factor = rng.choice(FACTORS)
        goal = self.ids.take("goals")
        self.out.add(Goal, {
            "id": goal, "user_id": uid, "factor": factor.code, "second_factor": None,
            "what": rng.choice(factor.example_goals("en")), "why": "For my family and for me.",
            "target_date": None, "milestones": "", "status": GoalStatus.ACTIVE,
            "created_at": _at(first_week, 9), "status_changed_at": _at(first_week, 9),
        })
        self.out.add(GoalStatusChange, {"id": self.ids.take("goal_status_changes"), "goal_id": goal,
                                        "from_status": None, "to_status": GoalStatus.ACTIVE,
                                        "changed_at": _at(first_week, 9)})
        confidence = rng.randint(5, 9)
        for week in range(weeks):
            start = first_week + timedelta(weeks=week)
            current = start == this_week
            confidence = max(0, min(10, confidence + rng.choice((-2, -1, 0, 0, 1, 1, 2))))
            days_planned = rng.randint(2, 6)
            plan = self.ids.take("action_plans")
            self.out.add(ActionPlan, {
                "id": plan, "goal_id": goal, "user_id": uid, "week_start": start,
                "what": rng.choice(PLAN_WHATS), "how_much": "20 minutes", "when": "After lunch",
                "days_planned": days_planned, "confidence": confidence,
                "low_confidence_acknowledged": confidence < 7,
                "created_at": _at(start, 10), "updated_at": _at(start, 10),
            })
            days_done = 0
            last_day = (now.date() - start).days if current else 6
            for offset in rng.sample(range(7), rng.randint(0, days_planned + 1)):
                if offset > last_day:
                    continue
                done = rng.choices(list(Done), (65, 20, 15))[0]
                days_done += done == Done.YES
                self.out.add(LogEntry, {
                    "id": self.ids.take("log_entries"), "plan_id": plan, "user_id": uid,
                    "day": start + timedelta(days=offset), "done": done,
                    "note": rng.choice(LOG_NOTES), "is_private": rng.random() < 0.1,
                    "created_at": _at(start + timedelta(days=offset), 20),
                    "updated_at": _at(start + timedelta(days=offset), 20),
                })
            if current or rng.random() < 0.08:
                continue  # this week's check-in is still due; some weeks are missed
            answers = [max(0, min(5, rng.randint(1, 4) + rng.choice((-1, 0, 1)))) for _ in range(5)]
            support = rng.choices(list(Support), (92, 6, 2))[0]
            check_in = self.ids.take("check_ins")
            checked = _at(start + timedelta(days=6), 19)
            self.out.add(CheckIn, {
                "id": check_in, "user_id": uid, "week_start": start, "days_done": days_done,
                "stress": rng.randint(0, 10), "helped": "", "barriers": "",
                "confidence_next": confidence, "support": support, "who5_answers": answers,
                "who5_score": who5_score(answers), "phq9_answers": None, "phq9_score": None,
                "phq9_band": None, "gad7_answers": None, "gad7_score": None, "gad7_band": None,
                "created_at": checked, "updated_at": checked,
            })
            if support == Support.NOW:
                self.out.add(Flag, {
                    "id": self.ids.take("flags"), "user_id": uid, "kind": "safety",
                    "reason": FlagReason.SUPPORT_NOW, "created_at": checked,
                    "check_in_id": check_in, "acknowledged_at": None if current else checked,
                    "acknowledged_by_id": None, "note": "",
                })


def _at(day: date, hour: int) -> datetime:
    """Roughly that local day and hour, as an aware UTC time (exact zones don't matter here)."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _join_code(number: int) -> str:
    code = ""
    for _ in range(JOIN_CODE_LENGTH):
        number, digit = divmod(number, len(JOIN_CODE_ALPHABET))
        code += JOIN_CODE_ALPHABET[digit]
    return code


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def load_large_demo(now: datetime, scale: Scale = Scale(), seed: int = 2026) -> dict[str, int]:
    """Fill an empty database; returns the number of rows written per table."""
    program = _Program(now, seed)
    rng = program.rng
    program.user(LargeLogins.admin, "Admin", Role.ADMIN, "America/New_York")
    peers = [program.user(f"peer{n}@{DOMAIN}", f"Peer specialist {n}", Role.PEER_SPECIALIST,
                          TIME_ZONES[n % 4]) for n in range(1, scale.peer_specialists + 1)]
    program.out.flush()

    people = [(n, rng.choice(TIME_ZONES)) for n in range(1, scale.participants + 1)]
    participant_ids: list[int] = []
    for batch in _chunks(people, BATCH_PEOPLE):
        for n, tz in batch:
            uid = program.user(f"p{n}@{DOMAIN}", f"Participant {n}", Role.PARTICIPANT, tz,
                               peer_id=peers[n % len(peers)])
            participant_ids.append(uid)
            program.history(uid, tz, scale.weeks)
            program.texts(uid, n)
        program.out.flush()

    # Groups of GROUP_SIZE, started 0 to 7 weeks ago (so sessions are part done); peer
    # specialist 1 facilitates the first group (a full one) among others.
    for number in range(scale.groups):
        members = participant_ids[number * GROUP_SIZE:(number + 1) * GROUP_SIZE]
        facilitators = [peers[number % len(peers)]]
        if number % 5 == 0 and len(peers) > 1:
            facilitators.append(peers[(number + 1) % len(peers)])
        program.group(f"WHAM group {number + 1}", facilitators, members, weeks_ago=number % 8)
        if number % 50 == 49:
            program.out.flush()
    program.out.flush()

    for weeks in HISTORY_DEPTHS:
        peer = program.user(LargeLogins.history_facilitator(weeks), f"History {weeks} peer",
                            Role.PEER_SPECIALIST, "America/New_York")
        members = []
        for n in range(1, HISTORY_GROUP_SIZE + 1):
            tz = TIME_ZONES[n % len(TIME_ZONES)]
            uid = program.user(f"history{weeks}-{n}@{DOMAIN}", f"History {weeks}.{n}",
                               Role.PARTICIPANT, tz, peer_id=peer)
            program.history(uid, tz, weeks)
            members.append(uid)
        program.group(f"History {weeks} weeks", [peer], members, weeks_ago=4)
        program.out.flush()

    _reset_sequences()
    return program.out.counts


def _reset_sequences() -> None:
    """Ids were given explicitly; PostgreSQL's sequences must continue after them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not column.primary_key or len(table.primary_key.columns) != 1:
            continue
        highest = db.session.scalar(select(func.max(column)))
        if highest:
            db.session.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                               {"t": table.name, "v": highest})
    db.session.commit()
