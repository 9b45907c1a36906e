"""Every accounts and admin form under hostile input (see tests/hostile.py)."""
from __future__ import annotations

from tests.factories import PASSWORD, make_admin, make_participant, make_peer_specialist
from tests.hostile import MARKUP, assert_hostile_input_handled
from tests.web import login, post_form
from wham.accounts import services as accounts
from wham.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from wham.accounts.models import User
from wham.admin.forms import StaffAccountForm
from wham.extensions import db
from wham.timeutil import utcnow


def test_login_form(app, client):
    make_participant(app, email="sam@example.org")
    tried = assert_hostile_input_handled(
        app, client, "/login", LoginForm,
        {"email": "sam@example.org", "password": "not the password"})
    assert tried >= 12


def test_register_form(app, client):
    def signed_out():
        client.delete_cookie("session")

    assert_hostile_input_handled(
        app, client, "/register", RegisterForm,
        {"display_name": "Kim", "email": "kim@example.org", "password": PASSWORD,
         "confirm": PASSWORD, "time_zone": "America/Denver", "language": "en"},
        skip_fields=("confirm", "invite_code"), before_each=signed_out)


def test_profile_form(app, client):
    login(client, make_participant(app))
    assert_hostile_input_handled(
        app, client, "/profile", ProfileForm,
        {"display_name": "Kim", "language": "es", "time_zone": "America/Denver",
         "mobile": "202 555 0101"})


def test_change_password_form(app, client):
    user = make_participant(app)
    login(client, user)
    assert_hostile_input_handled(
        app, client, "/profile/password", ChangePasswordForm,
        {"current_password": "not my password", "password": "another long one",
         "confirm": "another long one"}, skip_fields=("confirm",))


def test_staff_account_form(app, client):
    login(client, make_admin(app))
    assert_hostile_input_handled(
        app, client, "/admin/users/new", StaffAccountForm,
        {"display_name": "Robin", "email": "robin@example.org", "role": "peer_specialist",
         "time_zone": "America/Chicago"})


def test_reset_password_form(app, client):
    admin = make_admin(app)
    person = make_participant(app)
    with app.app_context():
        token = accounts.create_reset_link(db.session.get(User, admin.id),
                                           db.session.get(User, person.id), utcnow())
    # A refused post must leave the link usable, so every case hits the same form.
    assert_hostile_input_handled(
        app, client, f"/reset/{token}", ResetPasswordForm,
        {"password": "a brand new passphrase", "confirm": "something else entirely"},
        skip_fields=("confirm",))


def test_assign_peer_specialist_form(app, client):
    login(client, make_admin(app))
    person = make_participant(app)
    peer = make_peer_specialist(app)
    response = post_form(client, f"/admin/users/{person.id}/peer-specialist",
                         {"peer_specialist": "not-a-choice"})
    assert response.status_code == 302
    assert "Choose a peer specialist from the list." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, person.id).peer_specialist_id is None
    response = post_form(client, f"/admin/users/{person.id}/peer-specialist",
                         {"peer_specialist": str(peer.id)})
    with app.app_context():
        assert db.session.get(User, person.id).peer_specialist_id == peer.id


def test_user_search_never_fails(app, client):
    login(client, make_admin(app))
    for query in ("", "x" * 500, "a\x00b", MARKUP, "%_%", "Zoë 🌱"):
        response = client.get("/admin/users", query_string={"q": query, "role": "nonsense"})
        assert response.status_code == 200, query
        assert MARKUP not in response.get_data(as_text=True)
    assert client.get("/admin/users?page=-5").status_code == 200
    assert client.get("/admin/users?page=abc").status_code == 200


def test_role_form(app, client):
    login(client, make_admin(app))
    peer = make_peer_specialist(app)
    for value in ("", "participant", "family", "not-a-role", MARKUP, "x" * 10_000, "ad\x00min"):
        response = post_form(client, f"/admin/users/{peer.id}/role", {"role": value})
        assert response.status_code == 302, value
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Choose a role from the list." in page, value
        assert MARKUP not in page
        with app.app_context():
            assert db.session.get(User, peer.id).role.value == "peer_specialist"


def test_blank_looking_choices_are_refused_not_a_crash(app, client):
    """Bug fix, found by tests/test_property_input.py: Optional() on a select cleared the
    "not a choice" error for spaces, and int("   ") then failed with a 500."""
    login(client, make_admin(app))
    person = make_participant(app)
    response = post_form(client, f"/admin/users/{person.id}/peer-specialist",
                         {"peer_specialist": "   "})
    assert response.status_code == 302
    assert "Choose a peer specialist from the list." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    for args in ({"role": "   "}, {"role": "\t"}, {"q": "kim"}, {}):
        assert client.get("/admin/users", query_string=args).status_code == 200, args
    assert client.get("/admin/audit", query_string={"action": "  "}).status_code == 200
