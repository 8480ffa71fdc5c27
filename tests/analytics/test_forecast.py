"""Forecasting: the forecast, its rules, its intervals and the bookings series it reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import accuracy, bookings, gaps, intervals, reconciliation
from salesops.analytics import forecast as fc
from salesops.analytics import timeseries as ts
from salesops.data.stages import Stages

STAGES = Stages.read()
MONTHS = pd.period_range("2022-01", periods=48, freq="M").strftime("%Y-%m")


def seasonal_series(seed: int = 0, months: int = 48, level: float = 100.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    values = level * (1 + 0.01 * t) * season + rng.normal(0, 3, months)
    return pd.Series(values, index=pd.period_range("2022-01", periods=months, freq="M"))


# -- the forecast -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seasonal() -> fc.Forecast:
    """The 12-month forecast of :func:`seasonal_series`, fitted once for the tests that read
    it (none changes it)."""
    return fc.forecast(seasonal_series(), 12)


def test_the_same_data_gives_the_same_forecast(seasonal):
    a, b = seasonal, fc.forecast(seasonal_series(), 12)  # two fits of the same data
    pd.testing.assert_series_equal(a.mean, b.mean)
    assert a.model == b.model and np.array_equal(a.sigma, b.sigma)


def test_forecast_follows_a_clean_seasonal_series():
    y = seasonal_series(months=60)
    result = fc.forecast(y.iloc[:48], 12)
    truth = y.iloc[48:].to_numpy()
    assert list(result.mean.index) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert accuracy.mase(truth, result.mean.to_numpy(), y.iloc[:48].to_numpy()) < 1.0
    assert result.seasonal and set(result.members.index) == {"ets", "arima", "theta"}
    assert result.by_model.mean(axis=1).clip(lower=0).to_numpy() == pytest.approx(result.mean)


def q4_peak(months: int, seed: int = 3) -> pd.Series:
    """Bookings of about 100 a month, 250 in each December and 160 in November, noisy."""
    rng = np.random.default_rng(seed)
    index = pd.period_range("2023-11", periods=months, freq="M")
    peak = {11: 160.0, 12: 250.0}
    values = [peak.get(p.month, 100.0) * rng.lognormal(0, 0.08) for p in index]
    return pd.Series(values, index=index)


def test_a_36_month_series_with_a_q4_peak_gets_a_seasonal_forecast():
    result = fc.forecast(q4_peak(36), 12)
    assert result.seasonal and "seasonal models are used" in result.notes[0]
    december, others = result.mean["2026-12"], result.mean.drop(["2026-11", "2026-12"])
    assert december > 1.8 * others.mean()
    assert result.mean["2026-11"] > 1.3 * others.mean()


@pytest.mark.parametrize("months", [24, 25, 36])
def test_two_to_three_years_get_a_seasonal_forecast_with_a_note(months):
    result = fc.forecast(q4_peak(months), 12)
    assert result.seasonal and result.notes and (result.mean > 0).all()
    assert np.isfinite(result.sigma).all() and (np.diff(result.sigma) >= -1e-9).sum() > 6


def test_a_series_without_a_yearly_pattern_is_not_forecast_seasonally():
    rng = np.random.default_rng(5)
    flat = pd.Series(100 + rng.normal(0, 10, 36), index=MONTHS[:36])
    result = fc.forecast(flat, 12)
    assert not result.seasonal and "not used" in result.notes[0]
    assert ts.seasonal_strength(flat.to_numpy()) < ts.STRONG


def test_theta_drifts_by_two_thirds_of_the_straight_lines_slope():
    # y = 10 + t + noise: the theta member's forecast rises each month by (1 − 1/θ) of
    # the least-squares slope, θ = 3 (the classical θ = 2 would take half of it)
    t = np.arange(36.0)
    y = 10 + t + np.random.default_rng(1).normal(0, 1, 36)
    slope = np.polyfit(t, y, 1)[0]
    member = ts.theta(y, False, 6)
    assert np.diff(member.mean) == pytest.approx(np.full(5, slope * 2 / 3))
    assert ts.THETA == 3.0


def test_intervals_are_ordered_and_widen_with_the_horizon():
    result = fc.forecast(seasonal_series(3), 18)
    frame = result.frame()
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["lower_80"] <= frame["forecast"]).all()
    assert (frame["forecast"] <= frame["upper_80"]).all()
    assert (frame["upper_80"] <= frame["upper_95"]).all()
    width = frame["upper_95"] - frame["lower_95"]
    assert width.iloc[-1] > width.iloc[0]


def test_the_interval_adds_the_models_disagreement_calibrated_on_m3():
    y = seasonal_series()
    result = fc.forecast(y, 12)
    own = result.members["sigma_1"].mean() / np.sqrt(len(result.members))
    spread = result.by_model.iloc[0].to_numpy()
    s_1 = np.sqrt(own**2 + np.var(spread))
    values = y.to_numpy()
    d = np.mean(np.abs(values[12:] - values[:-12]))  # the in-sample seasonal naive error
    # σ_1 = 0.771 · 1^0.15 · s_1^0.25 · d^0.75; 80%: ± 1.2816 σ; 95%: ± 2.27 σ (heavy tails)
    assert result.sigma[0] == pytest.approx(0.771 * s_1**0.25 * d**0.75)
    frame = result.frame()
    first = frame.iloc[0]
    assert first["upper_80"] - first["forecast"] == pytest.approx(1.2816 * result.sigma[0])
    assert first["upper_95"] - first["forecast"] == pytest.approx(2.27 * result.sigma[0])
    # a plain method keeps the normal quantiles
    plain = fc.forecast(pd.Series([5.0, 7.0, 6.0, 8.0], index=MONTHS[:4]), 3)
    assert plain.z == intervals.Z


@pytest.mark.parametrize(
    ("values", "note"),
    [
        ([0.0] * 30, "every month so far is zero"),
        ([5.0, 0.0, 7.0, 3.0, 0.0, 4.0, 6.0, 2.0, 5.0, 1.0], "too short to fit a model"),
        ([float(v) for v in range(1, 19)], "too short to fit a model"),
    ],
    ids=["all zero", "ten months", "eighteen months"],
)
def test_short_and_zero_series_get_a_forecast_with_a_note(values, note):
    result = fc.forecast(pd.Series(values, index=MONTHS[: len(values)]), 6)
    assert len(result.mean) == 6 and (result.mean >= 0).all() and np.isfinite(result.sigma).all()
    assert any(note in n for n in result.notes)


def test_no_month_of_history_is_an_unknown_forecast_not_zero():
    result = fc.forecast(pd.Series([], dtype=float), 6)
    assert len(result.mean) == 6 and result.mean.isna().all() and result.notes == ["no history"]


@pytest.mark.parametrize("priced", [1, 2])
def test_one_or_two_priced_months_are_an_unknown_forecast_not_a_line(priced):
    """A source where only one month has won deals with an amount got a 12-month forecast
    (a flat line through that month, with a band from it): fewer than ``MIN_PRICED``
    months of priced bookings make the forecast unknown, with the reason."""
    values = [0.0] * 10 + ([5000.0] if priced == 1 else [4000.0, 0.0, 5000.0])
    series = pd.Series(values, index=MONTHS[: len(values)])
    result = fc.forecast(series, 12)
    assert len(result.mean) == 12 and result.mean.isna().all() and result.model == "none"
    months = ", ".join(series.index[series > 0].astype(str))
    assert result.unknown == (
        f"only {priced} month{'s' if priced > 1 else ''} of bookings with an amount "
        f"({months}): a forecast needs at least 3, so it is unknown, not a line through "
        f"{'it' if priced == 1 else 'them'}"
    )
    total = result.total(3)
    assert gaps.why(total) and "at least 3" in gaps.why(total)  # not 0.0: NaN skipped by sum
    # three priced months: the plain, labelled method with its wide band
    three = fc.forecast(pd.Series([4000.0, 0.0, 5000.0, 4500.0], index=MONTHS[:4]), 12)
    assert three.model == fc.PLAIN and three.unknown is None
    assert three.total(3) == pytest.approx(3 * np.mean([4000.0, 0.0, 5000.0, 4500.0]))
    # a rep hired last month: their forecast only sets their share of the region's
    rep = fc.forecast(pd.Series([0.0, 4000.0], index=MONTHS[:2]), 6, min_priced=1)
    assert rep.model == fc.PLAIN and "too short to fit a model" in rep.notes[-1]


def test_under_two_years_gives_the_recent_mean_with_a_wide_interval():
    values = [100.0, 120, 80, 110, 90, 130, 70, 100, 120, 80, 110, 90, 100, 120, 80, 110, 90, 130]
    result = fc.forecast(pd.Series(values, index=MONTHS[:18]), 12)
    assert result.model == fc.PLAIN and result.members.empty
    last = np.array(values[-12:])
    assert result.mean.to_numpy() == pytest.approx(np.full(12, last.mean()))
    # σ_h = s·√h, s the last 12 months' standard deviation: the 80% band of the first
    # month already holds about 80% of those months, and it widens from there
    s = last.std(ddof=1)
    assert result.sigma == pytest.approx(s * np.sqrt(np.arange(1, 13)))
    frame = result.frame()
    assert (frame["upper_95"] - frame["lower_95"]).is_monotonic_increasing
    assert "too short to fit a model" in result.notes[-1] and "wide interval" in result.notes[-1]


def test_leading_months_before_the_data_begins_are_left_out(seasonal):
    y = seasonal_series(months=48)
    padded = pd.concat([pd.Series(0.0, index=pd.period_range("2020-01", periods=24, freq="M")), y])
    assert fc.start(padded.to_numpy()) == 24
    with_zeros, without = fc.forecast(padded, 12), seasonal  # seasonal: fc.forecast(y, 12)
    # the same forecast as the series without its leading zeros, and a note saying so
    assert with_zeros.mean.to_numpy() == pytest.approx(without.mean.to_numpy())
    assert with_zeros.model == without.model
    assert "the first 24 months (2020-01 to 2021-12), before" in with_zeros.notes[0]
    # a rep's partial first month (a tenth of a typical month) is left out too
    assert fc.start(np.r_[0.0, 0.0, 5.0, 100.0, 120.0, 90.0]) == 3


def test_a_few_zero_months_in_the_middle_do_not_blow_up_the_models():
    y = q4_peak(48)
    y.iloc[[20, 21, 30]] = 0.0  # a CRM outage: three months without bookings
    result = fc.forecast(y, 12)
    assert result.seasonal and np.isfinite(result.mean).all() and np.isfinite(result.sigma).all()
    # no multiplicative form on a series with zeros, and a forecast in the range of the data
    assert "M)" not in result.model and "log" not in result.model
    assert result.mean.max() < 1.5 * y.max() and result.mean.min() > 0.3 * y[y > 0].min()
    frame = result.frame()
    assert (frame["upper_95"] < 5 * y.max()).all()


def test_monthly_bookings_by_hand(tiny_dir):
    tables = so.load(tiny_dir)
    series = bookings.monthly(tables.opportunities, "2026-09", stages=STAGES)
    won = tables.opportunities[tables.opportunities["stage"] == "Closed Won"]
    assert series.index[-1] == "2026-09"
    assert series.sum() == pytest.approx(won.loc[won["close_date"] < "2026-10-01", "amount"].sum())
    assert series["2026-08"] == pytest.approx(
        won.loc[won["close_date"].dt.strftime("%Y-%m") == "2026-08", "amount"].sum()
    )


def test_monthly_bookings_start_at_the_first_close_not_the_first_creation(tiny_dir):
    # tiny: deals created from 2026-03, the first close is O4 on 2026-07-31
    opps = so.load(tiny_dir).opportunities
    series = bookings.monthly(opps, "2026-10", stages=STAGES)
    assert series.index.tolist() == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert series.tolist() == [8_000, 10_000, 50_000, 12_000]
    by_region = bookings.monthly(opps, "2026-10", by="region", stages=STAGES)
    assert by_region.index[0] == "2026-07" and by_region.sum().sum() == 80_000
    # nothing closed yet: no month at all, not a run of zeros
    open_only = opps[opps["stage"] == "Proposal"]
    assert bookings.monthly(open_only, "2026-10", stages=STAGES).empty


def test_months_of_history_count_only_real_months():
    # created from Oct 2016, first close Mar 2017, data to Dec 2017: 10 real months
    created = pd.date_range("2016-10-05", periods=15, freq="MS") + pd.Timedelta(days=4)
    close = pd.date_range("2017-03-01", periods=10, freq="MS") + pd.Timedelta(days=9)
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"D{i}" for i in range(25)],
            "created_date": list(created) + list(close - pd.Timedelta(days=40)),
            "close_date": [pd.NaT] * 15 + list(close),
            "stage": ["Proposal"] * 15 + ["Closed Won"] * 10,
            "amount": [np.nan] * 15 + [100.0 + 10 * i for i in range(10)],
        }
    )
    series = bookings.monthly(deals, "2017-12", stages=STAGES)
    assert len(series) == 10 and series.index[0] == "2017-03"
    notes = " ".join(fc.forecast(series, 3).notes)
    assert "only 10 months of data" in notes and "left out" not in notes


def test_an_empty_series_forecasts_the_months_after_its_last_one():
    """No deal closed yet (the real HubSpot seed, data to 2020-12): the months ahead
    follow the data's last month, not today's; their values are unknown (NaN)."""
    empty = pd.Series(dtype=float, index=pd.Index([], dtype=object, name="month"))
    f = fc.forecast(empty, 3, "2020-12")
    assert list(f.mean.index) == ["2021-01", "2021-02", "2021-03"]
    assert f.mean.isna().all()
    regions = pd.DataFrame(index=pd.Index([], dtype=object, name="month"))
    total, parts = reconciliation.reconciled(
        reconciliation.Monthly.from_regions(regions), 3, "2020-12"
    )
    assert list(total.mean.index) == ["2021-01", "2021-02", "2021-03"] and parts == {}
    assert reconciliation.last_month("2020-Q4") == "2020-12"


def test_won_deals_without_amounts_book_an_unknown_amount_not_zero(tiny_dir):
    """The real Olist export holds 841 won deals and no amount: its months are unknown
    (NaN), not $0, and so is the forecast (not the 'zero' model), the company total and
    a rep's productivity; a month with no won deal still books 0."""
    from salesops.analytics import capacity

    opps = so.load(tiny_dir).opportunities.copy()
    august = (opps["stage"] == "Closed Won") & (
        opps["close_date"].dt.strftime("%Y-%m") == "2026-08"
    )
    opps.loc[august, "amount"] = np.nan
    series = bookings.monthly(opps, "2026-10", stages=STAGES)
    assert np.isnan(series["2026-08"]) and series["2026-07"] == 8_000
    f = fc.forecast(series, 3)
    assert f.model == "none" and f.mean.isna().all()
    assert f.notes == [  # September and October come after it: too few to fit
        "after 2026-08, whose bookings are unknown, only 2 months of bookings with an "
        "amount (2026-09, 2026-10): a forecast needs at least 3, so it is unknown, not a "
        "line through them"
    ]
    by_region = bookings.monthly(opps, "2026-10", by="region", stages=STAGES)
    total, _ = reconciliation.reconciled(
        reconciliation.Monthly.from_regions(by_region), 3, "2026-10"
    )
    assert total.mean.isna().all()
    assert np.isnan(capacity.known_mean(pd.Series([np.nan, 0.0, np.nan])))
    assert capacity.known_mean(pd.Series([np.nan, 0.0, 30.0])) == 15.0


def _months(values: list[float], first: str = "2026-01") -> pd.Series:
    labels = pd.period_range(first, periods=len(values), freq="M").strftime("%Y-%m")
    return pd.Series(values, index=pd.Index(labels, name="month"))


def test_an_unknown_month_is_not_fitted_as_zero():
    """February's won deals have no amount (NaN): the forecast is fitted on the 6 months
    after it, March to August (mean 650 / 6), and says so; February stays NaN in the
    history (a gap in the chart, not a $0 month). Before, February was filled with $0
    and the whole forecast was unknown."""
    f = fc.forecast(_months([100, np.nan, 120, 0, 130, 110, 140, 150]), 3)
    assert f.model == fc.PLAIN
    assert f.mean.tolist() == pytest.approx([650 / 6] * 3)
    assert np.isnan(f.history["2026-02"]) and f.history["2026-04"] == 0
    assert f.notes[0] == (
        "the deals won in 1 of the 8 months (2026-02) all lack an amount: their bookings "
        "are unknown, so the forecast uses only the 6 months after the last of "
        "them, from 2026-03"
    )
    assert "only 6 months of data" in f.notes[1]
    assert (len(f.history), f.fitted, f.fitted_from) == (8, 6, "2026-03")


def test_the_fitted_months_leave_out_those_before_the_bookings_begin_and_unknown_ones():
    """Fitted: the months the forecast rests on, not the series' months. A zero January
    is before the bookings begin (rule 2): 4 of 5 months, from February; an unknown last
    month leaves none (the forecast is unknown)."""
    f = fc.forecast(_months([0, 100, 120, 130, 110]), 3)
    assert (f.fitted, f.fitted_from) == (4, "2026-02")
    assert f.notes[0].startswith("the first month (2026-01), before the bookings begin")
    assert "only 4 months of data" in f.notes[-1]  # "the first 1 month" before
    f = fc.forecast(_months([100, 120, 130, np.nan]), 3)
    assert f.unknown and (f.fitted, f.fitted_from) == (0, None)


def test_an_unknown_last_month_or_too_few_known_after_one_is_an_unknown_forecast():
    last = fc.forecast(_months([100, 120, 130, 140, np.nan]), 3)
    assert last.mean.isna().all() and last.unknown == (
        "the deals won in 1 of the 5 months (2026-05) all lack an amount: their bookings "
        "are unknown, the last month's among them, so the forecast is unknown"
    )
    short = fc.forecast(_months([100, 120, 130, np.nan, 140, 0, 150]), 3)
    assert short.mean.isna().all() and short.unknown == (
        "after 2026-04, whose bookings are unknown, only 2 months of bookings with an "
        "amount (2026-05, 2026-07): a forecast needs at least 3, so it is unknown, not a "
        "line through them"
    )
    assert gaps.known_since(np.array([1.0, np.nan, 2.0, np.nan, 3.0, 4.0])) == 4
    assert gaps.known_since(np.array([1.0, 2.0])) == 0
