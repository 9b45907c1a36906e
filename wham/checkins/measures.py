"""The standard measures a check-in may hold: WHO-5, PHQ-9 and GAD-7, with their published
item wording, answer scales, scoring and severity bands. Pure functions, no app needed.

Sources: WHO-5 Well-Being Index (WHO Regional Office for Europe, 1998; Topp et al. 2015);
PHQ-9 (Kroenke, Spitzer & Williams 2001); GAD-7 (Spitzer et al. 2006). PHQ-9 and GAD-7 were
developed by Drs. Spitzer, Williams, Kroenke and colleagues with an educational grant from
Pfizer Inc.; no permission is required to reproduce, translate, display or distribute them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

WHO5_STEM = _l("Over the last two weeks:")
WHO5_ITEMS = (
    _l("I have felt cheerful and in good spirits"),
    _l("I have felt calm and relaxed"),
    _l("I have felt active and vigorous"),
    _l("I woke up feeling fresh and rested"),
    _l("My daily life has been filled with things that interest me"),
)
# Highest first, as on the published form.
WHO5_ANSWERS = (
    (5, _l("All of the time")),
    (4, _l("Most of the time")),
    (3, _l("More than half of the time")),
    (2, _l("Less than half of the time")),
    (1, _l("Some of the time")),
    (0, _l("At no time")),
)
# WHO-5 percentage at or below which well-being is poor (a reason to talk about depression).
WHO5_POOR = 50

PHQ_GAD_ANSWERS = (
    (0, _l("Not at all")),
    (1, _l("Several days")),
    (2, _l("More than half the days")),
    (3, _l("Nearly every day")),
)

PHQ9_STEM = _l("Over the last 2 weeks, how often have you been bothered by any of the "
               "following problems?")
PHQ9_ITEMS = (
    _l("Little interest or pleasure in doing things"),
    _l("Feeling down, depressed, or hopeless"),
    _l("Trouble falling or staying asleep, or sleeping too much"),
    _l("Feeling tired or having little energy"),
    _l("Poor appetite or overeating"),
    _l("Feeling bad about yourself — or that you are a failure or have let yourself or "
       "your family down"),
    _l("Trouble concentrating on things, such as reading the newspaper or watching television"),
    _l("Moving or speaking so slowly that other people could have noticed? Or the opposite — "
       "being so fidgety or restless that you have been moving around a lot more than usual"),
    _l("Thoughts that you would be better off dead or of hurting yourself in some way"),
)

GAD7_STEM = _l("Over the last 2 weeks, how often have you been bothered by the following "
               "problems?")
GAD7_ITEMS = (
    _l("Feeling nervous, anxious or on edge"),
    _l("Not being able to stop or control worrying"),
    _l("Worrying too much about different things"),
    _l("Trouble relaxing"),
    _l("Being so restless that it is hard to sit still"),
    _l("Becoming easily annoyed or irritable"),
    _l("Feeling afraid as if something awful might happen"),
)

# (lowest total in the band, band code); published cut points.
PHQ9_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"),
              (20, "severe"))
GAD7_BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
BAND_LABELS = {
    "minimal": _l("Minimal"),
    "mild": _l("Mild"),
    "moderate": _l("Moderate"),
    "moderately_severe": _l("Moderately severe"),
    "severe": _l("Severe"),
}


@dataclass(frozen=True)
class Score:
    total: int
    band: str | None = None


def _check(answers: Sequence[int], count: int, highest: int, name: str) -> list[int]:
    values = list(answers)
    if len(values) != count:
        raise ValueError(f"{name} needs {count} answers, got {len(values)}")
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= highest:
            raise ValueError(f"{name} answers are whole numbers 0-{highest}")
    return values


def _band(total: int, bands: tuple[tuple[int, str], ...]) -> str:
    return [code for lowest, code in bands if total >= lowest][-1]


def who5_score(answers: Sequence[int]) -> int:
    """WHO-5 percentage score 0-100: the raw sum (0-25) multiplied by 4."""
    return sum(_check(answers, 5, 5, "WHO-5")) * 4


def phq9_score(answers: Sequence[int]) -> Score:
    """PHQ-9 total 0-27 and its severity band."""
    total = sum(_check(answers, 9, 3, "PHQ-9"))
    return Score(total, _band(total, PHQ9_BANDS))


def gad7_score(answers: Sequence[int]) -> Score:
    """GAD-7 total 0-21 and its severity band."""
    total = sum(_check(answers, 7, 3, "GAD-7"))
    return Score(total, _band(total, GAD7_BANDS))


def phq9_item9_positive(answers: Sequence[int]) -> bool:
    """Any answer above "Not at all" to item 9 (thoughts of being better off dead or of
    self-harm) asks for a safety follow-up, whatever the total."""
    return _check(answers, 9, 3, "PHQ-9")[8] > 0
