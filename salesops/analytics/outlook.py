"""The quarter outlook: the pipeline forecast, its run-rate and in-quarter share.

Pipeline forecast for a quarter Q seen on day d (the data's as-of day)::

    expected = closed + weighted + run_rate
    closed   = won amount with a close date in Q up to d
    weighted = r × Σ amount × p over open deals expected to close in Q (deals past
               their close date count as due in the current quarter), p the
               calibrated win probability (salesops.analytics.probability.WinModel)
    r        = the in-quarter share: over the four last complete quarters seen at the
               same point (d moved back by whole quarters), the amount won inside the
               quarter by the deals then due in it, over the amount those deals won
               at all (deals slip: a win next quarter is not a win this quarter)
    run_rate = bookings expected in Q from deals not created yet: the mean, over the
               same four quarters, of the amount won in the quarter by deals created
               after that point (only quarters that begin on or after the first
               close's month: before it the data says nothing about bookings)

r is unknown without stage history, or when no deal due in those quarters was won with
an amount; the weighted sum then counts due deals at full weight (r = 1) and the
outlook says so (its in-quarter share reads – with that reason).

Open deals without an amount are left out of the weighted sum and counted (``unpriced``);
when none of the deals due has an amount, or no quarter can measure the run-rate, the
expected total is unknown (:class:`salesops.analytics.gaps.Unknown`, with the reason),
not a sum of zeros.

With two years of history (:func:`seasonal`) both r and the run-rate are seasonal: r is
pooled over the same quarter of the last two years, and the run-rate is the mean of that
quarter's in the last two years times the growth of the last four quarters over the four
before them.

:func:`apart` says what sets the pipeline view apart from the time-series view of the same
quarter: open deals without amounts, slippage and the run-rate.

The forecast-category roll-up, the reps' submitted calls and the outlook's track record
are in :mod:`salesops.analytics.rollup`.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics.metrics import bookings
from salesops.analytics.pipeline import snapshot
from salesops.analytics.probability import WinModel
from salesops.data.periods import Period
from salesops.data.stages import Stages

T = TypeVar("T")

YEARS = 2  # years of the same quarter behind a seasonal estimate


def due_in(
    opportunities: pd.DataFrame, quarter: Period, as_of: pd.Timestamp, stages: Stages
) -> pd.DataFrame:
    """Open deals expected to close in ``quarter``; overdue deals are due in the current one
    (the quarter that holds the day after ``as_of``).

    ``opportunities`` may also be a snapshot (:func:`salesops.analytics.pipeline.snapshot`).
    """
    open_ = opportunities[opportunities["stage"].isin(stages.open_names)]
    close = open_["close_date"]
    current = quarter.start <= as_of + pd.Timedelta(days=1) < quarter.end
    inside = (close >= quarter.start) & (close < quarter.end)
    if current:
        inside |= close < quarter.start
    return open_[inside]


def _past(quarter: Period, as_of: pd.Timestamp, quarters: int) -> list[tuple[Period, pd.Timestamp]]:
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


def _same_quarter(
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
        return _past(quarter, as_of, 4 * YEARS), True
    start = gaps.bookings_start(opportunities, stages)
    basis = [p for p in _past(quarter, as_of, quarters) if not start.before(p[0])]
    if basis:
        return basis, False
    if start.month is None:
        return gaps.Unknown("no deal has closed: no run-rate of deals not created yet")
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
    return float(np.mean(_same_quarter(quarter, past, amounts)) * growth)


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
        f"{unpriced} of {n} won deals in {_span(basis[0])} have no amount: the run-rate "
        f"counts only the other {n - unpriced}, and is too low by as much as they were worth"
    )


def in_quarter_share(
    history: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    quarter: Period,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    quarters: int = 4,
) -> float:
    """Of the amount won by the deals due in a quarter, the share won inside it.

    Flat: pooled over the last ``quarters`` complete quarters seen at the matching
    point. Seasonal (two years of history, :func:`seasonal`): pooled over the same
    quarter of the last two years, as year-end pushes change how much slips. Unknown
    (:class:`~salesops.analytics.gaps.Unknown`, with the reason) without stage history,
    or when no deal due in those quarters has been won with an amount: the pipeline view
    then counts due deals at full weight (:func:`share_or_all`) and says so.
    """
    if history is None:
        return gaps.Unknown(
            "no stage history to measure how much slips past a quarter: due deals count "
            "at full weight"
        )
    now = state_at(history, opportunities, as_of)
    won = now[now["stage"] == stages.won].set_index("opportunity_id")
    fiscal = quarter.fiscal_year_start_month
    by_season = seasonal(opportunities, as_of, stages, fiscal_year_start_month=fiscal)
    basis = _past(quarter, as_of, 4 * YEARS if by_season else quarters)
    if by_season:
        basis = _same_quarter(quarter, basis, basis)
    inside = total = 0.0
    for past, cut in basis:
        state = snapshot(history, cut)
        due = due_in(state, past, cut, stages)
        hits = won.reindex(due["opportunity_id"]).dropna(subset=["close_date"])
        total += hits["amount"].sum()
        inside += hits.loc[hits["close_date"] < past.end, "amount"].sum()
    if total > 0:
        return inside / total
    return gaps.Unknown(
        "no deal due in a past quarter was won with an amount, so slippage cannot be "
        "measured: due deals count at full weight"
    )


def share_or_all(share: float) -> float:
    """The in-quarter share to weigh due deals by: :func:`in_quarter_share`, or 1 (all
    of them) when it is unknown."""
    return 1.0 if pd.isna(share) else float(share)


def expected(closed: float, weighted: float, share: float, run_rate: float) -> float:
    """The quarter's expected bookings: closed + in-quarter share × weighted pipeline +
    run-rate (the share 1 when unknown, :func:`share_or_all`); the first unknown of the
    three parts, with its reason, when one is."""
    unknown = next((v for v in (closed, weighted, run_rate) if gaps.why(v)), None)
    if unknown is not None:
        return unknown
    return closed + share_or_all(share) * weighted + run_rate


def closed_and_due(
    opportunities: pd.DataFrame,
    quarter: Period,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    history: pd.DataFrame | None,
) -> tuple[float, pd.DataFrame]:
    """Bookings of ``quarter`` up to ``as_of``, and the open deals due in it then."""
    end = min(quarter.end, as_of + pd.Timedelta(days=1))
    closed = (
        bookings(opportunities, (quarter.start, end), stages=stages) if end > quarter.start else 0.0
    )
    return closed, due_in(state_at(history, opportunities, as_of), quarter, as_of, stages)


def pipeline_forecast(
    opportunities: pd.DataFrame,
    quarter: Period | str,
    as_of: pd.Timestamp,
    model: WinModel,
    *,
    stages: Stages,
    history: pd.DataFrame | None = None,
) -> pd.Series:
    """Closed to date, weighted open pipeline and run-rate for ``quarter`` (see the module).

    Open deals without an amount are left out of the weighted pipeline and counted in
    ``unpriced``; when every open deal due has none, the weighted pipeline and the
    expected total are :class:`~salesops.analytics.gaps.Unknown`, not a sum of zeros.
    """
    q, as_of = Period.parse(quarter), pd.Timestamp(as_of)
    closed, due = closed_and_due(opportunities, q, as_of, stages=stages, history=history)
    share = in_quarter_share(history, opportunities, q, as_of, stages=stages)
    values = due["amount"].astype(float) * model.predict(due, as_of)
    weighted = gaps.total(values, where=f" due in {q.label}")
    rate = run_rate(opportunities, q, as_of, stages=stages)
    return pd.Series(
        {
            "closed": closed,
            "weighted_pipeline": weighted if gaps.why(weighted) else share_or_all(share) * weighted,
            "in_quarter_share": share,
            "run_rate": rate,
            "expected": expected(closed, weighted, share, rate),
            "open_deals": float(len(due)),
            "unpriced_deals": float(due["amount"].isna().sum()),
        },
        name=q.label,
        dtype=object,
    )


def apart(row: pd.Series) -> pd.Series:
    """What sets a quarter's pipeline view (``expected``) apart from its time-series view
    (``time_series``, the monthly forecast summed over the quarter), from a row of
    :func:`pipeline_forecast` with ``time_series`` added::

        ratio     = expected / time_series             (NaN when time_series is 0)
        unpriced  = open deals due without an amount   (out of the pipeline view)
        slippage  = 1 − in_quarter_share               (wins of due deals that land later)
        run_rate  = run_rate / expected                (the share not in the pipeline yet)

    The time-series view projects past monthly bookings and does not read the pipeline, so
    an export whose open deals have no amounts, or a pipeline that slips, parts the two.
    """
    expected, series = row["expected"], row["time_series"]
    return pd.Series(
        {
            "ratio": expected / series if series else np.nan,
            "unpriced": row.get("unpriced_deals", 0.0),
            "open_deals": row["open_deals"],
            "slippage": 1 - row["in_quarter_share"],
            "run_rate": row["run_rate"] / expected if expected else np.nan,
        }
    )


def state_at(
    history: pd.DataFrame | None, opportunities: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """The deals as they stood at the end of ``as_of`` (their current state without history)."""
    if history is None:
        return opportunities
    return snapshot(history, as_of + pd.Timedelta(days=1), opportunities)
