"""Pipeline health (:mod:`salesops.reports.pipeline_health`): the waterfall, efficiency and
data quality, on the tiny CRM (conftest's ``company`` and ``unpriced``) and real exports."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.reports import pipeline_health


def test_data_quality_is_two_frames(company):
    counts, worst = pipeline_health.data_quality(company, top=3)
    # on 2026-09-30: O10 is past its close date (2026-08-31) and idle since April; O6 has
    # not changed since it was created on 2026-08-15 (46 days, over the 30 of settings.yml)
    assert counts.loc["Open deals past their close date", "rows"] == 1
    assert counts.loc["Stale open deals", "rows"] == 2
    assert list(worst.index) == ["O10", "O6"]
    assert worst["owner"].tolist() == ["Cara Cole"] * 2  # R3's name, not the id


def test_the_real_hubspot_export_has_no_deal_overdue_by_an_invented_date():
    """HubSpot's real seed (tests/fixtures/exports/real/hubspot) has no close date: its
    source file fills created date + 90 days for the 21 open deals it keeps. On 31 Dec
    2020, 17 of them were "past their close date" by those invented dates; none is now,
    and the data-quality section says 21 close dates were filled."""
    real = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "hubspot"
    ctx = so.ReportContext.load(str(real / "source.yml"), "company", "2020-12",
                                on_invalid="quarantine")  # fmt: skip
    assert len(ctx.tables.filled_ids["opportunities.close_date"]) == 21
    counts, worst = pipeline_health.data_quality(ctx)
    assert counts.loc["Open deals past their close date", "rows"] == 0 and worst.empty
    # an empty table says so in a line, not headers over no row (the Maven CRM export)
    assert so.show(worst).data == "*No open deal is past its close date.*"
    filled = "Open deals whose close date a default invented (not counted overdue)"
    assert counts.loc[filled, "rows"] == 21
    # no amount column: every open deal lacks one, counted and said (the row was left out)
    assert counts.loc["Open deals without an amount", "rows"] == 21
    assert "the export has no amount column" in counts.attrs["view"].caption


def test_a_close_date_copied_from_another_column_can_be_overdue():
    """Odoo's source fills an open deal's close date from Expected Closing (the export's
    own date), then, for the 4 without one, 30 days after creation (invented). Only those
    4 are never overdue; before, all 14 were, so no Odoo deal could ever be overdue."""
    real = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "odoo"
    ctx = so.ReportContext.load(str(real / "source.yml"), "company", "2025-03")
    assert ctx.tables.filled["opportunities.close_date"][0] == 14
    invented = ctx.tables.filled_ids["opportunities.close_date"]
    o = ctx.tables.opportunities.set_index("opportunity_id")
    raw = pd.read_csv(real / "crm_lead_pipeline.csv")
    no_expected = raw.loc[raw["Expected Closing"].isna(), "External ID"]
    assert len(invented) == 4 and invented <= set(no_expected.astype(str)) & set(o.index)
    counts, _ = pipeline_health.data_quality(ctx)
    assert counts.loc["Open deals whose close date a default invented (not counted overdue)",
                      "rows"] == 4  # fmt: skip


def test_pipeline_efficiency_without_quotas_or_leads_says_so(company, tiny_dir, tmp_path):
    shown = so.show(pipeline_health.efficiency(company)).to_html()
    assert "$318" in shown and "1.0×" in shown and "50%" in shown  # hand-checked in test_pipeline
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "quotas.csv").unlink()
    (crm / "leads.csv").unlink()
    frame = pipeline_health.efficiency(so.ReportContext.load(str(crm), "company", "2026-09"))
    assert "Pipeline coverage" not in frame.index and "Lead-to-deal conversion" not in frame.index
    assert frame.loc["Qualified open deals", "value"] == 2
    assert "Not shown: quota of the next period, pipeline coverage, lead-to-deal conversion" in (
        frame.attrs["view"].caption
    )


def test_pipeline_efficiency_without_amounts_says_why(unpriced):
    frame = pipeline_health.efficiency(unpriced)
    due = frame.loc["Open pipeline due next period", "value"]
    assert gaps.why(due) == "none of the 2 open deals due in 2026-10 has an amount"
    assert gaps.why(frame.loc["Pipeline coverage", "value"]) == gaps.why(due)
    shown = so.show(frame).to_html()
    assert "none of the 2 open deals due in 2026-10 has an amount" in shown


def test_a_waterfall_step_without_amounts_reads_unknown_not_zero(tiny_dir):
    """O7, created into the September pipeline and lost in it, without an amount: the
    created and lost steps are "–" with the reason, not $0, and the caption says so."""
    tables = once(so.load, str(tiny_dir))
    o, h = tables.opportunities.copy(), tables.opportunity_history.copy()
    o.loc[o["opportunity_id"] == "O7", "amount"] = None
    h.loc[h["opportunity_id"] == "O7", "amount"] = None
    ctx = so.ReportContext.of(
        dataclasses.replace(tables, opportunities=o, opportunity_history=h), "2026-09"
    )
    w = pipeline_health.waterfall(ctx)
    assert gaps.why(w.at["created", "amount"]) == (
        "the one deal created into the pipeline has no amount"
    )
    assert w.at["lost", "amount"] == -5_000  # O2; O7 is left out
    caption = w.attrs["view"].caption
    assert "left out of the sums: 1 of 1 created, 1 of 2 lost" in caption
    assert "– stands for what cannot be known" in caption
    html = so.show(w, table=True).to_html()
    assert "$0" not in html.split("created")[1].split("</tr>")[0]
