"""The plan's target (analytics.targets): stated, from quotas or from the forecast, per
quarter with the forecast's 80% range, and regional targets that miss the company's; on
hand-made forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import gaps, targets
from salesops.analytics.forecast import Forecast
from salesops.data.periods import Period

YEAR = Period.parse("2027")
MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]


def _forecast(mean: list[float], sigma: float = 10.0, notes: list[str] | None = None) -> Forecast:
    """A forecast of 2027's months (``mean``), each with the same σ."""
    history = pd.Series([100.0], index=["2026-12"])
    index = MONTHS[: len(mean)]
    return Forecast(
        history, pd.Series(mean, index=index), np.full(len(mean), sigma), "hand", notes=notes or []
    )


def test_regional_targets_are_checked_against_the_company_target_by_hand():
    """|Σ regions − company| > 0.5% × company is warned of: 400 + 500 = 900 against 1,000
    (−10%), with South named as without a target; 498 + 500 = 998 (−0.2%) adds up; a plan
    stating no company target, or no regional one, has nothing to check."""
    from salesops.analytics.targets import unsummed

    miss = unsummed({"company": 1000, "region:East": 400, "region:West": 500}, ["East", "West", "South"])  # fmt: skip
    assert miss is not None
    assert (miss.regions, miss.total, miss.company, miss.missing) == (
        {"East": 400.0, "West": 500.0}, 900.0, 1000.0, ("South",)
    )  # fmt: skip
    assert miss.off == pytest.approx(-0.1)
    assert unsummed({"company": 1000, "region:East": 498, "region:West": 500}, ["East"]) is None
    assert unsummed({"company": 1000, "region:East": 506}, ["East"]) is not None  # +0.6%
    assert unsummed({"region:East": 400, "region:West": 500}, ["East", "West"]) is None
    assert unsummed({"company": 1000}, ["East"]) is None


def test_quarters_of_a_year():
    assert [q.label for q in targets.quarters(YEAR)] == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]


def test_forecast_by_quarter_sums_the_months_and_their_sigmas():
    """100 a month with σ 10: each quarter 300, σ_q = 30, 80% range 300 ± 1.2816 × 30 =
    261.552 to 338.448; the year 1,200, 1,046.208 to 1,353.792 (the quarters' sums)."""
    frame = targets.forecast_by_quarter(_forecast([100.0] * 12), YEAR)
    assert (
        list(frame.columns) == ["forecast", "lower_80", "upper_80"]
        and frame.dtypes.eq(object).all()
    )
    assert frame.loc["2027-Q2"].tolist() == pytest.approx([300.0, 261.552, 338.448])
    assert frame.loc["Year"].tolist() == pytest.approx([1200.0, 1046.208, 1353.792])
    # a wide σ: the lower bound is floored at 0 (300 − 1.2816 × 300 < 0)
    wide = targets.forecast_by_quarter(_forecast([100.0] * 12, sigma=100.0), YEAR)
    assert wide.at["2027-Q1", "lower_80"] == 0.0


def test_a_forecast_that_does_not_reach_the_year_end_is_an_error():
    with pytest.raises(ValueError, match="does not reach 2027-Q4"):
        targets.forecast_by_quarter(_forecast([100.0] * 11), YEAR)


def test_the_target_falls_back_to_the_forecast_times_growth_and_says_why():
    """No stated target, no quotas: each quarter 300 × 1.1 = 330, the year 1,320."""
    target = targets.plan_target(_forecast([100.0] * 12), YEAR, 0.1)
    assert target.basis == "forecast"
    assert target.frame["target"].tolist() == pytest.approx([330.0] * 4 + [1320.0])
    assert target.year == pytest.approx(1320.0)
    assert target.sentence == (
        "the forecast × (1 + growth 10%), because the plan states no target (parameter "
        "`target`) and the source holds no quotas for every month of 2027"
    )


def test_a_stated_target_is_spread_like_the_forecast_or_evenly_when_it_is_unknown():
    """Forecast Q1 3 × 200 = 600, other quarters 300, year 1,500: a stated 3,000 gives Q1
    3,000 × 600 / 1,500 = 1,200 and 600 to each other quarter."""
    target = targets.plan_target(_forecast([200.0] * 3 + [100.0] * 9), YEAR, 0.5, stated=3000.0)
    assert (
        target.basis == "stated" and "spread over the quarters like the forecast" in target.sentence
    )
    assert target.frame["target"].tolist() == pytest.approx([1200.0, 600.0, 600.0, 600.0, 3000.0])
    unknown = _forecast([np.nan] * 12, notes=["no month of history"])
    even = targets.plan_target(unknown, YEAR, 0.5, stated=3000.0)
    assert even.frame["target"].tolist() == pytest.approx([750.0] * 4 + [3000.0])
    assert even.sentence.endswith("evenly (the forecast is unknown)")
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="non-negative amount"):
            targets.plan_target(_forecast([100.0] * 12), YEAR, 0.0, stated=bad)


def test_quotas_for_every_month_of_the_year_are_the_target():
    """10 a month: 30 a quarter, 120 the year; without December's row the plan falls back
    to the forecast (quotas must cover every month)."""
    quotas = pd.DataFrame({"month": pd.to_datetime([f"{m}-01" for m in MONTHS]), "amount": 10.0})
    quotas = pd.concat([quotas, quotas.assign(month=pd.Timestamp("2028-01-01"))])  # not 2027
    target = targets.plan_target(_forecast([100.0] * 12), YEAR, 0.1, quotas=quotas)
    assert (target.basis, target.sentence) == ("quotas", "the quotas the source holds for 2027")
    assert target.frame["target"].tolist() == pytest.approx([30.0] * 4 + [120.0])
    partial = quotas[quotas["month"] != pd.Timestamp("2027-12-01")]
    assert (
        targets.plan_target(_forecast([100.0] * 12), YEAR, 0.1, quotas=partial).basis == "forecast"
    )


def test_an_unknown_forecast_gives_an_unknown_target_with_its_reason():
    unknown = _forecast([np.nan] * 12, notes=["no month of history"])
    target = targets.plan_target(unknown, YEAR, 0.1)
    why = "the target starts from the forecast, which is unknown: no month of history"
    assert [gaps.why(v) for v in target.frame["target"]] == [why] * 5
    assert gaps.why(target.year) == why
    assert gaps.why(target.frame.at["Year", "forecast"]) == (
        "the forecast is unknown: no month of history"
    )


def test_unsummed_off_with_a_zero_company_target_is_nan():
    miss = targets.unsummed({"company": 0, "region:East": 10}, ["East"])
    assert miss is not None and miss.total == 10.0 and np.isnan(miss.off)
