"""The admin's delivery statistics as the page shows them, in the reader's language
(templates/sms/admin.html lays them out). The two tables' rows are put together in Python: a
few hundred small cells, each many times cheaper here than in a Jinja loop, with each label
translated and each time written once per page."""
from __future__ import annotations

from functools import cached_property

from babel import dates as babel_dates
from flask_babel import get_locale
from markupsafe import Markup, escape

from wham.charts import table_rows
from wham.i18n import format_moment
from wham.sms.models import kind_labels, status_labels


class DeliveryPage:
    """outbox.delivery_statistics for the page: the status columns' names and the rows of the
    counts and recent failures tables as markup."""

    def __init__(self, stats: dict):
        self.stats = stats

    @cached_property
    def _status_labels(self) -> dict:
        return status_labels()

    @cached_property
    def _kind_labels(self) -> dict:
        return kind_labels()

    @property
    def as_of(self) -> str:
        """When the figures were computed, to the second, in UTC (e.g. "6:05:12\u202fPM"): they
        may be some seconds old (outbox.recent_delivery_statistics)."""
        return babel_dates.format_time(self.stats["as_of"].time(), "medium",
                                       locale=str(get_locale() or "en"))

    @cached_property
    def status_headers(self) -> list[str]:
        """Each status's name, in the order of the counts table's columns."""
        return [self._status_labels[status] for status in self.stats["statuses"]]

    def count_rows(self) -> Markup:
        """The counts table's rows: each kind with messages in the period (in SmsKind's order),
        then its number of messages in each status."""
        by_kind, statuses = self.stats["by_kind"], self.stats["statuses"]
        return table_rows((self._kind_labels[kind], *(counts.get(status, 0) for status in statuses))
                          for kind in self.stats["kinds"] if (counts := by_kind.get(kind)))

    def failure_rows(self) -> Markup:
        """The recent failures table's rows: the message's number, its kind and status, the
        provider's error code (or a dash), the tries and when it failed (UTC, as stored)."""
        kinds = {kind: escape(label) for kind, label in self._kind_labels.items()}
        statuses = {status: escape(label) for status, label in self._status_labels.items()}
        moments: dict = {}  # failures come in bursts: the same minute many times
        rows = []
        for row in self.stats["failures"]:
            when = moments.get(row.updated_at)
            if when is None:
                when = moments[row.updated_at] = escape(format_moment(row.updated_at))
            code = escape(row.error_code) if row.error_code else "—"
            rows.append(f"<tr><td>#{int(row.id)}</td><td>{kinds[row.kind]}</td>"
                        f"<td>{statuses[row.status]}</td><td>{code}</td>"
                        f"<td>{int(row.attempts)}</td><td>{when}</td></tr>")
        # Numbers through int(), texts escaped above: nothing unescaped goes in.
        return Markup("".join(rows))  # noqa: S704
