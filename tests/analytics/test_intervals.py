"""A forecast's σ per step, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from salesops.analytics import intervals


def test_the_spread_blends_the_models_sigma_with_the_year_on_year_change_by_hand():
    # two models, two steps: forecasts 10 and 14 (variance 4), σ 2 and 4 (mean 3)
    means = np.array([[10.0, 10.0], [14.0, 14.0]])
    sigmas = np.array([[2.0, 2.0], [4.0, 4.0]])
    s = np.sqrt(3.0**2 / 2 + 4.0)  # √8.5: the σ of the mean of two, with their disagreement
    # two years, the second 2 above the first each month: d = mean|y_t − y_{t−12}| = 2
    y = np.r_[np.arange(12.0), np.arange(12.0) + 2]
    sigma = intervals.spread(means, sigmas, y)
    assert sigma == pytest.approx(0.771 * np.array([1.0, 2**0.15]) * s**0.25 * 2.0**0.75)
    # the same models on a series that moves 16 a year: 8^0.75 = 2.83 times as wide
    assert intervals.spread(means, sigmas, y * 8) == pytest.approx(sigma * 8**0.75)
    # a series that repeats each year exactly (d = 0): the models' s_1 stands in for d
    flat = np.tile(np.arange(12.0), 2)
    assert intervals.spread(means, sigmas, flat)[0] == pytest.approx(0.771 * s)
