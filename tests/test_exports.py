"""The one rule for CSV cells (wham/exports.py): text a spreadsheet would run as a formula is
shown as text; numbers stay numbers. Used by the group exports, the audit log export and a
participant's own data download (each tested end to end in its own area)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from wham.exports import csv_cell, csv_text


@pytest.mark.parametrize("text", ["=1+2", "+1", "-3", "@SUM(A1)", "\tx", "\rx", "\nx",
                                  '=HYPERLINK("http://evil.example","x")'])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Ann", "", "a=b", "1-2", "'=already", " =x", "María"])
def test_other_text_is_unchanged(text):
    assert csv_cell(text) == text


def test_numbers_stay_numbers_dates_are_iso_and_none_is_empty():
    assert [csv_cell(v) for v in (-3, 0, 2.5, -0.5, True, None)] == [-3, 0, 2.5, -0.5, True, ""]
    assert csv_cell(date(2026, 11, 2)) == "2026-11-02"
    assert csv_cell(datetime(2026, 11, 2, 9, 30, tzinfo=UTC)) == "2026-11-02T09:30:00+00:00"


def test_csv_text_applies_the_rule_to_every_cell_but_not_the_header():
    body = csv_text(["name", "score"], [["=cmd|' /C calc'!A0", -3], ["Ann", 7]])
    assert body.endswith("\r\n")
    assert list(csv.reader(io.StringIO(body))) == [
        ["name", "score"], ["'=cmd|' /C calc'!A0", "-3"], ["Ann", "7"]]
