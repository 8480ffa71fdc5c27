"""Forecast accuracy measures, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from salesops.analytics import accuracy


def test_mase_wape_bias_by_hand():
    train = np.array([10.0, 12, 14, 16])  # naive errors 2, 2, 2 -> scale 2 (m=1: too short for 12)
    actual, predicted = np.array([18.0, 20]), np.array([17.0, 23])
    assert accuracy.mase(actual, predicted, train) == pytest.approx((1 + 3) / 2 / 2)
    assert accuracy.wape(actual, predicted) == pytest.approx(4 / 38)
    assert accuracy.bias(actual, predicted) == pytest.approx(2 / 38)
    assert np.isnan(accuracy.wape(np.zeros(2), predicted))


def test_mase_uses_the_seasonal_naive_scale():
    train = np.r_[np.arange(12.0), np.arange(12.0) + 5]  # y_t - y_{t-12} = 5 everywhere
    assert accuracy.mase(np.array([20.0]), np.array([10.0]), train, m=12) == pytest.approx(2.0)
