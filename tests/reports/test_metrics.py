"""The metrics report's sections on the tiny CRM, without papermill, against numbers
computed by hand."""

from __future__ import annotations

import dataclasses
import json
import shutil
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.reports import (
    breakdowns,
    forecast,
    metrics,
    performance_review,
    pipeline_health,
    rep_deals,
)
from salesops.reports.display import Missing
from salesops.storage import json_text


def test_kpis_are_a_frame_with_their_changes(company):
    kpis = metrics.kpis(company)
    # September: O5 won ($50,000); O2 and O7 lost
    assert kpis.loc["Bookings", "current"] == 50_000
    assert kpis.loc["Win rate", "current"] == pytest.approx(1 / 3)
    assert set(kpis.columns) >= {"current", "previous", "last_year", "vs_previous", "kind"}
    assert "$50,000" in so.show(kpis).data  # drawn as tiles


def test_sections_without_their_data_say_what_they_need(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv").drop(columns="segment")
    deals.to_csv(crm / "opportunities.csv", index=False)
    ctx = so.ReportContext.load(str(crm), "company", "2026-09")
    waterfall = pipeline_health.waterfall(ctx)  # from created and close dates, with limits
    assert "needs the stage history" in gaps.why(waterfall.at["pushed_out", "amount"])
    assert "This source has no stage history" in waterfall.attrs["view"].caption
    assert isinstance(breakdowns.breakdown(ctx, "segment"), Missing)
    assert isinstance(pipeline_health.funnel(ctx), Missing)
    counts, _ = pipeline_health.data_quality(ctx)
    assert "Stale open deals" not in counts.index  # idleness needs the history


def _blank_close_dates(tiny_dir: Path, folder: Path) -> Path:
    """tiny with no close date on O3 and O10 (open), which a default fills: created date +
    30 days (31 Aug and 31 Mar 2026, both before 30 Sep)."""
    crm = shutil.copytree(tiny_dir, folder)
    deals = pd.read_csv(crm / "opportunities.csv")
    deals.loc[deals["opportunity_id"].isin(["O3", "O10"]), "close_date"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    rule = {"close_date": {"column": "created_date", "plus": "30 days", "when": "open"}}
    source = {
        "name": "tiny without some close dates",
        "kind": "files",
        "location": ".",
        "tables": {"opportunities": {"from": "opportunities", "defaults": rule}},
    }
    (crm / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    return crm / "source.yml"


def test_a_close_date_a_default_filled_is_not_counted_overdue(tiny_dir, tmp_path):
    """The loader names the deals whose close date a default invented; the data-quality
    counts leave them out of "past their close date" (2 before: O3 and O10) and say how
    many there are; a rep's cleanup says so too."""
    source = _blank_close_dates(tiny_dir, tmp_path / "crm")
    ctx = so.ReportContext.load(str(source), "company", "2026-09")
    assert ctx.tables.filled_ids["opportunities.close_date"] == {"O3", "O10"}
    counts, worst = pipeline_health.data_quality(ctx)
    assert counts.loc["Open deals past their close date", "rows"] == 0
    filled = "Open deals whose close date a default invented (not counted overdue)"
    assert counts.loc[filled, "rows"] == 2
    assert counts.loc["Filled opportunities.close_date (created_date + 30 days (when open))",
                      "rows"] == 2  # fmt: skip
    assert "O3" not in worst.index  # O10 stays: idle since April, by the history
    alice = performance_review.context(str(source), "rep:R1", "2026-09")
    shown = rep_deals.cleanup(alice)[0]
    assert "1 open deal whose close date a default invented: never counted overdue" in (
        shown.attrs["view"].caption
    )


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


def test_attainment_of_won_deals_without_amounts_is_unknown_not_zero(tiny_dir, tmp_path):
    """September's one win, O5, has no amount: bookings read – and attainment read 0%;
    attainment is unknown too, with the bookings' reason."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "opportunity_history"):
        deals = pd.read_csv(crm / f"{table}.csv")
        deals.loc[deals["opportunity_id"] == "O5", "amount"] = None
        deals.to_csv(crm / f"{table}.csv", index=False)
    kpis = metrics.kpis(so.ReportContext.load(str(crm), "company", "2026-09"))
    booked = kpis.loc["Bookings", "current"]
    assert gaps.why(kpis.loc["Quota attainment", "current"]) == gaps.why(booked)
    assert kpis.loc["Quota attainment", "previous"] == pytest.approx(10_000 / 38_000)  # August


def test_open_pipeline_without_amounts_is_unknown_with_a_reason(unpriced):
    kpis = metrics.kpis(unpriced)
    pipeline = kpis.loc["Open pipeline, next period", "current"]
    # O6 and O9 (won later) are the open deals due in October; no amount: "–", not $0
    assert gaps.why(pipeline) == "none of the 2 open deals due in 2026-10 has an amount"
    tile = so.show(kpis).data
    assert "none of the 2 open deals due in 2026-10 has an amount" in tile and "$0" not in tile
    summary = json.loads(json_text(metrics.summary(unpriced)))
    assert summary["kpis"]["Open pipeline, next period"]["current"] is None
    reason = summary["unknown"]["kpis.Open pipeline, next period.current"]
    assert reason == "none of the 2 open deals due in 2026-10 has an amount"
    # the closed-deal numbers are as they were
    assert summary["kpis"]["Bookings"]["current"] == 50_000
    assert summary["kpis"]["Bookings"]["previous"] == 10_000


def test_without_history_the_previous_pipeline_is_rebuilt_from_created_and_close_dates(
    tiny_dir, tmp_path
):
    """tiny without its stage history, September 2026 (by hand). At Sep 1, the deals
    created before it and not closed by then: O2 (lost 20 Sep, 5,000), O3 (20,000), O5
    (won 30 Sep, 50,000), O6 (30,000), O10 (15,000), 120,000 in all; due in September, O2
    and O5: 55,000. At Oct 1: O3, O6, O8 (no amount), O9 (won 10 Oct, 12,000) and O10,
    77,000; due in October O6 and O9: 42,000. Before, every number at Sep 1 read "needs the
    stage history"."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    ctx = so.ReportContext.load(str(crm), "company", "2026-09")
    kpis = metrics.kpis(ctx)
    row = kpis.loc["Open pipeline, next period"]
    assert (row["current"], row["previous"]) == (42_000, 55_000)
    assert row["vs_previous"] == pytest.approx(42_000 / 55_000 - 1)
    said = (
        "This source has no stage history: the open pipeline at a period's end is rebuilt "
        "from the deals' created and close dates, not from a stage history (a deal created "
        "before the end and not closed by then counts as open; one that closed later at its "
        "exported amount, its stage then unknown): 5 deals at the end of 2026-09 and 5 deals "
        "at the end of 2026-08."
    )
    assert metrics.rebuilt(ctx) == said
    tiles = so.show(kpis).data
    tile = tiles[tiles.index("Open pipeline, next period") :]
    assert "$42,000" in tile and "-24%</span> vs prev." in tile  # before: "–", unknown
    assert "5 deals at the end of 2026-08" in tiles  # the note under the tiles
    summary = json.loads(json_text(metrics.summary(ctx)))
    assert summary["open_pipeline"] == {"2026-10-01": 77_000, "2026-09-01": 120_000}
    assert summary["open_pipeline_rebuilt"] == said
    # August: at Aug 1, O1 (won 15 Aug, 10,000), O2, O5 and O10: 80,000, 4 deals
    august = so.ReportContext.load(str(crm), "company", "2026-08")
    aug = json.loads(json_text(metrics.summary(august)))
    assert aug["open_pipeline"] == {"2026-09-01": 120_000, "2026-08-01": 80_000}
    assert "4 deals at the end of 2026-07" in aug["open_pipeline_rebuilt"]
    # with the stage history it is rebuilt from that, and nothing more is said
    company = once(so.ReportContext.load, str(tiny_dir), "company", "2026-09")
    assert metrics.rebuilt(company) == ""
    assert "open_pipeline_rebuilt" not in metrics.summary(company)


def test_every_report_takes_the_deals_at_a_moment_by_one_rule(tiny_dir, tmp_path):
    """tiny whose stage history starts on 1 Sep 2026 (a connector that began recording
    then), September 2026, by hand. At Oct 1, O3 (Proposal, 20,000, due 30 Nov), O8
    (Qualification, no amount) and O9 (Prospecting, 12,000, due 31 Oct) have history rows
    before it; O6 (Negotiation, 30,000, due 31 Oct) and O10 (Discovery, 15,000, overdue)
    have none and are as exported: 77,000 open, 42,000 due in October (O6, O9), 62,000 due
    in Q4 (R1: O3 + O9, R3: O6). At Sep 1 no deal has a row: O2 (lost 20 Sep, 5,000) and
    O5 (won 30 Sep, 50,000) were open, with O3, O6 and O10: 120,000, 55,000 due in
    September. The metrics report, pipeline health, efficiency, a rep's coverage and
    pipeline and the outlook agree. Before, pipeline health and efficiency rebuilt the
    deals from the history alone (32,000 by stage; 12,000 due in October) and the metrics
    report read the pipeline at Sep 1 as unknown."""
    from salesops.analytics import outlook, performance

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    path = crm / "opportunity_history.csv"
    history = pd.read_csv(path, dtype=str, keep_default_na=False)
    history[history["changed_at"] >= "2026-09-01"].to_csv(path, index=False)
    ctx = so.ReportContext.load(str(crm), "company", "2026-09")
    t, end = ctx.tables, ctx.period.end
    open_ = outlook.open_at(t.opportunities, ctx.as_of, ctx.stages, history=t.opportunity_history)
    october = open_[ctx.period.shift(1).contains(open_["close_date"])]
    assert sorted(open_["opportunity_id"]) == ["O10", "O3", "O6", "O8", "O9"]
    assert open_["amount"].sum() == metrics.pipeline_at(ctx, end, None) == 77_000
    by_stage = pipeline_health.pipeline_by_stage(ctx)
    assert (by_stage["deals"].sum(), by_stage["amount"].sum()) == (5, 77_000)
    caption = by_stage.attrs["view"].caption
    assert "2 of the 5 open deals had no stage history row before then" in caption
    kpi = metrics.kpis(ctx).loc["Open pipeline, next period"]
    due = pipeline_health.efficiency(ctx)["value"]["Open pipeline due next period"]
    assert october["amount"].sum() == kpi["current"] == due == 42_000
    assert kpi["previous"] == 55_000  # at Sep 1, due in September: O2 and O5
    assert pipeline_health.efficiency(ctx)["value"]["Qualified open deals"] == 3  # O3, O6, O10
    reps = pd.Index(["R1", "R3", "R4"])
    quota = pd.Series({"R1": 12_000, "R3": 20_000, "R4": 10_000})  # Q4's: October's
    cover = performance.coverage(t, end, reps, ctx.stages)
    covered = cover.astype(float) * quota
    assert covered[["R1", "R3"]].to_dict() == {"R1": 32_000, "R3": 30_000}
    assert "no amount" in str(gaps.why(cover["R4"]))  # O8, its one deal due: unknown, not 0×
    q4 = open_[so.Period.parse("2026-Q4").contains(open_["close_date"])]  # O10 is overdue
    assert covered.sum() == q4["amount"].sum() == 62_000
    rep = performance_review.context(str(crm), "rep:R1", "2026-09")
    shown, _ = rep_deals.pipeline(rep)
    assert shown["amount"].sum() == covered["R1"]  # O3 and O9
    summary = json.loads(json_text(metrics.summary(ctx)))
    assert summary["open_pipeline"] == {"2026-10-01": 77_000, "2026-09-01": 120_000}
    assert summary["open_pipeline_rebuilt"] == metrics.rebuilt(ctx)
    assert metrics.rebuilt(ctx).endswith(
        "counts them from their created and close dates, not from the stage history (a deal "
        "created before the end and not closed by then counts as open; one that closed later "
        "at its exported amount, its stage then unknown): 2 deals at the end of 2026-09 and "
        "5 deals at the end of 2026-08."
    )


def test_a_kpi_the_source_cannot_hold_is_unknown_in_the_summary_too(unpriced):
    # tiny's leads have response times; an export without them (loaded with the column
    # absent) hides the tile, and the summary says why, not "no lead ... was answered"
    tables = unpriced.tables
    absent = tables.absent | {"leads.first_response_at"}
    ctx = so.ReportContext.of(dataclasses.replace(tables, absent=absent), "2026-09")
    kpis = metrics.kpis(ctx)
    reason = gaps.why(kpis.loc["Lead response (median)", "current"])
    assert reason == (
        "lead response (median) needs leads.first_response_at, which this source does not have"
    )
    assert gaps.why(kpis.loc["Lead response (median)", "previous"]) == reason


def test_comparisons_before_the_first_close_are_unknown_not_against_zero(unpriced):
    kpis = metrics.kpis(unpriced)
    # September 2025 is before July 2026, the first close: no -100% or +inf, but a reason
    assert "2025-09 is before Jul 2026" in gaps.why(kpis.loc["Bookings", "vs_last_year"])
    assert kpis.loc["Bookings", "vs_previous"] == pytest.approx(4.0)  # 50,000 / 10,000 - 1
    summary = json.loads(json_text(metrics.summary(unpriced)))
    assert summary["kpis"]["Bookings"]["last_year"] is None
    assert "first closed deal" in summary["unknown"]["kpis.Bookings.last_year"]
    assert summary["starts"] == {"bookings": "2026-07", "pipeline": "2026-03"}


def test_the_bookings_trend_starts_at_the_first_close_and_says_why(unpriced):
    trend = metrics.trend(unpriced)
    assert trend.index.tolist() == ["2026-07", "2026-08", "2026-09"]  # not 13 months
    assert trend["bookings"].tolist() == [8_000, 10_000, 50_000]
    caption = trend.attrs["view"].caption
    assert "3 months to 2026-09" in caption
    assert "starts in Jul 2026, the month of the first closed deal" in caption


def test_pipeline_tables_say_how_many_deals_had_no_amount(unpriced, company):
    by_stage = pipeline_health.pipeline_by_stage(unpriced)
    held = by_stage[by_stage["deals"] > 0]
    assert held["amount"].isna().all() and held["weighted"].isna().all()
    assert (by_stage.loc[by_stage["deals"] == 0, "amount"] == 0).all()  # no deal: a true 0
    assert "None of the 5 open deals has an amount" in by_stage.attrs["view"].caption
    regions = breakdowns.breakdown(unpriced, "region")
    assert regions["open_pipeline"].isna().all()
    assert "None of the 5 open deals has an amount" in regions.attrs["view"].caption
    # partly missing: tiny's O8 has no amount; it is left out and counted (O3, O6, O8, O10
    # and O9, won on 10 Oct, were open at September's end)
    caption = breakdowns.breakdown(company, "region").attrs["view"].caption
    assert caption == "1 of 5 open deals has no amount and is left out of the sums."


def test_the_tiles_say_how_many_won_deals_have_no_amount(tiny_dir, tmp_path, company):
    """A won deal without an amount added nothing to bookings, and nothing said so; when
    no won deal had one, bookings read $0."""
    assert "no amount" not in so.show(metrics.kpis(company)).data

    def without_amounts(*ids: str) -> Path:
        crm = shutil.copytree(tiny_dir, tmp_path / "-".join(ids))
        for name in ("opportunities.csv", "opportunity_history.csv"):
            rows = pd.read_csv(crm / name)
            rows.loc[rows["opportunity_id"].isin(ids), "amount"] = None
            rows.to_csv(crm / name, index=False)
        return crm

    # September's one win, O5, has no amount: bookings are unknown, not $0
    september = so.ReportContext.load(str(without_amounts("O5")), "company", "2026-09")
    kpis = metrics.kpis(september)
    assert gaps.why(kpis.loc["Bookings", "current"]) == (
        "the one deal won in 2026-09 has no amount"  # not "1 deals", nor a caption's sentence
    )
    # Q3: O4 (no amount), O1 10,000 and O5 50,000 won: 60,000, and the one left out is said
    quarter = so.ReportContext.load(str(without_amounts("O4")), "company", "2026-Q3")
    kpis = metrics.kpis(quarter)
    assert kpis.loc["Bookings", "current"] == 60_000
    assert (
        "1 of 3 deals won in 2026-Q3 has no amount and is left out of the sums."
        in so.show(kpis).data
    )


def test_a_report_shows_money_in_the_company_currency(company):
    """The context's currency (``currency`` of the settings) reaches the tables and the
    tiles of its sections; formatting itself reads no settings."""
    euros = company.settings.model_copy(update={"currency": "EUR"})
    ctx = dataclasses.replace(company, settings=euros, cache={})
    table = so.show(breakdowns.breakdown(ctx, "region"), table=True).to_html()
    assert "€" in table and "$" not in table
    tiles = so.show(metrics.kpis(ctx)).data
    assert "€" in tiles and "$" not in tiles


def test_the_waterfall_starts_where_the_metrics_pipeline_stood_then(tiny_dir):
    """A stage history that starts on Sep 1, later than most deals: the waterfall's start
    and end are the pipeline due in Q3 that the metrics report gives at those moments
    (the deals then by history.deals_then), not the history's alone ($0 at the start).
    At Sep 1 (no history row before it): O2 (lost Sep 20, 5,000) and O5 (won Sep 30,
    50,000) were open, due on the day they closed, and O10 (15,000, due Aug 31)."""
    tables = once(so.load, str(tiny_dir))
    h = tables.opportunity_history
    late = dataclasses.replace(tables, opportunity_history=h[h["changed_at"] >= "2026-09-01"])
    ctx = so.ReportContext.of(late, "2026-09")
    w = pipeline_health.waterfall(ctx)
    assert w["amount"].to_dict() == {
        "start": 70_000,
        "created": 4_000,  # O7
        "pulled_in": 20_000,  # O3, due Sep 30 from Sep 5
        "won": -50_000,  # O5
        "lost": -9_000,  # O2 5,000 + O7 4,000
        "pushed_out": -20_000,  # O3, due Nov 30 from Sep 28
        "amount_change": 0,
        "end": 15_000,  # O10
    }
    q3 = pipeline_health.waterfall_window(ctx)
    assert w.at["start", "amount"] == metrics.pipeline_at(ctx, ctx.period.start, q3)
    assert (
        "Deals without a stage history row then are taken from their created and close "
        "dates: 3 of the 3 open at the start, 1 of the 1 open at the end"
    ) in w.attrs["view"].caption
    assert w.at["end", "amount"] == metrics.pipeline_at(ctx, ctx.period.end, q3)


def _invented_close_dates(tiny_dir: Path, folder: Path, rule: dict) -> Path:
    """tiny without stage history, O3 and O6 (open, $20,000 and $30,000) without a close
    date, and ``rule`` filling it; their Expected Closing column holds 1 and 15 Oct 2026,
    as created date + 2 months gives them."""
    crm = shutil.copytree(tiny_dir, folder)
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    blank = deals["opportunity_id"].isin(["O3", "O6"])
    deals["expected_closing"] = None
    deals.loc[blank, "expected_closing"] = ["2026-10-01", "2026-10-15"]
    deals.loc[blank, "close_date"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    source = {
        "name": "tiny with filled close dates",
        "kind": "files",
        "location": ".",
        "tables": {"opportunities": {"from": "opportunities", "defaults": {"close_date": rule}}},
    }
    (crm / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    return crm / "source.yml"


def test_the_pipeline_next_period_says_what_rests_on_invented_close_dates(tiny_dir, tmp_path):
    """Odoo's "Open pipeline, next period" ($160,100) did not say that $30,100 of it rests
    on close dates its source file invented (created + 30 days). On tiny at September
    2026: October's open pipeline is O3 $20,000 + O6 $30,000 (due 1 and 15 Oct by created
    date + 2 months) + O9 $12,000 (open at the end of September, won 10 Oct) = $62,000,
    of which $50,000 (2 deals) rests on the invented dates. The same dates copied from the
    export's own Expected Closing column are no invention: no note."""
    rule = {"column": "created_date", "plus": "2 months", "when": "open"}
    ctx = so.ReportContext.load(
        str(_invented_close_dates(tiny_dir, tmp_path / "made", rule)), "company", "2026-09"
    )
    assert metrics.kpis(ctx).loc["Open pipeline, next period", "current"] == 62_000
    said = (
        "$50,000 of it (2 deals) rests on close dates filled by a default rule (created date "
        "+ 2 months)"
    )
    assert metrics.invented(ctx) == {"Open pipeline, next period": said}
    tiles = so.show(metrics.kpis(ctx)).data
    assert f"Open pipeline, next period: {said}." in unescape(tiles)
    summary = json.loads(json_text(metrics.summary(ctx)))
    assert summary["notes"] == {"Open pipeline, next period": said}
    # the forecast's quarter outlook counts them in 2026-Q4's pipeline view and roll-ups
    fc = forecast.context(str(tmp_path / "made" / "source.yml"), "company", "2026-09")
    caption = forecast.quarter_outlook(fc).attrs["view"].caption
    assert (
        "Of the 5 open deals due in 2026-Q4, 2 ($50,000) are due there by close dates filled "
        "by a default rule (created date + 2 months)."
    ) in caption
    assert set(json.loads(json_text(forecast.summary(fc)))["notes"]) == {"outlook.2026-Q4"}
    copied = {"column": "expected_closing", "when": "open"}
    ctx = so.ReportContext.load(
        str(_invented_close_dates(tiny_dir, tmp_path / "copied", copied)), "company", "2026-09"
    )
    assert metrics.kpis(ctx).loc["Open pipeline, next period", "current"] == 62_000
    assert metrics.invented(ctx) == {} and "notes" not in metrics.summary(ctx)
