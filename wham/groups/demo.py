"""Demo groups: two groups Jordan facilitates, half-way through, with attendance and wins, and
follow-up flags on the dashboards (the older ones followed up with a note, the latest open)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from wham.accounts.models import User
from wham.checkins.models import Flag
from wham.extensions import db
from wham.groups import services
from wham.groups.flags import acknowledge_flag, raise_follow_up_flags
from wham.timeutil import local_today

PEER = "peer@example.org"
ADMIN = "admin@example.org"

GROUPS = (
    # name, days after "four weeks ago" the first session falls, local time, place, video
    ("Tuesday evening WHAM group", 1, time(18, 0), "Community Room B, 120 Main St", None),
    ("Thursday online WHAM group", 3, time(12, 30), None, "https://meet.example.org/wham-thursday"),
)

WINS = (
    "Walked to the corner store and back three days this week.",
    "Went to bed before 11 five nights in a row!",
    "Called my sister for the first time in months.",
    "Made a salad for lunch instead of getting fast food.",
)

FOLLOW_UP_NOTES = (
    "Called; we talked about what got in the way. Plan is smaller this week.",
    "Texted, then spoke on Friday. Doing OK, busy with work. Will check in Sunday.",
    "Met after group. Feeling low but has support from her sister; will call Monday.",
    "Left a voicemail, then she called back. Back on track.",
)


def _demo_status(member_index: int, session_number: int) -> str:
    """Mostly present, with a few absences and excused absences spread around."""
    if (member_index + session_number) % 7 == 0:
        return "absent"
    if (member_index * session_number) % 9 == 4:
        return "excused"
    return "present"


def load_groups_demo(people: dict[str, User], now: datetime) -> None:
    """Create the demo groups for the people `wham.demo.load_demo` made. Each group is
    half-way: four of eight sessions held, with attendance taken and a few wins shared."""
    peer, admin = people[PEER], people[ADMIN]
    participants = [u for u in people.values() if u.role.value == "participant"]
    today = local_today(now, peer.time_zone)
    halves = (participants[0::2], participants[1::2])
    for (name, offset, at, place, video), members in zip(GROUPS, halves, strict=True):
        first = today - timedelta(weeks=4) + timedelta(days=offset)
        created = now - timedelta(weeks=4, days=3)
        group = services.create_group(admin, services.GroupDetails(
            name=name, start_date=first, weekday=first.weekday(), local_time=at,
            time_zone=peer.time_zone, session_count=8, capacity=10, place=place,
            video_link=video), [peer.id], created)
        for person in members:
            services.join_group(person, group, services.NOTICE_VERSION,
                                created + timedelta(hours=1 + person.id))
        held = [s for s in group.sessions if s.starts_at <= now]
        for session in held:
            statuses = {person.id: _demo_status(index, session.number)
                        for index, person in enumerate(members)}
            services.record_attendance(peer, session, statuses, None,
                                       session.starts_at + timedelta(hours=2))
        for person, text in zip(members[:2], WINS[offset % 2::2], strict=False):
            membership = services.active_membership(group.id, person.id)
            services.share_win(person, membership, text, now - timedelta(days=offset))


def load_group_flags_demo(people: dict[str, User], now: datetime) -> None:
    """The follow-up rules as they ran over the past three weeks, with Jordan acknowledging
    what they raised the next day, then once more now (those flags stay open)."""
    peer = people[PEER]
    notes = iter(FOLLOW_UP_NOTES * 10)
    for days_ago in (21, 14, 7):
        then = now - timedelta(days=days_ago)
        raise_follow_up_flags(then)
        raised = db.session.scalars(select(Flag).where(Flag.created_at == then).order_by(Flag.id))
        for flag in list(raised):
            acknowledge_flag(peer, flag, next(notes), then + timedelta(hours=20))
    raise_follow_up_flags(now)
