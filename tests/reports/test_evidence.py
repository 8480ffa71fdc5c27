"""The forecast report's evidence (:mod:`salesops.reports.evidence`): what it says when
the history is too short for a backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import forecast as fc
from salesops.reports import evidence


def test_without_a_backtest_the_report_says_how_many_months_the_forecast_rests_on():
    """Of 8 months, February unknown: the forecast rests on the 6 after it. The line in
    place of the backtest said "Under three years of history" of all 8."""
    labels = pd.Index([f"2026-{m:02d}" for m in range(1, 9)], name="month")
    history = pd.Series([100, np.nan, 120, 0, 130, 110, 140, 150], index=labels, dtype=float)
    f = fc.forecast(history, 3)
    assert evidence.too_short(f) == (
        "The forecast rests on the last 6 of the 8 months of bookings (from 2026-03; the "
        "notes say why): too short for a backtest."
    )
    whole = fc.forecast(history.fillna(90.0), 3)
    assert evidence.too_short(whole) == (
        "Under three years of history (8 months): too short for a backtest."
    )
