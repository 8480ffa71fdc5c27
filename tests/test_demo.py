"""The demo CRM: reproducible, valid, and realistic where the reports need it to be."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops import demo
from salesops.demo.database import Chunk


@pytest.fixture(scope="module")
def crm(small_db) -> so.Tables:
    return so.load(small_db)


def _checksums(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} AS t").fetchone()
            for table in demo.SCHEMA
        }


def test_same_config_gives_the_same_database(tmp_path):
    config = demo.DemoConfig(reps=6, opportunities=800, years=2, chunk_seats=4)
    demo.generate(tmp_path / "a.duckdb", config)
    demo.generate(tmp_path / "b.duckdb", config)
    assert _checksums(tmp_path / "a.duckdb") == _checksums(tmp_path / "b.duckdb")
    demo.generate(tmp_path / "c.duckdb", demo.DemoConfig(**{**config.__dict__, "seed": 7}))
    assert _checksums(tmp_path / "a.duckdb") != _checksums(tmp_path / "c.duckdb")


def test_default_size(tmp_path):
    counts = demo.generate(tmp_path / "default.duckdb")
    assert 17_000 <= counts["opportunities"] <= 23_000
    assert 40 <= counts["reps"] <= 75  # 35 seats, 5 managers, and the reps who replaced leavers
    with duckdb.connect(str(tmp_path / "default.duckdb"), read_only=True) as con:
        first, last = con.execute(
            "SELECT min(created_date), max(created_date) FROM opportunities"
        ).fetchone()
        regions = con.execute("SELECT count(DISTINCT region) FROM reps").fetchone()[0]
    assert (pd.Timestamp(last) - pd.Timestamp(first)).days > 3 * 365
    assert regions == 5


def test_an_interrupted_run_leaves_no_file(tmp_path, monkeypatch):
    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Chunk, "tables", boom)
    with pytest.raises(KeyboardInterrupt):
        demo.generate(tmp_path / "x.duckdb", demo.DemoConfig(reps=3, opportunities=100))
    assert list(tmp_path.iterdir()) == []


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
    assert by_quarter.idxmax() == 4
    quarter_end = won["close_date"] + pd.offsets.QuarterEnd(0)
    last_two_weeks = ((quarter_end - won["close_date"]).dt.days < 14).mean()
    assert last_two_weeks > 0.25  # about 0.15 if closes were spread evenly


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
    assert (open_["close_date"] < pd.Timestamp("2026-10-01")).sum() > 10


def test_lead_response_has_a_long_tail(crm):
    leads = crm.leads
    hours = (leads["first_response_at"] - leads["created_at"]).dt.total_seconds() / 3600
    assert hours.quantile(0.9) > 5 * hours.median()
    assert 0.02 < leads["first_response_at"].isna().mean() < 0.15


def test_quotas_rise_every_year(crm):
    quotas = crm.quotas.merge(crm.reps[["rep_id", "hire_date"]], on="rep_id")
    ramped = quotas[quotas["month"] > quotas["hire_date"] + pd.DateOffset(months=6)]
    per_year = ramped.groupby([ramped["month"].dt.year, "rep_id"])["amount"].mean()
    growth = per_year.unstack().pct_change(fill_method=None).stack().dropna()
    assert len(growth) > 5 and (growth > 0.05).all()


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
