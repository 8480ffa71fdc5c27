"""The cost of incentive pay: next year's commission under a plan, simulated from the
attainment reps actually reached. Formulas in ``docs/planning.md``.

- :func:`attainment_history` — every rep-quarter's attainment over the last two years;
- :func:`bootstrap`, :func:`lognormal` — samplers of attainment from that history;
- :func:`simulate_payouts` — Monte Carlo of commission under a plan;
- :func:`payout_summary` — expected payout, spread and cost of sales.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from salesops.analytics import metrics as m
from salesops.analytics.compensation import CompPlan
from salesops.data.periods import Period
from salesops.data.stages import Stages

Sampler = Callable[[np.random.Generator, int], np.ndarray]


def attainment_history(
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    quarters: int = 8,
    fiscal_year_start_month: int = 1,
) -> np.ndarray:
    """Quarterly attainment of every rep-quarter with a quota in the last ``quarters``
    complete quarters."""
    end = Period.holding(as_of + pd.Timedelta(days=1), fiscal_year_start_month).quarter()
    out = []
    for back in range(1, quarters + 1):
        q = end.shift(-back)
        att = m.quota_attainment(opportunities, quotas, q, by="owner_id", stages=stages)[
            "attainment"
        ]
        out.extend(att.dropna().to_numpy())
    return np.asarray(out, float)


def bootstrap(history: np.ndarray) -> Sampler:
    """A sampler drawing attainments from the history with replacement."""
    values = np.asarray(history, float)
    if len(values) == 0:
        raise ValueError("no attainment history to sample from")
    return lambda rng, n: rng.choice(values, size=n, replace=True)


def lognormal(history: np.ndarray) -> Sampler:
    """A log-normal sampler fitted robustly to the history.

    log a ~ Normal(μ, σ) with μ = median(log a) and σ = 1.4826 × MAD(log a) (the median
    absolute deviation, scaled to match a normal's σ): a few reps with mis-set quotas
    and 1,000% attainment do not drive the cost. Non-positive attainments are dropped.
    """
    values = np.asarray(history, float)
    logs = np.log(values[values > 0])
    if len(logs) == 0:
        raise ValueError("no positive attainment history to fit")
    mu = float(np.median(logs))
    sigma = float(1.4826 * np.median(np.abs(logs - mu)))
    return lambda rng, n: np.exp(rng.normal(mu, sigma, size=n))


def simulate_payouts(
    plan: CompPlan,
    quotas: pd.DataFrame,
    sampler: Sampler,
    *,
    simulations: int = 2000,
    seed: int = 7,
) -> pd.DataFrame:
    """Monte Carlo of a year's commission and bookings under ``plan``.

    ``quotas`` has one row per rep and quarter (``rep_id``, ``quarter``, ``amount``). In
    each simulation every rep-quarter draws an attainment a from ``sampler``; bookings
    = a × quota and payout = plan.payout(bookings, quota) (a quarterly true-up makes
    the months of a quarter pay the quarter's payout). Returns one row per simulation:
    ``payout``, ``bookings`` and ``cost_of_sales`` = payout / bookings.
    """
    rng = np.random.default_rng(seed)
    q = quotas["amount"].to_numpy(float)
    att = sampler(rng, simulations * len(q)).reshape(simulations, len(q))
    booked = att * q
    pay = plan.payouts(booked, q)
    out = pd.DataFrame({"payout": pay.sum(axis=1), "bookings": booked.sum(axis=1)})
    out["cost_of_sales"] = out["payout"] / out["bookings"].where(out["bookings"] > 0)
    return out


def payout_summary(simulated: pd.DataFrame) -> pd.Series:
    """Expected payout, its spread (p10, p90, standard deviation) and cost of sales."""
    p = simulated["payout"]
    return pd.Series(
        {
            "expected_payout": p.mean(),
            "p10": p.quantile(0.10),
            "p90": p.quantile(0.90),
            "std": p.std(),
            "expected_bookings": simulated["bookings"].mean(),
            "cost_of_sales": p.mean() / simulated["bookings"].mean(),
        }
    )
