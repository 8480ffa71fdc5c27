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
