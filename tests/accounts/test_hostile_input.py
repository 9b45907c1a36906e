"""Every accounts and admin form under hostile input (see tests/hostile.py)."""
from __future__ import annotations

from tests.factories import PASSWORD, make_admin, make_participant
from tests.hostile import assert_hostile_input_handled
from tests.web import login
from wham.accounts.forms import ChangePasswordForm, LoginForm, ProfileForm, RegisterForm
from wham.admin.forms import StaffAccountForm


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
