"""A rep's deals in their review (:mod:`salesops.reports.rep_deals`): the region's peers,
computed once, and the pipeline's caption on exports without stage history."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

import salesops as so
from salesops.reports import performance_review as review
from salesops.reports import rep_deals

ROOT = Path(__file__).resolve().parents[2]


def test_a_regions_peers_are_computed_once(tiny_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    shutil.copytree(ROOT / "parameters", tmp_path / "parameters")
    alice = review.context(str(tiny_dir), "rep:R1", "2026-09", comp_plan="parameters/comp_plan.yml")
    bob = review.context(str(tiny_dir), "rep:R2", "2026-09", comp_plan="parameters/comp_plan.yml")
    first, again = rep_deals.peers(alice), rep_deals.peers(bob)
    assert len(list((tmp_path / ".cache" / "peers").glob("*.pickle"))) == 1
    pd.testing.assert_frame_equal(first.kpis, again.kpis)
    cara = review.context(str(tiny_dir), "rep:R3", "2026-09", comp_plan="parameters/comp_plan.yml")
    assert rep_deals.peers(cara).region == "West"  # another region, another entry
    assert len(list((tmp_path / ".cache" / "peers").glob("*.pickle"))) == 2


def test_a_review_without_history_says_which_deals_count_as_open(tiny_dir, tmp_path):
    """tiny without stage history, August 2026: Cara's O5 (won 30 Sep) was open at
    August's end, in the first open stage; her review's pipeline says so, counting her
    deals only (Alice's O2, lost 20 Sep, is the company's other one), on any tables."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    cara = review.context(str(crm), "rep:R3", "2026-08", comp_plan="parameters/comp_plan.yml")
    assert cara.tables.reopened == {"O5"}  # her region's tables
    company = so.load(str(crm), period="2026-08")
    assert so.ReportContext.of(company, "2026-08").reopened.startswith("; 2 deals that")
    assert so.ReportContext.of(company, "2026-08", "rep:R3").reopened.startswith("; 1 deal ")
    by_stage, best = rep_deals.pipeline(cara)
    assert by_stage.loc["Prospecting", "deals"] == 1 and "O5" in best.index
    assert by_stage.attrs["view"].caption.startswith(
        "Open pipeline by stage; 1 deal that closed after the period's end counts as open "
        "at it, in Prospecting (the stage then is unknown: the export has no stage history)"
    )


def test_a_deal_of_unknown_stage_is_said_once(tiny_dir, tmp_path):
    """A source whose stage list names no open stage (Olist's): a deal won after the
    period's end is open at it in "open (stage unknown)"; the caption read "in open
    (stage unknown) (the stage then is unknown: the export has no stage history)"."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunity_history", "activities", "leads", "forecast_submissions"):
        (crm / f"{table}.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    deals[deals["stage"].str.startswith("Closed")].to_csv(crm / "opportunities.csv", index=False)
    stages = [
        {"name": "Closed Won", "probability": 1.0, "closed": True, "won": True},
        {"name": "Closed Lost", "probability": 0.0, "closed": True},
    ]
    source = {"name": "tiny, closed deals only", "kind": "files", "location": "."}
    source |= {"stages": stages, "tables": {"opportunities": {"from": "opportunities"}}}
    (crm / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    cara = review.context(
        str(crm / "source.yml"), "rep:R3", "2026-08", comp_plan="parameters/comp_plan.yml"
    )
    by_stage, _ = rep_deals.pipeline(cara)
    assert by_stage.attrs["view"].caption.startswith(
        "Open pipeline by stage; 1 deal that closed after the period's end counts as open "
        "at it, in open (stage unknown): the export has no stage history"
    )


def test_a_rep_without_open_deals_is_told_so_not_shown_an_empty_table(tiny_dir):
    """Bob (R2) owns only O4, won on 31 Jul 2026: at July's end he has no open deal. His
    top deals say so in one line instead of headers over no row (the Maven CRM export's
    Garret Kinder)."""
    bob = review.context(str(tiny_dir), "rep:R2", "2026-07")
    by_stage, best = rep_deals.pipeline(bob)
    assert by_stage["deals"].sum() == 0 and best.empty
    assert so.show(best).data == "*You had no open deal at the end of the month.*"
