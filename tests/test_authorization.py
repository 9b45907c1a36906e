"""The authorization matrix: every route, every kind of visitor, the expected outcome.

A route missing from MATRIX fails `test_every_route_is_in_the_matrix`, so no new page can
escape classification. Objects in URLs belong to the `owner` participant; other visitors are
related to the owner (their peer specialist) or not (another participant, another peer
specialist, a family member), plus anonymous and admin."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for

from tests.checkins.factories import make_check_in
from tests.factories import make_admin, make_family, make_participant, make_peer_specialist
from tests.family.factories import make_consent, make_plan
from tests.goals.factories import make_goal
from tests.groups.factories import make_flag, make_group
from tests.web import csrf_token, login
from wham.accounts import services as accounts
from wham.accounts.models import User
from wham.extensions import db
from wham.family.models import Scope
from wham.timeutil import local_week_start, utcnow

OK, LOGIN, NOT_FOUND = "ok", "login", "404"

# Family visitors: `family` has no consent at all; the others hold, from the owner unless
# said otherwise, an active consent for the crisis plan (`family_in_scope`), an active
# consent for something else (`family_out_of_scope`), a revoked or an expired crisis-plan
# consent, an active consent from `other_participant`, or a signed invitation not accepted.
FAMILY_VISITORS = ("family_in_scope", "family_out_of_scope", "family_revoked", "family_expired",
                   "family_other_participant", "family_invited")
VISITORS = ("anonymous", "owner", "other_participant", "peer_specialist", "other_peer",
            "family", *FAMILY_VISITORS, "admin")


def outcomes(default: str, **overrides: str) -> dict[str, str]:
    table = dict.fromkeys(VISITORS, default)
    table.update(overrides)
    return table


EVERYONE = outcomes(OK)
SIGNED_IN = outcomes(OK, anonymous=LOGIN)
ADMIN_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, admin=OK)
PEER_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, peer_specialist=OK, other_peer=OK)
OWNERS_PEER_OR_ADMIN = outcomes(NOT_FOUND, anonymous=LOGIN, peer_specialist=OK, admin=OK)
# Groups: the owner is a member of a group `peer_specialist` facilitates; `other_peer`
# facilitates another group that `other_participant` is a member of.
PEER_OR_PARTICIPANT = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK, other_participant=OK,
                               peer_specialist=OK, other_peer=OK)
PARTICIPANT_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK, other_participant=OK)
GROUP_MEMBER_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK)
GROUP_FACILITATOR_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, peer_specialist=OK)
GROUP_PAGE = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK, peer_specialist=OK, admin=OK)
# Support plan and sharing: each participant's own pages; a consent belongs to the owner.
OWN_PAGES = PARTICIPANT_ONLY
OWNER_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK)
FAMILY_ONLY = outcomes(NOT_FOUND, anonymous=LOGIN, family=OK,
                       **dict.fromkeys(FAMILY_VISITORS, OK))
SHARED_ANYTHING = outcomes(NOT_FOUND, anonymous=LOGIN, family_in_scope=OK, family_out_of_scope=OK)
SHARED_CRISIS_PLAN = outcomes(NOT_FOUND, anonymous=LOGIN, family_in_scope=OK)
SHARED_NOTHING_GRANTED = outcomes(NOT_FOUND, anonymous=LOGIN)
# Twilio webhooks: without Twilio's signature every visitor is refused (403), signed in or not.
TWILIO_SIGNED_ONLY = outcomes("status 403")
# Text message settings: the people who get texts (participants; peer specialists for alerts).
TEXTERS = outcomes(NOT_FOUND, anonymous=LOGIN, owner=OK, other_participant=OK,
                   peer_specialist=OK, other_peer=OK)
# `family_out_of_scope` holds the goal-and-progress scope (out of scope for the plans).
SHARED_PROGRESS = outcomes(NOT_FOUND, anonymous=LOGIN, family_out_of_scope=OK)

# (endpoint, method) -> outcome per visitor
MATRIX: dict[tuple[str, str], dict[str, str]] = {
    # --- text messages (sms)
    ("sms.settings", "GET"): TEXTERS,
    ("sms.settings", "POST"): TEXTERS,
    ("sms.send_code", "POST"): TEXTERS,
    ("sms.confirm", "POST"): TEXTERS,
    ("sms.stop_all", "POST"): TEXTERS,
    ("sms.start_again", "POST"): TEXTERS,
    ("sms.inbound", "POST"): TWILIO_SIGNED_ONLY,
    ("sms.status", "POST"): TWILIO_SIGNED_ONLY,
    ("sms.admin_statistics", "GET"): ADMIN_ONLY,
    # A facilitator texts their own group one of the reviewed messages.
    ("nudges.group_text", "GET"): GROUP_FACILITATOR_ONLY,
    ("nudges.group_text", "POST"): GROUP_FACILITATOR_ONLY,
    # --- end text messages
    ("static", "GET"): EVERYONE,
    ("health.healthz", "GET"): EVERYONE,
    ("accounts.home", "GET"): EVERYONE,
    ("accounts.login", "GET"): EVERYONE,
    ("accounts.login", "POST"): EVERYONE,
    ("accounts.logout", "POST"): SIGNED_IN,
    ("accounts.register", "GET"): EVERYONE,
    ("accounts.register", "POST"): EVERYONE,
    ("accounts.profile", "GET"): SIGNED_IN,
    ("accounts.profile", "POST"): SIGNED_IN,
    ("accounts.change_password", "GET"): SIGNED_IN,
    ("accounts.change_password", "POST"): SIGNED_IN,
    # A participant's own information: download a copy, delete the account (password again).
    ("accounts.my_data", "GET"): OWN_PAGES,
    ("accounts.download_my_data", "POST"): OWN_PAGES,
    ("accounts.delete_account", "POST"): OWN_PAGES,
    # A valid reset link works for whoever holds it; that is what a link is.
    ("accounts.reset_password", "GET"): EVERYONE,
    ("accounts.reset_password", "POST"): EVERYONE,
    ("accounts.people", "GET"): PEER_ONLY,
    ("accounts.create_reset_link", "POST"): OWNERS_PEER_OR_ADMIN,
    ("admin.index", "GET"): ADMIN_ONLY,
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.new_staff_account", "GET"): ADMIN_ONLY,
    ("admin.new_staff_account", "POST"): ADMIN_ONLY,
    ("admin.user", "GET"): ADMIN_ONLY,
    ("admin.set_enabled", "POST"): ADMIN_ONLY,
    ("admin.change_role", "POST"): ADMIN_ONLY,
    ("admin.assign_peer_specialist", "POST"): ADMIN_ONLY,
    ("admin.create_invite_code", "POST"): ADMIN_ONLY,
    ("admin.audit_log", "GET"): ADMIN_ONLY,
    ("admin.export_audit_log", "GET"): ADMIN_ONLY,
    ("groups.my_groups", "GET"): PEER_OR_PARTICIPANT,
    ("groups.new_group", "GET"): PEER_ONLY,
    ("groups.new_group", "POST"): PEER_ONLY,
    ("groups.join_by_code", "POST"): PARTICIPANT_ONLY,
    # The invite link works for any participant who holds it (that is what it is for).
    ("groups.join", "GET"): PARTICIPANT_ONLY,
    ("groups.join", "POST"): PARTICIPANT_ONLY,
    ("groups.group", "GET"): GROUP_PAGE,
    ("groups.leave", "POST"): GROUP_MEMBER_ONLY,
    ("groups.share_win", "POST"): GROUP_MEMBER_ONLY,
    ("groups.group_session", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.group_session", "POST"): GROUP_FACILITATOR_ONLY,
    ("groups.move_session", "POST"): GROUP_FACILITATOR_ONLY,
    ("groups.cancel_session", "POST"): GROUP_FACILITATOR_ONLY,
    ("groups.member", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.member", "POST"): GROUP_FACILITATOR_ONLY,
    # The dashboard, its flags and exports: the group's own facilitators only, not the admin.
    ("groups.dashboard", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.summary", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.flag", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.flag", "POST"): GROUP_FACILITATOR_ONLY,
    ("groups.export_members", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.export_summary", "GET"): GROUP_FACILITATOR_ONLY,
    ("groups.admin_groups", "GET"): ADMIN_ONLY,
    ("groups.admin_new_group", "GET"): ADMIN_ONLY,
    ("groups.admin_new_group", "POST"): ADMIN_ONLY,
    ("groups.admin_edit_group", "GET"): ADMIN_ONLY,
    ("groups.admin_edit_group", "POST"): ADMIN_ONLY,
    ("groups.admin_move_member", "POST"): ADMIN_ONLY,
    ("family.support_plan", "GET"): OWN_PAGES,
    ("family.edit_support_plan", "GET"): OWN_PAGES,
    ("family.edit_support_plan", "POST"): OWN_PAGES,
    ("family.plan_history", "GET"): OWN_PAGES,
    ("family.print_plan", "GET"): OWN_PAGES,
    ("family.sharing", "GET"): OWN_PAGES,
    ("family.new_consent", "GET"): OWN_PAGES,
    ("family.new_consent", "POST"): OWN_PAGES,
    ("family.activity", "GET"): OWN_PAGES,
    ("family.consent", "GET"): OWNER_ONLY,
    ("family.consent", "POST"): OWNER_ONLY,
    ("family.renew_link", "POST"): OWNER_ONLY,
    ("family.revoke", "POST"): OWNER_ONLY,
    # The invitation link shows the consent to whoever holds it; accepting needs the right
    # family account (checked in tests/family/test_invitations.py).
    ("family.invitation", "GET"): EVERYONE,
    ("family.accept_invitation", "POST"): SIGNED_IN,
    ("family.register_through_invitation", "POST"): EVERYONE,
    ("family.shared_list", "GET"): FAMILY_ONLY,
    ("family.shared_overview", "GET"): SHARED_ANYTHING,
    ("family.shared_crisis_plan", "GET"): SHARED_CRISIS_PLAN,
    # Nobody in the world holds a whole-plan consent: crisis plan only is out of its scope.
    ("family.shared_support_plan", "GET"): SHARED_NOTHING_GRANTED,
    # Goals, weekly plans and the log: each participant's own; goal_id and plan_id are the owner's.
    ("goals.inventory", "GET"): OWN_PAGES,
    ("goals.take_inventory", "GET"): OWN_PAGES,
    ("goals.take_inventory", "POST"): OWN_PAGES,
    ("goals.my_goals", "GET"): OWN_PAGES,
    ("goals.new_goal", "GET"): OWN_PAGES,
    ("goals.new_goal", "POST"): OWN_PAGES,
    ("goals.log_today", "GET"): OWN_PAGES,
    ("goals.print_summary", "GET"): OWN_PAGES,
    ("goals.goal", "GET"): OWNER_ONLY,
    ("goals.edit_goal", "GET"): OWNER_ONLY,
    ("goals.edit_goal", "POST"): OWNER_ONLY,
    ("goals.change_status", "POST"): OWNER_ONLY,
    ("goals.plan", "GET"): OWNER_ONLY,
    ("goals.plan", "POST"): OWNER_ONLY,
    ("goals.copy_plan", "POST"): OWNER_ONLY,
    ("goals.plan_log", "GET"): OWNER_ONLY,
    ("goals.plan_log", "POST"): OWNER_ONLY,
    ("family.shared_progress", "GET"): SHARED_PROGRESS,
    # Check-ins and progress: the URL names a week, never a person, so each participant
    # only ever reaches their own; the crisis page is for everyone, signed in or not.
    ("checkins.check_in", "GET"): OWN_PAGES,
    ("checkins.week", "GET"): OWN_PAGES,
    ("checkins.week", "POST"): OWN_PAGES,
    ("checkins.progress", "GET"): OWN_PAGES,
    ("checkins.crisis", "GET"): EVERYONE,
}


@dataclass
class World:
    users: dict[str, User]
    url_values: dict[str, object]


def build_world(app: Flask) -> World:
    owner_peer = make_peer_specialist(app)
    owner = make_participant(app, peer_specialist_id=owner_peer.id)
    users = {
        "owner": owner,
        "other_participant": make_participant(app),
        "peer_specialist": owner_peer,
        "other_peer": make_peer_specialist(app),
        "family": make_family(app),
        "admin": make_admin(app),
    }
    with app.app_context():
        admin = db.session.get(User, users["admin"].id)
        person = db.session.get(User, owner.id)
        token = accounts.create_reset_link(admin, person, utcnow())
    values = {"person_id": owner.id, "user_id": owner.id, "token": token,
              "filename": "css/wham.css"}
    group = make_group(app, [owner_peer], [owner])
    make_group(app, [users["other_peer"]], [users["other_participant"]], name="Other group")
    values |= {"group_id": group.id, "session_id": group.session_ids[0],
               "member_id": owner.id, "code": group.join_code}
    users |= {name: make_family(app) for name in FAMILY_VISITORS}
    make_plan(app, owner)
    goal = make_goal(app, owner)
    values |= {"goal_id": goal.id, "plan_id": goal.plan_id}
    week = local_week_start(utcnow(), owner.time_zone)
    make_check_in(app, owner, week, now=utcnow())
    values |= {"week": week.isoformat()}
    values |= {"flag_id": make_flag(app, owner)}
    long_ago = utcnow() - timedelta(days=200)
    make_consent(app, owner, users["family_in_scope"], [Scope.CRISIS_PLAN])
    make_consent(app, owner, users["family_out_of_scope"], [Scope.PROGRESS])
    make_consent(app, owner, users["family_revoked"], [Scope.CRISIS_PLAN], revoke=True)
    make_consent(app, owner, users["family_expired"], [Scope.CRISIS_PLAN], now=long_ago, days=30)
    make_consent(app, users["other_participant"], users["family_other_participant"],
                 [Scope.SUPPORT_PLAN])
    invited = make_consent(app, owner, users["family_invited"], [Scope.CRISIS_PLAN], accept=False)
    values |= {"consent_id": invited.id, "invite_token": invited.token}
    return World(users, values)


def classify(response) -> str:
    if response.status_code in (301, 302, 303):
        target = urlsplit(response.headers["Location"])
        # Sent to sign in *in order to come back* (next=...): the page needs a login.
        if target.path == "/login" and "next=" in target.query:
            return LOGIN
        return OK
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code < 400:
        return OK
    return f"status {response.status_code}"


def _rules(app: Flask):
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_every_route_is_in_the_matrix(app: Flask):
    routes = {(rule.endpoint, method) for rule, method in _rules(app)}
    missing = routes - MATRIX.keys()
    assert not missing, f"routes missing from the authorization matrix: {sorted(missing)}"
    stale = MATRIX.keys() - routes
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("endpoint,method", sorted(MATRIX))
def test_route_answers_each_visitor_as_expected(app: Flask, endpoint: str, method: str):
    world = build_world(app)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = url_for(endpoint, **{k: world.url_values[k] for k in rule.arguments})
    seen = {}
    # Admin last: some admin actions change the owner (e.g. turn off their sign-in).
    for visitor in VISITORS:
        client = app.test_client()
        if visitor != "anonymous":
            login(client, world.users[visitor])
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client)})
        seen[visitor] = classify(response)
    assert seen == MATRIX[(endpoint, method)], f"{method} {url}"


def test_wrong_method_answers_405(app: Flask):
    admin = make_admin(app)
    client = app.test_client()
    login(client, admin)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.arguments or rule.endpoint == "static":
            continue
        if "GET" not in rule.methods:
            assert client.get(rule.rule).status_code == 405, rule.rule
            checked += 1
        if "POST" not in rule.methods:
            response = client.post(rule.rule, data={"csrf_token": csrf_token(client)})
            assert response.status_code == 405, rule.rule
            checked += 1
    assert checked > 5


def test_other_peoples_ids_answer_404_not_403(app: Flask):
    """Ids cannot be probed: a missing person and someone else's person look the same."""
    other_peer = make_peer_specialist(app)
    stranger = make_participant(app)
    client = app.test_client()
    login(client, other_peer)
    token = csrf_token(client)
    existing = client.post(f"/people/{stranger.id}/reset-link", data={"csrf_token": token})
    missing = client.post("/people/999999/reset-link", data={"csrf_token": token})
    assert existing.status_code == missing.status_code == 404


def test_expired_reset_link_is_refused(app: Flask):
    admin = make_admin(app)
    owner = make_participant(app)
    with app.app_context():
        token = accounts.create_reset_link(db.session.get(User, admin.id),
                                           db.session.get(User, owner.id),
                                           utcnow() - timedelta(days=2))
    assert app.test_client().get(f"/reset/{token}").status_code == 404
