"""The check-in form's own widgets write exactly what WTForms' would, only faster."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.widgets import TextArea

from wham.checkins.forms import CheckInWithBoth


@contextmanager
def _form(app, language: str, data: dict | None = None) -> Iterator[CheckInWithBoth]:
    """The form with every question, in a request in that language; validated if posted."""
    with app.test_request_context(headers={"Accept-Language": language}):
        form = CheckInWithBoth(formdata=MultiDict(data) if data is not None else None,
                               meta={"csrf": False})
        if data is not None:
            form.validate()
        yield form


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("data", [None, {"who5_2": "4", "stress": "10", "support": "now",
                                         "days_done": "9", "phq9_1": "x"}])
def test_answer_buttons_are_wtforms_radio_inputs_inside_their_labels(app, language, data):
    with _form(app, language, data) as form:
        for field in form:
            if field.type != "RadioField":
                continue
            written = str(field(label_class="scale-choice"))
            # WTForms' own buttons: one input per choice, with its label's text.
            expected = [f'<label class="scale-choice">{option()}<span>{option.label.text}'
                        "</span></label>" for option in field]
            assert written.split("\n    ") == expected, field.name
            assert written.count("checked") == (1 if any(o.checked for o in field) else 0)


def test_answer_buttons_mark_the_answer_chosen_on_each_page(app):
    with _form(app, "en", {"who5_1": "5"}) as first:
        assert 'checked id="who5_1-0"' in str(first.who5_1(label_class="worded-choice"))
    with _form(app, "en", {"who5_1": "0"}) as second:  # the same buttons, written before
        buttons = str(second.who5_1(label_class="worded-choice"))
        assert 'checked id="who5_1-5"' in buttons and buttons.count("checked") == 1
    with _form(app, "es", {}) as spanish:
        buttons = str(spanish.who5_1(label_class="worded-choice"))
        assert "<span>Todo el tiempo</span>" in buttons and "checked" not in buttons


@pytest.mark.parametrize("attributes", [
    {},
    {"aria-describedby": "helped-help helped-error", "aria-invalid": "true"},
    {"rows": 3, "readonly": True, "disabled": False, "data-note": '"quoted" & <tagged>'},
])
def test_short_text_box_is_wtforms_textarea(app, attributes):
    typed = 'Walks <b>in the "rain"</b> & tea\r\nand more'
    with _form(app, "en", {"helped": typed, "barriers": ""}) as form:
        for field in (form.helped, form.barriers):
            assert str(field(**attributes)) == str(TextArea()(field, **attributes))
        assert "&lt;b&gt;in the &#34;rain&#34;&lt;/b&gt;" in str(form.helped())
