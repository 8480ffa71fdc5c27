"""The backtest: a forecast's rule replayed from past month-ends."""

from __future__ import annotations

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
