"""Forecast precision: the forecasts reps submit against what they then booked.

The formulas are in each docstring and in ``docs/metrics.md`` ("Forecast precision").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics.metrics import bookings
from salesops.data.periods import By
from salesops.data.stages import Stages


def forecast_precision(
    submissions: pd.DataFrame,
    opportunities: pd.DataFrame,
    category: str = "commit",
    *,
    stages: Stages,
) -> pd.DataFrame:
    """Submitted forecasts against actual bookings, per owner and period.

    For each owner and forecast period, F is the last submitted ``category`` amount and
    A the bookings of that owner in that period. Then

    - accuracy = max(0, 1 − |A − F| / A), NaN when A = 0;
    - error = F − A (positive means over-forecasting);
    - abs_pct_error = |A − F| / A, NaN when A = 0.

    A is 0 for an owner who won nothing in the period; when every deal they won in it
    lacks an amount, A is unknown, and so are the row's error, abs_pct_error and
    accuracy (:class:`~salesops.analytics.gaps.Unknown`, with the reason; taken as 0, the
    whole forecast read as an over-forecast).

    Summaries over rows: :func:`precision_summary`.
    """
    subs = submissions[submissions["category"] == category].sort_values("submitted_at")
    last = subs.groupby(["owner_id", "period"], as_index=False).last()
    out = last[["owner_id", "period", "amount"]].rename(columns={"amount": "forecast"})
    out["actual"] = 0.0
    unknown: dict[object, gaps.Unknown] = {}  # row -> why its actual is unknown
    for label in out["period"].unique():  # one pass per period, not per owner
        booked = bookings(opportunities, label, by="owner_id", stages=stages)
        rows = out["period"] == label
        owners = out.loc[rows, "owner_id"]
        out.loc[rows, "actual"] = owners.map(booked).fillna(0.0).to_numpy()
        lacking = rows & out["owner_id"].isin(booked.index[booked.isna()])
        why = gaps.Unknown(f"none of the deals won in {label} has an amount")
        unknown.update(dict.fromkeys(out.index[lacking], why))
    a, f = out["actual"], out["forecast"]
    ape = (a - f).abs() / a.where(a > 0)
    out["error"] = f - a
    out["abs_pct_error"] = ape
    out["accuracy"] = (1 - ape).clip(lower=0)
    if unknown:  # of objects: each unknown keeps its reason
        columns = ["actual", "error", "abs_pct_error", "accuracy"]
        out = out.astype(dict.fromkeys(columns, object))
        for row, why in unknown.items():
            for column in columns:
                out.at[row, column] = why
    return out


def precision_summary(precision: pd.DataFrame, by: By = None) -> pd.Series | pd.DataFrame:
    """MAPE, WAPE and bias of rows from :func:`forecast_precision`.

    - MAPE = mean(|A − F| / A) over rows with A > 0;
    - WAPE = Σ |A − F| / Σ A;
    - bias = Σ (F − A) / Σ A; above 0 over-forecasts, below 0 under-forecasts (sandbags);
    - accuracy = mean of the rows' accuracy.

    Rows whose A is unknown (won deals without amounts) are left out: ``forecasts``
    counts the rows compared. All NaN when Σ A = 0.
    """

    def stats(g: pd.DataFrame) -> pd.Series:
        columns = ["actual", "error", "abs_pct_error", "accuracy"]
        g = g[g["actual"].notna()].astype(dict.fromkeys(columns, float))
        total = g["actual"].sum()
        return pd.Series(
            {
                "forecasts": len(g),
                "accuracy": g["accuracy"].mean(),
                "mape": g["abs_pct_error"].mean(),
                "wape": g["error"].abs().sum() / total if total > 0 else np.nan,
                "bias": g["error"].sum() / total if total > 0 else np.nan,
            }
        )

    if not by:
        return stats(precision)
    return precision.groupby(by).apply(stats, include_groups=False)
