"""The cost of incentive pay: payouts simulated by Monte Carlo, checked against the analytic
payout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import payouts
from salesops.analytics.compensation import CompPlan

PLAN = CompPlan.read()
QUARTERS = pd.DataFrame(
    {"rep_id": ["A", "A", "B"], "quarter": [0, 1, 0], "amount": [100.0, 100.0, 200.0]}
)


def test_monte_carlo_is_reproducible_with_a_seed():
    sampler = payouts.bootstrap(np.array([0.4, 0.9, 1.2, 1.7]))
    a = payouts.simulate_payouts(PLAN, QUARTERS, sampler, simulations=500, seed=3)
    b = payouts.simulate_payouts(PLAN, QUARTERS, sampler, simulations=500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(payouts.simulate_payouts(PLAN, QUARTERS, sampler, simulations=500, seed=4))


def test_monte_carlo_matches_the_analytic_payout():
    constant = payouts.simulate_payouts(
        PLAN, QUARTERS, lambda rng, n: np.full(n, 1.2), simulations=10
    )
    exact = 2 * PLAN.payout(120, 100) + PLAN.payout(240, 200)
    assert constant["payout"].tolist() == pytest.approx([exact] * 10)
    # attainment uniform on [0, 0.5]: only the 4% band pays, E[payout] = 0.04 × 0.25 × Σ quota
    uniform = payouts.simulate_payouts(
        PLAN, QUARTERS, lambda rng, n: rng.uniform(0, 0.5, n), simulations=20_000, seed=1
    )
    analytic = 0.04 * 0.25 * QUARTERS["amount"].sum()
    standard_error = uniform["payout"].std() / np.sqrt(len(uniform))
    assert abs(uniform["payout"].mean() - analytic) < 4 * standard_error
    summary = payouts.payout_summary(uniform)
    assert summary["cost_of_sales"] == pytest.approx(0.04, rel=0.01)


def test_the_lognormal_sampler_is_robust_to_outliers():
    history = np.r_[np.full(95, 1.0), np.full(5, 13.0)]
    draws = payouts.lognormal(history)(np.random.default_rng(0), 1000)
    assert np.median(draws) == pytest.approx(1.0)


def test_attainment_history_leaves_out_rep_quarters_whose_bookings_are_unknown():
    """2026-Q3, quota 100 each: A won 50; B won one deal without an amount; C won nothing.
    B's quarter read 0% (the deal as $0), a draw the bootstrap sampler would take; its
    attainment is unknown and left out. C's 0% is a known zero and stays."""
    from salesops.data.stages import Stages

    deals = pd.DataFrame(
        {
            "owner_id": ["A", "B"],
            "stage": ["Closed Won", "Closed Won"],
            "amount": [50.0, np.nan],
            "close_date": pd.Timestamp("2026-08-15"),
        }
    )
    quotas = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C"],
            "month": pd.Timestamp("2026-08-01"),
            "amount": [100.0, 100.0, 100.0],
        }
    )
    history = payouts.attainment_history(
        deals, quotas, pd.Timestamp("2026-10-31"), stages=Stages.read(), quarters=1
    )
    assert sorted(history.tolist()) == [0.0, 0.5]
