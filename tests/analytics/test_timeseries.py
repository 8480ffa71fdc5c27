"""The time-series models behind the forecast: seasonal strength, and every fit on one BLAS
thread."""

from __future__ import annotations

import numpy as np
import pytest

from salesops.analytics import timeseries as ts


def test_seasonal_strength_by_hand():
    # a pure yearly pattern has strength 1; a series under two years has none
    pattern = np.tile(np.arange(1.0, 13.0), 3)
    assert ts.seasonal_strength(pattern) == pytest.approx(1.0)
    assert np.isnan(ts.seasonal_strength(pattern[:23]))
    assert ts.seasonal_strength(np.full(36, 5.0)) != ts.seasonal_strength(np.full(36, 5.0))


def test_every_model_fit_runs_on_one_blas_thread():
    """A model fit (through timeseries._quiet) sees one BLAS thread and the process's
    limit is back after it: OpenBLAS's threads made fits 5 to 20 times slower when other
    processes shared the cores (benchmarks/forecast_threads.py)."""
    import scipy.linalg  # noqa: F401  (statsmodels' BLAS, loaded as a fit would)
    from threadpoolctl import threadpool_info

    from salesops.analytics import timeseries

    def threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = threads()
    inside = timeseries._quiet(threads)
    assert inside and set(inside) == {1}
    assert threads() == before


def test_akaike_weights_by_hand():
    # AICc 10, 12 and 20: Δ = 0, 2, 10, relative likelihoods 1, e⁻¹, e⁻⁵
    e1, e5 = np.exp(-1), np.exp(-5)
    total = 1 + e1 + e5
    weights = ts.akaike_weights(np.array([10.0, 12.0, 20.0]))
    assert weights == pytest.approx([1 / total, e1 / total, e5 / total])
    assert weights == pytest.approx([0.7275, 0.2676, 0.0049], abs=1e-4)


def test_the_ets_forecast_is_the_akaike_weighted_mean_of_its_forms():
    months = np.arange(48)
    y = 10 + 0.1 * months + 3 * np.sin(2 * np.pi * months / 12) + np.cos(months * 1.7)
    member = ts.ets(y, seasonal=True, h=12)
    assert "AICc-weighted" in member.form
    # a forecast in the range of the data's last year, not a blend that drifts off it
    assert y[-12:].min() - 2 < member.mean.min() and member.mean.max() < y[-12:].max() + 3
