"""Reporting periods: months, quarters, fiscal years, and the windows around them.

Accepted labels:

- ``2026-10``: a calendar month;
- ``2026-Q3``: a calendar quarter;
- ``2026``: a calendar year;
- ``FY2027``: a fiscal year, named after the calendar year in which it ends;
- ``FY2027-Q1``: a fiscal quarter;
- ``latest``: the last complete month of the data.

Every window is half-open, ``[start, end)``, with day precision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from salesops.errors import ConfigError

Grouped = str | Sequence[str]  # group by a column, several, or month
By = Grouped | None  # None: overall
Grain = Literal["month", "quarter", "year"]
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, order=True)
class Period:
    """A half-open window of whole months, ``[start, end)``.

    Examples
    --------
    >>> p = Period.parse("2026-10")
    >>> p.start.date(), p.end.date(), p.previous().label, p.same_period_last_year().label
    (datetime.date(2026, 10, 1), datetime.date(2026, 11, 1), '2026-09', '2025-10')
    >>> Period.parse("2026-Q3").months
    ['2026-07', '2026-08', '2026-09']
    """

    start: pd.Timestamp
    grain: Grain
    fiscal_year_start_month: int = 1

    @property
    def end(self) -> pd.Timestamp:
        """First day after the period."""
        return self.start + pd.DateOffset(months=_MONTHS[self.grain])

    @property
    def last_day(self) -> pd.Timestamp:
        """Last day inside the period."""
        return self.end - pd.Timedelta(days=1)

    @property
    def label(self) -> str:
        """The period's label, which :meth:`parse` reads back."""
        if self.grain == "month":
            return f"{self.start:%Y-%m}"
        fiscal = self.fiscal_year_start_month != 1
        year_end = (self.start + pd.DateOffset(months=11)).year if fiscal else self.start.year
        if self.grain == "year":
            return f"FY{year_end}" if fiscal else str(self.start.year)
        if fiscal:
            fy_start = fiscal_year_start(self.start, self.fiscal_year_start_month)
            quarter = _month_index(fy_start, self.start) // 3 + 1
            year_end = (fy_start + pd.DateOffset(months=11)).year
            return f"FY{year_end}-Q{quarter}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def name(self) -> str:
        """The period for people: ``October 2026``, ``Q3 2026``, ``2026``, ``Q1 FY2027``.

        >>> Period.parse("2026-10").name, Period.parse("2026-Q3").name
        ('October 2026', 'Q3 2026')
        """
        if self.grain == "month":
            return f"{self.start:%B %Y}"
        if self.grain == "quarter":
            year, quarter = self.label.rsplit("-", 1)
            return f"{quarter} {year}"
        return self.label

    def __str__(self) -> str:
        return self.label

    @property
    def months(self) -> list[str]:
        """Labels of the months in the period."""
        return [
            f"{m:%Y-%m}" for m in pd.date_range(self.start, self.end, freq="MS", inclusive="left")
        ]

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask of ``dates`` that fall in the period."""
        return (dates >= self.start) & (dates < self.end)

    def shift(self, periods: int) -> Period:
        """The period ``periods`` steps later (earlier if negative), same grain."""
        offset = pd.DateOffset(months=_MONTHS[self.grain] * periods)
        return Period(self.start + offset, self.grain, self.fiscal_year_start_month)

    def previous(self) -> Period:
        """The period just before, of the same grain."""
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        """The same window one year earlier."""
        return Period(self.start - pd.DateOffset(years=1), self.grain, self.fiscal_year_start_month)

    def quarter(self) -> Period:
        """The (fiscal) quarter that holds the start of this period."""
        fy = fiscal_year_start(self.start, self.fiscal_year_start_month)
        start = fy + pd.DateOffset(months=_month_index(fy, self.start) // 3 * 3)
        return Period(start, "quarter", self.fiscal_year_start_month)

    def year(self) -> Period:
        """The (fiscal) year that holds the start of this period."""
        fy = fiscal_year_start(self.start, self.fiscal_year_start_month)
        return Period(fy, "year", self.fiscal_year_start_month)

    def quarter_to_date(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``[start, end)`` from the start of the quarter to the end of this period."""
        return self.quarter().start, self.end

    def window(self, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The ``months`` months that end with this period, as a window ``[start, end)``."""
        return (self.end - pd.DateOffset(months=months), self.end)

    def year_to_date(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """``[start, end)`` from the start of the fiscal year to the end of this period."""
        return self.year().start, self.end

    def trailing_months(self, n: int) -> list[Period]:
        """The ``n`` months ending with this period's last month, oldest first."""
        last = Period(self.end - pd.DateOffset(months=1), "month", self.fiscal_year_start_month)
        return [last.shift(-k) for k in range(n - 1, -1, -1)]

    @classmethod
    def holding(cls, day: pd.Timestamp, fiscal_year_start_month: int = 1) -> Period:
        """The month that holds ``day``.

        >>> Period.holding(pd.Timestamp("2026-08-15"), 4).quarter().label
        'FY2027-Q2'
        """
        return cls(pd.Timestamp(day.year, day.month, 1), "month", fiscal_year_start_month)

    @classmethod
    def parse(
        cls,
        text: str | Period,
        *,
        as_of: pd.Timestamp | str | None = None,
        fiscal_year_start_month: int = 1,
    ) -> Period:
        """Read a period label.

        Parameters
        ----------
        text
            A label (see the module docstring) or a Period, returned as is.
        as_of
            The data's as-of day; needed for ``latest``.
        fiscal_year_start_month
            First month of the fiscal year (1: the calendar year). It decides what
            ``FY2027`` means and which quarter and year :meth:`quarter` and :meth:`year`
            give; a Period keeps its own. Pure: the company's setting
            (``fiscal_year_start_month`` of ``parameters/settings.yml``) is read at the
            edges (:class:`~salesops.reports.context.ReportContext`, the dashboard, the
            commands), which pass it, or hand on ``ctx.period``.

        Raises
        ------
        ConfigError
            When the label is not a period.
        """
        if isinstance(text, Period):
            return text
        fsm = fiscal_year_start_month
        label = str(text).strip()
        if label.lower() == "latest":
            if as_of is None:
                raise ConfigError("period 'latest' needs the data's as-of date")
            return latest_month(pd.Timestamp(as_of), fsm)
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", label):
            year, month = int(m[1]), int(m[2])
            if 1 <= month <= 12:
                return cls(pd.Timestamp(year, month, 1), "month", fsm)
        elif m := re.fullmatch(r"(\d{4})-?Q([1-4])", label, re.IGNORECASE):
            return cls(pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter", 1)
        elif m := re.fullmatch(r"(\d{4})", label):
            return cls(pd.Timestamp(int(m[1]), 1, 1), "year", 1)
        elif m := re.fullmatch(r"FY(\d{4})(?:-?Q([1-4]))?", label, re.IGNORECASE):
            start = _fiscal_year_start_for(int(m[1]), fsm)
            if m[2]:
                return cls(start + pd.DateOffset(months=3 * int(m[2]) - 3), "quarter", fsm)
            return cls(start, "year", fsm)
        raise ConfigError(
            f"period {label!r} is not a period: use a month (2026-10), a quarter (2026-Q3), "
            "a year (2026), a fiscal year (FY2027, FY2027-Q1) or 'latest'"
        )


def in_calendar(text: Period | str, fiscal_year_start_month: int) -> Period | str:
    """A label read in the calendar whose year starts in ``fiscal_year_start_month``, for a
    source to load up to its end; ``latest`` stays a label: it needs the data's as-of day,
    which the source knows, and it is a month in any calendar."""
    if isinstance(text, str) and text.strip().lower() == "latest":
        return text
    return Period.parse(text, fiscal_year_start_month=fiscal_year_start_month)


def fiscal_year_start(day: pd.Timestamp, fiscal_year_start_month: int = 1) -> pd.Timestamp:
    """First day of the fiscal year that holds ``day``."""
    year = day.year if day.month >= fiscal_year_start_month else day.year - 1
    return pd.Timestamp(year, fiscal_year_start_month, 1)


def _fiscal_year_start_for(fiscal_year: int, fiscal_year_start_month: int) -> pd.Timestamp:
    """First day of fiscal year ``FY<fiscal_year>`` (named after the year it ends in)."""
    if fiscal_year_start_month == 1:
        return pd.Timestamp(fiscal_year, 1, 1)
    return pd.Timestamp(fiscal_year - 1, fiscal_year_start_month, 1)


def _month_index(start: pd.Timestamp, day: pd.Timestamp) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def latest_month(as_of: pd.Timestamp, fiscal_year_start_month: int = 1) -> Period:
    """The last month that is complete on ``as_of`` (the month itself if as_of is its last day)."""
    as_of = pd.Timestamp(as_of).normalize()
    month = pd.Timestamp(as_of.year, as_of.month, 1)
    if (as_of + pd.Timedelta(days=1)).month == as_of.month:
        month -= pd.DateOffset(months=1)
    return Period(month, "month", fiscal_year_start_month)


def group_keys(frame: pd.DataFrame, by: By, date_column: str) -> list[pd.Series]:
    """Group keys for ``by``; ``"month"`` is the month of ``date_column``."""
    names = [by] if isinstance(by, str) else list(by or [])
    return [
        frame[date_column].dt.to_period("M").astype(str).rename("month")
        if n == "month"
        else frame[n]
        for n in names
    ]
