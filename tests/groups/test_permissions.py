"""Who may see which group, member and note: facilitators of their own groups only."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from tests.factories import make_admin, make_participant, make_peer_specialist
from tests.groups.factories import make_group
from wham import permissions
from wham.accounts.models import User
from wham.extensions import db
from wham.groups import services
from wham.groups.models import Group
from wham.timeutil import utcnow


def _u(user) -> User:
    return db.session.get(User, user.id)


@pytest.fixture
def world(app_ctx):
    peer, other_peer = make_peer_specialist(app_ctx), make_peer_specialist(app_ctx)
    member, other_member = make_participant(app_ctx), make_participant(app_ctx)
    group = make_group(app_ctx, [peer], [member])
    other = make_group(app_ctx, [other_peer], [other_member], name="Other")
    return {"peer": peer, "other_peer": other_peer, "member": member,
            "other_member": other_member, "group": group, "other": other,
            "admin": make_admin(app_ctx)}


def test_facilitates_only_own_group(world):
    group = db.session.get(Group, world["group"].id)
    assert permissions.facilitates(_u(world["peer"]), group)
    assert not permissions.facilitates(_u(world["other_peer"]), group)
    assert not permissions.facilitates(_u(world["member"]), group)


def test_load_group_for(world):
    gid = world["group"].id
    for who in ("peer", "member", "admin"):
        assert permissions.load_group_for(_u(world[who]), gid).id == gid
    for who in ("other_peer", "other_member"):
        with pytest.raises(NotFound):
            permissions.load_group_for(_u(world[who]), gid)
    with pytest.raises(NotFound):
        permissions.load_group_for(_u(world["admin"]), 999_999)


def test_facilitator_only_loaders(world):
    gid, sid = world["group"].id, world["group"].session_ids[0]
    member_id = world["member"].id
    assert permissions.load_group_session_for(_u(world["peer"]), gid, sid).id == sid
    assert permissions.load_group_member_for(_u(world["peer"]), gid, member_id)[1].user_id == member_id
    for who in ("other_peer", "member", "admin"):
        with pytest.raises(NotFound):
            permissions.load_group_session_for(_u(world[who]), gid, sid)
        with pytest.raises(NotFound):
            permissions.load_group_member_for(_u(world[who]), gid, member_id)
    # A session or member of another group through this group's URL: 404 too.
    with pytest.raises(NotFound):
        permissions.load_group_session_for(_u(world["peer"]), gid, world["other"].session_ids[0])
    with pytest.raises(NotFound):
        permissions.load_group_member_for(_u(world["peer"]), gid, world["other_member"].id)


def test_visible_members_and_supports_follow_active_membership(world):
    peer = _u(world["peer"])
    assert [u.id for u in db.session.scalars(permissions.visible_members(peer))] == [world["member"].id]
    assert permissions.supports(peer, _u(world["member"]))
    assert not permissions.supports(peer, _u(world["other_member"]))
    assert not permissions.supports(_u(world["other_peer"]), _u(world["member"]))
    group = db.session.get(Group, world["group"].id)
    services.leave_group(_u(world["member"]),
                         services.active_membership(group.id, world["member"].id), utcnow())
    assert list(db.session.scalars(permissions.visible_members(peer))) == []
    assert not permissions.supports(peer, _u(world["member"]))


def test_supports_keeps_the_one_to_one_rule(app_ctx):
    peer = make_peer_specialist(app_ctx)
    person = make_participant(app_ctx, peer_specialist_id=peer.id)
    assert permissions.supports(_u(peer), _u(person))


def test_facilitated_groups(world):
    mine = db.session.scalars(permissions.facilitated_groups(_u(world["peer"]))).all()
    theirs = db.session.scalars(permissions.facilitated_groups(_u(world["other_peer"]))).all()
    assert [g.name for g in mine] == ["Tuesday evening group"]
    assert [g.name for g in theirs] == ["Other"]
