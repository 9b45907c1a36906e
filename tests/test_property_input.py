"""Property-based input tests (hypothesis) over every form a visitor can open, and over the
signed SMS webhook: whatever is typed (unicode, markup, control characters, very long text,
values outside the choices), the app never fails with a 5xx, never echoes markup unescaped,
and a refused post saves nothing.

The forms are found the way a browser finds them: every GET page in the authorization matrix
is opened as a visitor allowed to see it, in the matrix's world of objects, and each
`<form method="post">` on it is filled from its own fields. A coverage check names every
WTForms form class in the app that no page showed, so a new form cannot slip past.

Examples per form: WHAM_FUZZ_EXAMPLES (default 5). Under CI the examples are derandomized, so a
run is repeatable; locally each run tries new ones."""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree

from flask import Flask, url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from twilio.request_validator import RequestValidator

import wham
from tests.family.factories import make_consent
from tests.hostile import db_snapshot
from tests.sms.factories import make_texter
from tests.test_authorization import MATRIX, OK, build_world
from tests.web import login
from wham.accounts.models import User
from wham.extensions import db
from wham.family.models import Scope
from wham.sms.models import SmsContact
from wham.timeutil import utcnow

EXAMPLES = int(os.environ.get("WHAM_FUZZ_EXAMPLES", "5"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=bool(os.environ.get("CI")),
                suppress_health_check=list(HealthCheck))
# Markup that must never come back as markup: found raw in a page, it was not escaped.
PROBE = '<b data-probe="wham">x</b>'
# Forms whose posting ends the visit being tested, or that need nothing typed.
NOT_FUZZED_ACTIONS = ("/logout",)
# Preferred signed-in visitor for opening a page, the first allowed one wins.
VISITOR_ORDER = ("owner", "peer_specialist", "admin", "family_in_scope", "family_out_of_scope",
                 "family_invited", "other_participant", "other_peer", "family", "anonymous")


# --- reading forms from pages -----------------------------------------------------------------


@dataclass
class HtmlField:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, number, date, time, hidden, ...
    options: list[str] = field(default_factory=list)
    value: str = ""
    maxlength: int | None = None


@dataclass
class HtmlForm:
    action: str
    fields: dict[str, HtmlField] = field(default_factory=dict)

    @property
    def typed_fields(self) -> list[HtmlField]:
        return [f for f in self.fields.values() if f.kind not in ("hidden", "submit", "button")]


class FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self.current: HtmlForm | None = None
        self.select: HtmlField | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self.current = HtmlForm(a.get("action") or self.page_url)
            return
        if self.current is None or not a.get("name"):
            if tag == "option" and self.select is not None:
                self.select.options.append(a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            existing = self.current.fields.get(name)
            if existing and kind in ("radio", "checkbox"):
                existing.options.append(a.get("value", "on"))
                return
            self.current.fields[name] = HtmlField(
                name, kind, [a.get("value", "on")] if kind in ("radio", "checkbox") else [],
                a.get("value", ""), int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None)
        elif tag == "textarea":
            self.current.fields[name] = HtmlField(name, "textarea")
        elif tag == "select":
            self.select = self.current.fields[name] = HtmlField(name, "select")

    def handle_endtag(self, tag):
        if tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None
        elif tag == "select":
            self.select = None


def forms_on(body: str, page_url: str) -> list[HtmlForm]:
    parser = FormParser(page_url)
    parser.feed(body)
    return parser.forms


# --- what to type -------------------------------------------------------------------------


def _texts(maxlength: int | None):
    limit = maxlength or 2000
    return st.one_of(
        st.text(max_size=30),
        st.text(st.characters(codec="utf-8"), max_size=60),
        st.just(PROBE),
        st.text(max_size=10).map(lambda t: f"{t}{PROBE}{t}"),
        st.sampled_from(["", "   ", "\x00", "a\x00b", "\u202egnp.exe", "Zoë 🌱 مرحبا 你好",
                         "' OR 1=1 --", "{{ 7*7 }}", "%s%s%n", "../../etc/passwd", "\r\nSet-Cookie: x=1"]),
        # Very long: just past the limit, and far past it.
        st.builds(lambda ch, extra: ch * (limit + extra), st.sampled_from("x é🌱<"),
                  st.integers(-2, 3)),
        st.builds(lambda ch, n: ch * n, st.sampled_from("xé"), st.integers(5_000, 60_000)),
    )


def _numbers():
    return st.one_of(st.integers(-10, 100).map(str), st.integers(-10**30, 10**30).map(str),
                     st.sampled_from(["", "NaN", "inf", "-0", "1e309", "3.5", "0x10", "٣"]),
                     st.text(max_size=8))


def _dates():
    return st.one_of(st.dates().map(lambda d: d.isoformat()),
                     st.sampled_from(["2026-02-30", "99999-01-01", "0000-00-00", "", "today"]),
                     st.text(max_size=12))


def _times():
    return st.one_of(st.times().map(lambda t: t.strftime("%H:%M")),
                     st.sampled_from(["25:61", "24:00", "", "noon"]), st.text(max_size=8))


def strategy_for(f: HtmlField):
    if f.kind in ("select", "radio"):
        return st.one_of(st.sampled_from(f.options or [""]), _texts(40))
    if f.kind == "checkbox":
        values = f.options or ["on"]
        return st.one_of(st.none(), st.lists(st.sampled_from(values), max_size=len(values) + 1),
                         st.just([PROBE]))
    if f.kind in ("number", "range"):
        return _numbers()
    if f.kind == "date":
        return _dates()
    if f.kind == "time":
        return _times()
    return _texts(f.maxlength)


def form_data(form: HtmlForm):
    """A strategy of whole submissions: every typed field drawn, hidden fields as rendered."""
    hidden = {f.name: st.just(f.value) for f in form.fields.values() if f.kind == "hidden"}
    typed = {f.name: strategy_for(f) for f in form.typed_fields}
    return st.fixed_dictionaries(hidden | typed)


def _as_post(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


# --- the pages and forms of the world ---------------------------------------------------


def _visitors_for(endpoint: str) -> list[str]:
    """Who opens the page: anonymous when allowed (sign-up forms show only to them), and the
    first allowed signed-in visitor."""
    allowed = MATRIX.get((endpoint, "GET"), {})
    signed_in = next((v for v in VISITOR_ORDER[:-1] if allowed.get(v) == OK), None)
    return [v for v in ("anonymous", signed_in) if v and allowed.get(v) == OK]


def _signed_in(app: Flask, world, visitor: str):
    client = app.test_client()
    if visitor != "anonymous":
        user = world.users[visitor]
        with app.app_context():
            # An example may have set a new password through the reset form, or an admin form
            # turned sign-in off: the visitor gets their key back, as the world had it.
            db.session.execute(update(User).where(User.id == user.id).values(
                password_hash=user.password_hash, is_enabled=True))
            db.session.commit()
        login(client, user)
    return client


def _assert_safe(response, label: str) -> None:
    assert response.status_code < 500, f"{label}: server error {response.status_code}"
    assert PROBE not in response.get_data(as_text=True), f"{label}: markup echoed unescaped"


def _fuzz_form(app: Flask, world, visitor: str, page_url: str, form: HtmlForm) -> int:
    """Hypothesis examples posted to one form; returns how many were really posted."""
    tried = 0
    client = None if visitor == "anonymous" else _signed_in(app, world, visitor)

    @FUZZ
    @given(data=form_data(form))
    def submit(data):
        nonlocal tried, client
        if visitor == "anonymous" or client.get("/profile").status_code != 200:
            # A fresh visit: sign-up forms sign in, and some forms sign the visitor out.
            client = _signed_in(app, world, visitor)
        page = client.get(page_url)
        fresh = next((f for f in forms_on(page.get_data(as_text=True), page_url)
                      if f.action == form.action), None)
        if fresh is None:  # an earlier example changed the world (e.g. set the goal aside)
            return
        token = fresh.fields.get("csrf_token")
        before = db_snapshot(app)
        payload = _as_post(data) | ({"csrf_token": token.value} if token else {})
        response = client.post(form.action, data=payload)
        tried += 1
        label = f"{visitor} POST {form.action} {sorted(payload)}"
        _assert_safe(response, label)
        body = response.get_data(as_text=True)
        if (response.status_code == 200 and 'class="error"' in body) or response.status_code >= 400:
            # Refused (the form again, with messages) or rejected: nothing may be half-saved.
            after = db_snapshot(app)
            changed = sorted(t for t in before if before[t] != after.get(t))
            assert not changed, f"{label}: refused but changed {changed}"
        elif response.status_code in (301, 302, 303):
            target = response.headers["Location"]
            if not urlsplit(target).netloc:
                _assert_safe(client.get(target), f"{label} -> {target}")

    submit()
    return tried


# Staff forms change the world most (moving members, turning sign-in off): their pages last.
_RANK = {v: i for i, v in enumerate(("anonymous", "owner", "family_in_scope", "family_out_of_scope",
                                       "family_invited", "family", "other_participant",
                                       "peer_specialist", "other_peer", "admin"))}


def _pages(app: Flask, world) -> list[tuple[str, str, str]]:
    """(endpoint, visitor, url) for every GET page of the matrix, as each visitor who opens
    it, plus pages that show a form only in a state the matrix's world does not have."""
    pages = []
    for (endpoint, method) in sorted(MATRIX):
        if method != "GET" or endpoint in ("static", "health.healthz"):
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            url = url_for(endpoint, **{k: world.url_values[k] for k in rule.arguments})
        pages += [(endpoint, visitor, url) for visitor in _visitors_for(endpoint)]
    owner = world.users["owner"]
    unsigned = make_consent(app, owner, None, [Scope.SUPPORT_PLAN], sign=False)
    with app.test_request_context():
        pages.append(("family.consent", "owner", url_for("family.consent", consent_id=unsigned.id)))
    return sorted(pages, key=lambda page: _RANK.get(page[1], len(_RANK)))


def _give_owner_a_confirmed_number(app: Flask, world) -> None:
    owner = world.users["owner"]
    with app.app_context():
        db.session.execute(update(User).where(User.id == owner.id).values(mobile_e164="+12025550142"))
        db.session.add(SmsContact(user_id=owner.id, e164="+12025550142", language="en",
                                  verified_at=utcnow(), updated_at=utcnow()))
        db.session.commit()


# Forms that change what other forms can do (a goal set aside has no plan form, a member
# moved is no longer in the group): fuzzed after all the others.
DISRUPTIVE = ("/status", "/move-member", "/move", "/cancel", "/revoke", "/leave", "/enabled",
              "/role")


def test_every_form_survives_hypothesis(app: Flask, monkeypatch):
    world = build_world(app)
    _give_owner_a_confirmed_number(app, world)
    # The optional measures on, so the check-in form shows all its questions.
    monkeypatch.setitem(app.config, "CHECKIN_PHQ9_ENABLED", True)
    monkeypatch.setitem(app.config, "CHECKIN_GAD7_ENABLED", True)
    # First every form as the untouched world shows it, then the fuzzing.
    found: dict[str, tuple[str, str, HtmlForm]] = {}
    clients: dict[str, object] = {}
    for _endpoint, visitor, page_url in _pages(app, world):
        client = clients.get(visitor) or clients.setdefault(visitor, _signed_in(app, world, visitor))
        page = client.get(page_url)
        if page.status_code != 200:
            continue
        for form in forms_on(page.get_data(as_text=True), page_url):
            key = form.action.split("?")[0]
            if key not in found and not key.endswith(NOT_FUZZED_ACTIONS) and form.typed_fields:
                found[key] = (visitor, page_url, form)
    order = sorted(found, key=lambda key: key.endswith(DISRUPTIVE))
    tries = {key: _fuzz_form(app, world, *found[key]) for key in order}
    assert len(tries) >= 20, sorted(tries)
    untried = [key for key in order if not tries[key] and not key.endswith(DISRUPTIVE)]
    assert not untried, f"forms no example reached: {untried}"
    field_sets = [set(form.fields) for _, _, form in found.values()]
    uncovered = [name for name, fields in _form_classes().items()
                 if not any(_shows(fields, seen) for seen in field_sets)]
    assert not uncovered, (
        f"forms no page showed for fuzzing: {uncovered}; give the world in "
        "tests/test_authorization.py what these pages need, or fuzz them in their own test")


def _form_classes() -> dict[str, set[str]]:
    """Every FlaskForm subclass in the app, with its POSTed field names (CSRF-less GET search
    forms are covered by their own tests)."""
    for module in pkgutil.walk_packages(wham.__path__, "wham."):
        importlib.import_module(module.name)
    found = {}
    stack = list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("wham.") or inspect.isabstract(cls):
            continue
        meta = getattr(cls, "Meta", None)
        if meta is not None and getattr(meta, "csrf", True) is False:
            continue
        names = {n for n, v in vars_with_bases(cls).items()
                 if hasattr(v, "field_class") and v.field_class.__name__ not in ("SubmitField",)}
        names -= CONDITIONAL_FIELDS
        if names:
            found[f"{cls.__module__}.{cls.__name__}"] = names
    return found


# Fields a route removes or adds by configuration (invite codes only when self-registration
# is off) or by role (alerts about group members are for peer specialists), so a page may
# rightly not show them.
CONDITIONAL_FIELDS = {"invite_code", "flag_alert"}


def _shows(class_fields: set[str], page_fields: set[str]) -> bool:
    """Whether a page's form is this form class: each of its fields is there (a list of
    sub-forms shows as name-0-part, name-1-part...)."""
    return all(name in page_fields or any(p.startswith(f"{name}-") for p in page_fields)
               for name in class_fields)


def vars_with_bases(cls) -> dict:
    merged: dict = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass))
    return merged


# --- the SMS webhook ------------------------------------------------------------------------

TOKEN = "test-auth-token"  # noqa: S105 - TestingConfig's, signs the requests
KEYWORDS = ["STOP", "start", "HELP", "yes", "0", "3", "7", "8", "10", "-1", "five", "5 days",
            "stop please", "I want to die", "ayuda", "PARAR"]


def _signed(client, path: str, form: dict):
    signature = RequestValidator(TOKEN).compute_signature(f"http://localhost{path}", form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_the_sms_webhook_survives_hypothesis(app: Flask):
    texter = make_texter(app)
    numbers = st.one_of(st.just(texter.mobile_e164), st.just("+12025550999"),
                        st.text(max_size=25), st.just(""))
    bodies = st.one_of(st.sampled_from(KEYWORDS), _texts(1600),
                       st.builds(lambda w, t: f"{w} {t}", st.sampled_from(KEYWORDS), st.text(max_size=20)))
    client = app.test_client()
    tried = unread = 0

    @settings(FUZZ, max_examples=EXAMPLES * 8)
    @example(sender=texter.mobile_e164, body="what is this", extra={})
    @given(sender=numbers, body=bodies, extra=st.dictionaries(
        st.sampled_from(["MessageSid", "To", "NumMedia", "MediaUrl0", "MediaContentType0"]),
        st.text(max_size=40), max_size=3))
    def text_in(sender, body, extra):
        nonlocal tried, unread
        form = {"From": sender, "Body": body, "To": "+15005550006"} | extra
        with app.app_context():  # each text as from someone who still gets texts
            db.session.execute(update(SmsContact).values(opted_out_at=None))
            db.session.commit()
        before = db_snapshot(app)
        response = _signed(client, "/sms/inbound", form)
        tried += 1
        label = f"inbound From={sender!r} Body={body[:40]!r}"
        assert response.status_code == 200, f"{label}: {response.status_code}"
        text = response.get_data(as_text=True)
        assert PROBE not in text, label
        reply = ElementTree.fromstring(text)  # noqa: S314 - our own reply: well-formed TwiML
        assert reply.tag == "Response", label
        said = "".join(reply.itertext())
        if "could not read that" in said or "no entendimos" in said:
            unread += 1
            after = db_snapshot(app)
            changed = sorted(t for t in before if before[t] != after.get(t))
            assert not changed, f"{label}: an unknown reply changed {changed}"

    text_in()
    assert tried >= EXAMPLES * 4
    assert unread, "no text was unreadable: the nothing-saved check never ran"

    # Unsigned or wrongly signed requests never get in, whatever they carry.
    @settings(FUZZ, max_examples=EXAMPLES * 2)
    @given(body=bodies, signature=st.text(st.characters(exclude_categories=("Cc", "Cs")),
                                          max_size=40))
    def forged(body, signature):
        before = db_snapshot(app)
        response = client.post("/sms/inbound", data={"From": texter.mobile_e164, "Body": body},
                               headers={"X-Twilio-Signature": signature})
        assert response.status_code == 403
        assert db_snapshot(app) == before

    forged()


def test_the_status_callback_survives_hypothesis(app: Flask):
    client = app.test_client()

    @settings(FUZZ, max_examples=EXAMPLES * 3)
    @given(sid=st.one_of(st.text(max_size=70), st.just("SM" + "0" * 32)),
           status=st.one_of(st.sampled_from(["sent", "delivered", "failed", "undelivered", "queued"]),
                            st.text(max_size=25)),
           code=st.one_of(st.just(""), st.sampled_from(["21610", "21211", "30003"]),
                          st.text(max_size=40)))
    def callback(sid, status, code):
        response = _signed(client, "/sms/status", {"MessageSid": sid, "MessageStatus": status,
                                                   "ErrorCode": code})
        assert response.status_code == 200
        ElementTree.fromstring(response.get_data(as_text=True))  # noqa: S314 - our own reply

    callback()


def test_the_parser_reads_fields_options_and_hidden_values():
    body = """<form method="post" action="/x"><input type="hidden" name="csrf_token" value="T">
      <input name="a" maxlength="5"><textarea name="b"></textarea>
      <select name="c"><option value="1">one</option><option value="2">two</option></select>
      <input type="radio" name="d" value="y"><input type="radio" name="d" value="n">
      <input type="checkbox" name="e" value="1"></form><form method="get"><input name="q"></form>"""
    (form,) = forms_on(body, "/page")
    assert form.action == "/x"
    assert form.fields["csrf_token"].value == "T"
    assert form.fields["a"].maxlength == 5
    assert form.fields["c"].options == ["1", "2"]
    assert form.fields["d"].options == ["y", "n"]
    assert [f.name for f in form.typed_fields] == ["a", "b", "c", "d", "e"]
