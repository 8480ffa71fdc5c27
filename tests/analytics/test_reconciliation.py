"""Forecasts that add up: the company, its regions and their reps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import forecast as fc
from salesops.analytics import reconciliation as rc
from salesops.data.stages import Stages

STAGES = Stages.read()


def test_an_unknown_region_is_not_reconciled_into_the_others():
    """A region without enough priced months has no forecast of its own: sharing the
    total's gap among the other regions would hand them its bookings."""
    total = _fixed([100.0], [1.0])
    none = fc.Forecast(
        pd.Series(dtype=float),
        pd.Series([np.nan], index=pd.Index(["2027-01"], name="month")),
        np.array([np.nan]),
        "none",
        notes=["only 1 month of bookings with an amount"],
    )
    new_total, parts = rc.reconcile(total, {"a": _fixed([30.0], [1.0]), "b": none})
    assert new_total.mean.iloc[0] == 100.0 and parts["a"].mean.iloc[0] == 30.0
    assert parts["b"].unknown and "do not add up" in new_total.notes[-1]


def test_company_and_regions_without_a_won_deal_has_no_regions_and_no_crash():
    """It crashed with a broadcasting error (shapes (0,) and (12,)) when no deal was won."""
    deals = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "region": ["East", "West"],
            "stage": [STAGES.lost_names[0], STAGES.open_names[0]],
            "amount": [100.0, 200.0],
            "created_date": pd.to_datetime(["2026-01-05", "2026-02-05"]),
            "close_date": pd.to_datetime(["2026-03-10", "2026-12-01"]),
        }
    )
    company, regions = rc.company_and_regions(deals, "2026-10", 12, stages=STAGES)
    assert regions == {} and len(company.mean) == 12


def _fixed(mean: list[float], sigma: list[float]) -> fc.Forecast:
    index = pd.Index(["2027-01", "2027-02"][: len(mean)], name="month")
    return fc.Forecast(pd.Series(dtype=float), pd.Series(mean, index=index), np.array(sigma), "x")


def test_reconcile_by_hand():
    total = _fixed([100.0], [1.0])
    parts = {"a": _fixed([30.0], [1.0]), "b": _fixed([50.0], [np.sqrt(2)])}
    new_total, new = rc.reconcile(total, parts)
    # gap 20 shared by variance: a gets 1/4, b 2/4; the total is their sum
    assert new["a"].mean.iloc[0] == pytest.approx(35.0)
    assert new["b"].mean.iloc[0] == pytest.approx(60.0)
    assert new_total.mean.iloc[0] == pytest.approx(95.0)


def test_split_by_hand():
    shares = rc.split(
        _fixed([90.0, 10.0], [1, 1]),
        {"a": _fixed([10.0, 0], [1, 1]), "b": _fixed([20.0, 0], [1, 1])},
    )
    assert shares["a"].mean.tolist() == pytest.approx([30.0, 5.0])
    assert shares["b"].mean.tolist() == pytest.approx([60.0, 5.0])


def test_regions_sum_to_the_company_and_reps_to_their_region(demo_tables):
    company, regions = rc.company_and_regions(
        demo_tables.opportunities, "2026-10", 12, stages=STAGES
    )
    summed = sum(r.mean for r in regions.values())
    assert np.abs(summed - company.mean).max() < 1e-6
    emea = demo_tables.reps[demo_tables.reps["region"] == "EMEA"]
    reps = rc.reps_of_region(
        regions["EMEA"], demo_tables.opportunities, emea, "2026-10", stages=STAGES
    )
    assert reps and set(reps) <= set(emea["rep_id"])
    assert np.abs(sum(r.mean for r in reps.values()) - regions["EMEA"].mean).max() < 1e-6
    assert all((r.mean >= 0).all() for r in reps.values())
