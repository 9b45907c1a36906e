"""Demo goals: inventories, goals in different areas (one achieved, one set aside), weekly plans
with varied confidence and daily logs for the last eight weeks. Maria has the richest story."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from wham.accounts.models import Role, User
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.goals.models import (
    CONFIDENCE_RULE,
    ActionPlan,
    Done,
    Goal,
    GoalStatus,
    GoalStatusChange,
    InventoryRating,
    InventoryTake,
    LogEntry,
)
from wham.timeutil import local_to_utc, local_today, participant_week_start

WEEKS = 8
MARIA = "maria@example.org"

# factor, what, why, plan (what, how much, when, days)
GOALS = (
    ("activity", "Walk most days so I have more energy",
     "I want to keep up with my kids at the park.", ("Walk around the block", "15 minutes",
                                                    "after lunch", 4)),
    ("sleep", "Feel rested when I wake up", "Mornings are hard when I'm tired.",
     ("Phone off and in the kitchen", "30 minutes before bed", "at night", 5)),
    ("eating", "Eat more fruit and vegetables", "My doctor says it helps my blood sugar.",
     ("Fruit with breakfast", "one piece", "breakfast", 5)),
    ("support", "Reconnect with my brother", "We used to be close and I miss him.",
     ("Text my brother", "one message", "Sunday evening", 1)),
    ("stress", "Handle stress without smoking", "I want to feel in control.",
     ("Slow breathing", "3 breaths", "when I feel tense", 5)),
    ("meaning", "Find work that matters to me", "I want a reason to get up in the morning.",
     ("Look at job listings", "20 minutes", "Tuesday and Thursday morning", 2)),
    ("optimism", "Notice the good things in my day", "I get stuck on the bad stuff.",
     ("Write down one good thing", "one line", "before bed", 6)),
    ("spiritual", "Make time for quiet reflection", "It gives me peace.",
     ("Sit quietly outside", "10 minutes", "morning coffee", 4)),
    ("cognitive", "Catch negative thoughts and reframe them", "They drag me down.",
     ("Read my coping card", "once", "when I wake up", 5)),
    ("service", "Help out at the food bank", "Giving back makes me feel useful.",
     ("Volunteer", "one hour", "Saturday morning", 1)),
)

# The same goals in the participant's own words for those who use the app in Spanish.
GOALS_ES = {
    "activity": ("Caminar casi todos los días para tener más energía",
                 "Quiero poder jugar con mis hijos en el parque.",
                 ("Caminar alrededor de la cuadra", "15 minutos", "después del almuerzo", 4)),
    "sleep": ("Despertar descansado", "Las mañanas son difíciles cuando estoy cansado.",
              ("Dejar el teléfono en la cocina", "30 minutos antes de dormir", "en la noche", 5)),
    "eating": ("Comer más frutas y verduras", "Mi doctor dice que ayuda con mi azúcar.",
               ("Fruta en el desayuno", "una pieza", "en el desayuno", 5)),
    "support": ("Volver a hablar con mi hermano", "Éramos muy unidos y lo extraño.",
                ("Mandarle un mensaje a mi hermano", "un mensaje", "domingo en la tarde", 1)),
    "stress": ("Manejar el estrés sin fumar", "Quiero sentir que tengo el control.",
               ("Respirar despacio", "3 respiraciones", "cuando me siento tenso", 5)),
    "meaning": ("Encontrar un trabajo que me importe", "Quiero una razón para levantarme.",
                ("Ver ofertas de trabajo", "20 minutos", "martes y jueves en la mañana", 2)),
    "optimism": ("Notar las cosas buenas de mi día", "Me quedo pegado en lo malo.",
                 ("Escribir una cosa buena", "una línea", "antes de dormir", 6)),
    "spiritual": ("Hacer tiempo para la reflexión tranquila", "Me da paz.",
                  ("Sentarme afuera en silencio", "10 minutos", "con el café de la mañana", 4)),
    "cognitive": ("Notar los pensamientos negativos y cambiarlos", "Me tiran para abajo.",
                  ("Leer mi tarjeta de apoyo", "una vez", "al despertar", 5)),
    "service": ("Ayudar en el banco de comida", "Ayudar a otros me hace sentir útil.",
                ("Ser voluntario", "una hora", "sábado en la mañana", 1)),
}

NOTES = {
    Done.YES: ("Felt good afterwards.", "Easier than I thought.", "Went with my neighbor.",
               "Did it even though it was raining!", ""),
    Done.PARTLY: ("Only did half, but that's something.", "Started late.", ""),
    Done.NO: ("Too tired today.", "Had a bad headache.", "Forgot, will try tomorrow.", ""),
}
PRIVATE_NOTES = ("Rough day. Thinking about my dad a lot.", "Argued with Luis, felt low all evening.")
NOTES_ES = {
    Done.YES: ("Me sentí bien después.", "Fue más fácil de lo que pensé.", "Fui con mi vecina.", ""),
    Done.PARTLY: ("Solo hice la mitad, pero algo es algo.", "Empecé tarde.", ""),
    Done.NO: ("Muy cansado hoy.", "Tuve dolor de cabeza.", "Se me olvidó, mañana lo intento.", ""),
}
PRIVATE_NOTES_ES = ("Día difícil. Pensando mucho en mi papá.",)


def _in_language(user: User, goal: tuple) -> tuple:
    """A GOALS entry in the participant's language: (factor, what, why, plan)."""
    if user.language == "es" and goal[0] in GOALS_ES:
        return (goal[0], *GOALS_ES[goal[0]])
    return goal

# Maria, week by week from eight weeks ago: confidence and how many days she did it.
MARIA_WEEKS = ((5, 1), (7, 2), (8, 3), (8, 3), (6, 2), (8, 4), (9, 4), (9, None))


def _at(day: date, hour: int, tz: str) -> datetime:
    return local_to_utc(day, time(hour, 0), tz)


def _inventory(user: User, when: datetime, ratings: dict[str, int]) -> None:
    take = InventoryTake(user_id=user.id, taken_at=when)
    take.ratings = [InventoryRating(factor=code, rating=ratings[code]) for code in FACTOR_CODES]
    db.session.add(take)


def _goal(user: User, factor: str, what: str, why: str, created: datetime, **extra) -> Goal:
    goal = Goal(user_id=user.id, factor=factor, what=what, why=why, created_at=created,
                status_changed_at=created, status=GoalStatus.ACTIVE, **extra)
    goal.changes = [GoalStatusChange(from_status=None, to_status=GoalStatus.ACTIVE,
                                     changed_at=created)]
    db.session.add(goal)
    return goal


def _close(goal: Goal, status: GoalStatus, when: datetime) -> None:
    goal.changes.append(GoalStatusChange(from_status=goal.status, to_status=status, changed_at=when))
    goal.status, goal.status_changed_at = status, when


def _week_plan(user: User, goal: Goal, week: date, plan: tuple, confidence: int,
               did: int | None, today: date, rng: random.Random, private: list[str]) -> None:
    what, how_much, when, days = plan
    created = _at(week, 9, user.time_zone)
    row = ActionPlan(goal=goal, user_id=user.id, week_start=week, what=what, how_much=how_much,
                     when=when, days_planned=days, confidence=confidence,
                     low_confidence_acknowledged=confidence < CONFIDENCE_RULE,
                     created_at=created, updated_at=created)
    db.session.add(row)
    logged = [week + timedelta(days=n) for n in range(7) if week + timedelta(days=n) < today]
    target = did if did is not None else min(days, max(0, len(logged) - 1))
    yes_days = set(rng.sample(range(len(logged)), min(target, len(logged))))
    for n, day in enumerate(logged):
        if n in yes_days:
            done = Done.YES
        elif rng.random() < 0.35:
            continue  # not every day gets logged
        else:
            done = rng.choice((Done.PARTLY, Done.NO, Done.NO))
        note, is_private = rng.choice((NOTES_ES if user.language == "es" else NOTES)[done]), False
        if private and done == Done.NO:
            note, is_private = private.pop(0), True
        row.entries.append(LogEntry(user_id=user.id, day=day, done=done, note=note,
                                    is_private=is_private, created_at=_at(day, 20, user.time_zone),
                                    updated_at=_at(day, 20, user.time_zone)))


def _maria(maria: User, now: datetime) -> None:
    tz = maria.time_zone
    this_week = participant_week_start(now, tz)
    today = local_today(now, tz)
    rng = random.Random(7)
    first_week = this_week - timedelta(weeks=WEEKS - 1)
    _inventory(maria, _at(first_week - timedelta(days=10), 18, tz),
               {"stress": 2, "eating": 3, "activity": 1, "sleep": 2, "service": 3, "support": 4,
                "optimism": 2, "cognitive": 2, "spiritual": 3, "meaning": 2})
    _inventory(maria, _at(today - timedelta(days=3), 18, tz),
               {"stress": 3, "eating": 3, "activity": 3, "sleep": 4, "service": 3, "support": 4,
                "optimism": 3, "cognitive": 3, "spiritual": 3, "meaning": 3})
    earlier = _goal(maria, "sleep", "Go to bed by 11 on weeknights",
                    "I'm a better mom when I've slept.", _at(first_week - timedelta(days=9), 18, tz),
                    milestones="Phone in the kitchen at night\nSame bedtime five nights")
    _close(earlier, GoalStatus.ACHIEVED, _at(first_week - timedelta(days=1), 19, tz))
    factor, what, why, plan = GOALS[0]
    goal = _goal(maria, factor, what, why, _at(first_week, 10, tz), second_factor="stress",
                 target_date=today + timedelta(weeks=6),
                 milestones="Walk 3 days a week\nWalk to the park with the kids\n"
                            "Walk 30 minutes without stopping")
    private = list(PRIVATE_NOTES)
    plans = (("Walk around the block", "20 minutes", "every morning", 7),
             ("Walk around the block", "10 minutes", "after lunch", 3)) + (plan,) * 6
    for n, (confidence, did) in enumerate(MARIA_WEEKS):
        week = first_week + timedelta(weeks=n)
        _week_plan(maria, goal, week, plans[n], confidence, did, today, rng, private)


def load_goals_demo(people: dict[str, User], now: datetime) -> None:
    """Goals, plans and logs for the demo participants `wham.demo.load_demo` made."""
    participants = [u for u in people.values() if u.role == Role.PARTICIPANT]
    _maria(people[MARIA], now)
    for index, user in enumerate(p for p in participants if p.email != MARIA):
        rng = random.Random(100 + index)
        tz = user.time_zone
        this_week = participant_week_start(now, tz)
        today = local_today(now, tz)
        if index == len(participants) - 2:
            continue  # one newcomer who has not started yet
        weeks = 6 + index % 3
        first_week = this_week - timedelta(weeks=weeks - 1)
        base = {code: rng.randint(1, 4) for code in FACTOR_CODES}
        _inventory(user, _at(first_week - timedelta(days=2), 19, tz), base)
        if index % 2 == 0:
            _inventory(user, _at(today - timedelta(days=rng.randint(1, 6)), 19, tz),
                       {code: min(5, value + rng.choice((0, 0, 1, 1, 2))) for code, value in base.items()})
        factor, what, why, plan = _in_language(user, GOALS[(index + 1) % len(GOALS)])
        if index == 2:  # set one goal aside, then started another
            old = _in_language(user, GOALS[(index + 5) % len(GOALS)])
            aside = _goal(user, old[0], old[1], old[2], _at(first_week - timedelta(days=20), 12, tz))
            _close(aside, GoalStatus.SET_ASIDE, _at(first_week - timedelta(days=3), 12, tz))
        goal = _goal(user, factor, what, why, _at(first_week - timedelta(days=1), 12, tz))
        for n in range(weeks):
            if (n + index) % 5 == 3:
                continue  # a missed week
            confidence = rng.choice((5, 6, 7, 8, 8, 9, 10))
            did = None if n == weeks - 1 else rng.randint(0, plan[3])
            _week_plan(user, goal, first_week + timedelta(weeks=n), plan, confidence, did, today,
                       rng, [(PRIVATE_NOTES_ES if user.language == "es" else PRIVATE_NOTES)[0]]
                       if index == 4 and n == 2 else [])
    db.session.commit()
