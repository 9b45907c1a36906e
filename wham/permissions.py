"""Who may do what: role gates, per-object loaders that answer 404, scoped queries."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Integer, Select, bindparam, select

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
    """Whether `peer` is a peer specialist of `participant`: their 1:1 peer specialist, or a
    facilitator of a group the participant is an active member of."""
    if peer.role != Role.PEER_SPECIALIST or participant.role != Role.PARTICIPANT:
        return False
    if participant.peer_specialist_id == peer.id:
        return True
    return _facilitates_member(peer.id, participant.id)


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


# --- peer support groups ------------------------------------------------------------------


def _facilitates_member(peer_id: int, participant_id: int) -> bool:
    from wham.groups.models import GroupFacilitator, Membership

    return db.session.scalar(
        select(Membership.id)
        .join(GroupFacilitator, GroupFacilitator.group_id == Membership.group_id)
        .where(GroupFacilitator.user_id == peer_id, Membership.user_id == participant_id,
               Membership.left_at.is_(None))
        .limit(1)) is not None


def facilitates(peer: User, group) -> bool:
    """Whether `peer` is one of the group's facilitators."""
    if peer.role != Role.PEER_SPECIALIST:
        return False
    return any(link.user_id == peer.id for link in group.facilitator_links)


def is_active_member(user: User, group) -> bool:
    from wham.groups.models import Membership

    return db.session.scalar(
        select(Membership.id).where(Membership.group_id == group.id,
                                    Membership.user_id == user.id,
                                    Membership.left_at.is_(None))) is not None


def load_group_for(user: User, group_id: int):
    """A group its facilitators, an admin, or its active members may open (members get the
    member view; the route decides which view by `facilitates`); anyone else gets 404."""
    from wham.groups.models import Group

    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    if user.role == Role.ADMIN or facilitates(user, group) or is_active_member(user, group):
        return group
    abort(404)


def load_facilitated_group(user: User, group_id: int):
    """A group only its facilitators may work in (attendance, session notes, 1:1 notes)."""
    # One query: the group, only when this peer specialist is among its facilitators.
    group = db.session.scalar(_facilitated_group_statement(),
                              {"group_id": group_id, "user_id": user.id}
                              ) if user.role == Role.PEER_SPECIALIST else None
    if group is None:
        abort(404)
    return group


@cache
def _facilitated_group_statement():
    # Built once per process: every facilitator's group page runs it first.
    from wham.groups.models import Group, GroupFacilitator

    return select(Group).where(
        Group.id == bindparam("group_id", type_=Integer),
        Group.facilitator_links.any(GroupFacilitator.user_id == bindparam("user_id", type_=Integer)))


def load_group_session_for(user: User, group_id: int, session_id: int):
    from wham.groups.models import GroupSession

    group = load_facilitated_group(user, group_id)
    session = db.session.get(GroupSession, session_id)
    if session is None or session.group_id != group.id:
        abort(404)
    return session


def load_group_member_for(user: User, group_id: int, member_id: int):
    """An active member of a group `user` facilitates, as (group, membership); else 404."""
    from wham.groups.models import Membership

    group = load_facilitated_group(user, group_id)
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == member_id,
                                 Membership.left_at.is_(None)))
    if membership is None:
        abort(404)
    return group, membership


def load_group_flag_for(user: User, group_id: int, member_id: int, flag_id: int):
    """A flag about an active member of a group `user` facilitates, as (group, membership,
    flag); a flag about anyone else (or none) answers 404."""
    from wham.checkins.models import Flag

    group, membership = load_group_member_for(user, group_id, member_id)
    flag = db.session.get(Flag, flag_id)
    if flag is None or flag.user_id != membership.user_id:
        abort(404)
    return group, membership, flag


def load_membership_for(user: User, group_id: int):
    """The caller's own active membership of a group; 404 when they are not in it."""
    from wham.groups.models import Membership

    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user.id,
                                 Membership.left_at.is_(None)))
    if membership is None:
        abort(404)
    return membership


def facilitated_groups(peer: User):
    """The groups a peer specialist facilitates, by name."""
    from wham.groups.models import Group, GroupFacilitator

    return (select(Group).join(GroupFacilitator, GroupFacilitator.group_id == Group.id)
            .where(GroupFacilitator.user_id == peer.id).order_by(Group.name, Group.id))


def visible_members(facilitator: User) -> Select[tuple[User]]:
    """The participants who are active members of a group `facilitator` facilitates."""
    from wham.groups.models import GroupFacilitator, Membership

    member_ids = (select(Membership.user_id)
                  .join(GroupFacilitator, GroupFacilitator.group_id == Membership.group_id)
                  .where(GroupFacilitator.user_id == facilitator.id,
                         Membership.left_at.is_(None)))
    return (select(User)
            .where(User.role == Role.PARTICIPANT, User.id.in_(member_ids))
            .order_by(User.display_name, User.id))


# --- goals, weekly plans and the log --------------------------------------------------------


def load_goal_for(user: User, goal_id: int):
    """One of the caller's own goals; anyone else's (or a missing one) answers 404."""
    from wham.goals.models import Goal

    goal = db.session.get(Goal, goal_id)
    if goal is None or goal.user_id != user.id:
        abort(404)
    return goal


def load_plan_for(user: User, plan_id: int):
    """One of the caller's own weekly plans; anyone else's answers 404."""
    from wham.goals.models import ActionPlan

    plan = db.session.get(ActionPlan, plan_id)
    if plan is None or plan.user_id != user.id:
        abort(404)
    return plan
