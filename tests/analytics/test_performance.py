"""Performance: KPIs per rep, peer comparison, coaching flags, capacity and territory,
checked by hand; the rep and team review notebooks; and privacy by construction."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops import cli
from salesops.analytics import capacity
from salesops.analytics import performance as perf
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.reports import performance_review as review
from salesops.reports import team_review

STAGES = Stages.read()
SELLING = so.settings().selling_activity_kinds  # the demo's selling kinds


def test_gini_by_hand():
    assert perf.gini([5, 5, 5, 5]) == 0.0
    # |x_i - x_j| over all ordered pairs of (0, 0, 0, 4): 6 pairs with 4 -> 24; 2 n² mean = 32
    assert perf.gini([0, 0, 0, 4]) == pytest.approx(24 / 32)
    assert perf.gini([1, 3]) == pytest.approx(4 / (2 * 4 * 2))
    assert np.isnan(perf.gini([])) and np.isnan(perf.gini([0, 0]))


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
    assert perf.ramp_factor(3, 6) == 0.5 and perf.ramp_factor(9, 6) == 1.0
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
            "owner_id": ["A", "B"],
            "stage": "Closed Won",
            "amount": [120.0, 240.0],
            "close_date": pd.to_datetime(["2026-03-01", "2026-04-01"]),
            "created_date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
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
    # September, so productivity = (120 + 240) / 14 a month; C (hired 1 Sep, no deal yet)
    # is in the team, 1, 2 and 3 months in at the quarter's months: 1/6 + 2/6 + 3/6 ≈ 1
    months = [
        perf.months_in_seat(pd.Timestamp("2026-09-01"), pd.Timestamp(d)) / 6
        for d in ("2026-10-01", "2026-11-01", "2026-12-01")
    ]
    assert cap["productivity"] == pytest.approx(360.0 / 14)
    assert cap["ramped_rep_months"] == pytest.approx(6 + sum(months))
    assert cap["capacity"] == pytest.approx(360.0 / 14 * (6 + sum(months)))
    assert (cap["headcount"], cap["ramping"]) == (3.0, 1.0)
    assert cap["booked_last_quarter"] == 0.0  # nothing closed in 2026-Q3


def monthly_wins(rep: str, amount: float, months: pd.DatetimeIndex) -> pd.DataFrame:
    """One deal won by ``rep`` for ``amount`` in each of ``months``, created on 1 Jan 2017."""
    return pd.DataFrame(
        {
            "owner_id": rep,
            "stage": "Closed Won",
            "amount": amount,
            "close_date": months + pd.Timedelta(days=14),
            "created_date": pd.Timestamp("2017-01-01"),
        }
    )


def test_capacity_is_not_far_below_what_the_team_just_booked():
    # The real export's pattern: deals from January, the first close in March, no hire
    # dates, and a person on the reps file who never owned a deal. A books 100 and B 300
    # every month from March to December 2017: 1,200 in 2017-Q4.
    months = pd.date_range("2017-03-01", "2017-12-01", freq="MS")
    opps = pd.concat([monthly_wins("A", 100.0, months), monthly_wins("B", 300.0, months)])
    reps = pd.DataFrame(
        {"rep_id": ["A", "B", "C"], "role": None, "hire_date": pd.NaT, "end_date": pd.NaT}
    )
    cap = capacity.quarter_capacity(
        reps,
        opps,
        Period.parse("2018-Q1"),
        pd.Timestamp("2017-12-31"),
        stages=STAGES,
        ramp_months=6,
    )
    # before: the median of 1,000/12, 3,000/12 and C's 0 (83.33) × 3 people × 3 months =
    # 750, well under the 1,200 just booked. Now: C is not a seller, January and February
    # are before the data, and productivity is the mean of 20 rep-months: 4,000 / 20 = 200.
    assert cap["headcount"] == 2.0
    assert cap["productivity"] == pytest.approx(200.0)
    assert cap["capacity"] == pytest.approx(200.0 * 2 * 3)
    assert cap["booked_last_quarter"] == pytest.approx(1200.0)


def test_a_seller_owned_a_deal_and_the_data_starts_at_the_first_close():
    reps = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C", "D"],
            "role": "rep",
            "hire_date": pd.NaT,
            "end_date": pd.to_datetime([None, None, None, "2017-01-31"]),
        }
    )
    opps = pd.DataFrame(
        {
            "owner_id": ["A", "B", "D", "A"],
            "stage": ["Proposal", "Closed Won", "Closed Won", "Closed Lost"],
            "amount": [10.0, 50.0, 70.0, 5.0],
            "created_date": pd.to_datetime(
                ["2016-10-01", "2017-02-01", "2016-12-01", "2016-10-05"]
            ),
            "close_date": pd.to_datetime(["2018-03-31", "2017-06-10", "2017-01-20", "2017-03-02"]),
        }
    )
    window = (pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01"))
    # A: an open deal; B: won in the window; C: no deal; D: left before the window
    assert capacity.owners(opps, reps, window, STAGES)["rep_id"].tolist() == ["A", "B"]
    # the first closed deal is D's, on 20 January 2017: the months before it are unknown
    assert capacity.data_start(opps, STAGES) == pd.Timestamp("2017-01-01")
    since = (pd.Timestamp("2016-10-01"), window[1])
    history = capacity.rep_months(opps, reps.iloc[:2], since, STAGES)
    months = [f"2017-{k:02d}" for k in range(1, 7)]
    assert history["month"].astype(str).tolist() == months * 2
    assert history["bookings"].tolist() == [0.0] * 6 + [0.0] * 5 + [50.0]


def test_the_review_says_how_many_peers_it_compares_with(tiny_dir):
    tables = so.load(tiny_dir)
    nobody = pd.DataFrame({"rep_id": ["R9"], "name": ["Nina"], "region": ["East"], "role": "rep"})
    tables = dataclasses.replace(tables, reps=pd.concat([tables.reps, nobody], ignore_index=True))
    ctx = so.ReportContext.of(tables, "2026-09", "rep:R1", comp_plan="parameters/comp_plan.yml")
    # East's sellers with deals in July to September are R1 and R2: R1 has one peer, and
    # R9 (no deal) is none
    assert review.peer_count(ctx) == 1 and review.member(ctx)
    caption = review.comparison(ctx).attrs["view"].caption
    assert caption.startswith("The last 3 months against 1 peer in East: the other sellers")
    assert review.summary(ctx)["peers"] == 1


def test_the_team_reviews_capacity_sits_next_to_last_quarters_bookings(tiny_dir):
    tables = so.load(tiny_dir)  # the whole company: the review keeps to East's deals
    ctx = so.ReportContext.of(
        tables, "2026-09", "region:East", comp_plan="parameters/comp_plan.yml"
    )
    cap = team_review.capacity(ctx)
    # R1 is East's only seller still employed (R2 left in August); the data starts in July
    # (R2's win on 31 July): R1 booked 10,000 in July to September, 3,333.33 a month
    assert cap.name == "2026-Q4" and cap["headcount"] == 1
    assert cap["productivity"] == pytest.approx(10_000 / 3)
    assert cap["capacity"] == pytest.approx(10_000)
    assert cap["booked_last_quarter"] == 10_000 + 8_000  # O1 and O4, not West's O5
    caption = team_review.capacity_table(ctx).attrs["view"].caption
    assert caption.startswith("Capacity for 2026-Q4: 1 seller who owned deals")
    assert "booked last quarter: 2026-Q3" in caption


def test_territory_by_hand():
    reps = pd.DataFrame({"rep_id": ["A", "B"], "role": "rep", "end_date": pd.NaT})
    opps = pd.DataFrame(
        {
            "owner_id": ["A", "A", "A", "B"],
            "account_id": ["X", "X", "Y", "Z"],
            "stage": ["Proposal", "Closed Won", "Discovery", "Proposal"],
            "amount": [10.0, 99.0, 30.0, 40.0],
        }
    )
    terr = perf.territory(opps, reps, STAGES)
    assert terr.loc["A"].tolist() == [2, 40.0] and terr.loc["B"].tolist() == [1, 40.0]
    assert perf.inequality(terr)["open_pipeline"] == 0.0


# -- the notebooks, for every rep and every region, and privacy ----------------------------------
@pytest.fixture(scope="module")
def reviews(small_db, tmp_path_factory) -> tuple[Path, dict]:
    """Every rep's review and every region's team review of a small demo CRM, via the runner."""
    out = tmp_path_factory.mktemp("reviews")
    plan = out / "plan.yml"
    plan.write_text(
        "formats: [html, ipynb]\nreports:\n"
        "  - notebook: performance_review\n    scopes: ['rep:*']\n    reads: region\n"
        "  - notebook: team_review\n    scopes: ['region:*']\n"
    )
    code = cli.main(
        [
            "run",
            str(plan),
            "--source",
            str(small_db),
            "--out",
            str(out),
            "--quiet",
            "--period",
            "latest",
        ]
    )
    folder = next(p for p in out.iterdir() if p.is_dir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert code == 0, [e["error"] for e in manifest["reports"] if e["status"] != "done"]
    return folder, manifest


@pytest.mark.notebook
def test_every_rep_and_region_gets_a_review(reviews, small_db):
    folder, manifest = reviews
    with so.open_source(small_db) as src:
        reps, regions = src.scopes("rep"), src.scopes("region")
    done = {(e["report"], e["scope"]) for e in manifest["reports"] if e["status"] == "done"}
    assert {("performance_review", f"rep:{r}") for r in reps} <= done
    assert {("team_review", f"region:{r}") for r in regions} <= done
    some = json.loads(next(folder.glob("rep-*/performance_review.json")).read_text())
    assert set(some["attainment"]) == {"Month", "Quarter to date", "Year to date"}


@pytest.mark.notebook
def test_a_reps_review_never_names_another_rep(reviews, small_db):
    folder, _ = reviews
    people = so.load(small_db).reps
    checked = 0
    for path in sorted(folder.glob("rep-*/performance_review.*")):
        if path.suffix not in (".html", ".ipynb"):
            continue
        own = path.parent.name.removeprefix("rep-")
        text = path.read_text()
        assert own in text
        others = people[people["rep_id"] != own]
        for rep_id, name in zip(others["rep_id"], others["name"], strict=True):
            assert not re.search(rf"\b{re.escape(rep_id)}\b", text), f"{rep_id} in {path}"
            assert name not in text, f"{name} in {path}"
        checked += 1
    assert checked == 2 * len(list(folder.glob("rep-*")))


@pytest.mark.notebook
def test_the_team_review_names_its_reps(reviews, small_db):
    folder, _ = reviews
    people = so.load(small_db).reps
    region = next(folder.glob("region-*"))
    text = (region / "team_review.html").read_text()
    name = region.name.removeprefix("region-")
    summary = json.loads((region / "team_review.json").read_text())
    active = people[
        (people["region"] == name) & (people["role"] == "rep") & people["end_date"].isna()
    ]
    assert summary["reps"] >= 1 and any(n in text for n in active["name"])


def test_territory_open_pipeline_is_unknown_where_every_open_deal_lacks_an_amount():
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "hire_date": pd.NaT,
            "end_date": pd.NaT,
            "role": "rep",
        }
    )
    deals = pd.DataFrame(
        {
            "opportunity_id": ["A", "B", "C", "D"],
            "owner_id": ["R1", "R1", "R2", "R3"],
            "account_id": ["X", "Y", "Z", "Z"],
            "stage": ["Proposal", "Proposal", "Proposal", "Closed Won"],
            "amount": [300.0, np.nan, np.nan, 50.0],
        }
    )
    t = perf.territory(deals, reps, STAGES)
    assert t.at["R1", "open_pipeline"] == 300.0  # B has no amount: left out
    assert np.isnan(t.at["R2", "open_pipeline"])  # its only open deal has none: unknown
    assert t.at["R3", "open_pipeline"] == 0.0  # no open deal: a true zero
    assert t["accounts"].tolist() == [2, 1, 1]
