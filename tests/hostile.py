"""Hostile input for any WTForms form: every field gets over-long text, blanks, control and
direction characters, markup, bad numbers and impossible dates. For each, the app must not
fail (no 5xx), must escape markup, and must either refuse it (form shown again with a message
next to the field, what was typed kept, nothing saved) or accept it harmlessly."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from wtforms import validators as v

from tests.web import csrf_token
from wham.extensions import db

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# Tables that legitimately change on a refused post (audit of the attempt, login back-off).
VOLATILE_TABLES = {"audit_events", "login_throttles"}


@dataclass(frozen=True)
class Case:
    value: str
    why: str
    must_refuse: bool


def _validators(field) -> list:
    return list(field.validators or [])


def _max_length(field) -> int | None:
    lengths = [x.max for x in _validators(field) if isinstance(x, v.Length) and x.max not in (None, -1)]
    return min(lengths) if lengths else None


def _required(field) -> bool:
    return any(isinstance(x, v.DataRequired | v.InputRequired) for x in _validators(field))


def _number_range(field) -> tuple[Any, Any] | None:
    for x in _validators(field):
        if isinstance(x, v.NumberRange):
            return x.min, x.max
    return None


def cases_for(field) -> list[Case]:
    """The hostile values worth trying on one form field, by its kind."""
    kind = field.type
    required = _required(field)
    cases = [
        Case("", "empty", required),
        Case("   \t  ", "only spaces", required),
    ]
    if kind in ("BooleanField", "CSRFTokenField", "HiddenField", "SubmitField"):
        return []
    if kind in ("StringField", "TextAreaField", "EmailField", "PasswordField", "SearchField",
                "TelField", "URLField"):
        limit = _max_length(field) or 10_000
        cases += [
            Case("x" * (limit + 1), f"longer than {limit}", True),
            Case("ab\x00cd", "NUL character", True),
            Case("ab\x07\x1bcd", "control characters", True),
            Case("\u202egnp.exe", "right-to-left override", True),
            Case(MARKUP, "markup", False),
            Case("Zoë 🌱 مرحبا 你好", "unicode text", False),
        ]
    elif kind in ("IntegerField", "DecimalField", "FloatField", "IntegerRangeField",
                  "DecimalRangeField"):
        cases += [Case("abc", "not a number", True), Case("1e309", "huge exponent", True),
                  Case("99999999999999999999999", "enormous number", True),
                  Case("NaN", "not a number (NaN)", True)]
        bounds = _number_range(field)
        if bounds and bounds[0] is not None:
            cases.append(Case(str(bounds[0] - 1), "below the range", True))
        if bounds and bounds[1] is not None:
            cases.append(Case(str(bounds[1] + 1), "above the range", True))
    elif kind in ("DateField", "DateTimeField", "DateTimeLocalField"):
        cases += [Case("2026-02-30", "impossible date", True), Case("not a date", "not a date", True),
                  Case("99999-01-01", "year too large", True)]
    elif kind in ("TimeField",):
        cases += [Case("25:61", "impossible time", True), Case("noon", "not a time", True)]
    elif kind in ("SelectField", "RadioField", "SelectMultipleField"):
        cases += [Case("not-a-choice", "not one of the choices", True), Case(MARKUP, "markup", True)]
    return cases


def db_snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table except the volatile ones, for 'nothing was saved' checks."""
    with app.app_context():
        snapshot = {}
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            rows = db.session.execute(select(table)).all()
            snapshot[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        db.session.remove()
    return snapshot


def assert_hostile_input_handled(
    app: Flask,
    client: FlaskClient,
    url: str,
    form_class: type,
    valid_data: dict[str, str],
    *,
    skip_fields: tuple[str, ...] = (),
    before_each: Callable[[], None] | None = None,
) -> int:
    """Post each hostile value, one field at a time, the other fields valid. Returns how many
    posts were tried, so a caller can see the form was really exercised."""
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
    tried = 0
    for field in form:
        if field.name in skip_fields or field.name == "csrf_token":
            continue
        for case in cases_for(field):
            if before_each:
                before_each()
            before = db_snapshot(app)
            data = dict(valid_data) | {field.name: case.value, "csrf_token": csrf_token(client)}
            response = client.post(url, data=data)
            tried += 1
            label = f"{url} {field.name}={case.why!r}"
            body = response.get_data(as_text=True)
            assert response.status_code < 500, f"{label}: server error {response.status_code}"
            assert MARKUP not in body, f"{label}: markup echoed unescaped"
            if case.must_refuse:
                assert response.status_code == 200, f"{label}: not refused ({response.status_code})"
                assert f'id="{field.id}-error"' in body, f"{label}: no message next to the field"
                assert db_snapshot(app) == before, f"{label}: something was saved"
                if _value_is_echoable(field, case):
                    assert str(escape(case.value)) in body, f"{label}: what was typed was lost"
            elif response.status_code in (301, 302, 303):
                followed = client.get(response.headers["Location"])
                assert followed.status_code < 500, f"{label}: page after saving failed"
                assert MARKUP not in followed.get_data(as_text=True), f"{label}: markup unescaped"
    assert tried, f"{url}: no field was tried"
    return tried


def _value_is_echoable(field, case: Case) -> bool:
    """Whether the form should show back what was typed (not passwords, selects or blanks)."""
    if field.type in ("PasswordField", "SelectField", "RadioField", "SelectMultipleField"):
        return False
    return bool(case.value.strip()) and not any(ord(ch) < 32 for ch in case.value)
