"""The backtest: a forecast's rule replayed from past month-ends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.test_forecast import q4_peak
from salesops.analytics import backtest as bt
from salesops.analytics import forecast as fc


def test_the_backtest_replays_the_rule_from_past_month_ends():
    y = q4_peak(48)
    evidence = bt.backtest(y, 12)
    assert set(evidence.table.index) == {"forecast", "ets", "arima", "theta", "seasonal naive"}
    assert set(evidence.coverage) == {80, 95} and len(evidence.past) == 4 * 12
    first = evidence.past["origin"].iloc[0]
    again = fc.forecast(y.loc[: pd.Period(first, freq="M")], 12).mean.to_numpy()
    assert evidence.past.loc[evidence.past["origin"] == first, "forecast"].to_numpy() == (
        pytest.approx(again)
    )
    assert bt.backtest(q4_peak(30), 12).table.empty


def test_the_backtest_replays_only_the_months_after_an_unknown_one():
    """A 60-month seasonal series whose 3rd month is unknown: the backtest is that of the
    57 months after it (before, the unknown month was replayed as $0)."""
    rng = np.random.default_rng(3)
    months = np.arange(60)
    values = 1000 + 300 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 50, 60)
    values[2] = np.nan
    labels = pd.period_range("2021-01", periods=60, freq="M").strftime("%Y-%m")
    series = pd.Series(values, index=pd.Index(labels, name="month"))
    gappy, tail = bt.backtest(series, 6), bt.backtest(series.iloc[3:], 6)
    assert not gappy.table.empty and gappy.table.equals(tail.table)
    assert gappy.past.equals(tail.past)
