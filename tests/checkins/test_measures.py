"""WHO-5, PHQ-9 and GAD-7 scoring against the published scoring rules and cut points."""
from __future__ import annotations

import pytest

from wham.checkins import measures


@pytest.mark.parametrize("answers,expected", [
    ([5, 5, 5, 5, 5], 100),  # best possible well-being
    ([0, 0, 0, 0, 0], 0),
    ([3, 3, 3, 2, 2], 52),   # raw 13: just above the "poor well-being" cut (raw < 13, <= 50)
    ([2, 3, 2, 3, 2], 48),   # raw 12: poor well-being
    ([2, 1, 1, 2, 1], 28),   # raw 7: the published cut for likely depression (<= 28)
])
def test_who5_percentage_is_raw_sum_times_four(answers, expected):
    assert measures.who5_score(answers) == expected


@pytest.mark.parametrize("answers,total,band", [
    ([0] * 9, 0, "minimal"),
    ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
    ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
    ([1] * 9, 9, "mild"),
    ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"),
    ([2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
    ([2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately_severe"),
    ([3, 3, 3, 2, 2, 2, 2, 2, 0], 19, "moderately_severe"),
    ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
    ([3] * 9, 27, "severe"),
])
def test_phq9_total_and_published_bands(answers, total, band):
    assert measures.phq9_score(answers) == measures.Score(total, band)


@pytest.mark.parametrize("answers,total,band", [
    ([0] * 7, 0, "minimal"),
    ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
    ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
    ([2, 2, 2, 1, 1, 1, 0], 9, "mild"),
    ([2, 2, 2, 2, 2, 0, 0], 10, "moderate"),
    ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
    ([3, 2, 2, 2, 2, 2, 2], 15, "severe"),
    ([3] * 7, 21, "severe"),
])
def test_gad7_total_and_published_bands(answers, total, band):
    assert measures.gad7_score(answers) == measures.Score(total, band)


def test_phq9_item9_counts_any_answer_above_not_at_all():
    assert not measures.phq9_item9_positive([3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert measures.phq9_item9_positive([0, 0, 0, 0, 0, 0, 0, 0, 1])


@pytest.mark.parametrize("call,answers", [
    (measures.who5_score, [1, 2, 3, 4]),          # too few
    (measures.who5_score, [1, 2, 3, 4, 6]),       # above the scale
    (measures.phq9_score, [0] * 8 + [4]),
    (measures.phq9_score, [0] * 8 + [-1]),
    (measures.gad7_score, [0] * 8),               # too many
    (measures.gad7_score, [0] * 6 + [True]),      # not a number
])
def test_answers_outside_the_form_are_refused(call, answers):
    with pytest.raises(ValueError):
        call(answers)


def test_item_wording_and_answer_scales_are_the_published_ones():
    assert len(measures.WHO5_ITEMS) == 5 and len(measures.PHQ9_ITEMS) == 9
    assert len(measures.GAD7_ITEMS) == 7
    assert [value for value, _ in measures.WHO5_ANSWERS] == [5, 4, 3, 2, 1, 0]
    assert [value for value, _ in measures.PHQ_GAD_ANSWERS] == [0, 1, 2, 3]
    assert str(measures.PHQ9_ITEMS[8]).startswith("Thoughts that you would be better off dead")
    assert str(measures.GAD7_ITEMS[0]) == "Feeling nervous, anxious or on edge"
