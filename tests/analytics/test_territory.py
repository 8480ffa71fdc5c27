"""Territory balance: accounts and open pipeline per active rep, and their Gini
coefficient, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import territory

STAGES = so.Stages.read()


def test_gini_by_hand():
    assert territory.gini([5, 5, 5, 5]) == 0.0
    # |x_i - x_j| over all ordered pairs of (0, 0, 0, 4): 6 pairs with 4 -> 24; 2 n² mean = 32
    assert territory.gini([0, 0, 0, 4]) == pytest.approx(24 / 32)
    assert territory.gini([1, 3]) == pytest.approx(4 / (2 * 4 * 2))
    assert np.isnan(territory.gini([])) and np.isnan(territory.gini([0, 0]))


def test_territory_by_hand():
    reps = pd.DataFrame({"rep_id": ["A", "B"], "role": "rep", "end_date": pd.NaT})
    opps = pd.DataFrame(
        {
            "owner_id": ["A", "A", "A", "B"],
            "account_id": ["X", "X", "Y", "Z"],
            "stage": ["Proposal", "Closed Won", "Discovery", "Proposal"],
            "amount": [10.0, 99.0, 30.0, 40.0],
        }
    )
    terr = territory.territory(opps, reps, STAGES)
    assert terr.loc["A"].tolist() == [2, 40.0] and terr.loc["B"].tolist() == [1, 40.0]
    assert territory.inequality(terr)["open_pipeline"] == 0.0


def test_territory_open_pipeline_is_unknown_where_every_open_deal_lacks_an_amount():
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "hire_date": pd.NaT,
            "end_date": pd.NaT,
            "role": "rep",
        }
    )
    deals = pd.DataFrame(
        {
            "opportunity_id": ["A", "B", "C", "D"],
            "owner_id": ["R1", "R1", "R2", "R3"],
            "account_id": ["X", "Y", "Z", "Z"],
            "stage": ["Proposal", "Proposal", "Proposal", "Closed Won"],
            "amount": [300.0, np.nan, np.nan, 50.0],
        }
    )
    t = territory.territory(deals, reps, STAGES)
    assert t.at["R1", "open_pipeline"] == 300.0  # B has no amount: left out
    assert np.isnan(t.at["R2", "open_pipeline"])  # its only open deal has none: unknown
    assert t.at["R3", "open_pipeline"] == 0.0  # no open deal: a true zero
    assert t["accounts"].tolist() == [2, 1, 1]


def test_only_active_sellers_are_counted_and_a_rep_without_deals_has_zeros():
    """M is a manager and L has left: neither is in the territory; C has no deal: 0
    accounts and 0 open pipeline (known zeros). Gini of accounts (2, 0): |2 − 0| × 2
    ordered pairs = 4, over 2 n² x̄ = 2 × 4 × 1 = 8 -> 0.5."""
    reps = pd.DataFrame(
        {
            "rep_id": ["M", "A", "L", "C"],
            "role": ["manager", "rep", "rep", "rep"],
            "end_date": pd.to_datetime([None, None, "2026-01-31", None]),
        }
    )
    opps = pd.DataFrame(
        {
            "owner_id": ["M", "A", "A", "L"],
            "account_id": ["W", "X", "Y", "Z"],
            "stage": ["Proposal", "Proposal", "Closed Lost", "Proposal"],
            "amount": [5.0, 10.0, 20.0, 30.0],
        }
    )
    terr = territory.territory(opps, reps, STAGES)
    assert list(terr.index) == ["A", "C"] and terr.index.name == "rep_id"
    assert terr.loc["A"].tolist() == [2, 10.0] and terr.loc["C"].tolist() == [0, 0.0]
    gini = territory.inequality(terr, ["accounts"])
    assert gini.to_dict() == {"accounts": pytest.approx(0.5)}


def test_gini_leaves_unknown_values_out():
    # (nan, 1, 3) is (1, 3): 4 / (2 × 4 × 2) = 0.25
    assert territory.gini(np.array([np.nan, 1.0, 3.0])) == pytest.approx(0.25)
    assert np.isnan(territory.gini(pd.Series([np.nan, np.nan])))
