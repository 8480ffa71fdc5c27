"""The outlook's run-rate (analytics.runrate): the past quarters it is measured on, when it
is seasonal, and when it is unknown, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import outlook_deals_since_2025 as _since_2025

import salesops as so
from salesops.analytics import gaps, runrate
from salesops.data.periods import Period
from salesops.data.stages import Stages

STAGES = Stages.read()


def test_most_won_deals_without_an_amount_are_said():
    """3 won deals in the run-rate's quarters (W0, W2, R1): with 2 unpriced, the note says
    so; with 1 (not most) it says nothing."""
    q4, as_of = so.Period.parse("2026-Q4"), pd.Timestamp("2026-10-15")
    deals = _since_2025()
    assert runrate.unpriced_wins(deals, q4, as_of, stages=STAGES) == ""
    one = deals.assign(amount=deals["amount"].where(deals["opportunity_id"] != "W2"))
    assert runrate.unpriced_wins(one, q4, as_of, stages=STAGES) == ""
    two = one.assign(amount=one["amount"].where(one["opportunity_id"] != "W0"))
    assert runrate.unpriced_wins(two, q4, as_of, stages=STAGES) == (
        "2 of 3 won deals in 2025-Q4 to 2026-Q3 have no amount: the run-rate counts only "
        "the other 1, and is too low by as much as they were worth"
    )
    # none priced: not "counts only the other 0" (Olist); the run-rate says why it is unknown
    none = two.assign(amount=np.nan)
    assert runrate.unpriced_wins(none, q4, as_of, stages=STAGES) == ""
    assert "0 of 3 won deals priced" in gaps.why(runrate.run_rate(none, q4, as_of, stages=STAGES))


def test_the_run_rate_is_seasonal_with_two_years_of_history():
    # one deal a quarter, created after the matching cut and won inside it: a Q4 peak
    won = {
        "2024-Q4": 200.0, "2025-Q1": 50.0, "2025-Q2": 50.0, "2025-Q3": 50.0,
        "2025-Q4": 300.0, "2026-Q1": 100.0, "2026-Q2": 100.0, "2026-Q3": 100.0,
    }  # fmt: skip
    starts = [so.Period.parse(q).start for q in won]
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"D{i}" for i in range(len(won))],
            "stage": "Closed Won",
            "amount": list(won.values()),
            "created_date": [s + pd.Timedelta(days=4) for s in starts],
            "close_date": [s + pd.Timedelta(days=30) for s in starts],
        }
    )
    as_of, q4 = pd.Timestamp("2026-09-30"), so.Period.parse("2026-Q4")
    assert not runrate.seasonal(
        deals, as_of, stages=STAGES
    )  # first deal 2024-10-05, after 2024-07-01
    assert runrate.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx((100 * 3 + 300) / 4)
    older = pd.DataFrame(
        {
            "opportunity_id": ["OLD"],
            "stage": "Closed Lost",
            "amount": [1.0],
            "created_date": [pd.Timestamp("2024-01-02")],
            "close_date": [pd.Timestamp("2024-02-01")],
        }
    )
    deals = pd.concat([deals, older], ignore_index=True)
    assert runrate.seasonal(deals, as_of, stages=STAGES)
    growth = (100 * 3 + 300) / (50 * 3 + 200)
    expected = (300 + 200) / 2 * growth  # the last two Q4s, grown as the last year grew
    assert runrate.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx(expected)
    # next quarter: the last two Q1s, whatever the position of the quarters in the basis
    q1 = so.Period.parse("2027-Q1")
    assert runrate.run_rate(deals, q1, as_of, stages=STAGES) == pytest.approx(
        (100 + 50) / 2 * growth
    )


def test_the_real_salesforce_run_rate_is_unknown_not_one_deal():
    """Salesforce's real seed (tests/fixtures/exports/real/salesforce) at 2018-12: 2018-Q4
    holds 4 won deals, one priced (24,120,000): the 2019-Q1 run-rate was $6.03M, that one
    deal over four quarters. Now unknown, and the note says most wins lack an amount."""
    from pathlib import Path

    real = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "salesforce"
    tables = so.load(real / "source.yml", period="2018-12", on_invalid="quarantine")
    q1, day = so.Period.parse("2019-Q1"), pd.Timestamp("2018-12-31")
    o, stages = tables.opportunities, tables.stages
    rate = runrate.run_rate(o, q1, day, stages=stages)
    assert gaps.why(rate) == (
        "only 1 month of won deals with an amount in 2018-Q4 (1 of 4 won deals priced): a "
        "run-rate needs at least 3, so it is unknown"
    )
    assert runrate.unpriced_wins(o, q1, day, stages=stages).startswith(
        "3 of 4 won deals in 2018-Q4 have no amount"
    )


def test_past_quarters_are_the_complete_ones_each_with_the_matching_day():
    """2026-Q4 seen on 15 Oct 2026: 2026-Q3 ended on 30 Sep, so it is complete; each past
    quarter's day is 15 Oct moved back by whole quarters."""
    q4 = Period.parse("2026-Q4")
    past = runrate.past_quarters(q4, pd.Timestamp("2026-10-15"), 3)
    assert [(p.label, f"{day:%Y-%m-%d}") for p, day in past] == [
        ("2026-Q3", "2026-07-15"),
        ("2026-Q2", "2026-04-15"),
        ("2026-Q1", "2026-01-15"),
    ]
    # 2027-Q1 seen on 15 Nov 2026: 2026-Q4 is not over yet, so the first past one is Q3
    ahead = runrate.past_quarters(Period.parse("2027-Q1"), pd.Timestamp("2026-11-15"), 1)
    assert [(p.label, f"{day:%Y-%m-%d}") for p, day in ahead] == [("2026-Q3", "2026-05-15")]


def test_same_quarter_picks_that_quarter_of_the_last_two_years():
    q4 = Period.parse("2026-Q4")
    past = runrate.past_quarters(q4, pd.Timestamp("2026-09-30"), 8)  # 2026-Q3 .. 2024-Q4
    items = [p.label for p, _ in past]
    assert runrate.same_quarter(q4, past, items) == ["2025-Q4", "2024-Q4"]


def test_without_a_close_the_run_rate_is_unknown_and_not_seasonal():
    deals = _since_2025()
    open_only = deals[deals["stage"].isin(STAGES.open_names)]
    q4, as_of = so.Period.parse("2026-Q4"), pd.Timestamp("2026-10-15")
    assert not runrate.seasonal(open_only, as_of, STAGES)
    rate = runrate.run_rate(open_only, q4, as_of, stages=STAGES)
    assert np.isnan(rate) and gaps.why(rate) == (
        "the source holds no closed deal: no run-rate of deals not created yet"
    )
    assert runrate.unpriced_wins(open_only, q4, as_of, stages=STAGES) == ""
