"""The forecast-category roll-up, the reps' submitted calls, the quarter's quota, and the
quarter outlook's track record against what was booked.

Forecast-category roll-up over the open deals closing in Q, from each deal's
``forecast_category``::

    commit    = closed + Σ amount of commit deals
    best case = commit + Σ amount of best_case deals
    pipeline  = best case + Σ amount of pipeline deals

When deals are due in Q and none of them has a forecast category (an export without the
column), the roll-ups are unknown, not the closed amount: the categories cannot be told
apart. Unknown is not zero for the amounts either: a category whose deals due all lack an
amount makes its roll-up (and those that include it) unknown; deals due without an amount
are left out of the sums and counted (``unpriced`` of ``categorised``); when no deal of
the data has an amount at all, every roll-up is unknown (a sum of no amount is not $0); and
so is a quarter in which no deal is due while no open deal has an amount, as the outlook's
pipeline view is (:func:`~salesops.analytics.outlook.unpriced_elsewhere`).

Submitted: the sum, over the quarter's months and over reps, of each rep's last
``commit`` (and ``best_case``) submission for that month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import gaps
from salesops.analytics.metrics import bookings
from salesops.analytics.outlook import (
    closed_to_date,
    due_in,
    open_at,
    pipeline_forecast,
    unpriced_elsewhere,
)
from salesops.analytics.probability import WinModel
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.stages import Stages


def categories(
    opportunities: pd.DataFrame,
    quarter: Period | str,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    history: pd.DataFrame | None = None,
) -> pd.Series:
    """The commit, best-case and pipeline roll-up for ``quarter`` (see the module).

    A category whose deals all lack an amount makes its roll-up, and every roll-up
    that includes it, :class:`~salesops.analytics.gaps.Unknown`; so do deals due that
    carry no forecast category at all, and data where no deal has an amount. Also
    returns ``categorised`` (the deals due in the three categories) and ``unpriced``
    (those of them without an amount, left out of the sums).
    """
    q, as_of = Period.parse(quarter), pd.Timestamp(as_of)
    closed = closed_to_date(opportunities, q, as_of, stages=stages)
    open_ = open_at(opportunities, as_of, stages, history=history)
    due = due_in(open_, q, as_of, stages)
    counted = due[due["forecast_category"].isin(["commit", "best_case", "pipeline"])]
    out: dict[str, float] = {
        "closed": closed,
        "categorised": len(counted),
        "unpriced": int(counted["amount"].isna().sum()),
    }
    if len(opportunities) and opportunities["amount"].isna().all():
        n = len(opportunities)
        unknown = gaps.Unknown(
            f"none of the {n:,} deals has an amount: the roll-ups are sums of amounts"
            if n > 1
            else "the one deal has no amount: the roll-ups are sums of amounts"
        )
        return pd.Series(
            {**out, "commit": unknown, "best_case": unknown, "pipeline": unknown},
            name=q.label,
            dtype=object,
        )
    if len(due) and due["forecast_category"].isna().all():
        n = len(due)
        reason = gaps.Unknown(
            f"none of the {n:,} open deals due in {q.label} has a forecast category"
            if n > 1
            else f"the one open deal due in {q.label} has no forecast category"
        )
        return pd.Series(
            {**out, "commit": reason, "best_case": reason, "pipeline": reason},
            name=q.label,
            dtype=object,
        )
    if not len(due) and (lacking := unpriced_elsewhere(open_, q)) is not None:
        kept = closed if gaps.why(closed) else lacking  # the first unknown part says why
        return pd.Series(
            {**out, "commit": kept, "best_case": kept, "pipeline": kept},
            name=q.label,
            dtype=object,
        )
    running: float = closed
    for category in ("commit", "best_case", "pipeline"):
        amounts = due.loc[due["forecast_category"] == category, "amount"].astype(float)
        part = gaps.total(amounts, f"{category.replace('_', ' ')} deals", f" due in {q.label}")
        running = running if gaps.why(running) else (part if gaps.why(part) else running + part)
        out[category] = running
    return pd.Series(out, name=q.label, dtype=object)


def submitted(submissions: pd.DataFrame | None, quarter: Period | str) -> pd.Series:
    """The reps' submitted commit and best case for ``quarter``: per rep and month, the
    last submission; summed over the quarter's months and reps (NaN with none)."""
    q = Period.parse(quarter)
    out = pd.Series({"commit": np.nan, "best_case": np.nan}, name=q.label)
    if submissions is None:
        return out
    subs = submissions[submissions["period"].isin(q.months)].sort_values("submitted_at")
    last = subs.groupby(["owner_id", "period", "category"], as_index=False).last()
    totals = last.groupby("category")["amount"].sum()
    for category in out.index:
        if category in totals:
            out[category] = totals[category]
    return out


def quota(quotas: pd.DataFrame | None, quarter: Period | str) -> float:
    """Σ monthly quota amounts in ``quarter``; NaN without a quotas table or quota rows."""
    if quotas is None:
        return np.nan
    q = Period.parse(quarter)
    rows = quotas.loc[q.contains(quotas["month"]), "amount"]
    return float(rows.sum()) if len(rows) else np.nan


def backtest(
    tables: Tables, quarters: int = 8, *, stages: Stages, fiscal_year_start_month: int = 1
) -> pd.DataFrame:
    """The outlook made on the last day before each of the last ``quarters`` complete
    quarters, against what was then booked.

    One row per quarter: ``actual`` bookings; ``outlook``, the pipeline forecast
    (:func:`pipeline_forecast`, win model fitted with what was known that day);
    ``submitted_commit``, the reps' commit for the quarter (:func:`submitted`; those
    submissions are made during the quarter, so they know more); ``time_series``, the
    sum of the monthly forecast's next three months (:func:`salesops.analytics.forecast.forecast`).
    """
    from salesops.analytics import forecast as fc

    opps, history = tables.opportunities, tables.opportunity_history
    as_of = pd.Timestamp(tables.as_of)
    tomorrow = as_of + pd.Timedelta(days=1)
    last = Period.holding(tomorrow, fiscal_year_start_month).quarter().shift(-1)
    rows = {}
    for back in range(quarters - 1, -1, -1):
        q = last.shift(-back)
        day = q.start - pd.Timedelta(days=1)
        model = WinModel.fit(history, opps, day, stages=stages)
        series = booked.monthly(opps, f"{day:%Y-%m}", stages=stages)
        rows[q.label] = {
            "actual": bookings(opps, q, stages=stages),
            "outlook": pipeline_forecast(opps, q, day, model, stages=stages, history=history)[
                "expected"
            ],
            "submitted_commit": submitted(tables.forecast_submissions, q)["commit"],
            "time_series": fc.forecast(series, 3).total(),
        }
    return pd.DataFrame(rows).T.rename_axis("quarter")
