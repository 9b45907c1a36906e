"""Forms for the self-inventory, a goal, its state, the weekly plan and a day of the log."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from wham.factors import FACTORS, factor_choices, get_factor
from wham.forms import WhamForm
from wham.goals.models import (
    MILESTONES_MAX,
    NOTE_MAX,
    PLAN_TEXT_MAX,
    WHAT_MAX,
    WHY_MAX,
    Done,
    GoalStatus,
)
from wham.validators import CleanText, select_choices, strip

RATING_WORDS = {1: _l("Not at all"), 2: _l("A little"), 3: _l("Somewhat"), 4: _l("Mostly"),
                5: _l("Very")}


def _length(n: int) -> Length:
    return Length(max=n, message=_l("Use %(n)s characters or fewer.", n=n))


def _text(label, n: int, *, required: str | None = None, description=None, multiline=False):
    checks = [DataRequired(message=required)] if required else [Optional()]
    field_class = TextAreaField if multiline else StringField
    return field_class(label, description=description, filters=[strip],
                       validators=[*checks, _length(n), CleanText(multiline=multiline)])


class InventoryForm(WhamForm):
    """One 1-5 rating per factor; the fields are added below, one per factor code."""

    def rating_fields(self):
        return [(factor, self[factor.code]) for factor in FACTORS]

    def ratings(self) -> dict[str, int]:
        return {factor.code: self[factor.code].data for factor in FACTORS}


def _factor_label(code: str) -> LazyString:
    return LazyString(lambda: get_factor(code).label())


for _factor in FACTORS:
    setattr(InventoryForm, _factor.code, RadioField(
        _factor_label(_factor.code), coerce=int,
        choices=select_choices((n, str(n)) for n in range(1, 6)),
        validators=[DataRequired(message=_l("Choose a number from 1 to 5."))]))


class GoalForm(WhamForm):
    factor = SelectField(_l("Which part of your whole health is this about?"),
                         validators=[DataRequired(message=_l("Choose one area."))])
    second_factor = SelectField(_l("A second area (optional)"), default="")
    what = _text(_l("What I want"), WHAT_MAX, required=_l("Tell us what you want, in your words."),
                 description=_l("In your own words. For example: “Feel more rested in the morning.”"))
    why = _text(_l("Why it matters to me"), WHY_MAX,
                required=_l("Say a few words about why this matters to you."), multiline=True)
    target_date = DateField(_l("When I'd like to get there (optional)"), validators=[Optional()])
    milestones = _text(_l("Small steps along the way (optional)"), MILESTONES_MAX, multiline=True,
                       description=_l("One per line. For example: “Bed by 11 on weeknights”."))

    def __init__(self, *args, today=None, keep_date=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.keep_date = today, keep_date
        self.factor.choices = select_choices([("", _l("Choose one…"))] + factor_choices())
        self.second_factor.choices = select_choices([("", _l("No second area"))] + factor_choices())

    def validate_second_factor(self, field) -> None:
        if field.data and field.data == self.factor.data:
            raise ValidationError(_l("Choose a different area, or leave this empty."))

    def validate_target_date(self, field) -> None:
        if (field.data and self.today and field.data < self.today
                and field.data != self.keep_date):
            raise ValidationError(_l("Choose today or a day in the future."))


STATUS_CHOICES = (
    (GoalStatus.ACHIEVED.value, _l("I achieved it")),
    (GoalStatus.SET_ASIDE.value, _l("Set it aside for now")),
    (GoalStatus.ACTIVE.value, _l("Work on it again")),
)


class GoalStatusForm(WhamForm):
    status = RadioField(_l("Where this goal stands"), validators=[DataRequired(
        message=_l("Choose one."))], choices=select_choices(STATUS_CHOICES))

    def leave_out(self, current: GoalStatus) -> None:
        """Offer only the moves away from where the goal stands now."""
        self.status.choices = select_choices(c for c in STATUS_CHOICES if c[0] != current.value)


class PlanForm(WhamForm):
    what = _text(_l("What I will do"), PLAN_TEXT_MAX, required=_l("Say what you will do."),
                 description=_l("Something small and specific. For example: “Walk”."))
    how_much = _text(_l("How much"), PLAN_TEXT_MAX, required=_l("Say how much, for example “10 minutes”."),
                     description=_l("For example: “10 minutes” or “one glass”."))
    when = _text(_l("When"), PLAN_TEXT_MAX, required=_l("Say when, for example “after lunch”."),
                 description=_l("For example: “after lunch” or “before bed”."))
    days_planned = IntegerField(
        _l("How many days this week"), description=_l("From 1 to 7."),
        validators=[InputRequired(message=_l("Enter a number of days from 1 to 7.")),
                    NumberRange(min=1, max=7, message=_l("Enter a number of days from 1 to 7."))])
    confidence = IntegerField(
        _l("How sure am I that I can do this? (0 to 10)"),
        description=_l("0 means not at all sure, 10 means completely sure."),
        validators=[InputRequired(message=_l("Enter a number from 0 to 10.")),
                    NumberRange(min=0, max=10, message=_l("Enter a number from 0 to 10."))])
    save = SubmitField(_l("Save my plan"))
    save_anyway = SubmitField(_l("Save it anyway"))


class LogForm(WhamForm):
    day = SelectField(_l("Day"), validators=[DataRequired(message=_l("Choose a day."))])
    done = RadioField(_l("Did I do my plan?"), choices=select_choices([
        (Done.YES.value, _l("Yes")), (Done.PARTLY.value, _l("Partly")), (Done.NO.value, _l("No"))]),
        validators=[DataRequired(message=_l("Choose yes, partly or no."))])
    note = _text(_l("A short note (optional)"), NOTE_MAX, multiline=True,
                 description=_l("What helped, what got in the way, how it felt."))
    is_private = BooleanField(_l("Keep this note private (only I can see it)"))

    def set_days(self, days, label) -> None:
        self.day.choices = select_choices([(d.isoformat(), label(d)) for d in days])
