"""Gaps in the data: numbers that cannot be known, where a series can start, and the deals
a sum had to leave out.

Unknown is not zero. A number whose inputs are missing is :class:`Unknown`: a NaN that
carries a one-line reason. It behaves as NaN in every computation (and formats as "–");
the reason travels with it into tables, tiles and the JSON summaries
(:func:`salesops.storage.json_text` writes it as ``null`` and names the reason under
``"unknown"``).

A series starts at the first month the data can speak for (:class:`Start`):

- bookings at the month of the first closed deal (won or lost): before it the data holds
  no outcome at all, so a month there is not a month of zero bookings;
- the pipeline at the month of the first created deal.

A comparison with a period that begins before that start (last year, growth) is
:class:`Unknown`, never −100% or +∞.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from salesops.data.periods import Period
from salesops.data.scopes import CLOSED_ASIDE, WHERE
from salesops.data.stages import Stages

# Months with priced bookings (won deals whose amounts sum above zero) before a number
# built on bookings is given at all: the time-series forecast
# (:mod:`salesops.analytics.forecast`, rule 3) and the outlook's run-rate
# (:func:`salesops.analytics.outlook.run_rate`). One or two months say nothing of a level.
MIN_PRICED = 3


class Unknown(float):
    """A number that cannot be known: NaN, with the reason why.

    Examples
    --------
    >>> x = Unknown("no open deal has an amount")
    >>> x != x, x.reason
    (True, 'no open deal has an amount')
    """

    reason: str

    def __new__(cls, reason: str) -> Unknown:
        value = super().__new__(cls, "nan")
        value.reason = str(reason)
        return value

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


def why(value: Any) -> str | None:
    """The reason an :class:`Unknown` value is unknown (None for any other value)."""
    return getattr(value, "reason", None) if isinstance(value, Unknown) else None


def reasons(frame: pd.DataFrame | pd.Series) -> list[str]:
    """The distinct reasons of the :class:`Unknown` cells of ``frame``, in order."""
    seen: dict[str, None] = {}
    for value in frame.to_numpy(dtype=object).ravel():  # an Unknown lives in object cells
        reason = why(value)
        if reason:
            seen.setdefault(reason, None)
    return list(seen)


@dataclass(frozen=True)
class Start:
    """The first month a series can speak for, and the sentence that says why."""

    month: pd.Period | None
    reason: str

    @property
    def day(self) -> pd.Timestamp | None:
        """The first day of :attr:`month`."""
        return None if self.month is None else self.month.start_time

    def before(self, period: Period | str) -> bool:
        """Whether ``period`` begins before the start (so the data cannot speak for it
        whole). Everything is before a series that has no start."""
        p = Period.parse(period)
        return self.day is None or p.start < self.day

    def ends_before(self, end: pd.Timestamp) -> bool:
        """Whether a window ending (exclusive) on ``end`` lies wholly before the start, so
        the data says nothing of it. Everything does when the series has no start."""
        return self.day is None or pd.Timestamp(end) <= self.day

    def unknown_for(self, period: Period | str, what: str) -> Unknown:
        """The :class:`Unknown` value of ``what`` in a ``period`` before the start."""
        label = Period.parse(period).label
        if self.month is None:
            return Unknown(f"no {what}: {self.reason}")
        return Unknown(
            f"{label} is before {self.month:%b %Y}, {self.reason}: no {what} to compare with"
        )


def known_since(y: np.ndarray) -> int:
    """The position of the first month of a monthly series after its last unknown one
    (NaN: its won deals all lack an amount): the months a forecast is fitted on start
    there (:mod:`salesops.analytics.forecast`), since a model cannot skip a month and
    an unknown one is not $0. 0 when no month is unknown, and
    ``len(y)`` when the last one is (nothing to fit)."""
    missing = np.flatnonzero(np.isnan(np.asarray(y, float)))
    return int(missing[-1]) + 1 if len(missing) else 0


def no_close(opportunities: pd.DataFrame) -> str:
    """Why ``opportunities`` hold no closed deal, said of them: "no deal in West has
    closed yet" for a scope's deals (:data:`salesops.data.scopes.WHERE`), "the source
    holds no closed deal" only for the whole source's; "the quarantine set aside every
    closed deal (in West) for a broken rule" when it did
    (:data:`salesops.data.scopes.CLOSED_ASIDE`)."""
    where = opportunities.attrs.get(WHERE)
    if opportunities.attrs.get(CLOSED_ASIDE):  # it holds some: the quarantine took them
        deals = f"closed deal {where}" if where else "closed deal"
        return f"the quarantine set aside every {deals} for a broken rule"
    return f"no deal {where} has closed yet" if where else "the source holds no closed deal"


def bookings_start(opportunities: pd.DataFrame, stages: Stages) -> Start:
    """Bookings start at the month of the first closed deal (won or lost); without one,
    the reason says of which deals (:func:`no_close`)."""
    closed = opportunities.loc[opportunities["stage"].isin(stages.closed_names), "close_date"]
    first = closed.min()
    if pd.isna(first):
        return Start(None, no_close(opportunities))
    return Start(pd.Period(first, freq="M"), "the month of the first closed deal")


def pipeline_start(opportunities: pd.DataFrame) -> Start:
    """The pipeline starts at the month of the first created deal."""
    first = opportunities["created_date"].min()
    if pd.isna(first):
        return Start(None, "no deal has a created date")
    return Start(pd.Period(first, freq="M"), "the month of the first created deal")


def sentence(start: Start, what: str) -> str:
    """One sentence for a report: where the ``what`` series starts, and why."""
    if start.month is None:
        return f"There is no {what} series: {start.reason}."
    return (
        f"The {what} series starts in {start.month:%b %Y}, {start.reason}: the data says "
        "nothing about the months before it, which are left out (not counted as zero)."
    )


def total(amounts: pd.Series, deals: str = "open deals", where: str = "") -> float:
    """Σ ``amounts``: the amounts that are known. :class:`Unknown` when there are deals
    and none has an amount (0 when there is no deal: that is a known zero).

    ``deals`` and ``where`` word the reason: "none of the 4 open deals due in 2026-Q4
    has an amount".
    """
    n = len(amounts)
    if n and amounts.isna().all():
        if n == 1:
            return Unknown(f"the one {deals.removesuffix('s')}{where} has no amount")
        return Unknown(f"none of the {n:,} {deals}{where} has an amount")
    return float(amounts.sum())


def left_out(unpriced: int, deals: int, what: str = "open deals") -> str:
    """The note beside a sum that left deals out: "3 of 12 open deals have no amount and
    are left out of the sums." ("" when none was left out)."""
    unpriced, deals = int(unpriced), int(deals)
    if unpriced <= 0:
        return ""
    if unpriced >= deals == 1:  # "the open deal", "the deal won in 2026-09"
        one = what.replace("deals", "deal", 1)
        return f"The one {one} has no amount: the sums are unknown (–)."
    if unpriced >= deals:
        return f"None of the {deals:,} {what} has an amount: their sums are unknown (–)."
    has, be = ("has", "is") if unpriced == 1 else ("have", "are")
    return f"{unpriced:,} of {deals:,} {what} {has} no amount and {be} left out of the sums."


def too_few_priced(priced: int, what: str, where: str = "") -> Unknown | None:
    """:class:`Unknown` when fewer than :data:`MIN_PRICED` months have priced bookings
    (``priced``: months whose won deals' amounts sum above zero), else None: "only 1
    month of won deals with an amount in the last 12 months: productivity needs at
    least 3, so it is unknown"."""
    if priced >= MIN_PRICED:
        return None
    months = f"only {priced} month{'s' if priced != 1 else ''}" if priced else "no month"
    return Unknown(
        f"{months} of won deals with an amount{where}: {what} needs at least "
        f"{MIN_PRICED}, so it is unknown"
    )


def filled(values: pd.Series, reason: float) -> pd.Series:
    """``values`` as objects, with ``reason`` (an :class:`Unknown`) for each NaN that has
    no reason of its own (:func:`known`, for a column)."""
    cells = [reason if v != v and not why(v) else v for v in values]
    return pd.Series(cells, index=values.index, dtype=object, name=values.name)


def known(value: float, reason: str) -> float:
    """``value``, or :class:`Unknown` with ``reason`` when it is a NaN without a reason."""
    if isinstance(value, float) and value != value and not why(value):
        return Unknown(reason)
    return value
