"""The quarter outlook: the pipeline forecast and its in-quarter share (its run-rate is in
:mod:`salesops.analytics.runrate`).

Pipeline forecast for a quarter Q seen on day d (the data's as-of day)::

    expected = closed + weighted + run_rate
    closed   = won amount with a close date in Q up to d (:func:`closed_to_date`)
    weighted = r × Σ amount × p over the deals open at the end of d that are expected to
               close in Q (deals past their close date count as due in the current
               quarter), p the calibrated win probability
               (salesops.analytics.probability.WinModel)
    r        = the in-quarter share: over the four last complete quarters seen at the
               same point (d moved back by whole quarters), the amount won inside the
               quarter by the deals then due in it, over the amount those deals won
               at all (deals slip: a win next quarter is not a win this quarter)
    run_rate = bookings expected in Q from deals not created yet
               (:func:`salesops.analytics.runrate.run_rate`)

The deals at the end of d, and at each past point r is measured at, are the deals as they
stood then by the one rule for a moment (:func:`salesops.data.history.deals_then`, which
:func:`salesops.analytics.pipeline.pipeline_as_of` uses too): from the stage history
where a deal has a row before it, else from its created and close dates.

r is unknown without stage history, or when no deal due in those quarters was won with
an amount; the weighted sum then counts due deals at full weight (r = 1) and the
outlook says so (its in-quarter share reads – with that reason).

Unknown is not zero (:class:`salesops.analytics.gaps.Unknown`, with the reason):

- closed is the bookings rule (:func:`salesops.analytics.bookings.total`): $0 when no
  deal was won in Q by d (a quarter that has not started), unknown when the deals won
  all lack an amount, or when no deal had closed by d (the data shows no close: no
  bookings, not $0);
- open deals without an amount are left out of the weighted sum and counted
  (``unpriced``); the weighted sum is unknown when deals are due and none has an amount,
  or when none is due and no deal open at d has an amount (:func:`weighted_pipeline`);
- the expected total is unknown when closed, the weighted sum or the run-rate is.

With two years of history (:func:`salesops.analytics.runrate.seasonal`) r is pooled over
the same quarter of the last two years.

:func:`apart` says what sets the pipeline view apart from the time-series view of the same
quarter: open deals without amounts, slippage and the run-rate.

The forecast-category roll-up, the reps' submitted calls and the outlook's track record
are in :mod:`salesops.analytics.rollup`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import bookings, gaps
from salesops.analytics.probability import WinModel
from salesops.analytics.runrate import YEARS, past_quarters, run_rate, same_quarter, seasonal
from salesops.data.history import deals_then
from salesops.data.periods import Period
from salesops.data.stages import Stages

DAY = pd.Timedelta(days=1)


def open_at(
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    stages: Stages,
    *,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The deals open at the end of day ``as_of``, as they stood then
    (:func:`salesops.data.history.deals_then`: from the stage history where a deal has a
    row before then, else from its created and close dates)."""
    then = deals_then(opportunities, as_of + DAY, stages, history=history).deals
    return then[then["stage"].isin(stages.with_unknown_open().open_names)]


def due_in(
    opportunities: pd.DataFrame, quarter: Period, as_of: pd.Timestamp, stages: Stages
) -> pd.DataFrame:
    """Open deals expected to close in ``quarter``; overdue deals are due in the current one
    (the quarter that holds the day after ``as_of``).

    ``opportunities`` are the deals as they stood at the end of ``as_of`` (:func:`open_at`);
    a deal whose stage then is unknown (``stages.unknown_open``) counts as open.
    """
    open_ = opportunities[opportunities["stage"].isin(stages.with_unknown_open().open_names)]
    close = open_["close_date"]
    current = quarter.start <= as_of + DAY < quarter.end
    inside = (close >= quarter.start) & (close < quarter.end)
    if current:
        inside |= close < quarter.start
    return open_[inside]


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
    point. Seasonal (two years of history, :func:`~salesops.analytics.runrate.seasonal`):
    pooled over the same quarter of the last two years, as year-end pushes change how
    much slips. The deals due at each point are the deals as they stood at the end of
    that day (:func:`salesops.data.history.deals_then`), without those reopened from
    their close dates (no history row before it): when they were due then is not known,
    only when they closed, and they would count every such win inside its quarter. Unknown
    (:class:`~salesops.analytics.gaps.Unknown`, with the reason) without stage history,
    or when no deal due in those quarters has been won with an amount: the pipeline view
    then counts due deals at full weight (:func:`share_or_all`) and says so.
    """
    if history is None:
        return gaps.Unknown(
            "no stage history to measure how much slips past a quarter: due deals count "
            "at full weight"
        )
    now = deals_then(opportunities, as_of + DAY, stages, history=history).deals
    won = now[now["stage"] == stages.won].set_index("opportunity_id")
    fiscal = quarter.fiscal_year_start_month
    by_season = seasonal(opportunities, as_of, stages, fiscal_year_start_month=fiscal)
    basis = past_quarters(quarter, as_of, 4 * YEARS if by_season else quarters)
    if by_season:
        basis = same_quarter(quarter, basis, basis)
    inside = total = 0.0
    for past, cut in basis:
        then = deals_then(opportunities, cut + DAY, stages, history=history)
        due = due_in(then.deals, past, cut, stages)
        due = due[~due["opportunity_id"].isin(then.stage_unknown)]
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


def closed_to_date(
    opportunities: pd.DataFrame, quarter: Period, as_of: pd.Timestamp, *, stages: Stages
) -> float:
    """Bookings of ``quarter`` up to the end of ``as_of``, by the one rule for bookings
    (:func:`salesops.analytics.bookings.total`): Σ amount of the deals won in it so far;
    $0 when none was (as in a quarter that has not started); unknown, with the reason,
    when the deals won all lack an amount, or when no deal had closed by ``as_of``: data
    that shows no close shows no bookings, so its $0 would not be known."""
    moment = as_of + DAY
    end = max(quarter.start, min(quarter.end, moment))
    start = gaps.bookings_start(opportunities[(opportunities["close_date"] < moment)], stages)
    return bookings.total(opportunities, (quarter.start, end), stages=stages, start=start)


def weighted_pipeline(
    due: pd.DataFrame, probability: pd.Series, quarter: Period, open_deals: pd.DataFrame
) -> float:
    """Σ amount × ``probability`` over the open deals ``due`` in ``quarter`` that have an
    amount (before the in-quarter share).

    Unknown, with the reason, when deals are due and none has an amount (or none has a
    win probability), and when none is due and none of the ``open_deals`` (all the deals
    open then) has an amount: data that prices no open deal cannot show that nothing is
    due, so its $0 would not be known. $0 when nothing is due and some open deal has an
    amount, or when no deal is open at all.
    """
    where = f" due in {quarter.label}"
    amounts = due["amount"].astype(float)
    value = gaps.total(amounts * probability.astype(float), where=where)
    if gaps.why(value) and not gaps.why(gaps.total(amounts, where=where)):
        return gaps.Unknown(f"the win probability of the open deals{where} is unknown")
    if not len(due) and (unknown := unpriced_elsewhere(open_deals, quarter)) is not None:
        return unknown
    return value


def unpriced_elsewhere(open_deals: pd.DataFrame, quarter: Period) -> float | None:
    """:class:`~salesops.analytics.gaps.Unknown` for a sum over the deals due in
    ``quarter`` when none is due there and none of the ``open_deals`` (all the deals open
    then) has an amount: data that prices no open deal cannot show that nothing is due
    (the Maven CRM export's open deals have neither amounts nor close dates), so its $0
    would not be known. None otherwise (no deal open at all, or some priced)."""
    n = len(open_deals)
    if not n or open_deals["amount"].notna().any():
        return None
    none = "the one open deal has" if n == 1 else f"none of the {n:,} open deals has"
    return gaps.Unknown(
        f"no open deal is due in {quarter.label}, and {none} an amount: the data shows "
        "no amount to weigh, so $0 is not known"
    )


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
    ``unpriced``; an unknown part (:func:`closed_to_date`, :func:`weighted_pipeline`, the
    run-rate) makes the expected total :class:`~salesops.analytics.gaps.Unknown`, with its
    reason, not a sum of zeros.
    """
    q, as_of = Period.parse(quarter), pd.Timestamp(as_of)
    open_ = open_at(opportunities, as_of, stages, history=history)
    due = due_in(open_, q, as_of, stages)
    closed = closed_to_date(opportunities, q, as_of, stages=stages)
    share = in_quarter_share(history, opportunities, q, as_of, stages=stages)
    weighted = weighted_pipeline(due, model.predict(due, as_of), q, open_)
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
