"""The progress page's numbers as its charts and tables take them, in the reader's language
(templates/checkins/progress.html lays them out). Put together in Python: three charts and four
tables of up to twelve weeks and ten parts of health are a few hundred small pieces, each many
times cheaper here than in a Jinja loop."""
from __future__ import annotations

from functools import cached_property

from markupsafe import Markup, escape

from wham.charts import table_rows
from wham.checkins.services import Progress
from wham.factors import get_factor
from wham.i18n import current_language, format_day
from wham.links import link_maker


class ProgressPage:
    """A participant's Progress (services.progress_for) for the page: each chart's labels and
    numbers, and each table's rows as markup."""

    def __init__(self, progress: Progress):
        self.progress = progress

    @cached_property
    def week_labels(self) -> list[str]:
        """The charted weeks' short names ("Nov 23"), oldest first, for the charts' axes."""
        return [format_day(w.week_start) for w in self.progress.weeks]

    def week_column(self, field: str) -> list:
        """One number (or None) per charted week, oldest first: week_column("days_done")."""
        return [getattr(w, field) for w in self.progress.weeks]

    def week_table_rows(self, *fields: str, missing: str = "—",
                        link_check_ins: bool = False) -> Markup:
        """A table's rows, newest week first: the week ("Nov 23, 2026"), then a cell per
        WeekPoint field. `link_check_ins`: a week with a check-in links to it."""
        heads = self._linked_week_dates if link_check_ins else self._week_dates
        return table_rows(((week, *(getattr(w, field) for field in fields))
                           for w, week in zip(self._newest_first, heads, strict=True)), missing)

    @cached_property
    def _newest_first(self) -> list:
        return self.progress.weeks[::-1]

    @cached_property
    def _week_dates(self) -> list[Markup]:
        """The charted weeks' dates ("Nov 23, 2026"), newest first, shared by the tables."""
        return [escape(format_day(w.week_start, "day_month_year")) for w in self._newest_first]

    @cached_property
    def _linked_week_dates(self) -> list[Markup]:
        """The weeks' dates as _week_dates, a week with a check-in as a link to it."""
        week_href = link_maker("checkins.week", "week")
        return [Markup(f'<a href="{escape(week_href(w.week_start.isoformat()))}">'  # noqa: S704
                       f'{week}</a>') if w.checked_in else week
                for w, week in zip(self._newest_first, self._week_dates, strict=True)]

    @cached_property
    def inventory_rows(self) -> list[dict]:
        """One row per part of health for the self-inventory chart (rating_bars): its name,
        the latest rating and, to compare, the first."""
        language = current_language()
        return [{"label": get_factor(p.factor).label(language), "value": p.latest,
                 "compare": p.first} for p in self.progress.inventory]

    def inventory_table_rows(self) -> Markup:
        """The self-inventory table's rows: the part of health, the first rating, the latest."""
        return table_rows((row["label"], row["compare"], row["value"])
                          for row in self.inventory_rows)
