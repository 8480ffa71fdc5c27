"""The evidence for a forecast: its rule replayed from past month-ends.

:func:`backtest` runs :func:`salesops.analytics.forecast.forecast` as it would have run at four
past month-ends, three months apart, and scores it, each of its model families alone and
seasonal naive against what was then booked. It changes nothing in the forecast; the
report shows it so that a reader can judge how far to trust the next months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesops.analytics import timeseries as ts
from salesops.analytics.accuracy import bias, mase, wape
from salesops.analytics.forecast import SEASON, as_monthly, forecast
from salesops.analytics.gaps import known_since
from salesops.analytics.intervals import Z

ORIGINS, STEP = 4, 3  # origins and the months between them


@dataclass
class Backtest:
    """How the forecast rule did from past month-ends.

    Attributes
    ----------
    table
        One row per method (the forecast, each of its model families, seasonal naive):
        MASE, WAPE and bias over every origin.
    coverage
        Share of the actuals inside the forecast's 80% and 95% intervals.
    past
        The forecast against the actuals: origin, month, step, forecast, actual.
    """

    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: dict[int, float] = field(default_factory=dict)
    past: pd.DataFrame = field(default_factory=pd.DataFrame)


def backtest(
    series: pd.Series, horizon: int = 12, origins: int = ORIGINS, step: int = STEP
) -> Backtest:
    """Replay :func:`forecast` from ``origins`` past month-ends ``step`` months apart.

    From each origin the rule sees only the months before it and forecasts ``b`` months,
    ``b`` = min(horizon, 12). MASE is scaled by the
    in-sample seasonal naive error up to each origin. Nothing here changes the forecast:
    it is evidence for the reader. Empty when fewer than 24 months precede the first
    origin. Like the forecast, it replays only the months after the last unknown one
    (:func:`~salesops.analytics.gaps.known_since`), never an unknown month as $0.
    """
    history = as_monthly(series)
    history = history.iloc[known_since(history.to_numpy(float)) :]  # the months fitted
    y = history.to_numpy(float)
    b = min(horizon, 12)
    first = len(y) - b - (origins - 1) * step
    if first < ts.MIN_SEASONAL or not np.any(y):
        return Backtest()
    starts = [first + i * step for i in range(origins)]
    actual = np.array([y[o : o + b] for o in starts])
    runs = [forecast(history.iloc[:o], b) for o in starts]
    predictions = {"forecast": np.array([r.mean.to_numpy() for r in runs])}
    for name in ts.FAMILIES:
        if all(name in r.by_model for r in runs):
            predictions[name] = np.array([r.by_model[name].to_numpy() for r in runs])
    predictions["seasonal naive"] = np.array([np.resize(y[o - SEASON : o], b) for o in starts])
    rows = []
    for name, p in predictions.items():
        scores = [mase(actual[i], p[i], y[:o]) for i, o in enumerate(starts)]
        rows.append(
            {
                "method": name,
                "mase": float(np.mean(scores)),
                "wape": wape(actual.ravel(), p.ravel()),
                "bias": bias(actual.ravel(), p.ravel()),
            }
        )
    coverage = {
        level: float(
            np.mean(
                [
                    (actual[i] >= r.interval(level)["lower"].to_numpy())
                    & (actual[i] <= r.interval(level)["upper"].to_numpy())
                    for i, r in enumerate(runs)
                ]
            )
        )
        for level in Z
    }
    past = pd.DataFrame(
        [
            {
                "origin": history.index[o - 1],
                "month": history.index[o + s],
                "step": s + 1,
                "forecast": predictions["forecast"][i, s],
                "actual": actual[i, s],
            }
            for i, o in enumerate(starts)
            for s in range(b)
        ]
    )
    return Backtest(pd.DataFrame(rows).set_index("method"), coverage, past)
