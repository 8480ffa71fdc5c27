"""The forecast report's evidence (:mod:`salesops.reports.evidence`): what it says when
the history is too short for a backtest, or for a model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import once

from salesops.analytics import forecast as fc
from salesops.reports import evidence, forecast


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


def test_without_a_model_the_models_section_says_what_the_forecast_is_instead(tiny_dir):
    """The tiny CRM's company has 3 months of bookings (July to September 2026): too
    short for a model; East has 2 with an amount: no forecast. The section read "No model
    was fitted: recent mean (under two years of data)." and "... fitted: none."; the
    company's last note is about the regions, not about its own forecast."""

    def said(scope: str) -> str:
        ctx = once(forecast.context, str(tiny_dir), scope, "2026-09")
        return evidence.models(ctx)[0].data.replace("\\", "")

    assert said("company") == (
        "*No model was fitted: only 3 months of data: too short to fit a model, so the "
        "forecast is the mean of the last 3 months (flat), with a wide interval.*"
    )
    assert said("region:East") == (
        "*No model was fitted: only 2 months of bookings with an amount (2026-07, 2026-08): a "
        "forecast needs at least 3, so it is unknown, not a line through them.*"
    )
    zero = fc.forecast(pd.Series([0.0] * 30), 3)
    assert zero.instead == "every month so far is zero, so the forecast is zero"
    assert fc.forecast(pd.Series([float(v) for v in range(1, 31)]), 3).instead == ""
