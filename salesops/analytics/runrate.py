"""The run-rate of the quarter outlook: bookings expected in a quarter from deals not
created yet, and the past quarters the outlook's estimates are measured on.

For a quarter Q seen on day d (the data's as-of day)::

    run_rate = the mean, over the four last complete quarters seen at the same point
               (d moved back by whole quarters, :func:`past_quarters`), of the amount won
               in the quarter by deals created after that point; only quarters that begin
               on or after the first close's month: before it the data says nothing
               about bookings

With two years of history (:func:`seasonal`) it is the mean of that quarter's in the last
two years times the growth of the last four quarters over the four before them
(:func:`same_quarter`). The in-quarter share (:func:`salesops.analytics.outlook.in_quarter_share`)
is measured on the same past quarters.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.data.periods import Period
from salesops.data.stages import Stages

T = TypeVar("T")

YEARS = 2  # years of the same quarter behind a seasonal estimate


def past_quarters(
    quarter: Period, as_of: pd.Timestamp, quarters: int
) -> list[tuple[Period, pd.Timestamp]]:
    """The last ``quarters`` complete quarters before ``as_of``, each with the day that
    matches ``as_of`` (moved back by whole quarters)."""
    out: list[tuple[Period, pd.Timestamp]] = []
    back = 1
    while len(out) < quarters:
        shift = pd.DateOffset(months=3 * back)
        past = quarter.shift(-back)
        if past.end <= as_of + pd.Timedelta(days=1):
            out.append((past, as_of - shift))
        back += 1
    return out


def seasonal(
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    stages: Stages,
    *,
    fiscal_year_start_month: int = 1,
) -> bool:
    """Whether the history supports quarter-of-year estimates: bookings that start (the
    month of the first closed deal, :func:`salesops.analytics.gaps.bookings_start`) at
    least eight complete quarters (two years) before the (fiscal) quarter that holds
    ``as_of``. Deals created earlier, before anything closed, say nothing about bookings."""
    first = gaps.bookings_start(opportunities, stages).day
    current = Period.holding(as_of, fiscal_year_start_month).quarter()
    return bool(first is not None and first < current.shift(-YEARS * 4).start)


def same_quarter(
    quarter: Period, past: list[tuple[Period, pd.Timestamp]], items: list[T]
) -> list[T]:
    """The ``items`` (one per ``past`` quarter) of the same quarter of the year as
    ``quarter`` in each of the last two years."""
    same = {quarter.shift(-4 * k).label for k in range(1, YEARS + 1)}
    return [item for (p, _), item in zip(past, items, strict=True) if p.label in same]


def _run_rate_of(won: pd.DataFrame, past: Period, cut: pd.Timestamp) -> float:
    inside = won[past.contains(won["close_date"])]
    return float(inside.loc[inside["created_date"] > cut, "amount"].sum())


def _run_rate_basis(
    opportunities: pd.DataFrame, quarter: Period, as_of: pd.Timestamp, *, stages: Stages,
    quarters: int,
) -> tuple[list[tuple[Period, pd.Timestamp]], bool] | gaps.Unknown:  # fmt: skip
    """The past quarters (each with its cut) a run-rate for ``quarter`` is measured on,
    and whether they are seasonal; unknown when no quarter since bookings start has ended."""
    fiscal = quarter.fiscal_year_start_month
    if seasonal(opportunities, as_of, stages, fiscal_year_start_month=fiscal):
        return past_quarters(quarter, as_of, 4 * YEARS), True
    start = gaps.bookings_start(opportunities, stages)
    basis = [p for p in past_quarters(quarter, as_of, quarters) if not start.before(p[0])]
    if basis:
        return basis, False
    if start.month is None:
        return gaps.Unknown(f"{start.reason}: no run-rate of deals not created yet")
    return gaps.Unknown(
        f"no complete quarter of bookings since they start ({start.month:%b %Y}) "
        "to measure the run-rate of deals not created yet on"
    )


def _won_in(
    opportunities: pd.DataFrame, basis: list[tuple[Period, pd.Timestamp]], stages: Stages
) -> pd.DataFrame:
    """The won deals that closed in the ``basis`` quarters."""
    won = opportunities[opportunities["stage"] == stages.won]
    inside = np.zeros(len(won), dtype=bool)
    for past, _ in basis:
        inside |= past.contains(won["close_date"]).to_numpy()
    return won[inside]


def _span(basis: list[tuple[Period, pd.Timestamp]]) -> str:
    labels = sorted(p.label for p, _ in basis)
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def run_rate(
    opportunities: pd.DataFrame,
    quarter: Period,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    quarters: int = 4,
) -> float:
    """Bookings expected in ``quarter`` from deals not created by ``as_of``.

    For each past quarter, the amount won in it by deals created after the point that
    matches ``as_of``. Flat: the mean over the last ``quarters`` complete quarters that
    begin on or after the start of bookings (the first close's month): a quarter before
    the data speaks for bookings is not a quarter of zero; unknown when there is none.
    Seasonal (two years of history, :func:`seasonal`): the mean of the same quarter in
    each of the last two years, times the growth g = Σ last four quarters / Σ the four
    before them (1 when those are zero), so a Q4 peak is called from past Q4s.

    The floor of the time-series forecast holds here too: with fewer than
    :data:`~salesops.analytics.gaps.MIN_PRICED` (3) months of priced bookings (won deals
    whose amounts sum above zero) in the quarters it is measured on, the run-rate is
    unknown, with the reason: one priced deal is not a rate. :func:`unpriced_wins` says
    when most won deals of those quarters have no amount.
    """
    basis = _run_rate_basis(opportunities, quarter, as_of, stages=stages, quarters=quarters)
    if isinstance(basis, gaps.Unknown):
        return basis
    past, by_season = basis
    wins = _won_in(opportunities, past, stages)
    by_month = wins.groupby(wins["close_date"].dt.to_period("M"))["amount"].sum()
    priced = int((by_month > 0).sum())
    if priced < gaps.MIN_PRICED:
        n = len(wins)
        return gaps.Unknown(
            f"only {priced} month{'s' if priced != 1 else ''} of won deals with an amount "
            f"in {_span(past)} ({int(wins['amount'].notna().sum())} of {n} won "
            f"deal{'s' if n != 1 else ''} priced): a run-rate needs at least "
            f"{gaps.MIN_PRICED}, so it is unknown"
        )
    won = opportunities[opportunities["stage"] == stages.won]
    if not by_season:
        return float(np.mean([_run_rate_of(won, *p) for p in past]))
    amounts = [_run_rate_of(won, *p) for p in past]
    recent, before = sum(amounts[:4]), sum(amounts[4:8])
    growth = recent / before if before > 0 and recent > 0 else 1.0
    return float(np.mean(same_quarter(quarter, past, amounts)) * growth)


def unpriced_wins(
    opportunities: pd.DataFrame,
    quarter: Period,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    quarters: int = 4,
) -> str:
    """One sentence when most won deals of the quarters :func:`run_rate` is measured on
    have no amount ("4 of 5 won deals in 2018-Q4 to 2019-Q3 have no amount: the run-rate
    counts only the other 1, and is too low by as much as they were worth"); "" otherwise,
    and when none has one (the run-rate is then unknown, and says why)."""
    basis = _run_rate_basis(opportunities, quarter, as_of, stages=stages, quarters=quarters)
    if isinstance(basis, gaps.Unknown):
        return ""
    wins = _won_in(opportunities, basis[0], stages)
    unpriced, n = int(wins["amount"].isna().sum()), len(wins)
    if not n or unpriced * 2 <= n or unpriced == n:
        return ""
    return (
        f"{unpriced:,} of {n:,} won deals in {_span(basis[0])} have no amount: the run-rate "
        f"counts only the other {n - unpriced:,}, and is too low by as much as they were worth"
    )
