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


def test_the_company_month_is_the_known_sum_of_its_bookings_not_unknown_for_one_region():
    """East's only deal won in March has no amount, West won 100 then: the company's
    March books 100 (leaving East's out), as the metrics report's bookings do (bookings.total), not unknown
    because East's month is. April's 50 leaves out East's unpriced deal, and the company's
    and East's notes say so. Before, the company's series was the regions' sum with
    skipna=False: March unknown, and the forecast fitted on April to June only."""
    from salesops.analytics import bookings

    won, lost = STAGES.won, STAGES.lost_names[0]
    rows = [  # (region, close month, amount)
        ("West", "2026-01", 100.0),
        ("West", "2026-02", 100.0),
        ("East", "2026-02", 20.0),
        ("East", "2026-03", np.nan),
        ("West", "2026-03", 100.0),
        ("East", "2026-04", 50.0),
        ("East", "2026-04", np.nan),
        ("West", "2026-05", 100.0),
        ("East", "2026-05", 20.0),
        ("West", "2026-06", 100.0),
    ]
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(len(rows) + 1)],
            "owner_id": "R1",
            "region": [r for r, _, _ in rows] + ["East"],
            "stage": [won] * len(rows) + [lost],
            "amount": [a for _, _, a in rows] + [10.0],
            "created_date": pd.Timestamp("2025-12-01"),
            "close_date": pd.to_datetime([f"{m}-15" for _, m, _ in rows] + ["2026-01-10"]),
        }
    )
    series = rc.Monthly.of(deals, "2026-06", stages=STAGES)
    assert series.company.tolist() == [100.0, 120.0, 100.0, 50.0, 120.0, 100.0]
    for month, booked in series.company.items():
        assert bookings.total(deals, month, stages=STAGES) == booked
    assert np.isnan(series.regions.at["2026-03", "East"])
    company, regions = rc.reconciled(series, 3, "2026-06")
    assert company.history["2026-03"] == 100.0
    assert company.notes[-1] == (
        "in 2 of the 6 months (2026-03, 2026-04), 2 of the 4 deals won then have no "
        "amount: those months' bookings are the known sums, which leave them out"
    )
    assert regions["East"].notes[-1] == (  # its March is unknown, not a known sum
        "in 1 of the 6 months (2026-04), 1 of the 2 deals won then has no amount: that "
        "month's bookings are the known sum, which leaves it out"
    )
    assert not any("no amount" in n for n in regions["West"].notes)
    assert not any("unknown" in n for n in company.notes)  # fitted on all six months
