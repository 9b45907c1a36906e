"""The audit log stays as written (the app refuses to change or delete an event; on PostgreSQL
the database refuses too), and admins filter it and download it as CSV, which is recorded."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.factories import make_admin, make_participant, make_peer_specialist
from tests.web import login
from wham import audit
from wham.accounts.models import User
from wham.audit import AuditEvent, AuditLogIsAppendOnly
from wham.extensions import db

ROOT = Path(__file__).resolve().parent.parent.parent


def _record(app, action, *, actor=None, subject=None, when, **details) -> int:
    with app.app_context():
        event = audit.record(action, actor=actor and db.session.get(User, actor.id),
                             subject=subject and db.session.get(User, subject.id), now=when,
                             **details)
        db.session.commit()
        return event.id


def _all_events(app) -> list[tuple]:
    with app.app_context():
        return [(e.id, e.action, e.actor_id, e.subject_id, e.details)
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- append-only ----------------------------------------------------------------------------


def test_the_app_refuses_to_change_or_delete_an_event(app):
    event_id = _record(app, "test.event", when=datetime(2026, 3, 1, tzinfo=UTC), n=1)
    before = _all_events(app)
    with app.app_context():
        event = db.session.get(AuditEvent, event_id)
        event.action = "test.rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event_id))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        for statement in (update(AuditEvent).values(action="test.bulk"), delete(AuditEvent)):
            with pytest.raises(AuditLogIsAppendOnly):
                db.session.execute(statement)
            db.session.rollback()
    assert _all_events(app) == before


def test_no_code_in_the_app_updates_or_deletes_audit_rows():
    """A reader's check on top of the guards: no statement aimed at the audit table."""
    offenders = []
    for path in (ROOT / "wham").rglob("*.py"):
        source = path.read_text()
        for needle in ("update(AuditEvent", "delete(AuditEvent", "UPDATE audit_events",
                       "DELETE FROM audit_events"):
            if needle in source:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


def test_postgresql_refuses_update_and_delete_of_audit_rows(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's; SQLite is the single-user database")
    _record(app, "test.event", when=datetime(2026, 3, 1, tzinfo=UTC), n=1)
    before = _all_events(app)
    with app.app_context():
        for sql in ("UPDATE audit_events SET action = 'test.rewritten'",
                    "UPDATE audit_events SET details = '{}'",
                    "DELETE FROM audit_events"):
            with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(sql))
        # New rows still go in.
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_events (occurred_at, action, details) "
                              "VALUES (now(), 'test.more', '{}')"))
    assert len(_all_events(app)) == len(before) + 1


# --- filtering and export ---------------------------------------------------------------------


@pytest.fixture
def log(app):
    admin = make_admin(app, display_name="Pat Admin", time_zone="America/Chicago")
    kim = make_participant(app, display_name="Kim Lee", email="kim@example.org")
    peer = make_peer_specialist(app, display_name="Robin Peer")
    march = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    _record(app, "auth.login", actor=kim, subject=kim, when=march)
    _record(app, "groups.member_viewed", actor=peer, subject=kim, when=march + timedelta(days=1))
    _record(app, "auth.login", actor=peer, subject=peer, when=march + timedelta(days=2))
    # 02:30 UTC on the 15th is still the 14th in Chicago.
    _record(app, "auth.login", actor=admin, subject=admin, when=datetime(2026, 3, 15, 2, 30, tzinfo=UTC),
            note="=HYPERLINK(\"http://evil.example\")")
    return {"admin": admin, "kim": kim, "peer": peer}


def _actions_on_page(client, **args) -> list[tuple[str, str]]:
    body = client.get("/admin/audit", query_string=args).get_data(as_text=True)
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", rows)


def test_filter_by_person_matches_actor_or_subject(app, client, log):
    login(client, log["admin"])
    seen = _actions_on_page(client, person="kim")
    # In words; a code the app does not know is shown as it was recorded.
    assert sorted(seen) == [("Kim Lee", "Signed in"), ("Robin Peer", "groups.member_viewed")]
    assert len(_actions_on_page(client, person="KIM@EXAMPLE")) == 2
    assert _actions_on_page(client, person="%") == []  # wildcards are literal


def test_filter_by_action_and_dates_in_the_admins_time_zone(app, client, log):
    login(client, log["admin"])
    logins = _actions_on_page(client, action="auth.login", since="2026-03-01", until="2026-03-14")
    assert [who for who, _ in logins] == ["Pat Admin", "Robin Peer", "Kim Lee"]
    assert _actions_on_page(client, action="auth.login", since="2026-03-15") == [
        ("Pat Admin", "Signed in")]  # the sign-in for this test itself
    assert _actions_on_page(client, since="2026-03-11", until="2026-03-11") == [
        ("Robin Peer", "groups.member_viewed")]


@pytest.mark.parametrize("args", [{"since": "2026-02-30"}, {"since": "99999-01-01"},
                                  {"until": "0001-01-01"}, {"since": "2026-03-12", "until": "2026-03-01"},
                                  {"action": "<script>alert(1)</script>"}, {"person": "a\x00b"},
                                  {"person": "x" * 500}])
def test_bad_filters_show_a_message_and_the_whole_log(app, client, log, args):
    login(client, log["admin"])
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<p class="error"' in body
    assert "<script>alert(1)</script>" not in body
    assert client.get("/admin/audit/export.csv", query_string=args).status_code == 400


def test_export_is_csv_of_the_filtered_entries_and_is_recorded(app, client, log):
    login(client, log["admin"])
    response = client.get("/admin/audit/export.csv", query_string={"person": "kim"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=wham-audit-")
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # The codes stay as recorded, for programs; the words come last, for people.
    assert [(r["actor"], r["action"], r["subject"], r["action_label"]) for r in rows] == [
        ("Kim Lee", "auth.login", "Kim Lee", "Signed in"),
        ("Robin Peer", "groups.member_viewed", "Kim Lee", "groups.member_viewed")]
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.audit_exported")).one()
        assert exported.actor_id == log["admin"].id
        assert exported.details == {"rows": 2, "filters": {"person": True,
                                                           "time_zone": "America/Chicago"}}
    # The export shows up in the log itself.
    assert ("Pat Admin", "Downloaded the audit log") in _actions_on_page(client)


def test_export_cells_cannot_run_as_spreadsheet_formulas(app, client, log):
    sly = make_participant(app, display_name="=HYPERLINK(\"http://evil.example\",\"x\")")
    _record(app, "auth.login", actor=sly, subject=sly, when=datetime(2026, 3, 12, tzinfo=UTC))
    login(client, log["admin"])
    body = client.get("/admin/audit/export.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) >= 5
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert any(row["actor"] == "'=HYPERLINK(\"http://evil.example\",\"x\")" for row in rows)


def test_only_admins_export(app, client, log):
    login(client, log["peer"])
    assert client.get("/admin/audit/export.csv").status_code == 404
    with app.app_context():
        assert not db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.audit_exported")).all()


# --- each action in words ---------------------------------------------------------------------


def _recorded_actions() -> set[str]:
    """Every action code the app passes to audit.record / record_for_each, read from the source:
    a literal, either side of `a if x else b`, or a parameter of the calling function, followed
    to the literals its callers pass."""
    import ast

    def literals(node) -> set[str] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            body, orelse = literals(node.body), literals(node.orelse)
            return None if body is None or orelse is None else body | orelse
        return None

    found, unresolved = set(), []
    for path in (ROOT / "wham").rglob("*.py"):
        tree = ast.parse(path.read_text())
        functions = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        parents = {child: f for f in functions.values() for child in ast.walk(f)}
        calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call)]
        for call in calls:
            name = getattr(call.func, "attr", getattr(call.func, "id", None))
            if name not in ("record", "record_for_each") or not call.args:
                continue
            codes = literals(call.args[0])
            if codes is None and isinstance(call.args[0], ast.Name) and call in parents:
                function = parents[call]
                params = [a.arg for a in function.args.args]
                position = params.index(call.args[0].id)
                passed = [c.args[position] for c in calls
                          if getattr(c.func, "id", None) == function.name and len(c.args) > position]
                codes = set().union(*(literals(arg) or {None} for arg in passed)) if passed else None
            if codes is None or None in codes:
                unresolved.append(f"{path.relative_to(ROOT)}:{call.lineno}")
            else:
                found |= codes
    assert not unresolved, f"action codes this test cannot read: {unresolved}"
    return found


def test_every_action_the_app_records_has_words():
    recorded = _recorded_actions()
    assert {"auth.login", "admin.account_disabled", "group.session_restored",
            "consent.link_renewed", "group.dashboard_viewed"} <= recorded  # the finder finds
    assert sorted(recorded - set(audit.ACTION_LABELS)) == []
    assert sorted(set(audit.ACTION_LABELS) - recorded) == []  # no words for codes no longer used


def test_the_log_is_in_the_admins_language(app, client, log):
    with app.app_context():
        db.session.get(User, log["admin"].id).language = "es"
        db.session.commit()
    login(client, log["admin"])
    assert ("Kim Lee", "Inició sesión") in _actions_on_page(client)
    body = client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="auth.login">Inició sesión</option>' in body  # the filter too
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/audit/export.csv").get_data(as_text=True))))
    assert {(r["action"], r["action_label"]) for r in rows} >= {("auth.login", "Inició sesión")}
