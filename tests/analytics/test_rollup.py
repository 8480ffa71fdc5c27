"""The forecast-category roll-up, the reps' submitted calls and the quarter's quota
(analytics.rollup), by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import outlook_deals as _deals

from salesops.analytics import gaps, rollup
from salesops.data.stages import Stages

STAGES = Stages.read()


def test_categories_submitted_and_quota_by_hand():
    deals = _deals()
    cats = rollup.categories(deals, "2026-Q4", pd.Timestamp("2026-10-15"), stages=STAGES)
    assert cats.to_dict() == {
        "closed": 100.0,
        "categorised": 2,  # the commit and best-case deals due, both priced
        "unpriced": 0,
        "commit": 500.0,
        "best_case": 700.0,
        "pipeline": 700.0,
    }
    subs = pd.DataFrame(
        {
            "owner_id": ["R1", "R1", "R1", "R2"],
            "period": ["2026-10", "2026-10", "2026-11", "2026-10"],
            "submitted_at": pd.to_datetime(
                ["2026-10-01", "2026-10-09", "2026-11-02", "2026-10-03"]
            ),
            "category": ["commit"] * 4,
            "amount": [10.0, 12.0, 20.0, 5.0],
        }
    )
    sent = rollup.submitted(subs, "2026-Q4")
    assert sent["commit"] == 12 + 20 + 5 and np.isnan(sent["best_case"])
    quotas = pd.DataFrame(
        {
            "rep_id": ["R1", "R1"],
            "month": pd.to_datetime(["2026-10-01", "2027-01-01"]),
            "amount": [7.0, 9.0],
        }
    )
    assert rollup.quota(quotas, "2026-Q4") == 7.0 and np.isnan(rollup.quota(quotas, "2027-Q2"))


def test_roll_ups_leave_unpriced_deals_out_and_are_unknown_without_any_amount():
    as_of = pd.Timestamp("2026-10-15")
    # P1 (best case, 200) loses its amount: commit = 100 closed + 400 = 500 as before; the
    # best-case category has no priced deal, so best case and pipeline are unknown
    deals = _deals()
    deals.loc[deals["opportunity_id"] == "P1", "amount"] = np.nan
    cats = rollup.categories(deals, "2026-Q4", as_of, stages=STAGES)
    assert cats["commit"] == 500.0
    assert gaps.why(cats["best_case"]) == "the one best case deal due in 2026-Q4 has no amount"
    assert gaps.why(cats["pipeline"]) == gaps.why(cats["best_case"])
    assert (cats["categorised"], cats["unpriced"]) == (2, 1)  # N1 and P1; P1 left out
    # a second commit deal without an amount: commit = 100 + 400, one of 2 commit deals out
    extra = deals.iloc[[3]].assign(opportunity_id="N2", amount=np.nan)
    cats = rollup.categories(pd.concat([deals, extra]), "2026-Q4", as_of, stages=STAGES)
    assert cats["commit"] == 500.0 and (cats["categorised"], cats["unpriced"]) == (3, 2)
    # no deal of the data has an amount: every roll-up is unknown, never $0
    bare = _deals().assign(amount=np.nan)
    cats = rollup.categories(bare, "2027-Q2", as_of, stages=STAGES)  # nothing due then
    why = "none of the 6 deals has an amount: the roll-ups are sums of amounts"
    assert all(gaps.why(cats[k]) == why for k in ("commit", "best_case", "pipeline"))


def test_without_submissions_or_quotas_the_calls_and_quota_are_nan():
    assert rollup.submitted(None, "2026-Q4").isna().all()
    assert rollup.submitted(None, "2026-Q4").name == "2026-Q4"
    assert np.isnan(rollup.quota(None, "2026-Q4"))


def test_submitted_sums_the_last_call_of_each_rep_and_month_per_category():
    """R1's best case for October: 30 then 25 (the last counts); R2's for November: 40;
    a December commit of 9 is R1's only commit. 2027-01 is outside Q4."""
    subs = pd.DataFrame(
        {
            "owner_id": ["R1", "R1", "R2", "R1", "R1"],
            "period": ["2026-10", "2026-10", "2026-11", "2026-12", "2027-01"],
            "submitted_at": pd.to_datetime(
                ["2026-10-01", "2026-10-20", "2026-11-03", "2026-12-01", "2027-01-02"]
            ),
            "category": ["best_case", "best_case", "best_case", "commit", "commit"],
            "amount": [30.0, 25.0, 40.0, 9.0, 1000.0],
        }
    )
    assert rollup.submitted(subs, "2026-Q4").to_dict() == {"commit": 9.0, "best_case": 65.0}


def test_an_open_deal_due_without_a_category_is_left_out_of_the_roll_ups():
    """N1 (commit, 400, overdue so due in Q4) loses its category while P1 keeps its
    (best case, 200): commit = closed 100, best case = 100 + 200 = 300; only P1 is
    categorised. W1 (won in Q4, 100) is the closed amount."""
    deals = _deals()
    deals.loc[deals["opportunity_id"] == "N1", "forecast_category"] = None
    cats = rollup.categories(deals, "2026-Q4", pd.Timestamp("2026-10-15"), stages=STAGES)
    assert cats.to_dict() == {
        "closed": 100.0,
        "categorised": 1,
        "unpriced": 0,
        "commit": 100.0,
        "best_case": 300.0,
        "pipeline": 300.0,
    }
    assert not any(gaps.why(v) for v in cats)
