"""Prediction intervals of a forecast: σ per step ahead, and how many σ each interval spans.

σ per step (:func:`spread`) blends the models' own σ with how much the series moves
from one year to the next: σ_h = 0.771 · h^0.15 · s_h^0.25 · d^0.75, s_h =
√(σ̄²/k + Var(F₁…F_k)) the σ of a mean of k forecasts with errors of their own plus
their disagreement (σ̄ the members' mean σ, Var the variance of their point forecasts at
step h), d = mean |y_t − y_{t−12}| over the months the models saw. Calibrated on the M3
competition's monthly series (standard and 36-month protocols) and checked on Tourism's:
the models' σ alone is too narrow at the first steps, widens too fast after them, and was
far too wide on Tourism. The 80% interval is the forecast ± 1.2816σ, the 95% one ± 2.27σ
(the errors' tails are heavier than a normal's), floored at zero
(:meth:`salesops.analytics.forecast.Forecast.interval`).
"""

from __future__ import annotations

import numpy as np

from salesops.analytics.timeseries import SEASON

Z = {80: 1.2816, 95: 1.9600}  # two-sided normal quantiles
# σ_h = A · h^B · s_h^W · d^(1−W) (:func:`spread`), calibrated on M3's monthly series
SIGMA_SCALE = 0.771  # A: 80% of M3's held-out months (both protocols) within ±1.2816σ
SIGMA_STEP = 0.15  # B: the width grows as h^0.15 on top of s_h^W
SIGMA_WEIGHT = 0.25  # W: the models' own σ; 1 − W: the series' year-on-year change d
Z_MODELS = {80: Z[80], 95: 2.27}  # and 95% within ±2.27σ (errors have heavy tails)


def spread(means: np.ndarray, sigmas: np.ndarray, y: np.ndarray) -> np.ndarray:
    """σ per step of the mean of k model forecasts, calibrated on public series.

        s_h = √(σ̄_h² / k + Var(F_1,h … F_k,h))
        d   = mean |y_t − y_{t−12}|               (the in-sample seasonal naive error)
        σ_h = A · h^B · s_h^W · d^(1−W)            A = 0.771, B = 0.15, W = 0.25

    s_h is the σ of a mean of k forecasts (rows of ``means``) with errors of their own
    (σ̄_h the members' mean σ, rows of ``sigmas``) plus their disagreement; it comes from
    the models' in-sample fit, which is too narrow at the first steps, widens too fast
    after them and misses what the models get wrong. d is how much the series ``y`` (the
    months the models saw) moves from one year to the next. The geometric blend, with its
    growth with the step h, holds 80% of the held-out months of M3's monthly series
    under both protocols (``benchmarks/forecast_accuracy.py``); d alone (W = 0) does too
    on Tourism, s_h alone (W = 1) is far too wide there (95%). When d is zero (a series
    that repeats each year exactly) s_1 stands in for it.
    """
    k = len(means)
    s = np.sqrt(sigmas.mean(axis=0) ** 2 / k + means.var(axis=0))
    y = np.asarray(y, float)
    m = SEASON if len(y) > SEASON else 1
    d = float(np.mean(np.abs(y[m:] - y[:-m]))) if len(y) > m else 0.0
    d = d or float(s[0])
    steps = np.arange(1, means.shape[1] + 1)
    return SIGMA_SCALE * steps**SIGMA_STEP * s**SIGMA_WEIGHT * d ** (1 - SIGMA_WEIGHT)
