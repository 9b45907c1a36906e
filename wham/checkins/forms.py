"""The weekly check-in form; PHQ-9 and GAD-7 questions are added when the program uses them."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import TextArea

from wham.checkins import measures
from wham.checkins.models import SHORT_TEXT_MAX, Support
from wham.forms import WhamForm
from wham.i18n import translate
from wham.validators import CleanText, select_choices, strip

SUPPORT_CHOICES = (
    (Support.NONE.value, _l("Not right now")),
    (Support.SOON.value, _l("Yes, in the next few days")),
    (Support.NOW.value, _l("Yes, I need support now")),
)
PICK_ONE = _l("Please choose one answer.")


class AnswerButtons:
    """A question's radio buttons, each inside its label: `<label class=..><input ..><span>
    answer</span></label>`, the input as WTForms' RadioInput writes it (id "<field>-<n>", same
    attributes in the same order). WTForms builds a field object per button, and the check-in
    has 60 to 130 of them: instead each question's buttons are written once per language (the
    answers translated as templates' `_` does) and a page only marks the chosen one. A widget
    belongs to one field definition, whose choices do not change."""

    def __init__(self) -> None:
        # (locale, label class, field id, name, required) -> [(value, markup before and after
        # the place of "checked")]
        self._written: dict[tuple, list[tuple[object, str, str]]] = {}

    def __call__(self, field: RadioField, label_class: str = "") -> Markup:
        key = (get_locale(), label_class, field.id, field.name, field.flags.required)
        buttons = self._written.get(key)
        if buttons is None:
            buttons = self._written[key] = self._write(field, label_class)
        data = field.data
        return Markup("\n    ".join(  # noqa: S704 (escaped when written)
            f"{before}checked {after}" if value == data else before + after
            for value, before, after in buttons))

    @staticmethod
    def _write(field: RadioField, label_class: str) -> list[tuple[object, str, str]]:
        before = f'<label class="{escape(label_class)}"><input '
        id_, name = escape(field.id), escape(field.name)
        required = " required" if field.flags.required else ""
        return [(field.coerce(choice.value), before,
                 f'id="{id_}-{n}" name="{name}"{required} type="radio" '
                 f'value="{escape(choice.value)}"><span>'
                 f'{escape(_shown(choice.label) or choice.value)}</span></label>')
                for n, choice in enumerate(field.choices)]


class ShortTextBox(TextArea):
    """WTForms' TextArea, the same markup, its attributes written out directly: WTForms formats
    each one through Markup.format, which costs more than all the rest of the text box."""

    def __call__(self, field: TextAreaField, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        for name in self.validation_attrs:  # as TextArea: maxlength and the like, from validators
            value = getattr(field.flags, name)
            if value is not None and name not in kwargs:
                kwargs[name] = value
        kwargs["name"] = field.name
        attributes = " ".join(key if value is True else f'{key}="{escape(value)}"'
                              for key, value in sorted(kwargs.items()) if value is not False)
        return Markup(  # noqa: S704 (every value in it is escaped)
            f"<textarea {attributes}>\r\n{escape(field._value())}</textarea>")


def _shown(text):
    """A label or help text as it is shown: a lazy text translated (and, as Flask-Babel's lazy
    texts and templates' `_` are, trusted as markup), anything else as it is."""
    return Markup(translate(text)) if isinstance(text, LazyString) else text  # noqa: S704


def _answer_field(label, choices, **options) -> RadioField:
    return RadioField(label, choices=choices, widget=AnswerButtons(),
                      validators=[InputRequired(message=PICK_ONE)], **options)


def _scale(label, low: int, high: int, description=None) -> RadioField:
    return _answer_field(label, select_choices((n, str(n)) for n in range(low, high + 1)),
                         description=description, coerce=int)


def _item(label, answers) -> RadioField:
    return _answer_field(label, select_choices(answers), coerce=int)


def _short_text(label, description) -> TextAreaField:
    return TextAreaField(label, description=description, filters=[strip], widget=ShortTextBox(),
                         validators=[Length(max=SHORT_TEXT_MAX,
                                            message=_l("Use %(n)s characters or fewer.",
                                                       n=SHORT_TEXT_MAX)),
                                     CleanText(multiline=True)])


class CheckInForm(WhamForm):
    days_done = _scale(_l("How many days did you do your plan this week?"), 0, 7)
    stress = _scale(_l("How stressed did you feel this week?"), 0, 10,
                    _l("0 means not at all, 10 means the most stressed you can imagine."))
    helped = _short_text(_l("What helped?"), _l("Optional. A few words are enough."))
    barriers = _short_text(_l("What got in the way?"), _l("Optional. A few words are enough."))
    confidence_next = _scale(_l("How sure are you that you can do next week's plan?"), 0, 10,
                             _l("0 means not at all sure, 10 means completely sure."))
    support = _answer_field(_l("Would you like support from your peer specialist?"),
                            select_choices(SUPPORT_CHOICES), default=Support.NONE.value)

    measure_prefixes: tuple[str, ...] = ("who5",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A question's words are shown once or twice and tested for being there: translated
        # once here, through the request's catalog, rather than by Flask-Babel's lazy strings
        # at every use (their look-up costs more than the rest of a question's markup).
        for f in self:
            f.label.text, f.description = _shown(f.label.text), _shown(f.description)

    def answers_of(self, prefix: str) -> list[int] | None:
        if prefix not in self.measure_prefixes:
            return None
        count = {"who5": 5, "phq9": 9, "gad7": 7}[prefix]
        return [self[f"{prefix}_{n}"].data for n in range(1, count + 1)]

    def measure_fields(self, prefix: str) -> list:
        return [f for f in self if f.name.startswith(prefix + "_")]


def _add_items(cls: type, prefix: str, items, answers) -> None:
    for n, text in enumerate(items, start=1):
        setattr(cls, f"{prefix}_{n}", _item(text, answers))


for _n, _text in enumerate(measures.WHO5_ITEMS, start=1):
    setattr(CheckInForm, f"who5_{_n}", _item(_text, measures.WHO5_ANSWERS))


class CheckInWithPhq9(CheckInForm):
    measure_prefixes = ("who5", "phq9")


class CheckInWithGad7(CheckInForm):
    measure_prefixes = ("who5", "gad7")


class CheckInWithBoth(CheckInForm):
    measure_prefixes = ("who5", "phq9", "gad7")


for _cls in (CheckInWithPhq9, CheckInWithBoth):
    _add_items(_cls, "phq9", measures.PHQ9_ITEMS, measures.PHQ_GAD_ANSWERS)
for _cls in (CheckInWithGad7, CheckInWithBoth):
    _add_items(_cls, "gad7", measures.GAD7_ITEMS, measures.PHQ_GAD_ANSWERS)


def check_in_form_class(phq9: bool, gad7: bool) -> type[CheckInForm]:
    """The form for what the program asks: WHO-5 always, PHQ-9 and GAD-7 when switched on."""
    return {(False, False): CheckInForm, (True, False): CheckInWithPhq9,
            (False, True): CheckInWithGad7, (True, True): CheckInWithBoth}[(phq9, gad7)]
