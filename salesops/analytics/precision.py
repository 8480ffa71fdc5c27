"""Forecast precision: the forecasts reps submit against what they then booked.

The formulas are in each docstring and in ``docs/metrics.md`` ("Forecast precision").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

    Summaries over rows: :func:`precision_summary`.
    """
    subs = submissions[submissions["category"] == category].sort_values("submitted_at")
    last = subs.groupby(["owner_id", "period"], as_index=False).last()
    out = last[["owner_id", "period", "amount"]].rename(columns={"amount": "forecast"})
    out["actual"] = 0.0
    for label in out["period"].unique():  # one pass per period, not per owner
        booked = bookings(opportunities, label, by="owner_id", stages=stages)
        rows = out["period"] == label
        out.loc[rows, "actual"] = out.loc[rows, "owner_id"].map(booked).fillna(0.0).to_numpy()
    a, f = out["actual"], out["forecast"]
    ape = (a - f).abs() / a.where(a > 0)
    out["error"] = f - a
    out["abs_pct_error"] = ape
    out["accuracy"] = (1 - ape).clip(lower=0)
    return out


def precision_summary(precision: pd.DataFrame, by: By = None) -> pd.Series | pd.DataFrame:
    """MAPE, WAPE and bias of rows from :func:`forecast_precision`.

    - MAPE = mean(|A − F| / A) over rows with A > 0;
    - WAPE = Σ |A − F| / Σ A;
    - bias = Σ (F − A) / Σ A; above 0 over-forecasts, below 0 under-forecasts (sandbags);
    - accuracy = mean of the rows' accuracy.

    All NaN when Σ A = 0.
    """

    def stats(g: pd.DataFrame) -> pd.Series:
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
