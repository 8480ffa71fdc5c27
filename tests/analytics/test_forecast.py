"""Forecasting: accuracy measures, the forecast, coherence, win probability, the outlook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import execute

import salesops as so
from salesops.analytics import backtest as bt
from salesops.analytics import forecast as fc
from salesops.analytics import gaps, outlook
from salesops.analytics import probability as pr
from salesops.analytics import timeseries as ts
from salesops.data.stages import Stages
from salesops.reports import shared

STAGES = Stages.read()
ROOT = Path(__file__).parents[2]
MONTHS = pd.period_range("2022-01", periods=48, freq="M").strftime("%Y-%m")


def seasonal_series(seed: int = 0, months: int = 48, level: float = 100.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    values = level * (1 + 0.01 * t) * season + rng.normal(0, 3, months)
    return pd.Series(values, index=pd.period_range("2022-01", periods=months, freq="M"))


# -- accuracy measures, by hand ----------------------------------------------------------------
def test_mase_wape_bias_by_hand():
    train = np.array([10.0, 12, 14, 16])  # naive errors 2, 2, 2 -> scale 2 (m=1: too short for 12)
    actual, predicted = np.array([18.0, 20]), np.array([17.0, 23])
    assert fc.mase(actual, predicted, train) == pytest.approx((1 + 3) / 2 / 2)
    assert fc.wape(actual, predicted) == pytest.approx(4 / 38)
    assert fc.bias(actual, predicted) == pytest.approx(2 / 38)
    assert np.isnan(fc.wape(np.zeros(2), predicted))


def test_mase_uses_the_seasonal_naive_scale():
    train = np.r_[np.arange(12.0), np.arange(12.0) + 5]  # y_t - y_{t-12} = 5 everywhere
    assert fc.mase(np.array([20.0]), np.array([10.0]), train, m=12) == pytest.approx(2.0)


# -- the forecast -------------------------------------------------------------------------------
def test_the_same_data_gives_the_same_forecast():
    y = seasonal_series()
    a, b = fc.forecast(y, 12), fc.forecast(y, 12)
    pd.testing.assert_series_equal(a.mean, b.mean)
    assert a.model == b.model and np.array_equal(a.sigma, b.sigma)


def test_forecast_follows_a_clean_seasonal_series():
    y = seasonal_series(months=60)
    result = fc.forecast(y.iloc[:48], 12)
    truth = y.iloc[48:].to_numpy()
    assert list(result.mean.index) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert fc.mase(truth, result.mean.to_numpy(), y.iloc[:48].to_numpy()) < 1.0
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


def test_seasonal_strength_by_hand():
    # a pure yearly pattern has strength 1; a series under two years has none
    pattern = np.tile(np.arange(1.0, 13.0), 3)
    assert ts.seasonal_strength(pattern) == pytest.approx(1.0)
    assert np.isnan(ts.seasonal_strength(pattern[:23]))
    assert ts.seasonal_strength(np.full(36, 5.0)) != ts.seasonal_strength(np.full(36, 5.0))


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
    result = fc.forecast(seasonal_series(), 12)
    own = result.members["sigma_1"].mean() / np.sqrt(len(result.members))
    spread = result.by_model.iloc[0].to_numpy()
    # σ = 1.208 · √(σ̄²/k + Var F); 80%: ± 1.2816 σ; 95%: ± 2.26 σ (heavy tails)
    assert result.sigma[0] == pytest.approx(1.208 * np.sqrt(own**2 + np.var(spread)))
    frame = result.frame()
    first = frame.iloc[0]
    assert first["upper_80"] - first["forecast"] == pytest.approx(1.2816 * result.sigma[0])
    assert first["upper_95"] - first["forecast"] == pytest.approx(2.26 * result.sigma[0])
    # a plain method keeps the normal quantiles
    plain = fc.forecast(pd.Series([5.0, 7.0, 6.0, 8.0], index=MONTHS[:4]), 3)
    assert plain.z == fc.Z


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
    new_total, parts = fc.reconcile(total, {"a": _fixed([30.0], [1.0]), "b": none})
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
    company, regions = fc.company_and_regions(deals, "2026-10", 12, stages=STAGES)
    assert regions == {} and len(company.mean) == 12


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


def test_leading_months_before_the_data_begins_are_left_out():
    y = seasonal_series(months=48)
    padded = pd.concat([pd.Series(0.0, index=pd.period_range("2020-01", periods=24, freq="M")), y])
    assert fc.start(padded.to_numpy()) == 24
    with_zeros, without = fc.forecast(padded, 12), fc.forecast(y, 12)
    # the same forecast as the series without its leading zeros, and a note saying so
    assert with_zeros.mean.to_numpy() == pytest.approx(without.mean.to_numpy())
    assert with_zeros.model == without.model
    assert "the first 24 months" in with_zeros.notes[0]
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


def test_the_backtest_replays_the_rule_from_past_month_ends():
    y = q4_peak(48)
    evidence = bt.backtest(y, 12)
    assert set(evidence.table.index) == {"forecast", "ets", "arima", "theta", "seasonal naive"}
    assert set(evidence.coverage) == {80, 95} and len(evidence.past) == 4 * 12
    first = evidence.past["origin"].iloc[0]
    again = fc.forecast(y.loc[: pd.Period(first, freq="M")], 12).mean.to_numpy()
    assert evidence.past.loc[evidence.past["origin"] == first, "forecast"].to_numpy() == (
        pytest.approx(again)
    )
    assert bt.backtest(q4_peak(30), 12).table.empty


def test_monthly_bookings_by_hand(tiny_dir):
    tables = so.load(tiny_dir)
    series = fc.monthly_bookings(tables.opportunities, "2026-09", stages=STAGES)
    won = tables.opportunities[tables.opportunities["stage"] == "Closed Won"]
    assert series.index[-1] == "2026-09"
    assert series.sum() == pytest.approx(won.loc[won["close_date"] < "2026-10-01", "amount"].sum())
    assert series["2026-08"] == pytest.approx(
        won.loc[won["close_date"].dt.strftime("%Y-%m") == "2026-08", "amount"].sum()
    )


def test_monthly_bookings_start_at_the_first_close_not_the_first_creation(tiny_dir):
    # tiny: deals created from 2026-03, the first close is O4 on 2026-07-31
    opps = so.load(tiny_dir).opportunities
    series = fc.monthly_bookings(opps, "2026-10", stages=STAGES)
    assert series.index.tolist() == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert series.tolist() == [8_000, 10_000, 50_000, 12_000]
    by_region = fc.monthly_bookings(opps, "2026-10", by="region", stages=STAGES)
    assert by_region.index[0] == "2026-07" and by_region.sum().sum() == 80_000
    # nothing closed yet: no month at all, not a run of zeros
    open_only = opps[opps["stage"] == "Proposal"]
    assert fc.monthly_bookings(open_only, "2026-10", stages=STAGES).empty


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
    series = fc.monthly_bookings(deals, "2017-12", stages=STAGES)
    assert len(series) == 10 and series.index[0] == "2017-03"
    notes = " ".join(fc.forecast(series, 3).notes)
    assert "only 10 months of data" in notes and "left out" not in notes


def test_pipeline_forecast_and_roll_up_without_amounts_are_unknown_not_zero():
    deals = _deals()
    open_ = deals["stage"].isin(STAGES.open_names)
    blank = deals.assign(amount=deals["amount"].where(~open_))
    as_of = pd.Timestamp("2026-10-15")
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(blank, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["closed"] == 100.0 and (q4["open_deals"], q4["unpriced_deals"]) == (2, 2)
    assert np.isnan(q4["weighted_pipeline"]) and np.isnan(q4["expected"])
    assert gaps.why(q4["expected"]) == "none of the 2 open deals due in 2026-Q4 has an amount"
    cats = outlook.categories(blank, "2026-Q4", as_of, stages=STAGES)
    assert cats["closed"] == 100.0 and cats[["commit", "best_case", "pipeline"]].isna().all()
    # one of two deals without an amount: the other is summed, the count says so
    partly = deals.assign(amount=deals["amount"].where(deals["opportunity_id"] != "P1"))
    q4 = outlook.pipeline_forecast(partly, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["weighted_pipeline"] == pytest.approx(400 * 0.75) and q4["unpriced_deals"] == 1


# -- coherence ----------------------------------------------------------------------------------
def _fixed(mean: list[float], sigma: list[float]) -> fc.Forecast:
    index = pd.Index(["2027-01", "2027-02"][: len(mean)], name="month")
    return fc.Forecast(pd.Series(dtype=float), pd.Series(mean, index=index), np.array(sigma), "x")


def test_reconcile_by_hand():
    total = _fixed([100.0], [1.0])
    parts = {"a": _fixed([30.0], [1.0]), "b": _fixed([50.0], [np.sqrt(2)])}
    new_total, new = fc.reconcile(total, parts)
    # gap 20 shared by variance: a gets 1/4, b 2/4; the total is their sum
    assert new["a"].mean.iloc[0] == pytest.approx(35.0)
    assert new["b"].mean.iloc[0] == pytest.approx(60.0)
    assert new_total.mean.iloc[0] == pytest.approx(95.0)


def test_split_by_hand():
    shares = fc.split(
        _fixed([90.0, 10.0], [1, 1]),
        {"a": _fixed([10.0, 0], [1, 1]), "b": _fixed([20.0, 0], [1, 1])},
    )
    assert shares["a"].mean.tolist() == pytest.approx([30.0, 5.0])
    assert shares["b"].mean.tolist() == pytest.approx([60.0, 5.0])


@pytest.fixture(scope="module")
def demo_tables(demo_db):
    return so.load(demo_db)


def test_regions_sum_to_the_company_and_reps_to_their_region(demo_tables):
    company, regions = fc.company_and_regions(
        demo_tables.opportunities, "2026-10", 12, stages=STAGES
    )
    summed = sum(r.mean for r in regions.values())
    assert np.abs(summed - company.mean).max() < 1e-6
    emea = demo_tables.reps[demo_tables.reps["region"] == "EMEA"]
    reps = fc.reps_of_region(
        regions["EMEA"], demo_tables.opportunities, emea, "2026-10", stages=STAGES
    )
    assert reps and set(reps) <= set(emea["rep_id"])
    assert np.abs(sum(r.mean for r in reps.values()) - regions["EMEA"].mean).max() < 1e-6
    assert all((r.mean >= 0).all() for r in reps.values())


# -- win probability ----------------------------------------------------------------------------
def test_calibration_recovers_known_probabilities():
    """Synthetic deals whose true win probability depends on stage and age."""
    rng = np.random.default_rng(7)
    n, cycle = 60_000, 100.0
    stage = rng.choice(STAGES.open_names, n)
    age = rng.uniform(0, 300, n)
    base = pd.Series(dict(zip(STAGES.open_names, [0.1, 0.2, 0.4, 0.6, 0.8], strict=True)))
    truth = base[stage].to_numpy() * np.where(age > 2 * cycle, 0.25, 1.0)
    won = (rng.uniform(size=n) < truth).astype(int)
    data = pd.DataFrame({"stage": stage, "age_days": age, "won": won})
    model = pr.WinModel.from_examples(data, cycle, STAGES)
    estimate = model.cell_probability(data["stage"], pr.band(data["age_days"], cycle))
    assert np.abs(estimate - truth).max() < 0.04
    stage_default = pd.Series(stage).map(STAGES.probabilities)
    assert pr.brier(estimate, won) < pr.brier(stage_default, won)
    assert pr.brier(estimate, won) == pytest.approx(pr.brier(truth, won), abs=0.002)
    table = pr.reliability(estimate, won)
    assert (table["observed"] - table["predicted"]).abs().max() < 0.03


def test_brier_and_reliability_by_hand():
    p, y = np.array([0.9, 0.2, 0.15, 0.6]), np.array([1, 0, 1, 0])
    assert pr.brier(p, y) == pytest.approx((0.01 + 0.04 + 0.7225 + 0.36) / 4)
    table = pr.reliability(p, y, bins=2)
    assert table["deals"].tolist() == [2, 2]
    assert table["observed"].tolist() == [0.5, 0.5]
    assert table["predicted"].tolist() == pytest.approx([0.175, 0.75])


def test_a_thin_cell_is_shrunk_towards_its_stage():
    data = pd.DataFrame({"stage": ["Proposal"] * 2, "age_days": [10, 10], "won": [1, 1]})
    model = pr.WinModel.from_examples(data, 100.0, STAGES)
    stage_rate = (2 + pr.PRIOR * 0.5) / (2 + pr.PRIOR)
    assert model.stage_rates["Proposal"] == pytest.approx(stage_rate)
    cell = model.cells.loc[("Proposal", "0–0.25× cycle"), "probability"]
    assert cell == pytest.approx((2 + pr.PRIOR * stage_rate) / (2 + pr.PRIOR))
    assert model.stage_rates["Prospecting"] == pytest.approx(0.05)  # no data: the default


def test_examples_label_outcomes_within_a_year():
    history = pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "B", "B", "C"],
            "changed_at": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-01-05", "2025-02-01", "2025-01-05"]
            ),
            "stage": ["Proposal", "Closed Won", "Discovery", "Closed Lost", "Negotiation"],
            "amount": [10.0, 10, 20, 20, 30],
            "close_date": pd.to_datetime(["2025-03-01"] * 5),
            "forecast_category": ["best_case"] * 5,
        }
    )
    opps = pd.DataFrame(
        {"opportunity_id": ["A", "B", "C"], "created_date": pd.to_datetime(["2025-01-01"] * 3)}
    )
    got = pr.examples(
        history, opps, [pd.Timestamp("2025-01-10")], pd.Timestamp("2026-06-01"), stages=STAGES
    )
    assert dict(zip(got["opportunity_id"], got["won"], strict=True)) == {"A": 1, "B": 0, "C": 0}
    assert got["age_days"].tolist() == [9, 9, 9]
    # a year not yet passed: the still-open deal C has no label yet
    early = pr.examples(
        history, opps, [pd.Timestamp("2025-01-10")], pd.Timestamp("2025-06-01"), stages=STAGES
    )
    assert sorted(early["opportunity_id"]) == ["A", "B"]


# -- the quarter outlook, by hand -----------------------------------------------------------------
def _deals() -> pd.DataFrame:
    rows = [
        # id, created, close, stage, amount, category
        ("W1", "2026-07-05", "2026-10-10", "Closed Won", 100.0, "closed"),  # closed in Q4
        ("W2", "2026-05-01", "2026-09-20", "Closed Won", 50.0, "closed"),  # Q3
        ("P1", "2026-08-01", "2026-12-15", "Proposal", 200.0, "best_case"),  # due in Q4
        ("N1", "2026-06-01", "2026-09-30", "Negotiation", 400.0, "commit"),  # overdue -> Q4
        ("D1", "2026-10-01", "2027-02-01", "Discovery", 1000.0, "pipeline"),  # Q1
        ("R1", "2026-07-20", "2026-08-30", "Closed Won", 30.0, "closed"),  # Q3, created late in Q3
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "created_date",
            "close_date",
            "stage",
            "amount",
            "forecast_category",
        ],
    )
    for column in ("created_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


class FlatModel(pr.WinModel):
    def __init__(self, p: dict[str, float]):
        self.p = p

    def predict(self, deals, at):
        return deals["stage"].map(self.p)


def _since_2025() -> pd.DataFrame:
    """:func:`_deals` with a deal lost in June 2025: bookings start there, so the last four
    quarters before 2026-Q4 are all quarters the data speaks for."""
    old = pd.DataFrame(
        {
            "opportunity_id": ["L0"],
            "created_date": [pd.Timestamp("2025-04-01")],
            "close_date": [pd.Timestamp("2025-06-10")],
            "stage": ["Closed Lost"],
            "amount": [70.0],
            "forecast_category": ["omitted"],
        }
    )
    return pd.concat([_deals(), old], ignore_index=True)


def test_the_run_rate_needs_quarters_after_the_first_close():
    # _deals: the first close is R1 on 2026-08-30; the four quarters before 2026-Q4 all
    # begin before it, so their zeros are not zeros of the data: the run-rate is unknown
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    as_of = pd.Timestamp("2026-10-15")
    rate = outlook.run_rate(_deals(), so.Period.parse("2026-Q4"), as_of, stages=STAGES)
    assert "since they start (Aug 2026)" in gaps.why(rate)
    q4 = outlook.pipeline_forecast(_deals(), "2026-Q4", as_of, model, stages=STAGES)
    assert q4["weighted_pipeline"] == pytest.approx(400.0) and gaps.why(q4["expected"])
    # before: (30 + 0 + 0 + 0) / 4 = 7.5, three of the four quarters before any close


def test_pipeline_forecast_by_hand():
    deals = _since_2025()
    as_of = pd.Timestamp("2026-10-15")
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(deals, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["closed"] == 100.0
    assert q4["weighted_pipeline"] == pytest.approx(200 * 0.5 + 400 * 0.75)  # no history: share 1
    # run-rate: Q3..Q2 2026 and earlier, cut 15 days into each: R1 (created 07-20 > 07-15) in Q3
    assert q4["run_rate"] == pytest.approx(30.0 / 4)
    assert q4["expected"] == pytest.approx(100 + 400 + 7.5)
    q1 = outlook.pipeline_forecast(deals, "2027-Q1", as_of, model, stages=STAGES)
    assert (q1["closed"], q1["weighted_pipeline"]) == (0.0, pytest.approx(300.0))


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
    assert not outlook.seasonal(
        deals, as_of, stages=STAGES
    )  # first deal 2024-10-05, after 2024-07-01
    assert outlook.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx((100 * 3 + 300) / 4)
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
    assert outlook.seasonal(deals, as_of, stages=STAGES)
    growth = (100 * 3 + 300) / (50 * 3 + 200)
    expected = (300 + 200) / 2 * growth  # the last two Q4s, grown as the last year grew
    assert outlook.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx(expected)
    # next quarter: the last two Q1s, whatever the position of the quarters in the basis
    q1 = so.Period.parse("2027-Q1")
    assert outlook.run_rate(deals, q1, as_of, stages=STAGES) == pytest.approx(
        (100 + 50) / 2 * growth
    )


def test_categories_submitted_and_quota_by_hand():
    deals = _deals()
    cats = outlook.categories(deals, "2026-Q4", pd.Timestamp("2026-10-15"), stages=STAGES)
    assert cats.to_dict() == {
        "closed": 100.0,
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
    sent = outlook.submitted(subs, "2026-Q4")
    assert sent["commit"] == 12 + 20 + 5 and np.isnan(sent["best_case"])
    quotas = pd.DataFrame(
        {
            "rep_id": ["R1", "R1"],
            "month": pd.to_datetime(["2026-10-01", "2027-01-01"]),
            "amount": [7.0, 9.0],
        }
    )
    assert outlook.quota(quotas, "2026-Q4") == 7.0 and np.isnan(outlook.quota(quotas, "2027-Q2"))


# -- the notebook ---------------------------------------------------------------------------------
@pytest.mark.notebook
@pytest.mark.parametrize("scope", ["company", "region:EMEA"])
def test_forecast_notebook_runs_and_is_coherent(scope, demo_db, demo_tables, tmp_path):
    summary = tmp_path / "forecast.json"
    execute(
        "forecast",
        tmp_path / "out.ipynb",
        source=str(demo_db),
        period="2026-10",
        scope=scope,
        summary_path=str(summary),
    )
    data = json.loads(summary.read_text())
    company, regions = fc.company_and_regions(
        demo_tables.opportunities, "2026-10", 12, stages=STAGES
    )
    expected = company if scope == "company" else regions["EMEA"]
    assert list(data["forecast"]) == list(expected.mean.index)
    assert list(data["forecast"].values()) == pytest.approx(expected.mean.tolist(), rel=1e-6)
    assert set(data["outlook"]) == {"2026-Q4", "2027-Q1"}
    text = (tmp_path / "out.ipynb").read_text()
    assert "Traceback" not in text and "image/png" in text


def test_the_forecasts_are_computed_once_per_input(demo_tables, monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    (tmp_path / "parameters").mkdir()
    for name in ("stages.yml", "settings.yml"):
        (tmp_path / "parameters" / name).write_text((ROOT / "parameters" / name).read_text())
    opps = demo_tables.opportunities
    first = shared.forecasts(opps, "2026-06", 6, STAGES)
    cached = list((tmp_path / ".cache" / "forecasts").glob("*.pickle"))
    assert len(cached) == 1
    again = shared.forecasts(opps, "2026-06", 6, STAGES)
    pd.testing.assert_series_equal(first[0].mean, again[0].mean)
    cached[0].write_bytes(b"not a pickle")  # a broken cache file is recomputed, not trusted
    third = shared.forecasts(opps, "2026-06", 6, STAGES)
    pd.testing.assert_series_equal(first[0].mean, third[0].mean)
    pure = fc.company_and_regions(opps, "2026-06", 6, stages=STAGES)  # the domain writes nothing
    pd.testing.assert_series_equal(first[0].mean, pure[0].mean)
    assert len(list((tmp_path / ".cache" / "forecasts").glob("*.pickle"))) == 1


def test_a_win_model_is_fitted_once_per_input(demo_tables, monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    args = (demo_tables.opportunity_history, demo_tables.opportunities, demo_tables.as_of)
    fresh = pr.WinModel.fit(*args, stages=STAGES)  # pure: nothing on disk
    assert not (tmp_path / ".cache").exists()
    first = shared.win_model(*args, stages=STAGES)
    again = shared.win_model(*args, stages=STAGES)
    assert len(list((tmp_path / ".cache" / "win_models").glob("*.pickle"))) == 1
    pd.testing.assert_frame_equal(first.cells, fresh.cells)
    pd.testing.assert_frame_equal(again.cells, fresh.cells)
    shorter = shared.win_model(*args, months=12, stages=STAGES)  # another input, another model
    assert len(list((tmp_path / ".cache" / "win_models").glob("*.pickle"))) == 2
    assert not shorter.cells.equals(fresh.cells)


def test_without_stage_history_win_probabilities_are_the_stage_defaults():
    model = pr.WinModel.fit(None, pd.DataFrame(), pd.Timestamp("2026-09-30"), stages=STAGES)
    deals = pd.DataFrame(
        {
            "stage": ["Qualification", "Negotiation", "Negotiation"],
            "created_date": pd.to_datetime(["2026-09-01", "2026-01-01", "2026-09-20"]),
        }
    )
    expected = [STAGES.probabilities[s] for s in deals["stage"]]
    assert model.predict(deals, pd.Timestamp("2026-09-30")).tolist() == expected


def test_what_sets_the_pipeline_view_apart_from_the_time_series_by_hand():
    deals = _since_2025()  # bookings start in 2025: the run-rate has its four quarters
    deals.loc[deals["opportunity_id"] == "P1", "amount"] = np.nan  # an open deal, no amount
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    row = outlook.pipeline_forecast(
        deals, "2026-Q4", pd.Timestamp("2026-10-15"), model, stages=STAGES
    )
    # due in Q4: P1 (no amount) and N1 (overdue); closed 100, weighted 400 × 0.75 = 300,
    # run-rate 7.5
    assert (row["open_deals"], row["unpriced_deals"]) == (2.0, 1.0)
    assert row["expected"] == pytest.approx(407.5)
    row["time_series"] = 1630.0
    why = outlook.apart(row)
    assert why["ratio"] == pytest.approx(0.25)
    assert (why["unpriced"], why["open_deals"], why["slippage"]) == (1.0, 2.0, 0.0)
    assert why["run_rate"] == pytest.approx(7.5 / 407.5)


def test_an_empty_series_forecasts_the_months_after_its_last_one():
    """No deal closed yet (the real HubSpot seed, data to 2020-12): the months ahead
    follow the data's last month, not today's; their values are unknown (NaN)."""
    empty = pd.Series(dtype=float, index=pd.Index([], dtype=object, name="month"))
    f = fc.forecast(empty, 3, "2020-12")
    assert list(f.mean.index) == ["2021-01", "2021-02", "2021-03"]
    assert f.mean.isna().all()
    regions = pd.DataFrame(index=pd.Index([], dtype=object, name="month"))
    total, parts = fc.reconciled(regions, 3, "2020-12")
    assert list(total.mean.index) == ["2021-01", "2021-02", "2021-03"] and parts == {}
    assert fc.last_month("2020-Q4") == "2020-12"


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
    series = fc.monthly_bookings(opps, "2026-10", stages=STAGES)
    assert np.isnan(series["2026-08"]) and series["2026-07"] == 8_000
    f = fc.forecast(series, 3)
    assert f.model == "none" and f.mean.isna().all()
    assert "1 of 4 months have won deals without an amount" in f.notes[0]
    by_region = fc.monthly_bookings(opps, "2026-10", by="region", stages=STAGES)
    total, _ = fc.reconciled(by_region, 3, "2026-10")
    assert total.mean.isna().all()
    assert np.isnan(capacity.known_mean(pd.Series([np.nan, 0.0, np.nan])))
    assert capacity.known_mean(pd.Series([np.nan, 0.0, 30.0])) == 15.0


def test_every_model_fit_runs_on_one_blas_thread():
    """A model fit (through timeseries._quiet) sees one BLAS thread and the process's
    limit is back after it: OpenBLAS's threads made fits 5 to 20 times slower when other
    processes shared the cores (benchmarks/forecast_threads.py)."""
    import scipy.linalg  # noqa: F401  (statsmodels' BLAS, loaded as a fit would)
    from threadpoolctl import threadpool_info

    from salesops.analytics import timeseries

    def threads() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = threads()
    inside = timeseries._quiet(threads)
    assert inside and set(inside) == {1}
    assert threads() == before
