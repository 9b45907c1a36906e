"""What a participant texted back to a check-in reminder before filling in the check-in."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wham.database import UTCDateTime
from wham.extensions import db


class TextedDaysDone(db.Model):
    """Days done that week, as replied by text ("5"), kept until the check-in is saved: the
    check-in form starts with this number. Once the check-in exists a reply changes the
    check-in itself and nothing is kept here."""

    __tablename__ = "texted_days_done"
    __table_args__ = (
        UniqueConstraint("user_id", "week_start"),
        CheckConstraint("days_done BETWEEN 0 AND 7", name="days_done_0_to_7"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    days_done: Mapped[int] = mapped_column(SmallInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<TextedDaysDone {self.id} user={self.user_id} week={self.week_start}>"
