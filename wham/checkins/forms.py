"""The weekly check-in form; PHQ-9 and GAD-7 questions are added when the program uses them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from wham.checkins import measures
from wham.checkins.models import SHORT_TEXT_MAX, Support
from wham.forms import WhamForm
from wham.validators import CleanText, select_choices, strip

SUPPORT_CHOICES = (
    (Support.NONE.value, _l("Not right now")),
    (Support.SOON.value, _l("Yes, in the next few days")),
    (Support.NOW.value, _l("Yes, I need support now")),
)
PICK_ONE = _l("Please choose one answer.")


def _scale(label, low: int, high: int, description=None) -> RadioField:
    return RadioField(label, description=description, coerce=int,
                      choices=select_choices((n, str(n)) for n in range(low, high + 1)),
                      validators=[InputRequired(message=PICK_ONE)])


def _item(label, answers) -> RadioField:
    return RadioField(label, coerce=int, choices=select_choices(answers),
                      validators=[InputRequired(message=PICK_ONE)])


def _short_text(label, description) -> TextAreaField:
    return TextAreaField(label, description=description, filters=[strip],
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
    support = RadioField(_l("Would you like support from your peer specialist?"),
                         choices=select_choices(SUPPORT_CHOICES), default=Support.NONE.value,
                         validators=[InputRequired(message=PICK_ONE)])

    measure_prefixes: tuple[str, ...] = ("who5",)

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
