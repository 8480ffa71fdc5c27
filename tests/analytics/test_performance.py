"""Performance: KPIs per rep, peer comparison, coaching flags, ramp and territory, checked
by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import capacity, gaps
from salesops.analytics import performance as perf
from salesops.data.model import LOST_DEALS
from salesops.data.periods import Period
from salesops.data.stages import Stages

STAGES = Stages.read()
SELLING = so.settings().selling_activity_kinds  # the demo's selling kinds


def test_percentile_rank_by_hand():
    peers = pd.Series([10.0, 20.0, 30.0, 40.0])
    assert perf.percentile_rank(25, peers) == 50.0
    assert perf.percentile_rank(30, peers) == pytest.approx((2 + 0.5) / 4 * 100)
    assert perf.percentile_rank(5, peers, lower_is_better=True) == 100.0
    assert np.isnan(perf.percentile_rank(5, pd.Series([np.nan])))


def test_rep_kpis_and_peer_comparison_on_the_tiny_crm(tiny_dir):
    tables = so.load(tiny_dir)
    window = (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    kpis = perf.rep_kpis(tables, window, ["R1", "R2", "R3"], STAGES, selling_kinds=SELLING)
    opps = tables.opportunities
    for rep in ("R1", "R2", "R3"):
        won = opps[(opps["owner_id"] == rep) & (opps["stage"] == "Closed Won")]
        won = won[(won["close_date"] >= window[0]) & (won["close_date"] < window[1])]
        assert kpis.at[rep, "bookings"] == pytest.approx(won["amount"].sum())
    comparison = perf.peer_comparison(kpis.loc["R1"], kpis.loc["R1"], kpis.drop(index="R1"))
    row = comparison.loc["Bookings"]
    assert row["peer_median"] == pytest.approx(kpis.loc[["R2", "R3"], "bookings"].median())
    assert row["peers"] == 2
    text = comparison.to_string()
    assert "R2" not in text and "R3" not in text
    # R1's won deals lose their amounts: bookings and attainment unknown, not $0 and 0%
    won = (opps["owner_id"] == "R1") & (opps["stage"] == "Closed Won")
    blank = dataclasses.replace(tables, opportunities=opps.assign(amount=opps["amount"].mask(won)))
    kpis = perf.rep_kpis(blank, window, ["R1", "R2"], STAGES, selling_kinds=SELLING)
    assert won[opps["close_date"].between(*window, inclusive="left")].any()  # R1 won in Q3
    assert gaps.why(kpis.at["R1", "bookings"]).startswith("none of the deals won in")
    assert gaps.why(kpis.at["R1", "attainment"]) == gaps.why(kpis.at["R1", "bookings"])


def test_coaching_flags_fire_with_their_numbers():
    labels = {k: v.label for k, v in perf.KPIS.items()}
    comparison = pd.DataFrame(
        {"rep": np.nan, "peer_median": np.nan}, index=pd.Index(list(labels.values()))
    )
    comparison.loc[labels["response_hours"]] = [12.0, 3.0]
    comparison.loc[labels["time_selling"]] = [0.30, 0.55]
    comparison.loc[labels["coverage"]] = [1.2, 3.0]
    conversion = pd.DataFrame(
        {"rep": [0.50, 0.20], "peer_median": [0.55, 0.45]}, index=["Discovery", "Proposal"]
    )
    flags = perf.coaching_flags(comparison, conversion, bias=-0.4, stale=9).set_index("flag")
    assert list(flags.index) == [
        "Stage conversion below peers at Proposal",
        "Slow lead response",
        "Low time selling",
        "Thin pipeline",
        "Forecast bias: sandbagging",
        "Stale deals",
    ]
    assert "20%" in flags.loc["Stage conversion below peers at Proposal", "evidence"]
    assert "12.0 h" in flags.loc["Slow lead response", "evidence"]
    quiet = comparison.copy()
    quiet["rep"] = quiet["peer_median"]
    assert perf.coaching_flags(quiet, conversion.iloc[:1], bias=0.1, stale=0).empty


def test_ramp_and_capacity_by_hand():
    assert capacity.ramp_factor(3, 6) == 0.5 and capacity.ramp_factor(9, 6) == 1.0
    reps = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C"],
            "role": "rep",
            "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2026-09-01"]),
            "end_date": pd.NaT,
        }
    )
    opps = pd.DataFrame(
        {
            "owner_id": ["A", "B", "A"],
            "stage": "Closed Won",
            "amount": [120.0, 240.0, 60.0],
            "close_date": pd.to_datetime(["2026-03-01", "2026-04-01", "2026-05-01"]),
            "created_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
        }
    )
    cap = capacity.quarter_capacity(
        reps,
        opps,
        Period.parse("2026-Q4"),
        pd.Timestamp("2026-09-30"),
        stages=STAGES,
        ramp_months=6,
    )
    # the data starts in March (the first close): A and B have 7 rep-months each, March to
    # September, so productivity = (120 + 240 + 60) / 14 a month (3 priced months, the
    # floor gaps.MIN_PRICED); C (hired 1 Sep, no deal yet)
    # is in the team, 1, 2 and 3 months in at the quarter's months: 1/6 + 2/6 + 3/6 ≈ 1
    months = [
        capacity.months_in_seat(pd.Timestamp("2026-09-01"), pd.Timestamp(d)) / 6
        for d in ("2026-10-01", "2026-11-01", "2026-12-01")
    ]
    assert cap["productivity"] == pytest.approx(420.0 / 14)
    assert cap["ramped_rep_months"] == pytest.approx(6 + sum(months))
    assert cap["capacity"] == pytest.approx(420.0 / 14 * (6 + sum(months)))
    assert (cap["headcount"], cap["ramping"]) == (3.0, 1.0)
    assert cap["booked_last_quarter"] == 0.0  # nothing closed in 2026-Q3


def test_peers_median_and_percentile_use_known_values_and_count_the_unknown():
    why = "none of the deals won in 01 Jul 2026 to 30 Sep 2026 has an amount"
    mine = pd.Series({"bookings": 300.0})
    before = pd.Series({"bookings": gaps.Unknown("Apr 2026 is before the data")}, dtype=object)
    # four peers: 100, 500 known; two unknown, left out (not counted as $0)
    peers = pd.DataFrame({"bookings": [100.0, 500.0]})
    got = perf.peer_comparison(mine, before, peers, pd.Series({"bookings": 2}))
    row = got.loc["Bookings"]
    assert row["peer_median"] == 300.0 and row["percentile"] == 50.0  # (1 + 0) / 2 × 100
    assert (row["peers"], row["unknown_peers"]) == (2, 2)
    assert gaps.why(row["previous"]) == "Apr 2026 is before the data"
    # the rep's own bookings unknown: no rank, with the reason
    got = perf.peer_comparison(
        pd.Series({"bookings": gaps.Unknown(why)}, dtype=object), before, peers
    )
    assert gaps.why(got.loc["Bookings", "percentile"]) == why
    # every peer unknown: the median is unknown and says so
    got = perf.peer_comparison(mine, before, peers.iloc[:0], pd.Series({"bookings": 3}))
    why = "none of the 3 peers' values of bookings is known"
    assert gaps.why(got.loc["Bookings", "peer_median"]) == why
    assert gaps.why(got.loc["Bookings", "percentile"]) == why  # no rank either, and why
    # one peer, unknown: "of none of the 1 peers" read as a count glitch
    got = perf.peer_comparison(mine, before, peers.iloc[:0], pd.Series({"bookings": 1}))
    assert gaps.why(got.loc["Bookings", "peer_median"]) == (
        "the one peer's value of bookings is unknown"
    )
    # no peer at all: no median and no rank, with the reason (they were NaN without one)
    got = perf.peer_comparison(mine, before, peers.iloc[:0], pd.Series({"bookings": 0}))
    assert gaps.why(got.loc["Bookings", "peer_median"]) == "no peer to compare with"
    assert gaps.why(got.loc["Bookings", "percentile"]) == "no peer to compare with"


def test_win_rates_of_an_export_without_lost_deals_are_unknown_and_unranked(tiny_dir):
    """July to September, R1 won O1 and lost O2 (50%), R2 won O4 (100%), R3 won O5 and
    lost O7 (50%). An export of the won deals only (no lost deal in the source, as
    Olist's) read 100% for all three and ranked them; now each reads "–" with the headline
    KPI's reason, and no rep is ranked on it."""
    tables = so.load(tiny_dir)
    window = (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    reps = ["R1", "R2", "R3"]
    kpis = perf.rep_kpis(tables, window, reps, STAGES, selling_kinds=SELLING)
    assert kpis["win_rate"].tolist() == [0.5, 1.0, 0.5]
    o = tables.opportunities
    won_only = dataclasses.replace(
        tables,
        opportunities=o[o["stage"] != "Closed Lost"],
        absent=tables.absent | {LOST_DEALS},  # what the source finds of a won-only export
    )
    kpis = perf.rep_kpis(won_only, window, reps, STAGES, selling_kinds=SELLING)
    why = "win rate needs lost deals, of which this source holds none"
    assert [gaps.why(rate) for rate in kpis["win_rate"]] == [why, why, why]
    peers = kpis.drop(index="R1")
    got = perf.peer_comparison(kpis.loc["R1"], kpis.loc["R1"], peers, peers.isna().sum())
    row = got.loc["Win rate"]
    assert gaps.why(row["rep"]) == why and gaps.why(row["percentile"]) == why
    assert (row["peers"], row["unknown_peers"]) == (0, 2)  # nobody ranked at 100%
    assert np.isnan(row["peer_median"])


def test_coverage_of_open_deals_without_amounts_is_unknown_not_zero(tiny_dir):
    """At the end of September, 2026-Q4: Dan's (R4's) one open deal due then, O8, has no
    amount. His coverage read 0× of his 10,000 quota (and flagged a thin pipeline); it is
    unknown, with the reason. Cara (R3): O6's 30,000 on 20,000. Alice: O3 20,000 and O9
    12,000 (open then) on 12,000."""
    tables = so.load(str(tiny_dir))
    stages = Stages.of(tables)
    reps = pd.Index(["R1", "R3", "R4"])
    cover = perf.coverage(tables, pd.Timestamp("2026-10-01"), reps, stages)
    assert gaps.why(cover["R4"]) == "the one open deal due in 2026-Q4 has no amount"
    assert cover["R3"] == pytest.approx(30_000 / 20_000)
    assert cover["R1"] == pytest.approx(32_000 / 12_000)
