"""CSV files people download (group exports, the audit log, a participant's own data): one
writer, and one rule for cells a spreadsheet would otherwise run as formulas."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> object:
    """A cell as written: numbers stay numbers, dates are ISO text, None is empty; text that a
    spreadsheet would run as a formula gets a leading apostrophe, so it shows as the text it is."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """A CSV file as text: the header, then each row with every cell made safe by csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()
