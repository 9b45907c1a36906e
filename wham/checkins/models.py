"""Weekly check-ins with their measure answers and scores, and safety flags for staff."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from wham.accounts.models import _enum
from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow

SHORT_TEXT_MAX = 500
FLAG_NOTE_MAX = 1000


class Support(enum.StrEnum):
    """"I would like support from my peer specialist"."""

    NONE = "none"
    SOON = "soon"
    NOW = "now"


class CheckIn(db.Model):
    """One participant's look back at one week (weeks start in their own time zone)."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("user_id", "week_start"),
        CheckConstraint("days_done BETWEEN 0 AND 7", name="days_done_0_to_7"),
        CheckConstraint("stress BETWEEN 0 AND 10", name="stress_0_to_10"),
        CheckConstraint("confidence_next BETWEEN 0 AND 10", name="confidence_next_0_to_10"),
        CheckConstraint("who5_score BETWEEN 0 AND 100", name="who5_score_0_to_100"),
        # Each member's latest check-in in one index step (the dashboard's "last active").
        Index("ix_check_ins_user_updated", "user_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    days_done: Mapped[int] = mapped_column(SmallInteger)
    stress: Mapped[int] = mapped_column(SmallInteger)
    helped: Mapped[str] = mapped_column(Text, default="")
    barriers: Mapped[str] = mapped_column(Text, default="")
    confidence_next: Mapped[int] = mapped_column(SmallInteger)
    support: Mapped[Support] = mapped_column(_enum(Support, "support_wish"), default=Support.NONE)
    # Item answers as given (lists of 0-5 / 0-3) and the scores computed from them.
    who5_answers: Mapped[list[int]] = mapped_column(JSON)
    who5_score: Mapped[int] = mapped_column(SmallInteger)
    phq9_answers: Mapped[list[int] | None] = mapped_column(JSON)
    phq9_score: Mapped[int | None] = mapped_column(SmallInteger)
    phq9_band: Mapped[str | None] = mapped_column(String(20))
    gad7_answers: Mapped[list[int] | None] = mapped_column(JSON)
    gad7_score: Mapped[int | None] = mapped_column(SmallInteger)
    gad7_band: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def measure_answers(self) -> dict[str, Any]:
        return {"who5": self.who5_answers, "phq9": self.phq9_answers, "gad7": self.gad7_answers}


class FlagReason(enum.StrEnum):
    SUPPORT_NOW = "support_now"
    PHQ9_ITEM9 = "phq9_item9"
    PHQ9_THRESHOLD = "phq9_threshold"
    GAD7_THRESHOLD = "gad7_threshold"
    WHO5_LOW = "who5_low"
    # Raised by the follow-up rules (wham/groups) and by text replies (wham/sms), not by a form.
    MISSED_CHECKINS = "missed_checkins"
    CONFIDENCE_DROP = "confidence_drop"
    NOT_SEEN = "not_seen"
    CRISIS_TEXT = "crisis_text"


class Flag(db.Model):
    """Something the participant's peer specialist should follow up, soon. Holds a reason
    code, never the answers themselves."""

    __tablename__ = "flags"
    # A follow-up rule raises its flag at most once per occurrence, even when the scheduler and
    # a dashboard evaluate the rules at the same moment: the database refuses the second one.
    # Open flags (not yet acknowledged) of many members at once: the facilitator's group list.
    __table_args__ = (
        UniqueConstraint("user_id", "reason", "dedupe_key", name="uq_flags_occurrence"),
        Index("ix_flags_open", "acknowledged_at", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="safety")
    reason: Mapped[FlagReason] = mapped_column(_enum(FlagReason, "flag_reason"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_ins.id"), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # What occurrence a rule flag is about, e.g. "week:2026-11-16" or "check_in:42"; empty
    # (NULL, never equal to another) for flags raised directly by a check-in or a text.
    dedupe_key: Mapped[str | None] = mapped_column(String(40))
