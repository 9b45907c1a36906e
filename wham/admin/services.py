"""What the admin pages read and change, beyond the account rules in accounts.services."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from wham.accounts.models import Role, User
from wham.audit import AuditEvent
from wham.extensions import db

PAGE_SIZE = 50


@dataclass
class Page:
    items: list
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_users(query: str | None, role: str | None, page: int) -> Page:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == Role(role))
    if query:
        # autoescape: % and _ typed in the search box are searched for literally.
        needle = query.lower()
        stmt = stmt.where(or_(func.lower(User.display_name).contains(needle, autoescape=True),
                              User.email.contains(needle, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(User.display_name, User.id)
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(items), page, total or 0)


def peer_specialists() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.PEER_SPECIALIST)
                                   .order_by(User.display_name)))


def audit_page(page: int) -> Page:
    total = db.session.scalar(select(func.count(AuditEvent.id)))
    items = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())
                               .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page(list(items), page, total or 0)


def names_by_id(user_ids: set[int]) -> dict[int, str]:
    """Display names for a page of rows in one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
