"""Forecast accuracy measures: MASE, WAPE and bias of a forecast against what happened.

:mod:`salesops.analytics.backtest` scores the forecast rule with them, and
``benchmarks/forecast_accuracy.py`` scores it on public series.
"""

from __future__ import annotations

import numpy as np

from salesops.analytics.timeseries import SEASON


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, m: int = SEASON) -> float:
    """Mean absolute scaled error.

    MASE = mean|A − F| / mean|y_t − y_{t−m}|, the denominator over the training series
    (the in-sample seasonal naive error; m = 1 gives the naive error). NaN when the
    training series is too short or constant.
    """
    train = np.asarray(train, float)
    m = m if len(train) > m else 1
    scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else np.nan
    if not scale:
        return np.nan
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))) / scale)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: Σ|A − F| / Σ|A|; NaN when Σ|A| = 0."""
    total = np.sum(np.abs(actual))
    return float(np.sum(np.abs(np.asarray(actual) - predicted)) / total) if total else np.nan


def bias(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Forecast bias: Σ(F − A) / Σ|A|. Positive: over-forecast; negative: under-forecast."""
    total = np.sum(np.abs(actual))
    return float(np.sum(np.asarray(predicted) - actual) / total) if total else np.nan
