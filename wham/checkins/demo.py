"""Demo check-ins: six to eight weeks for each demo participant, with missed weeks, rising and
falling wellbeing and confidence, and one participant who asked for support now (a flag)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from wham.accounts.models import Role, User
from wham.checkins import measures, services
from wham.checkins.models import CheckIn, Flag, Support
from wham.extensions import db
from wham.timeutil import local_to_utc, participant_week_start

WEEKS = 8
HELPED = ("Walking with a friend.", "Going to group.", "Planning it the night before.",
          "My sister checked in on me.", "Keeping it small.", "Music in the morning.", "")
HELPED_ES = ("Caminar con una amiga.", "Ir al grupo.", "Planearlo la noche anterior.",
             "Mi hermana me llamó.", "Hacerlo pequeño.", "")
BARRIERS_ES = ("Salí tarde del trabajo.", "Estaba cansado.", "Mal tiempo.",
               "Preocupaciones de dinero.", "")
BARRIERS = ("Work ran late.", "I was tired.", "Bad weather.", "Money worries.", "Felt low midweek.",
            "Kids were sick.", "")
# email -> (first WHO-5 score, last WHO-5 score, weeks ago missed, confidence drift per week)
STORIES = {
    "maria@example.org": (44, 72, {5}, 0.4),
    "james@example.org": (64, 40, {2}, -0.3),
    "rosa@example.org": (52, 60, {6, 3}, 0.2),
    "darnell@example.org": (48, 24, set(), -0.4),  # a hard stretch: asks for support now
    "linh@example.org": (68, 76, {4}, 0.1),
    "carlos@example.org": (36, 56, {7, 1}, 0.3),
    "tom@example.org": (58, 50, {5, 4, 3, 2, 1}, -0.2),  # stopped checking in after two weeks
    "priya@example.org": (64, 22, {6}, -0.6),  # sliding: low wellbeing, confidence falling
}


def _who5(score: int, rng: random.Random) -> list[int]:
    """Five item answers adding up to score / 4, spread out a little."""
    raw = max(0, min(25, round(score / 4)))
    items = [raw // 5] * 5
    for n in range(raw % 5):
        items[n] += 1
    for _ in range(3):  # shuffle some points between items, keeping the total
        a, b = rng.sample(range(5), 2)
        if items[a] > 0 and items[b] < 5:
            items[a] -= 1
            items[b] += 1
    return items


def _days_done_by_week(user: User, first: date, last: date) -> dict[date, tuple[int, int]]:
    """(days planned, days logged yes) per week, from the goals demo when it is there."""
    try:
        from wham.goals import services as goals
        from wham.goals.models import Done
    except ImportError:
        return {}
    weeks: dict[date, tuple[int, int]] = {}
    for plan in goals.plans_between(user.id, first, last):
        if plan.week_start not in weeks:
            done = sum(1 for entry in plan.entries if entry.done == Done.YES)
            weeks[plan.week_start] = (plan.days_planned, done)
    return weeks


def load_checkins_demo(people: dict[str, User], now: datetime) -> None:
    rng = random.Random(11)
    participants = [u for u in people.values() if u.role == Role.PARTICIPANT]
    for index, user in enumerate(participants):
        start, end, missed, drift = STORIES.get(
            user.email, (50 + (index * 7) % 25, 55 + (index * 11) % 25, {index % 7 + 1}, 0.0))
        this_week = participant_week_start(now, user.time_zone)
        weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS - 1, 0, -1)]
        plans = _days_done_by_week(user, weeks[0], weeks[-1])
        confidence = 6 + rng.randint(0, 2)
        for step, week in enumerate(weeks):
            weeks_ago = WEEKS - 1 - step
            if weeks_ago in missed:
                continue
            score = round(start + (end - start) * step / (len(weeks) - 1)) + rng.randint(-4, 4)
            confidence = max(2, min(10, round(confidence + drift + rng.uniform(-0.6, 0.6))))
            planned, done = plans.get(week, (0, 0))
            asked_now = user.email == "darnell@example.org" and weeks_ago == 1
            answers = _who5(max(0, min(100, score)), rng)
            at = local_to_utc(week + timedelta(days=6), time(18, 30), user.time_zone)
            check_in = CheckIn(
                user_id=user.id, week_start=week, days_done=min(done, 7),
                stress=max(0, min(10, 10 - score // 10 + rng.randint(-1, 1))),
                helped=rng.choice(HELPED_ES if user.language == "es" else HELPED),
                barriers=rng.choice(BARRIERS_ES if user.language == "es" else BARRIERS),
                confidence_next=confidence,
                support=Support.NOW if asked_now else rng.choice(
                    (Support.NONE, Support.NONE, Support.NONE, Support.SOON)),
                who5_answers=answers, who5_score=measures.who5_score(answers),
                created_at=at, updated_at=at)
            db.session.add(check_in)
            db.session.flush()
            for reason in services.safety_reasons(check_in):
                # Jordan has followed up the older flags; last week's are still open.
                followed_up = weeks_ago > 1 and user.peer_specialist_id is not None
                db.session.add(Flag(
                    user_id=user.id, kind="safety", reason=reason, created_at=at,
                    check_in_id=check_in.id,
                    acknowledged_at=at + timedelta(hours=20) if followed_up else None,
                    acknowledged_by_id=user.peer_specialist_id if followed_up else None,
                    note="Talked on the phone; made a plan for the week." if followed_up else ""))
    db.session.commit()
