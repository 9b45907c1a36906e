"""Who may do what: role gates, per-object loaders that answer 404, scoped queries."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from wham.accounts.models import Role, User
from wham.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Signed-in people with one of `roles`; everyone else signed in gets 404, so pages
    of other roles cannot even be discovered."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def supports(peer: User, participant: User) -> bool:
    """Whether `peer` is a peer specialist of `participant`."""
    return (
        peer.role == Role.PEER_SPECIALIST
        and participant.role == Role.PARTICIPANT
        and participant.peer_specialist_id == peer.id
    )


def may_issue_reset_link(actor: User, person: User) -> bool:
    if actor.id == person.id:
        return False
    return actor.role == Role.ADMIN or supports(actor, person)


def load_person_for_reset(actor: User, person_id: int) -> User:
    person = db.session.get(User, person_id)
    if person is None or not may_issue_reset_link(actor, person):
        abort(404)
    return person


def supported_participants(peer: User) -> Select[tuple[User]]:
    """The participants a peer specialist supports one-to-one."""
    return (select(User)
            .where(User.role == Role.PARTICIPANT, User.peer_specialist_id == peer.id)
            .order_by(User.display_name))


def load_user_for_admin(user_id: int) -> User:
    return db.get_or_404(User, user_id)
