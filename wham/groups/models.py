"""Groups, their facilitators and sessions, memberships, attendance, wins and 1:1 peer notes."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wham.accounts.models import User, _enum
from wham.database import UTCDateTime
from wham.extensions import db
from wham.timeutil import utcnow


class Group(db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    weekday: Mapped[int]  # 0 Monday ... 6 Sunday
    local_time: Mapped[time] = mapped_column(Time)
    time_zone: Mapped[str] = mapped_column(String(64))
    session_count: Mapped[int] = mapped_column(default=8)
    place: Mapped[str | None] = mapped_column(String(200))
    video_link: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(default=12)
    # Short, unambiguous, shared by the facilitator; also the last part of the invite link.
    join_code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitator_links: Mapped[list[GroupFacilitator]] = relationship(
        back_populates="group", cascade="all, delete-orphan")
    sessions: Mapped[list[GroupSession]] = relationship(
        back_populates="group", order_by="GroupSession.number", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Group {self.id}>"


class GroupFacilitator(db.Model):
    __tablename__ = "group_facilitators"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="facilitator_links")
    user: Mapped[User] = relationship()


class GroupSession(db.Model):
    """One meeting. Generated from the group's schedule; may be moved or cancelled one by one."""

    __tablename__ = "group_sessions"
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    number: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A moved session keeps its own time when the group's schedule is edited.
    is_moved: Mapped[bool] = mapped_column(default=False)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    # Facilitator-only notes about the session.
    notes: Mapped[str | None] = mapped_column(Text)

    group: Mapped[Group] = relationship(back_populates="sessions")


class Membership(db.Model):
    """A participant in a group from joining until leaving. Re-joining makes a new row, so
    the agreement each time is kept."""

    __tablename__ = "group_memberships"
    __table_args__ = (Index("ix_group_memberships_user_active", "user_id", "left_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Which wording of "what your facilitator will see" the participant agreed to.
    agreed_notice_version: Mapped[int]
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship()


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


class Attendance(db.Model):
    __tablename__ = "group_attendance"

    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Win(db.Model):
    """Something a member chose to share with their group."""

    __tablename__ = "group_wins"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(280))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship()


class PeerNote(db.Model):
    """A facilitator's short note of a 1:1 contact; seen by the member's facilitators only."""

    __tablename__ = "peer_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
