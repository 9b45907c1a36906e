"""Admin pages: staff accounts with a one-time link, finding people, turning sign-in on and
off, assigning peer specialists, invite codes, the audit log, and their query counts."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_admin, make_family, make_participant, make_peer_specialist
from tests.web import login, post_form
from wham import audit
from wham.accounts.models import AccountToken, Role, TokenPurpose, User
from wham.admin.services import PAGE_SIZE
from wham.audit import AuditEvent
from wham.extensions import db
from wham.timeutil import utcnow

LINK_RE = re.compile(r"<code>(https?://[^<]+/reset/[^<]+)</code>")
CODE_RE = re.compile(r'<p class="one-time-link"><code>([^<]+)</code></p>')


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


def _bulk_participants(app, count: int, prefix: str = "bulk") -> None:
    hashed = make_participant(app).password_hash
    with app.app_context():
        db.session.add_all(User(email=f"{prefix}{i}@example.org", display_name=f"{prefix} {i:03d}",
                                role=Role.PARTICIPANT, time_zone="America/Chicago",
                                password_hash=hashed) for i in range(count))
        db.session.commit()


@pytest.fixture
def admin_client(app, client):
    admin = make_admin(app, display_name="Pat Admin")
    login(client, admin)
    client.admin = admin
    return client


def test_overview_counts_people_by_role(app, admin_client):
    make_participant(app)
    make_participant(app)
    make_peer_specialist(app)
    body = admin_client.get("/admin/").get_data(as_text=True)
    numbers = re.findall(r'<span class="stat-number">(\d+)</span>', body)
    assert numbers == ["2", "1", "0", "1"]


def test_create_peer_specialist_shows_a_working_one_time_link(app, admin_client):
    response = post_form(admin_client, "/admin/users/new", {
        "display_name": "Jordan", "email": "Jordan@Example.org", "role": "peer_specialist",
        "time_zone": "America/Chicago"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Account created for Jordan" in body
    path = urlsplit(LINK_RE.search(body).group(1)).path
    with app.app_context():
        jordan = db.session.scalar(select(User).where(User.email == "jordan@example.org"))
        assert jordan.role == Role.PEER_SPECIALIST and jordan.password_hash is None
        jordan_id = jordan.id
    [event] = _events(app, "admin.account_created")
    assert (event.actor_id, event.subject_id) == (admin_client.admin.id, jordan_id)
    jordan_client = app.test_client()
    response = post_form(jordan_client, path, {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    assert jordan_client.get("/people").status_code == 200
    assert app.test_client().get(path).status_code == 404  # single use


def test_create_staff_account_refuses_a_taken_email(app, admin_client):
    make_participant(app, email="taken@example.org")
    response = post_form(admin_client, "/admin/users/new", {
        "display_name": "Jordan", "email": "taken@example.org", "role": "peer_specialist",
        "time_zone": "America/Chicago"})
    assert response.status_code == 200
    assert "There is already an account with this email." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AccountToken).count() == 0


def test_create_staff_account_cannot_make_participants(app, admin_client):
    response = post_form(admin_client, "/admin/users/new", {
        "display_name": "Jordan", "email": "j@example.org", "role": "participant",
        "time_zone": "America/Chicago"})
    assert response.status_code == 200
    assert "Choose from the list." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(User).count() == 1


def test_users_search_by_name_email_and_role(app, admin_client):
    make_participant(app, display_name="Maria Lopez", email="maria@example.org")
    make_participant(app, display_name="James", email="jim@mail.example")
    make_peer_specialist(app, display_name="Jordan", email="peer@example.org")

    def names(**params):
        body = admin_client.get("/admin/users", query_string=params).get_data(as_text=True)
        return set(re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', body))

    assert names(q="maria") == {"Maria Lopez"}
    assert names(q="LOPEZ") == {"Maria Lopez"}
    assert names(q="mail.example") == {"James"}
    assert names(role="peer_specialist") == {"Jordan"}
    assert names(role="participant", q="j") == {"James"}
    assert names(role="admin") == {"Pat Admin"}
    assert names(q="nobody at all") == set()
    # Wildcard characters are searched for literally.
    assert names(q="%") == set()
    assert names(q="_") == set()


def test_users_search_with_a_bad_role_shows_everyone(app, admin_client):
    make_participant(app)
    response = admin_client.get("/admin/users?role=overlord")
    assert response.status_code == 200
    assert "2 people" in response.get_data(as_text=True)


def test_users_pagination(app, admin_client):
    _bulk_participants(app, PAGE_SIZE + 5)
    first = admin_client.get("/admin/users?role=participant").get_data(as_text=True)
    assert f"{PAGE_SIZE + 6} people" in first  # the bulk and make_participant's template user
    assert "Page 1 of 2" in first
    assert len(re.findall(r'href="/admin/users/\d+"', first)) == PAGE_SIZE
    second = admin_client.get("/admin/users?role=participant&page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/users/\d+"', second)) == 6
    assert "page=1" in second and "role=participant" in second
    beyond = admin_client.get("/admin/users?page=99")
    assert beyond.status_code == 200
    assert admin_client.get("/admin/users?page=-3").status_code == 200
    assert admin_client.get("/admin/users?page=abc").status_code == 200


def test_disable_and_enable_an_account(app, admin_client):
    person = make_participant(app)
    person_client = app.test_client()
    login(person_client, person)
    response = post_form(admin_client, f"/admin/users/{person.id}/enabled", {"enabled": "0"})
    assert response.status_code == 302
    assert not _user(app, person.id).is_enabled
    assert person_client.get("/profile").status_code == 302  # signed out at once
    post_form(admin_client, f"/admin/users/{person.id}/enabled", {"enabled": "1"})
    assert _user(app, person.id).is_enabled
    login(app.test_client(), person)
    assert [e.subject_id for e in _events(app, "admin.account_disabled")] == [person.id]
    assert [e.subject_id for e in _events(app, "admin.account_enabled")] == [person.id]


def test_admin_cannot_disable_themselves(app, admin_client):
    admin = admin_client.admin
    response = post_form(admin_client, f"/admin/users/{admin.id}/enabled", {"enabled": "0"},
                         follow_redirects=True)
    assert "You can&#39;t turn off your own account." in response.get_data(as_text=True)
    assert _user(app, admin.id).is_enabled
    assert _events(app, "admin.account_disabled") == []


def test_assign_peer_specialist(app, admin_client):
    person = make_participant(app)
    peer = make_peer_specialist(app, display_name="Jordan")
    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert f'<option value="{peer.id}">Jordan</option>' in page
    response = post_form(admin_client, f"/admin/users/{person.id}/peer-specialist",
                         {"peer_specialist": str(peer.id)})
    assert response.status_code == 302
    assert _user(app, person.id).peer_specialist_id == peer.id
    [event] = _events(app, "admin.peer_specialist_assigned")
    assert event.details == {"peer_specialist_id": peer.id}
    # And no one again.
    post_form(admin_client, f"/admin/users/{person.id}/peer-specialist", {"peer_specialist": ""})
    assert _user(app, person.id).peer_specialist_id is None


def test_assign_peer_specialist_refuses_anyone_else(app, admin_client):
    person = make_participant(app)
    others = [make_participant(app), make_family(app), admin_client.admin]
    for other in others:
        response = post_form(admin_client, f"/admin/users/{person.id}/peer-specialist",
                             {"peer_specialist": str(other.id)}, follow_redirects=True)
        assert "Choose a peer specialist from the list." in response.get_data(as_text=True)
    for bogus in ("999999", "abc", "-1", "1.5"):
        post_form(admin_client, f"/admin/users/{person.id}/peer-specialist",
                  {"peer_specialist": bogus})
    assert _user(app, person.id).peer_specialist_id is None
    assert _events(app, "admin.peer_specialist_assigned") == []


def test_only_participants_get_a_peer_specialist(app, admin_client):
    peer, other_peer = make_peer_specialist(app), make_peer_specialist(app)
    response = post_form(admin_client, f"/admin/users/{other_peer.id}/peer-specialist",
                         {"peer_specialist": str(peer.id)})
    assert response.status_code == 404


def test_invite_code_page(app, admin_client):
    response = post_form(admin_client, "/admin/invite-codes")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    code = CODE_RE.search(body).group(1)
    assert "http://localhost/register" in body
    with app.app_context():
        stored = db.session.scalar(select(AccountToken))
        assert stored.purpose == TokenPurpose.REGISTRATION_INVITE
        assert code not in stored.token_hash
        lifetime = stored.expires_at - stored.created_at
    assert lifetime == app.config["INVITE_CODE_LIFETIME"]
    assert len(_events(app, "admin.invite_code_created")) == 1


def test_audit_log_lists_events_with_names(app, admin_client):
    person = make_participant(app, display_name="Maria")
    login(app.test_client(), person)
    body = admin_client.get("/admin/audit").get_data(as_text=True)
    table = body.split("<tbody>")[1]
    assert "auth.login" not in table  # said in words, not the log's code
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    maria_login = [r for r in rows if "<td>Signed in</td>" in r and "Maria" in r]
    assert maria_login
    assert "Pat Admin" in body  # the admin's own sign-in


def test_audit_log_pagination(app, admin_client):
    with app.app_context():
        now = utcnow()
        for i in range(PAGE_SIZE + 3):
            audit.record("test.event", now=now + timedelta(seconds=i), n=i)
        db.session.commit()
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = admin_client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    rows = second.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert rows == 4  # 3 left + the admin's sign-in, oldest last


def _count(query_counter, client, path) -> int:
    with query_counter() as counter:
        assert client.get(path).status_code == 200
    return counter.count


def test_users_page_queries_do_not_grow_with_people(app, admin_client, query_counter):
    _bulk_participants(app, 5, "few")
    few = _count(query_counter, admin_client, "/admin/users")
    _bulk_participants(app, 55, "many")
    many = _count(query_counter, admin_client, "/admin/users")
    assert few == many


def test_audit_page_queries_do_not_grow_with_events(app, admin_client, query_counter):
    _bulk_participants(app, 60, "p")

    def add_events(count):
        with app.app_context():
            people = list(db.session.scalars(select(User.id)))
            for i in range(count):
                db.session.add(AuditEvent(occurred_at=utcnow(), action="test.event",
                                          actor_id=people[i % len(people)],
                                          subject_id=people[(i + 1) % len(people)], details={}))
            db.session.commit()

    add_events(5)
    few = _count(query_counter, admin_client, "/admin/audit")
    add_events(55)
    many = _count(query_counter, admin_client, "/admin/audit")
    assert few == many


def test_admin_user_page_for_a_missing_person(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
