"""The forecast report's sections on the tiny CRM, without papermill; and the notebook,
coherent with the forecast it shows."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import execute, once, unpriced_copy

import salesops as so
from salesops.analytics import gaps, reconciliation
from salesops.data.stages import Stages
from salesops.reports import deals, evidence, forecast, planning
from salesops.storage import json_text

STAGES = Stages.read()  # parameters/stages.yml, the demo's

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def company(tiny_dir):
    return once(forecast.context, str(tiny_dir), "company", "2026-09", horizon=6)


def test_the_monthly_forecast_is_a_frame_of_the_horizon(company):
    frame = forecast.monthly(company)
    assert list(frame.columns) == forecast.INTERVALS and len(frame) == 6
    assert list(frame.index[:2]) == ["2026-10", "2026-11"]
    assert (frame["lower_80"] <= frame["forecast"]).all()
    assert (frame["forecast"] <= frame["upper_80"]).all()


def test_regions_with_too_little_priced_history_are_unknown_not_reconciled(company, tiny_dir):
    """The tiny CRM's company has 3 priced months (July to September), East 2 and West 1:
    the company has a forecast, the regions have none of their own (docs/forecasting.md,
    rule 3), and the company's gap is not handed to either of them. The regions of the
    demo add up to the company (tests/analytics/test_forecast.py)."""
    total, regions = forecast.forecasts(company)
    assert total.unknown is None and "do not add up to the total" in total.notes[-1]
    assert regions["East"].unknown.startswith("only 2 months of bookings with an amount")
    assert regions["West"].unknown.startswith("only 1 month of bookings with an amount (2026-09)")
    west = once(forecast.context, str(tiny_dir), "region:West", "2026-09", horizon=6)
    assert forecast.forecast(west).unknown == regions["West"].unknown
    summary = json.loads(json_text(forecast.summary(west)))
    assert set(summary["forecast"].values()) == {None}
    assert "only 1 month" in summary["unknown"]["forecast.2026-10"]
    assert forecast.breakdown(west).empty  # the per-region table is the company's
    assert "company's forecast report" in so.show(forecast.breakdown(west)).data


def test_the_quarter_outlook_by_hand(company):
    frame = forecast.outlook_by_quarter(company)
    assert list(frame.columns) == ["2026-Q4", "2027-Q1"]
    # nothing is closed in Q4 yet on 2026-09-30; Q4's quota is R1, R3 and R4's October
    assert frame.loc["closed", "2026-Q4"] == 0
    assert frame.loc["quota", "2026-Q4"] == 12_000 + 20_000 + 10_000
    shown = forecast.quarter_outlook(company)
    assert shown.index[0] == "Closed to date" and shown.attrs["view"].rows["Quota"] == "money"


def test_a_forecast_is_for_the_company_or_a_region(tiny_dir):
    with pytest.raises(ValueError, match="company or a region"):
        forecast.context(str(tiny_dir), "rep:R1", "2026-09")
    for bad in (0, 6.5, True, "12"):
        with pytest.raises(ValueError, match="horizon: a whole number of months from 1"):
            forecast.context(str(tiny_dir), "company", "2026-09", horizon=bad)
    with pytest.raises(ValueError, match="unknown option 'horizn' for ForecastOptions"):
        forecast.context(str(tiny_dir), horizn=6)
    # another report's options are not read as the forecast's
    tables = once(so.load, str(tiny_dir), period="2026-09")
    plan = so.ReportContext.of(tables, "2026-09", options=planning.PlanOptions())
    with pytest.raises(TypeError, match="PlanOptions, not ForecastOptions"):
        forecast.horizon(plan)


def test_a_regions_forecast_reads_its_own_rows_and_the_companys_once(
    tiny_dir, monkeypatch, tmp_path
):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    shutil.copytree(ROOT / "parameters", tmp_path / "parameters")
    west = forecast.context(str(tiny_dir), "region:West", "2026-09", horizon=6)
    assert set(west.tables.opportunities["region"]) == {"West"}
    assert west.tables.leads is None and west.tables.activities is None  # never read
    # the same numbers as from the whole company's tables
    tables = so.load(str(tiny_dir), period="2026-09")
    whole = so.ReportContext.of(
        tables, "2026-09", "region:West", options=forecast.ForecastOptions(horizon=6)
    )
    # as written (an unknown number is NaN with a reason, which equals nothing)
    assert json_text(forecast.summary(west)) == json_text(forecast.summary(whole))
    pd.testing.assert_frame_equal(deals.top_deals(west), deals.top_deals(whole))
    pd.testing.assert_frame_equal(evidence.calibration(west)[1], evidence.calibration(whole)[1])
    # the company's part is computed once for every scope of the period and horizon
    east = forecast.context(str(tiny_dir), "region:East", "2026-09", horizon=6)
    company = forecast.context(str(tiny_dir), "company", "2026-09", horizon=6)
    assert forecast.forecasts(east)[0].mean.equals(forecast.forecasts(company)[0].mean)
    assert len(list((tmp_path / ".cache" / "company_forecasts").glob("*.pickle"))) == 1


def test_the_outlook_says_in_one_line_why_its_two_views_differ(company):
    row = pd.Series(
        {
            "expected": 1_310_000.0,
            "time_series": 3_200_000.0,
            "open_deals": 500.0,
            "unpriced_deals": 412.0,
            "in_quarter_share": 0.8,
            "run_rate": 131_000.0,
        }
    )
    assert forecast.apart("2018-Q1", row) == (
        "2018-Q1: pipeline view $1.3M, time-series view $3.2M: 412 of 500 open deals due "
        "have no amount and count for nothing in the pipeline view; 20% of the wins of due "
        "deals slip past the quarter; 10% of the pipeline view is run-rate; the time series "
        "projects past monthly bookings and does not read the pipeline."
    )
    close = pd.concat([row.drop("time_series"), pd.Series({"time_series": 1_400_000.0})])
    assert forecast.apart("2018-Q1", close) == (
        "2018-Q1: pipeline view $1.3M, time-series view $1.4M, within 10% of each other."
    )
    # in the report, next to each other, the caption with a line per quarter
    shown = forecast.quarter_outlook(company)
    labels = list(shown.index)
    assert labels.index("Time-series forecast") == labels.index("Pipeline forecast") + 1
    caption = shown.attrs["view"].caption
    assert caption.count("pipeline view") >= 2 and "2026-Q4: " in caption and "2027-Q1: " in caption


@pytest.fixture
def unpriced(tmp_path):
    """tiny as a real export often is (:func:`conftest.unpriced_copy`), in the forecast's
    context."""
    return forecast.context(str(unpriced_copy(tmp_path / "crm")), "company", "2026-09", horizon=6)


@pytest.fixture
def gappy(tiny_dir, tmp_path):
    """tiny with Cara Cole (West) winning a 1,000 deal each month from Oct 2025 to Jun
    2026, but December's without an amount: the company's bookings are 1,000 a month,
    December unknown, then July 8,000, August 10,000 and September 50,000."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    closes = pd.date_range("2025-10-01", periods=9, freq="MS") + pd.Timedelta(days=14)
    with (crm / "opportunities.csv").open("a") as deals:
        for i, close in enumerate(closes):
            amount = "" if close.month == 12 else "1000"
            created = close - pd.Timedelta(days=20)
            deals.write(
                f"W{i},A5,R3,West,Enterprise,Core,Event,{created:%Y-%m-%d},"
                f"{close:%Y-%m-%d},Closed Won,{amount},closed\n"
            )
    return forecast.context(str(crm), "company", "2026-09", horizon=3)


def test_an_unknown_month_is_left_out_of_the_fit_and_the_notes_say_so(gappy):
    """December 2025's won deal has no amount: the forecast is fitted on the 9 months
    after it (January to September: 6 × 1,000 + 8,000 + 10,000 + 50,000, their mean
    flat), not on a $0 December; the notes say which months were used, and the last 12
    months (which hold December) are unknown, not a year that counted it as $0."""
    f = forecast.forecast(gappy)
    assert f.mean.tolist() == pytest.approx([74_000 / 9] * 3)
    assert pd.isna(f.history["2025-12"])
    notes = forecast.notes(gappy).data.replace("\\", "")  # markdown escapes
    assert (
        "the deals won in 1 of the 12 months (2025-12) all lack an amount: their bookings "
        "are unknown, so the forecast uses only the 9 months after the last of "
        "them, from 2026-01"
    ) in notes
    assert "only 9 months of data" in notes
    company = forecast.breakdown(gappy).loc[forecast.COMPANY_TOTAL]
    assert gaps.why(company["last_12_months"]) == (
        "the bookings of 2025-12 are unknown (the deals won then have no amount): no year "
        "of bookings to compare with"
    )
    assert gaps.why(company["growth"])


def test_the_outlook_without_amounts_is_unknown_with_its_reason(unpriced):
    frame = forecast.outlook_by_quarter(unpriced)
    q4 = frame["2026-Q4"]  # O3, O6, O8 and O9 are due in Q4 (O10 is overdue: due now too)
    assert q4["open_deals"] == 5 and q4["unpriced_deals"] == 5
    for row in ("weighted_pipeline", "expected", "expected_attainment", "commit", "pipeline"):
        assert pd.isna(q4[row]) and gaps.why(q4[row]), row
    assert gaps.why(q4["expected"]) == "none of the 5 open deals due in 2026-Q4 has an amount"
    shown = so.show(forecast.quarter_outlook(unpriced)).to_html()
    assert "none of the 5 open deals due in 2026-q4 has an amount" in shown.lower()
    assert re.search(r"Pipeline forecast</th>\s*<td[^>]*>–</td>", shown)  # not $0


def test_forecast_attainment_without_quotas_or_amounts_names_both_reasons(unpriced, tmp_path):
    crm = tmp_path / "crm"  # the fixture's copy of tiny
    (crm / "quotas.csv").unlink()
    q4 = forecast.outlook_by_quarter(forecast.context(str(crm), "company", "2026-09"))["2026-Q4"]
    assert gaps.why(q4["expected_attainment"]) == (
        "this source has no quotas; and none of the 5 open deals due in 2026-Q4 has an amount"
    )
    summary = json.loads(json_text(forecast.summary(unpriced)))
    assert summary["outlook"]["2026-Q4"]["expected"] is None
    assert "has an amount" in summary["unknown"]["outlook.2026-Q4.expected"]
    assert summary["outlook"]["2026-Q4"]["closed"] == 0  # a known zero stays a zero


def test_a_run_rate_from_one_priced_month_is_unknown_and_unpriced_wins_are_said(tiny_dir, tmp_path):
    """tiny with O1 and O5 won without an amount: 2026-Q3, the one quarter the run-rate of
    2026-Q4 is measured on, holds one priced month (O4, July) of three won deals. The
    run-rate is unknown (before, O4's 8,000 made a rate), and the caption says that most
    won deals have no amount."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "opportunity_history"):  # no amount in September either
        deals = pd.read_csv(crm / f"{table}.csv")
        deals.loc[deals["opportunity_id"].isin(["O1", "O5"]), "amount"] = None
        deals.to_csv(crm / f"{table}.csv", index=False)
    ctx = forecast.context(str(crm), "company", "2026-09", horizon=6)
    q4 = forecast.outlook_by_quarter(ctx)["2026-Q4"]
    assert gaps.why(q4["run_rate"]).startswith(
        "only 1 month of won deals with an amount in 2026-Q3 (1 of 3 won deals priced)"
    )
    assert gaps.why(q4["expected"]) == gaps.why(q4["run_rate"])
    caption = forecast.quarter_outlook(ctx).attrs["view"].caption
    assert "2 of 3 won deals in 2026-Q3 have no amount: the run-rate counts only" in caption


def test_the_forecast_history_starts_at_the_first_close(unpriced):
    f = forecast.forecast(unpriced)
    assert f.history.index.tolist() == ["2026-07", "2026-08", "2026-09"]
    notes = forecast.notes(unpriced).data
    assert "only 3 months of data" in notes and "starts in Jul 2026" in notes
    summary = forecast.summary(unpriced)
    assert (summary["history_months"], summary["history_starts"]) == (3, "2026-07")
    assert (summary["fitted_months"], summary["fitted_from"]) == (3, "2026-07")
    # growth against "the last 12 months" that are 3 months is unknown, not +300%
    frame = forecast.breakdown(unpriced)
    assert frame["growth"].isna().all() and frame["last_12_months"].isna().all()
    assert "holds 3 months (from 2026-07" in gaps.why(frame.loc["Company total", "growth"])


@pytest.mark.notebook
def test_a_region_without_a_won_deal_gets_an_unknown_forecast_not_a_crash(tiny_dir, tmp_path):
    """A new region whose one deal is still open: its report runs, and its forecast is
    unknown ("–", null in the summary) with the reason, where it raised a ValueError."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with open(crm / "reps.csv", "a") as reps:
        reps.write("R9,Nina North,North,M1,rep,nina.north@example.com,2025-01-01,\n")
    with open(crm / "opportunities.csv", "a") as deals:
        deals.write(
            "O99,A99,R9,North,SMB,Core,Inbound,2026-08-01,2026-12-15,Proposal,7000,pipeline\n"
        )
    north = forecast.context(str(crm), "region:North", "2026-09", horizon=6)
    assert forecast.forecast(north).mean.isna().all()
    assert forecast.forecast(north).notes == ["no deal of region North has been won in this source"]
    summary_path = tmp_path / "north.json"
    execute(
        "forecast",
        tmp_path / "north.ipynb",
        source=str(crm),
        scope="region:North",
        period="2026-09",
        horizon=6,
        summary_path=str(summary_path),
    )
    summary = json.loads(summary_path.read_text())
    assert "no deal of region North has been won" in json.dumps(summary)


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
    company, regions = reconciliation.company_and_regions(
        demo_tables.opportunities, "2026-10", 12, stages=STAGES
    )
    expected = company if scope == "company" else regions["EMEA"]
    assert list(data["forecast"]) == list(expected.mean.index)
    assert list(data["forecast"].values()) == pytest.approx(expected.mean.tolist(), rel=1e-6)
    assert set(data["outlook"]) == {"2026-Q4", "2027-Q1"}
    text = (tmp_path / "out.ipynb").read_text()
    assert "Traceback" not in text and "image/png" in text


def test_a_region_named_company_keeps_its_row_beside_the_company_total(tiny_dir, tmp_path):
    """HubSpot's and Salesforce's exports are often mapped with one region "Company": the
    breakdown's company row, keyed "Company", overwrote that region's row. The tiny CRM
    with East renamed "Company": two regions and the company total, three rows."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "reps"):
        frame = pd.read_csv(crm / f"{table}.csv")
        frame["region"] = frame["region"].replace({"East": "Company"})
        frame.to_csv(crm / f"{table}.csv", index=False)
    ctx = forecast.context(str(crm), "company", "2026-09", horizon=6)
    frame = forecast.breakdown(ctx)
    assert list(frame.index) == ["Company", "West", "Company total"]
    # the region's own forecast (unknown: 2 priced months), not the company's
    assert frame.loc["Company", "model"] != frame.loc["Company total", "model"]
    assert "Company total" in frame.attrs["view"].caption


def test_the_outlook_caption_says_each_reason_once(unpriced, tmp_path):
    """Without quotas, the quota's reason ("this source has no quotas") is also the first
    clause of the expected attainment's ("this source has no quotas; and none of the 5
    open deals ..."): the caption read "this source has no quotas; this source has no
    quotas; and none ..."; each clause is now said once, and the cell keeps its reason."""
    crm = tmp_path / "crm"  # the fixture's copy of tiny
    (crm / "quotas.csv").unlink()
    ctx = forecast.context(str(crm), "company", "2026-09")
    shown = so.show(forecast.quarter_outlook(ctx)).to_html()
    assert shown.count("this source has no quotas") == 1
    assert "this source has no quotas; and none of the 5 open deals" not in shown
    q4 = forecast.outlook_by_quarter(ctx)["2026-Q4"]
    assert gaps.why(q4["expected_attainment"]).startswith("this source has no quotas; and ")


def test_the_breakdown_says_the_quarantine_took_every_closed_deal(tmp_path):
    """With every closed deal set aside, a region's last 12 months read "no deal in East
    has closed yet" of a region that closed four; now they give the quarantine's reason."""
    from conftest import undated_closes

    crm = undated_closes(tmp_path / "crm")
    ctx = so.ReportContext.load(str(crm), "company", "2026-09", on_invalid="quarantine")
    frame = forecast.breakdown(ctx)
    why = (
        "the quarantine set aside every closed deal for a broken rule: no year of "
        "bookings to compare with"
    )
    assert {gaps.why(v) for v in frame["last_12_months"]} == {why}
