"""The ten whole-health factors: the stable codes of the design, in order, each with English
and Spanish labels, a one-line description and example goals."""
from __future__ import annotations

import pytest

from wham.factors import FACTOR_CODES, FACTORS, factor_choices, get_factor

DESIGN_CODES = ("stress", "eating", "activity", "sleep", "service", "support", "optimism",
                "cognitive", "spiritual", "meaning")


def test_the_ten_codes_are_the_designs_in_its_order():
    assert FACTOR_CODES == DESIGN_CODES


@pytest.mark.parametrize("factor", FACTORS, ids=lambda f: f.code)
@pytest.mark.parametrize("language", ["en", "es"])
def test_each_factor_has_label_description_and_examples(factor, language):
    assert factor.label(language).strip() and len(factor.label(language)) <= 60
    description = factor.description(language)
    assert description.endswith(".") and "\n" not in description and len(description) <= 100
    assert len(factor.example_goals(language)) >= 2
    assert all(example.strip() for example in factor.example_goals(language))


def test_spanish_is_really_spanish_and_unknown_languages_fall_back_to_english():
    sleep = get_factor("sleep")
    assert sleep.label("es") == "Sueño reparador" and sleep.label("en") == "Restful sleep"
    assert sleep.label("fr") == "Restful sleep"
    assert len({f.label("es") for f in FACTORS}) == 10


def test_unknown_code_is_refused_and_choices_follow_the_order():
    with pytest.raises(KeyError):
        get_factor("happiness")
    assert [code for code, _ in factor_choices("en")] == list(DESIGN_CODES)
