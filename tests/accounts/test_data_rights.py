"""Data rights: a participant downloads everything held about them (JSON and CSV in a zip) and
deletes their account (their data erased in one go, the account an anonymous tombstone, the
audit log kept without content); both audited. Every table that points at a person is
classified, so a new one cannot be forgotten."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tests.checkins.factories import make_check_in
from tests.factories import PASSWORD, make_admin, make_family, make_participant, make_peer_specialist
from tests.family.factories import make_consent, make_plan
from tests.goals.factories import make_goal
from tests.groups.factories import make_group
from tests.hostile import assert_hostile_input_handled
from tests.sms.factories import make_queued
from tests.web import login, post_form
from wham.accounts import data_rights
from wham.accounts import services as accounts
from wham.accounts.forms import DeleteAccountForm
from wham.accounts.models import Role, User
from wham.audit import AuditEvent
from wham.checkins.models import Support
from wham.extensions import db
from wham.factors import FACTOR_CODES
from wham.family.models import Scope
from wham.goals import services as goals
from wham.goals.models import ActionPlan, Done
from wham.groups import services as groups
from wham.groups.models import Membership
from wham.nudges.models import TextedDaysDone
from wham.sms.models import SmsContact
from wham.timeutil import local_today, local_week_start, utcnow

SECRET_WORDS = "Marigold-7d1c"  # typed into the person's own records, so we can find them


def _fill_every_section(app, person, peer, admin) -> None:
    """Rows in every kind of record the app keeps about a participant."""
    now = utcnow()
    goal = make_goal(app, person, what=f"Walk {SECRET_WORDS}")
    week = local_week_start(now, person.time_zone)
    make_check_in(app, person, week, now=now, support=Support.NOW, helped=SECRET_WORDS)  # + a flag
    make_plan(app, person, crisis_signs=f"Stays in bed {SECRET_WORDS}")
    family = make_family(app)
    make_consent(app, person, family, [Scope.CRISIS_PLAN])
    group = make_group(app, [peer], [person])
    with app.app_context():
        me = db.session.get(User, person.id)
        goals.take_inventory(me, dict.fromkeys(FACTOR_CODES, 3), now)
        plan = db.session.get(ActionPlan, goal.plan_id)
        goals.log_day(me, plan, local_today(now, me.time_zone), Done.YES, SECRET_WORDS, True, now)
        membership = db.session.scalar(select(Membership).where(Membership.user_id == me.id))
        groups.share_win(me, membership, f"A win {SECRET_WORDS}", now)
        facilitator = db.session.get(User, peer.id)
        session = groups.next_sessions([group.id], now - timedelta(days=30)).get(group.id)
        groups.record_attendance(facilitator, session, {me.id: "present"}, None, now)
        groups.add_peer_note(facilitator, me, f"Called {SECRET_WORDS}", now)
        accounts.create_reset_link(db.session.get(User, admin.id), me, now)
        me.mobile_e164 = "+12025550177"
        db.session.add(SmsContact(user_id=me.id, e164="+12025550177", verified_at=now,
                                  updated_at=now, checkin_reminder=True))
        db.session.add(TextedDaysDone(user_id=me.id, week_start=week - timedelta(days=7),
                                      days_done=4, received_at=now))
        db.session.commit()
    make_queued(app, person, now)


@pytest.fixture
def people(app):
    admin, peer = make_admin(app), make_peer_specialist(app)
    person = make_participant(app, email="kim@example.org", display_name="Kim Example",
                              peer_specialist_id=peer.id)
    other = make_participant(app, display_name="Other Person")
    _fill_every_section(app, person, peer, admin)
    with app.app_context():
        db.session.add(SmsContact(user_id=other.id, e164="+12025550178", updated_at=utcnow()))
        db.session.commit()
    make_goal(app, other, what="Someone else's goal")
    return {"person": person, "other": other, "peer": peer, "admin": admin}


def _counts(app, user_id: int) -> dict[str, int]:
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(
                    data_rights._table(name)).where(data_rights._theirs(name, user_id)))
                for name in data_rights._sorted_sections()}


# --- every table is classified -------------------------------------------------------------


def test_every_table_pointing_at_a_person_is_classified(app):
    classified = ({(t, c) for t, c in data_rights.OWNED_BY.items()} | data_rights.NOT_THEIR_DATA
                  | data_rights.KEPT)
    with app.app_context():
        tables = db.metadata.tables
        pointing = {(t.name, c.name) for t in tables.values() for c in t.columns
                    for fk in c.foreign_keys if fk.column.table.name == "users"}
        missing = pointing - classified
        assert not missing, (f"tables that point at a person but are not in wham/accounts/"
                             f"data_rights.py (export and erasure): {sorted(missing)}")
        assert not classified - pointing, "stale entries in data_rights"
        # Rows that belong to a person's rows are classified too.
        owned = set(data_rights.OWNED_BY) | set(data_rights.PART_OF)
        children = {t.name for t in tables.values() for c in t.columns
                    for fk in c.foreign_keys if fk.column.table.name in owned}
        assert children <= owned, f"rows under a person's rows, unclassified: {children - owned}"


def test_the_test_person_has_rows_in_every_section(app, people):
    empty = [name for name, n in _counts(app, people["person"].id).items() if n == 0]
    assert not empty, f"_fill_every_section leaves these empty: {empty}"


# --- download ----------------------------------------------------------------------------------


def _download(client):
    response = post_form(client, "/profile/data/download")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=wham-my-data-")
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_download_holds_everything_about_me_and_nothing_else(app, client, people):
    person = people["person"]
    login(client, person)
    archive = _download(client)
    data = json.loads(archive.read("my-data.json"))
    assert data["profile"]["email"] == "kim@example.org"
    exported = {name: len(rows) for name, rows in data["sections"].items()}
    expected = {k: v for k, v in _counts(app, person.id).items()
                if k not in data_rights.NEVER_EXPORTED_TABLES}
    assert exported == expected
    blob = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert SECRET_WORDS in blob
    # Nobody else's information, and no secrets.
    assert "Someone else" not in blob and "+12025550178" not in blob
    with app.app_context():
        user = db.session.get(User, person.id)
        assert user.password_hash not in blob and user.session_token not in blob
    for column in data_rights.NEVER_EXPORTED_COLUMNS:
        assert f'"{column}"' not in blob, column
    # The same records as spreadsheets, one per kind.
    for name, count in exported.items():
        rows = list(csv.DictReader(io.StringIO(archive.read(f"csv/{name}.csv").decode())))
        assert len(rows) == count, name
    assert "csv/profile.csv" in archive.namelist()
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "account.data_exported")).one()
        assert (event.actor_id, event.subject_id) == (person.id, person.id)
        assert event.details["rows"]["check_ins"] == 1
        assert SECRET_WORDS not in json.dumps(event.details)


def test_the_spreadsheets_cannot_run_what_i_typed_as_formulas(app, client):
    sly = make_participant(app, display_name="=HYPERLINK(\"http://evil.example\",\"x\")")
    make_goal(app, sly, what="+Walk -daily")
    login(client, sly)
    archive = _download(client)
    profile = next(csv.DictReader(io.StringIO(archive.read("csv/profile.csv").decode())))
    assert profile["display_name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    goal = next(csv.DictReader(io.StringIO(archive.read("csv/goals.csv").decode())))
    assert goal["what"] == "'+Walk -daily"
    assert goal["id"].isdigit()  # numbers stay numbers
    # The JSON holds the words exactly as typed.
    assert json.loads(archive.read("my-data.json"))["profile"]["display_name"].startswith("=")


def test_only_participants_have_the_data_page(app, client, people):
    for who in ("peer", "admin"):
        c = app.test_client()
        login(c, people[who])
        assert c.get("/profile/data").status_code == 404
        assert post_form(c, "/profile/data/download").status_code == 404
        assert post_form(c, "/profile/delete", {"password": PASSWORD, "understood": "y"}).status_code == 404


def test_the_profile_page_links_the_data_page(app, client, people):
    login(client, people["person"])
    assert "/profile/data" in client.get("/profile").get_data(as_text=True)
    page = client.get("/profile/data").get_data(as_text=True)
    assert "Download my information" in page and "Delete my account for good" in page


# --- deletion ------------------------------------------------------------------------------


def _audit_rows(app) -> list[tuple]:
    with app.app_context():
        return [(e.id, e.action, e.actor_id, e.subject_id, json.dumps(e.details, sort_keys=True))
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_delete_needs_the_password_and_the_tick(app, client, people):
    person = people["person"]
    login(client, person)
    before = _counts(app, person.id)
    wrong = post_form(client, "/profile/delete", {"password": "not my password", "understood": "y"})
    assert wrong.status_code == 200
    assert "That is not your password." in wrong.get_data(as_text=True)
    unticked = post_form(client, "/profile/delete", {"password": PASSWORD})
    assert "Tick this box" in unticked.get_data(as_text=True)
    assert _counts(app, person.id) == before
    assert client.get("/profile").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(
            AuditEvent.action == "account.delete_refused")) == 1


def test_delete_erases_everything_and_keeps_an_anonymous_audit_log(app, client, people):
    person, other = people["person"], people["other"]
    login(client, person)
    stolen_cookie = client.get_cookie("session").value
    other_before = _counts(app, other.id)
    audit_before = _audit_rows(app)
    assert any(r[2] == person.id or r[3] == person.id for r in audit_before)

    response = post_form(client, "/profile/delete", {"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    assert "Your account and your information are deleted" in client.get(
        response.headers["Location"]).get_data(as_text=True)

    assert set(_counts(app, person.id).values()) == {0}
    assert _counts(app, other.id) == other_before
    with app.app_context():
        tombstone = db.session.get(User, person.id)
        assert tombstone.display_name == data_rights.DELETED_NAME
        assert tombstone.email == f"deleted-{person.id}@deleted.invalid"
        assert tombstone.password_hash is None and tombstone.mobile_e164 is None
        assert not tombstone.is_enabled and tombstone.peer_specialist_id is None
    # The audit log: every earlier row exactly as it was, plus the deletion, with no content.
    audit_after = _audit_rows(app)
    assert audit_after[:len(audit_before)] == audit_before
    deleted = [r for r in audit_after if r[1] == "account.deleted"]
    assert len(deleted) == 1 and deleted[0][2] == person.id
    for row in audit_after:
        for word in (SECRET_WORDS, "kim@example.org", "Kim Example", "+12025550177"):
            assert word not in row[4], row
    # Signed out everywhere; the email no longer signs in.
    assert client.get("/profile").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen_cookie)
    assert thief.get("/profile").status_code == 302
    response = post_form(app.test_client(), "/login", {"email": "kim@example.org", "password": PASSWORD})
    assert response.status_code == 200


def test_after_deletion_the_family_member_sees_nothing(app, client, people):
    person = people["person"]
    with app.app_context():
        family_id = db.session.scalar(text("SELECT family_user_id FROM consents WHERE participant_id = :p"),
                                      {"p": person.id})
        family = db.session.get(User, family_id)
        db.session.expunge(family)
    family_client = app.test_client()
    login(family_client, family)
    assert family_client.get(f"/shared/{person.id}/crisis-plan").status_code == 200
    login(client, person)
    post_form(client, "/profile/delete", {"password": PASSWORD, "understood": "y"})
    assert family_client.get(f"/shared/{person.id}/crisis-plan").status_code == 404


def test_the_email_can_register_again_after_deletion(app, client, people):
    login(client, people["person"])
    post_form(client, "/profile/delete", {"password": PASSWORD, "understood": "y"})
    fresh = app.test_client()
    response = post_form(fresh, "/register", {
        "display_name": "Kim", "email": "kim@example.org", "password": PASSWORD,
        "confirm": PASSWORD, "time_zone": "America/Denver", "language": "en"})
    assert response.status_code == 302


def test_only_participants_delete_through_the_service(app, people):
    with app.app_context():
        peer = db.session.get(User, people["peer"].id)
        with pytest.raises(data_rights.DataRightsError):
            data_rights.delete_account(peer, utcnow())
        assert peer.role == Role.PEER_SPECIALIST


def test_a_failure_half_way_erases_nothing(app, people, monkeypatch):
    """One transaction: if anything fails, every row is still there."""
    person = people["person"]
    before = _counts(app, person.id)
    real = data_rights._sorted_sections
    names = real()
    # Erased in reverse order: the unknown table fails after every other table was emptied.
    monkeypatch.setattr(data_rights, "_sorted_sections",
                        lambda: [names[0], "no_such_table", *names[1:]])
    with app.app_context():
        me = db.session.get(User, person.id)
        with pytest.raises(KeyError):
            data_rights.delete_account(me, utcnow())
        db.session.rollback()
    monkeypatch.setattr(data_rights, "_sorted_sections", real)
    assert _counts(app, person.id) == before
    with app.app_context():
        assert db.session.get(User, person.id).display_name == "Kim Example"


def test_delete_form_under_hostile_input(app, client):
    person = make_participant(app)
    login(client, person)
    assert_hostile_input_handled(app, client, "/profile/delete", DeleteAccountForm,
                                 {"password": "not my password", "understood": "y"})
    assert client.get("/profile").status_code == 200
