"""The metrics report's sections on the tiny CRM, without papermill, against numbers
computed by hand."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import salesops as so
from salesops.data.stages import Stages
from salesops.reports import metrics
from salesops.reports.display import Missing

STAGES = Stages.read()  # parameters/stages.yml, the demo's


@pytest.fixture
def company(tiny_dir) -> so.ReportContext:
    return so.ReportContext.load(str(tiny_dir), "company", "2026-09")


def test_kpis_are_a_frame_with_their_changes(company):
    kpis = metrics.kpis(company)
    # September: O5 won ($50,000); O2 and O7 lost
    assert kpis.loc["Bookings", "current"] == 50_000
    assert kpis.loc["Win rate", "current"] == pytest.approx(1 / 3)
    assert set(kpis.columns) >= {"current", "previous", "last_year", "vs_previous", "kind"}
    assert "$50,000" in so.show(kpis).data  # drawn as tiles


def test_a_breakdown_by_any_column(company):
    by_region = metrics.breakdown(company, "region")
    assert list(by_region.index) == ["West", "East"]  # by bookings
    assert by_region.loc["West", "bookings"] == 50_000
    assert by_region.loc["West", "win_rate"] == 0.5  # O5 won, O7 lost
    assert by_region.loc["East", "win_rate"] == 0  # O2 lost
    by_product = metrics.breakdown(company, "product")
    assert by_product.loc["Core", "bookings"] == 50_000
    html = so.show(by_region).to_html()
    assert "$50,000" in html and "50%" in html


def test_sections_without_their_data_say_what_they_need(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv").drop(columns="segment")
    deals.to_csv(crm / "opportunities.csv", index=False)
    ctx = so.ReportContext.load(str(crm), "company", "2026-09")
    waterfall = metrics.waterfall(ctx)
    assert waterfall == Missing("The pipeline waterfall", ("opportunity_history",))
    assert so.show(waterfall).data == (
        "*The pipeline waterfall needs the `opportunity_history` table, which this source "
        "does not have.*"
    )
    assert isinstance(metrics.breakdown(ctx, "segment"), Missing)
    assert isinstance(metrics.funnel(ctx), Missing)
    counts, _ = metrics.data_quality(ctx)
    assert "Stale open deals" not in counts.index  # idleness needs the history


def test_data_quality_is_two_frames(company):
    counts, worst = metrics.data_quality(company, top=3)
    # on 2026-09-30: O10 is past its close date (2026-08-31) and idle since April; O6 has
    # not changed since it was created on 2026-08-15 (46 days, over the 30 of settings.yml)
    assert counts.loc["Open deals past their close date", "rows"] == 1
    assert counts.loc["Stale open deals", "rows"] == 2
    assert list(worst.index) == ["O10", "O6"]


def test_the_summary_is_what_the_tiles_show(company):
    summary = metrics.summary(company)
    assert summary["kpis"]["Bookings"]["current"] == 50_000
    assert summary["deals"] == 10 and summary["period"] == "2026-09"


def test_a_rate_tile_moves_in_points_and_an_amount_in_percent():
    from salesops.reports.metrics import _moved

    rate = pd.Series({"kind": "pct", "current": 0.785, "previous": 0.529, "vs_previous": 0.484})
    assert _moved(rate, "previous")[1] == "+25.6 pts"  # not "+48%", which reads like points
    money = pd.Series({"kind": "money", "current": 120.0, "previous": 100.0, "vs_previous": 0.2})
    assert _moved(money, "previous") == (0.2, "+20%")


def test_pipeline_efficiency_without_quotas_or_leads_says_so(company, tiny_dir, tmp_path):
    shown = so.show(metrics.efficiency(company)).to_html()
    assert "$318" in shown and "1.0×" in shown and "50%" in shown  # hand-checked in test_pipeline
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "quotas.csv").unlink()
    (crm / "leads.csv").unlink()
    frame = metrics.efficiency(so.ReportContext.load(str(crm), "company", "2026-09"))
    assert "Pipeline coverage" not in frame.index and "Lead-to-deal conversion" not in frame.index
    assert frame.loc["Qualified open deals", "value"] == 2
    assert "Not shown: quota of the next period, pipeline coverage, lead-to-deal conversion" in (
        frame.attrs["view"].caption
    )
