"""Spanish and English: the catalog matches the code and is fully translated, the language comes
from the profile (or the browser before sign-in), and dates and form messages follow it."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from tests.catalogs import ROOT, extract_texts, po_files, read_catalog
from tests.factories import make_participant
from tests.web import login, post_form
from wham.forms import WhamForm, plain_messages
from wham.validators import select_choices

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
LANGUAGES = sorted(po_files())
FIX = ("Run `make translations`, then translate the new entries in "
       "wham/translations/{lang}/LC_MESSAGES/messages.po.")


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return extract_texts()


def _ids(catalog: Catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


def test_there_is_a_spanish_catalog():
    assert "es" in LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_in_code_and_templates_is_in_the_catalog(extracted, lang):
    missing = _ids(extracted) - _ids(read_catalog(po_files()[lang]))
    assert not missing, f"{len(missing)} texts are not in the {lang} catalog: {sorted(missing)[:10]}. " + \
        FIX.format(lang=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalog_has_no_texts_the_code_no_longer_uses(extracted, lang):
    stale = _ids(read_catalog(po_files()[lang])) - _ids(extracted)
    assert not stale, f"the {lang} catalog has texts no longer used: {sorted(stale)[:10]}. " + \
        FIX.format(lang=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_entry_is_translated_and_reviewed(lang):
    catalog = read_catalog(po_files()[lang])
    untranslated = [m.id for m in catalog if m.id and not _translated(m)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated in {lang}: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} entries marked fuzzy (check them, then remove the flag): {fuzzy[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder(lang):
    catalog = read_catalog(po_files()[lang])
    assert not list(catalog.check()), "pybabel's own checks (python-format, plural forms) fail"
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != expected:
                wrong.append((ids[0], string))
    assert not wrong, f"placeholders differ from the English: {wrong[:5]}"


def test_every_sms_text_exists_in_each_language_with_the_same_blanks():
    sms = ROOT / "templates" / "sms"
    blanks = re.compile(r"\{\{\s*(\w+)")
    for english in sorted(sms.glob("*.en.txt")):
        name = english.name.removesuffix(".en.txt")
        for lang in LANGUAGES:
            other = sms / f"{name}.{lang}.txt"
            assert other.exists(), f"{other.relative_to(ROOT)} is missing"
            assert set(blanks.findall(other.read_text())) == set(blanks.findall(english.read_text())), name


# --- the language of each request ----------------------------------------------------------------

def _text(response) -> str:
    return response.get_data(as_text=True)


def test_before_sign_in_the_browser_language_is_used(client):
    spanish = client.get("/login", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    assert 'lang="es"' in _text(spanish)
    assert "Entrar" in _text(spanish) and "Contraseña" in _text(spanish)
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in _text(english) and "Password" in _text(english)
    other = client.get("/login", headers={"Accept-Language": "de-DE"})
    assert 'lang="en"' in _text(other)


def test_after_sign_in_the_profile_language_wins_over_the_browser(app, client):
    person = make_participant(app, language="es", display_name="Rosa")
    login(client, person)
    page = client.get("/profile", headers={"Accept-Language": "en-US"})
    assert 'lang="es"' in _text(page) and "Guardar mi perfil" in _text(page)

    other = app.test_client()
    login(other, make_participant(app, language="en"))
    assert "Save my profile" in _text(other.get("/profile", headers={"Accept-Language": "es"}))


def test_error_pages_are_in_spanish(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    assert "No encontramos esa página" in _text(page)


def test_form_messages_are_in_spanish(app, client):
    person = make_participant(app, language="es")
    login(client, person)
    response = post_form(client, "/profile", {"display_name": "", "time_zone": "America/New_York",
                                              "language": "es", "phone": ""})
    assert "Escriba el nombre que quiere usar." in _text(response)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["Enter a whole number, like 3.", "Please fill this in.", "Use 5 characters or fewer.",
            "Enter 1 or more.", "Choose from the list."]),
    ("es", ["Escriba un número entero, como 3.", "Complete esto, por favor.",
            "Use 5 caracteres o menos.", "Escriba 1 o más.", "Elija de la lista."]),
])
def test_messages_of_wtforms_itself_are_plain_in_each_language(app, lang, expected):
    """Messages that come from WTForms, not from us, in our own plain words."""

    class Form(WhamForm):
        class Meta:
            csrf = False

        days = IntegerField()
        name = StringField(validators=[InputRequired()])
        code = StringField(validators=[Length(max=5)])
        count = IntegerField(validators=[NumberRange(min=1)])
        kind = SelectField(choices=select_choices([("a", "A")]))

    with app.test_request_context(headers={"Accept-Language": lang}):
        form = Form(formdata=MultiDict({"days": "tres", "code": "123456", "count": "0", "kind": "z"}))
        assert not form.validate()
        assert [form[name].errors[0] for name in ("days", "name", "code", "count", "kind")] == expected


def test_other_wtforms_messages_come_from_wtforms_in_the_language(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert plain_messages.gettext("Invalid UUID.") == "UUID inválido."


def test_every_form_has_the_plain_messages():
    import importlib
    import pkgutil

    import wham

    for module in pkgutil.walk_packages(wham.__path__, "wham."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    forms, pending = [], FlaskForm.__subclasses__()
    while pending:
        form = pending.pop()
        forms.append(form)
        pending += form.__subclasses__()
    ours = [f for f in forms if f.__module__.startswith("wham.")]
    assert len(ours) > 30
    assert [f.__name__ for f in ours if not issubclass(f, WhamForm)] == []


def test_a_spanish_user_sees_wtforms_messages_in_spanish_next_to_the_field(app, client):
    person = make_participant(app, language="es")
    login(client, person)
    response = post_form(client, "/profile", {"display_name": "Rosa", "time_zone": "America/New_York",
                                              "language": "es", "mobile": "5" * 31})
    assert response.status_code == 200
    body = _text(response)
    assert re.search(r'<p class="error" id="mobile-error">.*Use 30 caracteres o menos\.</p>', body)
    assert 'value="' + "5" * 31 + '"' in body  # what was typed stays
    assert "Por favor, corrija las respuestas marcadas abajo." in body  # the summary above the form

    response = post_form(client, "/goals/new", {"factor": "activity", "what": "Caminar",
                                                "why": "Para sentirme mejor",
                                                "target_date": "mañana"})
    assert response.status_code == 200
    assert re.search(r'<p class="error" id="target_date-error">.*Escriba una fecha como 2026-09-14\.</p>',
                     _text(response))


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["Friday, Jul 3", "Jul 3", "Fri, Jul 3, 6:00 PM"]),
    ("es", ["viernes, 3 de jul", "3 jul", "vie, 3 jul, 18:00"]),
])
def test_dates_and_times_follow_the_language(app, lang, expected):
    from wham.i18n import format_day, format_moment

    with app.test_request_context(headers={"Accept-Language": lang}):
        day = date(2026, 7, 3)
        got = [format_day(day, "weekday_day_month"), format_day(day, "day_month"),
               format_moment(datetime(2026, 7, 3, 18, 0))]
    assert [g.replace("\u202f", " ") for g in got] == expected  # CLDR puts a narrow space before PM


def test_numbers_follow_the_language(app):
    from flask_babel import format_decimal

    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert format_decimal(12345.5) == "12.345,5"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_decimal(12345.5) == "12,345.5"


def test_the_makefile_builds_the_compiled_catalogs_for_run_and_test():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*\$\(CATALOGS\)", makefile, re.MULTILINE)
    assert re.search(r"^test: .*\$\(CATALOGS\)", makefile, re.MULTILINE)
    assert "*.mo" in (ROOT / ".gitignore").read_text().split()
    assert all(Path(po).with_suffix(".mo").exists() for po in po_files().values())


def test_every_role_and_text_message_kind_and_status_has_words(app):
    from wham.accounts.models import Role
    from wham.sms.models import OutboxStatus, SmsKind

    with app.test_request_context(headers={"Accept-Language": "es"}):
        for member in [*Role, *SmsKind, *OutboxStatus]:
            assert str(member.label) and "_" not in str(member.label), member
        assert str(Role.PEER_SPECIALIST.label) == "Especialista de pares"


# --- plain language ----------------------------------------------------------------------------
# Reading level over every text of the catalog (a rough, automatic check; a person still reviews
# the words): Flesch-Kincaid grade for English, Fernández-Huerta reading ease for Spanish
# (70-80 is "fairly easy", about 7th grade). The PHQ-9, GAD-7 and WHO-5 items are published,
# validated wordings and are left out.
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ']+")
_STRONG, _ACCENTED_WEAK = set("aeoáéó"), set("íú")


def _words(text: str) -> list[str]:
    return _WORD.findall(PLACEHOLDER.sub("X", text))


def _sentences(text: str) -> int:
    return max(1, len(re.findall(r"[.!?:]+(?:\s|$)", text.strip())))


def _syllables_en(word: str) -> int:
    word = word.lower().strip("'")
    if len(word) <= 3:
        return 1
    word = re.sub(r"^y", "", re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word))
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def _syllables_es(word: str) -> int:
    count = 0
    for vowels in re.findall(r"[aeiouáéíóúü]+", word.lower()):
        count += 1 + sum(1 for a, b in zip(vowels, vowels[1:], strict=False)
                         if (a in _STRONG and b in _STRONG) or {a, b} & _ACCENTED_WEAK)
    return max(1, count)


def _plain_texts(lang: str) -> tuple[str, str]:
    catalog = read_catalog(po_files()[lang])
    english, translated = [], []
    for message in catalog:
        if not message.id or any(path.endswith("measures.py") for path, _ in message.locations):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english.append(ids[-1])
        translated.append(strings[-1])
    return " ".join(english), " ".join(translated)


def test_english_reads_at_about_6th_to_8th_grade():
    text, _ = _plain_texts("es")
    words = _words(text)
    grade = (0.39 * len(words) / _sentences(text)
             + 11.8 * sum(map(_syllables_en, words)) / len(words) - 15.59)
    assert grade <= 8, f"Flesch-Kincaid grade {grade:.1f}: use shorter sentences and words"


def test_spanish_reads_fairly_easily():
    _, text = _plain_texts("es")
    words = _words(text)
    ease = (206.84 - 0.60 * 100 * sum(map(_syllables_es, words)) / len(words)
            - 1.02 * 100 * _sentences(text) / len(words))
    assert ease >= 70, f"Fernández-Huerta {ease:.0f}: use shorter sentences and words"


def test_the_time_zone_list_is_in_the_persons_language_and_keeps_its_values(app, client):
    person = make_participant(app, language="es", time_zone="Asia/Calcutta")  # an old name
    login(client, person)
    body = _text(client.get("/profile"))
    assert '<optgroup label="Estados Unidos">' in body
    assert '<option value="America/New_York">Hora oriental (Nueva York)</option>' in body
    assert '<option value="Europe/Madrid">Madrid, España</option>' in body
    # Their own zone stays chosen, so saving the profile does not change it.
    assert '<option selected value="Asia/Calcutta">Kolkata, India</option>' in body
    select = body.split('id="time_zone"')[1].split("</select>")[0]
    names = re.findall(r">([^<]+)</option>", select)
    assert len(names) > 400 and not [n for n in names if "_" in n or "/" in n]
    english = app.test_client()
    login(english, make_participant(app, language="en"))
    assert 'value="America/New_York">Eastern Time (New York)</option>' in _text(
        english.get("/profile"))


def test_a_flag_page_in_spanish_has_spanish_times_and_crisis_lines(app, client):
    from tests.factories import make_peer_specialist
    from tests.groups.factories import make_flag, make_group
    from wham.checkins.models import FlagReason

    peer = make_peer_specialist(app, language="es", time_zone="America/Chicago")
    ann = make_participant(app, display_name="Ann")
    group = make_group(app, [peer], [ann])
    # 23:30 UTC on Friday 3 July is 18:30 in Chicago.
    flag_id = make_flag(app, ann, FlagReason.SUPPORT_NOW, created_at=datetime(2026, 7, 3, 23, 30, tzinfo=UTC))
    login(client, peer)
    page = _text(client.get(f"/groups/{group.id}/members/{ann.id}/flags/{flag_id}"))
    assert "Avisado el vie, 3 jul, 18:30" in page
    assert "Llame o mande un texto al" in page and "Call or text" not in page
    assert not re.search(r"\b(AM|PM)\b", page)
