"""The demo CRM (``salesops.demo.generate``): valid, and realistic where the reports need it
to be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so


@pytest.fixture(scope="module")
def crm(small_db) -> so.Tables:
    return so.load(small_db)


def test_it_passes_its_own_contracts(crm):
    assert len(crm.opportunities) > 2_000
    assert all(frame is not None for _, frame in crm.items())


def _won(crm: so.Tables) -> pd.DataFrame:
    opps = crm.opportunities
    return opps[opps["stage"] == "Closed Won"]


def test_bookings_grow(crm):
    won = _won(crm)
    yearly = won.groupby(won["close_date"].dt.year)["amount"].sum()
    full_years = yearly.loc[yearly.index[1:-1]]
    assert full_years.is_monotonic_increasing


def test_q4_and_quarter_ends_are_busier(crm):
    won = _won(crm)
    years = won["close_date"].dt.year
    full = won[(years > years.min()) & (years < years.max())]
    by_quarter = full.groupby(full["close_date"].dt.quarter)["amount"].sum()
    assert by_quarter[4] > 1.05 * by_quarter[[1, 2, 3]].mean()
    quarter_end = won["close_date"] + pd.offsets.QuarterEnd(0)
    last_two_weeks = ((quarter_end - won["close_date"]).dt.days < 14).mean()
    assert last_two_weeks > 0.2  # about 0.15 if closes were spread evenly


def test_reps_differ_in_skill(crm):
    opps = crm.opportunities[crm.opportunities["stage"].isin(["Closed Won", "Closed Lost"])]
    by_rep = opps.groupby("owner_id")["stage"].agg(lambda s: (s == "Closed Won").mean())
    assert by_rep[opps.groupby("owner_id").size() > 50].std() > 0.04


def test_deals_slip_and_stall(crm):
    history = crm.opportunity_history
    pushes = history.groupby("opportunity_id")["close_date"].nunique()
    assert (pushes > 2).mean() > 0.05
    opps = crm.opportunities
    open_ = opps[~opps["stage"].isin(["Closed Won", "Closed Lost"])]
    assert (open_["close_date"] < pd.Timestamp("2026-10-01")).mean() > 0.005  # a few are late


def test_lead_response_has_a_long_tail(crm):
    leads = crm.leads
    hours = (leads["first_response_at"] - leads["created_at"]).dt.total_seconds() / 3600
    assert hours.quantile(0.9) > 5 * hours.median()
    assert 0.02 < leads["first_response_at"].isna().mean() < 0.15


def test_quotas_rise_every_year(crm):
    quotas = crm.quotas.merge(crm.reps[["rep_id", "hire_date"]], on="rep_id")
    ramped = quotas[quotas["month"] > quotas["hire_date"] + pd.DateOffset(months=12)]
    per_year = ramped.groupby(ramped["month"].dt.year)["amount"].mean()
    growth = per_year.pct_change().dropna()
    assert len(growth) >= 2 and (growth > 0.05).all(), growth  # the demo grows 15% a year


def test_some_reps_sandbag_and_some_over_forecast(crm):
    won = _won(crm)
    actual = won.groupby(["owner_id", won["close_date"].dt.strftime("%Y-%m")])["amount"].sum()
    commits = crm.forecast_submissions.query("category == 'commit'")
    commit = commits.set_index(["owner_id", "period"])["amount"]
    ratio = (commit.groupby(level=0).sum() / actual.groupby(level=0).sum()).dropna()
    assert (ratio < 0.85).any() and (ratio > 1.15).any()


def test_reps_join_and_leave(crm):
    reps = crm.reps[crm.reps["role"] == "rep"]
    assert reps["end_date"].notna().sum() >= 2
    assert (reps["hire_date"] > crm.opportunities["created_date"].min()).sum() >= 2
    assert set(crm.opportunities["owner_id"]) <= set(reps["rep_id"])


def test_activity_mix_has_selling_and_other_time(crm):
    kinds = set(crm.activities["kind"])
    assert set(so.settings().selling_activity_kinds) < kinds
    assert (
        np.isclose(crm.activities["minutes"].min(), 0, atol=5)
        or crm.activities["minutes"].min() > 0
    )


# -- believable to a sales-ops reader (the default demo, as `make report` reads it) ----------


@pytest.fixture
def default(demo_tables) -> so.Tables:
    return demo_tables


def _rep_months(crm: so.Tables, months: int = 24) -> pd.DataFrame:
    """Each rep-month with a quota in the last ``months`` (the history's first months
    have no pipeline yet): bookings, quota and attainment."""
    won = _won(crm)
    booked = won.groupby([won["owner_id"], won["close_date"].dt.to_period("M")])["amount"].sum()
    last = crm.as_of.to_period("M")
    quotas = crm.quotas[crm.quotas["month"].dt.to_period("M").between(last - months + 1, last)]
    quota = quotas.set_index(["rep_id", quotas["month"].dt.to_period("M")])["amount"]
    frame = pd.DataFrame({"quota": quota, "bookings": booked.reindex(quota.index).fillna(0)})
    return frame.assign(attainment=frame["bookings"] / frame["quota"])


def test_rep_attainment_is_believable(default):
    assert (default.quotas["amount"] > 0).all()  # every month worked has a quota
    months = _rep_months(default)
    attainment = months["attainment"]
    assert 0.8 <= attainment.median() <= 1.05
    # With one to five wins per rep-month, p90 is about 2.1 (issue 17's closing note says
    # why 1.3 to 1.5 needs about twelve); months over 300% stay rare.
    assert attainment.quantile(0.9) <= 2.5
    assert (attainment > 3).mean() < 0.05
    quarter = months.groupby(
        [months.index.get_level_values(0), months.index.get_level_values(1).asfreq("Q")]
    ).sum()
    by_quarter = quarter["bookings"] / quarter["quota"]
    assert by_quarter.quantile(0.9) <= 2.2 and by_quarter.max() <= 6  # never 1,000%


def test_regions_attain_between_a_quarter_and_two_and_a_half_their_quota(default):
    won = _won(default)
    month = won["close_date"].dt.to_period("M").rename("month")
    booked = won.groupby([won["region"], month])["amount"].sum()
    quotas = default.quotas.merge(default.reps[["rep_id", "region"]], on="rep_id")
    quota = quotas.groupby(["region", quotas["month"].dt.to_period("M")])["amount"].sum()
    last_year = pd.period_range(end=default.as_of.to_period("M"), periods=12, freq="M")
    ratio = (booked / quota).loc[(slice(None), last_year)]
    assert ratio.between(0.25, 2.5).all(), ratio[~ratio.between(0.25, 2.5)]


def test_quotas_follow_what_a_seat_books_including_ramp(default):
    months = _rep_months(default)
    per_rep = months.groupby(level=0)[["quota", "bookings"]].sum()
    assert per_rep["quota"].corr(per_rep["bookings"]) > 0.8
    quotas = default.quotas.merge(default.reps[["rep_id", "hire_date"]], on="rep_id")
    new = quotas[quotas["hire_date"] > default.opportunities["created_date"].min()]
    tenure = (new["month"] - new["hire_date"]).dt.days // 30
    first, later = new[tenure < 3]["amount"].mean(), new[tenure.between(9, 14)]["amount"].mean()
    assert first < 0.8 * later  # new reps ramp


def test_crm_hygiene_stale_deals_are_a_few_percent(default):
    from salesops.analytics import pipeline as pl

    stages = so.Stages.read()
    open_ = default.opportunities[default.opportunities["stage"].isin(stages.open_names)]
    stale = pl.stale_deals(
        default.opportunities,
        default.as_of,
        default.opportunity_history,
        stale_days=30,
        stages=stages,
    )
    assert len(stale) / len(open_) < 0.08
    assert stale["amount"].sum() / open_["amount"].sum() < 0.08
    year_late = open_["close_date"] < default.as_of - pd.Timedelta(days=365)
    assert not year_late.any()  # cleaned up, as CRM hygiene does


def test_year_over_year_growth_follows_the_stated_trend(default):
    won = _won(default)
    end = default.as_of
    last = won[won["close_date"] > end - pd.DateOffset(years=1)]["amount"].sum()
    before = won[
        won["close_date"].between(
            end - pd.DateOffset(years=2), end - pd.DateOffset(years=1), inclusive="right"
        )
    ]["amount"].sum()
    assert 0.05 <= last / before - 1 <= 0.25  # the demo grows 15% a year
