"""A rep's review, section by section on the tiny CRM, without papermill: numbers worked
by hand, and no frame that a section returns holds another rep; then every rep's and
region's review run by `salesops run`, none naming another rep."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.reports import performance_review as review
from salesops.reports import rep_deals
from salesops.reports.display import Missing
from salesops.storage import json_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def alice(tiny_dir) -> so.ReportContext:
    return once(
        review.context, str(tiny_dir), "rep:R1", "2026-09", comp_plan="parameters/comp_plan.yml"
    )


def test_the_context_reads_the_reps_own_rows_and_the_regions_peers(alice):
    assert alice.tables.reps["rep_id"].tolist() == ["R1"]
    assert set(alice.tables.opportunities["owner_id"]) == {"R1"}
    # Bob left on 2026-08-15, inside the three months compared: he is still a peer
    peers = rep_deals.peers(alice)
    assert peers.region == "East" and peers.members == 2 and rep_deals.member(alice)
    # the peers are distributions: no ids, and no row that is a rep
    assert isinstance(peers.kpis.index, pd.RangeIndex)
    assert isinstance(peers.conversion.columns, pd.RangeIndex)
    assert "R2" not in peers.kpis.to_string() + peers.conversion.to_string()


def test_attainment_by_hand(alice):
    frame = review.attainment(alice)
    # quotas: July 10,000, August 10,000, September 12,000; O1 won 10,000 on 2026-08-15
    assert frame.loc["Month"].tolist() == [0.0, 12_000.0, 0.0]
    assert frame.loc["Quarter to date", "bookings"] == 10_000
    assert frame.loc["Quarter to date", "attainment"] == pytest.approx(10_000 / 32_000)
    assert "31%" in so.show(frame).data  # drawn as tiles


def test_the_statement_and_the_summary(alice):
    assert review.statement(alice).payable == -200  # tests/batch/test_jobs.py works it out
    summary = review.summary(alice)
    assert summary["payable"] == -200 and summary["bookings"]["Year to date"] == 10_000
    assert summary["scope"] == "rep:R1"


def test_no_section_returns_another_reps_rows(tiny_dir):
    cara = once(
        review.context, str(tiny_dir), "rep:R3", "2026-09", comp_plan="parameters/comp_plan.yml"
    )
    assert rep_deals.peers(cara).members == 2  # Dan is Cara's peer
    results = [
        review.attainment(cara),
        review.trend(cara),
        review.comparison(cara),
        review.peer_spread(cara),
        *rep_deals.pipeline(cara),
        *rep_deals.cleanup(cara),
        rep_deals.forecast_precision(cara),
        *review.statement_tables(cara),
        review.coaching(cara),
    ]
    for result in results:
        if isinstance(result, pd.DataFrame):
            text = result.reset_index().to_string()
            assert "R4" not in text and "Dan Dune" not in text and "O8" not in text
    spread = review.peer_spread(cara)
    assert list(spread.index) == [0, 1] and spread["you"].tolist() == [True, False]


def test_sections_say_what_they_need(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "quotas.csv").unlink()
    ctx = review.context(str(crm), "rep:R1", "2026-09", comp_plan="parameters/comp_plan.yml")
    assert review.peer_spread(ctx) == Missing("Attainment among peers", ("quotas",))
    assert isinstance(review.statement_tables(ctx), Missing)
    assert "Quota attainment" not in review.comparison(ctx).index


def test_without_a_scope_the_first_active_rep(tiny_dir):
    ctx = once(review.context, str(tiny_dir), None, "2026-09")
    assert str(ctx.scope) == "rep:R1"


def test_bookings_of_won_deals_without_amounts_are_unknown_in_tiles_and_summary(tiny_dir, tmp_path):
    """Alice's only deal won in August has no amount: her month's bookings read "–" with
    the reason (they read $0, and attainment 0%), in the tiles and in the summary."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "opportunity_history"):  # no amount then either
        deals = pd.read_csv(crm / f"{table}.csv")
        deals.loc[deals["opportunity_id"] == "O1", "amount"] = None
        deals.to_csv(crm / f"{table}.csv", index=False)
    ctx = review.context(str(crm), "rep:R1", "2026-08", comp_plan="parameters/comp_plan.yml")
    frame = review.bookings(ctx)
    reason = "the one deal you won in the month has no amount"
    assert gaps.why(frame.loc["Month", "bookings"]) == reason
    assert gaps.why(frame.loc["Month", "attainment"]) == reason
    tiles = so.show(review.attainment(ctx)).data
    assert reason in tiles and "$0" not in tiles
    summary = json.loads(json_text(review.summary(ctx)))
    assert summary["bookings"]["Month"] is None and summary["attainment"]["Month"] is None
    assert summary["unknown"]["bookings.Month"] == reason


def test_the_review_says_how_many_peers_it_compares_with(tiny_dir):
    tables = once(so.load, tiny_dir)
    nobody = pd.DataFrame({"rep_id": ["R9"], "name": ["Nina"], "region": ["East"], "role": "rep"})
    tables = dataclasses.replace(tables, reps=pd.concat([tables.reps, nobody], ignore_index=True))
    ctx = so.ReportContext.of(tables, "2026-09", "rep:R1", comp_plan="parameters/comp_plan.yml")
    # East's sellers with deals in July to September are R1 and R2: R1 has one peer, and
    # R9 (no deal) is none
    assert rep_deals.peer_count(ctx) == 1 and rep_deals.member(ctx)
    caption = review.comparison(ctx).attrs["view"].caption
    assert caption.startswith("The last 3 months against 1 peer in East: the other sellers")
    assert review.summary(ctx)["peers"] == 1


# -- the notebooks, for every rep and every region, and privacy ----------------------------------
@pytest.fixture(scope="module")
def reviews(demo_monthly) -> tuple[Path, dict]:
    """Every rep's review and every region's team review of the demo, from its monthly
    run (the plan's ``rep:*`` and ``region:*``), with the run's manifest."""
    return demo_monthly, json.loads((demo_monthly / "manifest.json").read_text())


@pytest.mark.notebook
def test_every_rep_and_region_gets_a_review(reviews, demo_db):
    folder, manifest = reviews
    with so.open_source(demo_db) as src:
        reps, regions = src.scopes("rep"), src.scopes("region")
    done = {(e["report"], e["scope"]) for e in manifest["reports"] if e["status"] == "done"}
    assert {("performance_review", f"rep:{r}") for r in reps} <= done
    assert {("team_review", f"region:{r}") for r in regions} <= done
    some = json.loads(next(folder.glob("rep-*/performance_review.json")).read_text())
    assert set(some["attainment"]) == {"Month", "Quarter to date", "Year to date"}


@pytest.mark.notebook
def test_a_reps_review_never_names_another_rep(reviews, demo_db):
    folder, _ = reviews
    people = so.load(demo_db).reps
    checked = 0
    for path in sorted(folder.glob("rep-*/performance_review.*")):
        if path.suffix not in (".html", ".ipynb"):
            continue
        own = path.parent.name.removeprefix("rep-")
        text = path.read_text()
        assert own in text
        others = people[people["rep_id"] != own]
        ids = [rf"\b{re.escape(rep_id)}\b" for rep_id in others["rep_id"]]
        anyone = re.compile("|".join(ids + [re.escape(name) for name in others["name"]]))
        found = anyone.search(text)
        assert found is None, f"{found[0] if found else ''} in {path}"
        checked += 1
    assert checked == 2 * len(list(folder.glob("rep-*")))


@pytest.mark.notebook
def test_the_team_review_names_its_reps(reviews, demo_db):
    folder, _ = reviews
    people = so.load(demo_db).reps
    region = next(folder.glob("region-*"))
    text = (region / "team_review.html").read_text()
    name = region.name.removeprefix("region-")
    summary = json.loads((region / "team_review.json").read_text())
    active = people[
        (people["region"] == name) & (people["role"] == "rep") & people["end_date"].isna()
    ]
    assert summary["reps"] >= 1 and any(n in text for n in active["name"])


def test_a_win_rate_of_won_deals_only_is_not_shown_nor_ranked(won_only_dir):
    """A won-only export (no lost deal in the source): Alice and Bob each read 100% and
    Alice ranked 50th among peers at 100%; now her comparison leaves the win rate out
    and says why, and her summary's percentile is null with the headline KPI's reason."""
    why = "win rate needs lost deals, of which this source holds none"
    ctx = review.context(
        str(won_only_dir), "rep:R1", "2026-09", comp_plan="parameters/comp_plan.yml"
    )
    raw = review.peer_comparison(ctx).loc["Win rate"]
    assert gaps.why(raw["rep"]) == why and gaps.why(raw["percentile"]) == why
    assert raw["peers"] == 0 and raw["unknown_peers"] == 1  # Bob: unknown, not 100%
    shown = review.comparison(ctx)
    assert "Win rate" not in shown.index and "Bookings" in shown.index
    caption = shown.attrs["view"].caption
    assert "Not shown: win rate. It needs lost deals, of which this source holds none" in caption
    assert ".." not in caption and "holds none. Pipeline coverage" in caption
    summary = json.loads(json_text(review.summary(ctx)))
    assert summary["percentiles"]["Win rate"] is None
    assert summary["unknown"]["percentiles.Win rate"] == why
    assert summary["kpis"]["Win rate"]["current"] is None  # the portal's, as before


def test_the_comparison_says_when_there_are_no_peers_or_no_known_value(tiny_dir):
    """West, July to August 2026: Cara (R3) is its only seller with deals (Dan's O8 is
    created in September); the caption read "against 0 peers". July to September: Dan is
    her one peer, and he closed nothing, so no peer has a win rate or a sales cycle; the
    caption read "1 of 1 peers' values are unknown and left out of the median"."""
    plan = "parameters/comp_plan.yml"
    alone = once(review.context, str(tiny_dir), "rep:R3", "2026-08", comp_plan=plan)
    caption = review.comparison(alone).attrs["view"].caption
    assert caption.startswith(
        "The last 3 months, with no peers in West to compare with: no other seller there "
        "owned deals in those months, so there is no peer median and no percentile"
    )
    row = review.peer_comparison(alone).loc["Lead response (median)"]  # hers: 24 hours
    assert gaps.why(row["peer_median"]) == gaps.why(row["percentile"]) == "no peer to compare with"
    # she closed nothing in June to August: her own win rate reads "–" with the reason
    shown = review.comparison(alone).loc["Win rate"]
    assert gaps.why(shown["You"]) == "you have no win rate for the last 3 months"
    assert gaps.why(shown["Percentile among peers"]) == gaps.why(shown["You"])
    spread = review.peer_spread(alone).attrs["view"].caption
    assert spread == (
        "Quota attainment, last 3 months: yours, with no peers in West who owned deals in "
        "those months"
    )
    summary = json.loads(json_text(review.summary(alone)))
    assert summary["peers"] == 0
    assert summary["unknown"]["percentiles.Lead response (median)"] == "no peer to compare with"
    one = once(review.context, str(tiny_dir), "rep:R3", "2026-09", comp_plan=plan)
    caption = review.comparison(one).attrs["view"].caption
    assert caption.startswith("The last 3 months against 1 peer in West")
    assert (
        "Sales cycle (median): no peer in West has a known value (a seller's is unknown when "
        "they won no deal in those 3 months), so there is no peer median and no percentile"
    ) in caption
    assert "1 of 1 peers" not in caption and "0 peers" not in caption
    assert review.peer_spread(one).attrs["view"].caption.endswith("you against 1 peer")


def test_a_rep_whose_home_region_holds_no_deal_gets_a_review_without_peers(tiny_dir, tmp_path):
    """Cara (R3) and Dan (R4) moved to a home region of no deal, Europe, while their deals
    stay in West (an export whose deals carry the customer's country): Cara's review
    failed in its first section ("no region 'Europe'"). It now stands, her numbers her
    own ($50,000 won in September, O5, against her $20,000 quota), and says it has no
    peers to compare her with; the win probabilities are each stage's default, as it says."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    reps = pd.read_csv(crm / "reps.csv")
    reps.loc[reps["region"] == "West", "region"] = "Europe"
    reps.to_csv(crm / "reps.csv", index=False)
    cara = review.context(str(crm), "rep:R3", "2026-09", comp_plan="parameters/comp_plan.yml")
    assert review.bookings(cara).loc["Month", ["bookings", "quota"]].tolist() == [50000, 20000]
    caption = review.comparison(cara).attrs["view"].caption
    assert caption.startswith("The last 3 months, with no peers in Europe to compare with")
    assert rep_deals.peers(cara).members == 0
    summary = json.loads(json_text(review.summary(cara)))
    assert summary["peers"] == 0 and summary["region"] == "Europe"
    top = rep_deals.pipeline(cara)[1]
    assert top["win_probability"].tolist() == [0.30, 0.05]  # Discovery's, Prospecting's
    assert "each stage's default" in top.attrs["view"].caption


def test_attainment_of_a_rep_with_nothing_closed_and_no_hire_date_is_unknown(tmp_path):
    """tiny without its closed deals (as when the quarantine set them all aside: Lightdash's
    demo deals have no close date). Alice (R1) has no hire date here: her month read "$0
    booked" above "There is no bookings series: no deal of this rep has closed yet"; now
    it is unknown with that reason. With her hire date known, $0 is a true zero."""
    from conftest import TINY

    crm = Path(shutil.copytree(TINY, tmp_path / "crm"))
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    deals[~deals["stage"].str.startswith("Closed")].to_csv(crm / "opportunities.csv", index=False)
    reps = pd.read_csv(crm / "reps.csv", dtype=str)
    hired = reps.copy()
    reps.loc[reps["rep_id"] == "R1", "hire_date"] = None
    reps.to_csv(crm / "reps.csv", index=False)
    frame = review.bookings(review.context(str(crm), "rep:R1", "2026-09"))
    why = "no bookings: the source holds no closed deal"  # of this rep's, when it holds some
    assert {gaps.why(v) for v in frame["bookings"]} == {why}
    assert why in so.show(review.attainment(review.context(str(crm), "rep:R1", "2026-09"))).data
    hired.to_csv(crm / "reps.csv", index=False)
    frame = review.bookings(review.context(str(crm), "rep:R1", "2026-09"))
    assert frame["bookings"].tolist() == [0, 0, 0]
