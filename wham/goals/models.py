"""Self-inventory takes and ratings, goals with their state history, weekly plans, log entries."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wham.accounts.models import _enum
from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow

WHAT_MAX = 200
WHY_MAX = 1000
MILESTONES_MAX = 600
PLAN_TEXT_MAX = 120
NOTE_MAX = 280
# WHAM's rule: below this confidence, make the plan smaller or easier first.
CONFIDENCE_RULE = 7


class InventoryTake(db.Model):
    """One time the participant rated the ten factors. Retaking adds a take; none is changed."""

    __tablename__ = "inventory_takes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ratings: Mapped[list[InventoryRating]] = relationship(
        back_populates="take", cascade="all, delete-orphan", order_by="InventoryRating.id")

    def rating_by_factor(self) -> dict[str, int]:
        return {r.factor: r.rating for r in self.ratings}


class InventoryRating(db.Model):
    """How satisfied the participant is with one factor, 1 (not at all) to 5 (very)."""

    __tablename__ = "inventory_ratings"
    __table_args__ = (UniqueConstraint("take_id", "factor"),
                      CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"))

    id: Mapped[int] = mapped_column(primary_key=True)
    take_id: Mapped[int] = mapped_column(ForeignKey("inventory_takes.id"), index=True)
    factor: Mapped[str] = mapped_column(String(20))
    rating: Mapped[int] = mapped_column(SmallInteger)

    take: Mapped[InventoryTake] = relationship(back_populates="ratings")


class GoalStatus(enum.StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    SET_ASIDE = "set_aside"


class Goal(db.Model):
    """A whole-health goal in the participant's own words, in one factor (optionally two)."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    factor: Mapped[str] = mapped_column(String(20))
    second_factor: Mapped[str | None] = mapped_column(String(20))
    what: Mapped[str] = mapped_column(String(WHAT_MAX))
    why: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None] = mapped_column(Date)
    milestones: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[GoalStatus] = mapped_column(_enum(GoalStatus, "goal_status"), index=True,
                                               default=GoalStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changes: Mapped[list[GoalStatusChange]] = relationship(
        back_populates="goal", cascade="all, delete-orphan",
        order_by="GoalStatusChange.changed_at, GoalStatusChange.id")

    @property
    def milestone_lines(self) -> list[str]:
        return [line.strip() for line in self.milestones.splitlines() if line.strip()]

    @property
    def factors(self) -> list[str]:
        return [self.factor] + ([self.second_factor] if self.second_factor else [])


class GoalStatusChange(db.Model):
    """One step in a goal's life: created (from None), achieved, set aside, active again."""

    __tablename__ = "goal_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    from_status: Mapped[GoalStatus | None] = mapped_column(_enum(GoalStatus, "goal_status"))
    to_status: Mapped[GoalStatus] = mapped_column(_enum(GoalStatus, "goal_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship(back_populates="changes")


class ActionPlan(db.Model):
    """This week's small step toward a goal: what, how much, when, how many days, confidence."""

    __tablename__ = "action_plans"
    __table_args__ = (UniqueConstraint("goal_id", "week_start"),
                      CheckConstraint("days_planned BETWEEN 1 AND 7", name="days_planned_1_to_7"),
                      CheckConstraint("confidence BETWEEN 0 AND 10", name="confidence_0_to_10"))

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    what: Mapped[str] = mapped_column(String(PLAN_TEXT_MAX))
    how_much: Mapped[str] = mapped_column(String(PLAN_TEXT_MAX))
    when: Mapped[str] = mapped_column(String(PLAN_TEXT_MAX))
    days_planned: Mapped[int] = mapped_column(SmallInteger)
    confidence: Mapped[int] = mapped_column(SmallInteger)
    # Saved below WHAM's rule after the participant saw the prompt and chose to keep it.
    low_confidence_acknowledged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    goal: Mapped[Goal] = relationship()
    entries: Mapped[list[LogEntry]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="LogEntry.day")

    @property
    def is_low_confidence(self) -> bool:
        return self.confidence < CONFIDENCE_RULE


class Done(enum.StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class LogEntry(db.Model):
    """Did I do my plan on this day? A short note, which may be private (never shown to staff)."""

    __tablename__ = "log_entries"
    # Each member's latest log entry in one index step (the dashboard's "last active").
    __table_args__ = (UniqueConstraint("plan_id", "day"),
                      Index("ix_log_entries_user_updated", "user_id", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    done: Mapped[Done] = mapped_column(_enum(Done, "log_done"))
    note: Mapped[str] = mapped_column(String(NOTE_MAX), default="")
    is_private: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[ActionPlan] = relationship(back_populates="entries")
