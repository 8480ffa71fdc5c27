"""The planning workbook's sections on the tiny CRM, without papermill; what the plan
assumed and measured on an export without hire or end dates; and the notebook."""

from __future__ import annotations

import json
import shutil
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analytics.test_planning import EXPORT, NO_DATES
from conftest import execute, once

import salesops as so
from salesops.analytics import gaps
from salesops.batch.plan import BatchPlan
from salesops.data.model import Tables
from salesops.reports import planning
from salesops.reports.display import with_reasons
from salesops.storage import json_text


def test_the_options_are_the_plans_parameters(plan):
    assert planning.plan_options(plan).hires == (1, 0, 0, 0)
    assert planning.plan_options(plan).growth == 0.15  # the default
    capacity = planning.capacity(plan)
    assert "planned hires 1, 0, 0, 0 by quarter" in capacity.attrs["view"].caption
    cost = planning.compensation(plan)
    assert list(cost.columns) == ["comp_plan.yml", "comp_plan_variant.yml"]


def _one_priced_month(target: Path) -> str:
    """The HubSpot shape where only October 2026's won deals have amounts: the rest of
    the won deals lost theirs. Returns its source file."""
    crm = Path(__file__).parents[1] / "fixtures" / "exports" / "crm" / "hubspot"
    folder = shutil.copytree(crm, target / "hubspot")
    deals = pd.read_csv(folder / "deals.csv")
    won = deals["Deal Stage"] == "Closed Won"
    october = deals["Close Date"].str.startswith("2026-10")
    deals.loc[won & ~october, "Amount"] = None
    deals.to_csv(folder / "deals.csv", index=False)
    return str(folder / "source.yml")


def test_one_priced_month_gives_an_unknown_target_not_a_plan(tmp_path):
    """A 12-month forecast was built from one priced month, and the plan's target, gap,
    hires and quotas from it. The forecast is unknown (docs/forecasting.md, rule 3), and
    so is the target, with the reason: no crash, no 0."""
    ctx = planning.context(_one_priced_month(tmp_path), "company", "2026-10", simulations=50)
    assert planning.forecast(ctx).unknown.startswith(  # September's won deals: no amount
        "after 2026-09, whose bookings are unknown, only 1 month of bookings with an amount"
    )
    frame = planning.target(ctx)
    assert frame["target"].map(gaps.why).notna().all()  # every quarter and the year: "–"
    caption = frame.attrs["view"].caption
    assert (
        "The forecast is unknown: after 2026-09, whose bookings are unknown, only 1 month"
        in caption
        and "because the plan states" in caption
    )
    for section in (planning.hires, planning.quotas, planning.quota_by_region, planning.fairness):
        shown = section(ctx)
        assert (
            shown.empty
            and "needs a target, and the target starts from the forecast, which is unknown"
            in (shown.attrs["view"].empty)
        )
    summary = json.loads(json_text(planning.summary(ctx)))
    for key in ("target", "forecast", "gap"):
        assert summary[key] is None and "only 1 month" in summary["unknown"][key], key
    assert summary["hiring"]["hires"] is None and summary["hiring"]["plan"] is None
    assert summary["hires_needed"]["2027-Q1"] is None and summary["quota_total"]["equal"] is None
    # the capacity rests on the same one month: unknown too, as the forecast is
    assert summary["capacity"] is None and "only 1 month" in summary["unknown"]["capacity"]
    assert "hiring.plan" in summary["unknown"] and "quota_total.equal" in summary["unknown"]


def test_the_target_starts_from_the_stated_target(tiny_dir):
    ctx = once(
        planning.context, str(tiny_dir), "company", "2026-09", target=500_000, simulations=50
    )
    frame = planning.target(ctx)
    assert frame.loc["Year", "target"] == pytest.approx(500_000)
    forecast = frame.loc[["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"], "forecast"].astype(float)
    shares = frame.loc[forecast.index, "target"].astype(float) / 500_000
    assert shares.to_numpy() == pytest.approx((forecast / forecast.sum()).to_numpy())
    assert "stated target (parameter `target`)" in frame.attrs["view"].caption
    assert all(planning.quotas(ctx)[m].sum() == 500_000 for m in ("historical", "equal"))
    summary = planning.summary(ctx)
    assert (summary["target"], summary["target_basis"]) == (500_000, "stated")
    with pytest.raises(ValueError, match="non-negative amount"):
        planning.context(str(tiny_dir), target=-1)


def test_a_plan_whose_historical_shares_are_unknown_says_it_uses_equal_weights(tiny_dir, tmp_path):
    """Cara's (R3's) one win in the 12 months, O5, has no amount: her bookings are unknown,
    not $0. Taken as $0 they gave Alice the whole 1,000,000 under 'historical', the plan's
    method; the historical column reads "–" with the reason, and the plan says it uses
    equal weights instead (its fairness check and cost of pay too)."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "opportunity_history"):
        deals = pd.read_csv(crm / f"{table}.csv")
        deals.loc[deals["opportunity_id"] == "O5", "amount"] = None
        deals.to_csv(crm / f"{table}.csv", index=False)
    ctx = planning.context(str(crm), "company", "2026-09", target=1_000_000, simulations=50)
    why = (
        "the bookings of 1 of 3 sellers over the 12 months to 30 Sep 2026 are unknown (none "
        "of the deals won in 01 Oct 2025 to 30 Sep 2026 has an amount), so no seller's share "
        "is known"
    )
    quotas = planning.quotas(ctx)
    assert {gaps.why(quota) for quota in quotas["historical"]} == {why}
    assert quotas["equal"].sum() == 1_000_000
    uses = f"the plan uses 'equal', since 'historical' cannot be measured on this source: {why}"
    assert uses in quotas.attrs["view"].caption
    assert uses in unescape(so.show(quotas).to_html())
    by_region = planning.quota_by_region(ctx)
    assert gaps.why(by_region.loc["Total", "historical"]) == why
    assert by_region.loc["Total", "equal"] == 1_000_000
    assert "Fairness of the quotas by 'equal'" in planning.fairness(ctx).attrs["view"].caption
    assert "on the quotas by 'equal'" in planning.compensation(ctx).attrs["view"].caption
    summary = json.loads(json_text(planning.summary(ctx)))
    assert summary["quota_total"]["historical"] is None
    assert summary["unknown"]["quota_total.historical"] == why
    assert summary["quota_total"]["equal"] == 1_000_000
    assert summary["quota_method"] == {"asked": "historical", "used": "equal", "because": why}


def test_a_target_per_scope_gives_each_plan_its_own(tiny_dir, tmp_path):
    """One plan run for the company and its regions: each takes its own stated target;
    a scope the mapping does not name falls back (quotas, else the forecast), and a
    misspelt region is an error, not a plan without its target. One amount for several
    scopes would give each region the company's whole target: the plan file refuses it."""
    targets = {"company": 500_000, "region:East": 200_000}
    kw = {"target": targets, "simulations": 50}
    east = planning.context(str(tiny_dir), "region:East", "2026-09", **kw)
    assert planning.target(east).loc["Year", "target"] == pytest.approx(200_000)
    assert planning.summary(east)["target_basis"] == "stated"
    company = planning.context(str(tiny_dir), "company", "2026-09", **kw)
    assert planning.summary(company)["target"] == pytest.approx(500_000)
    west = planning.context(str(tiny_dir), "region:West", "2026-09", **kw)
    assert planning.summary(west)["target_basis"] != "stated"
    with pytest.raises(ValueError, match="'region:Eats' is not the company or a region"):
        planning.context(str(tiny_dir), "company", "2026-09", target={"region:Eats": 1.0})
    plan = tmp_path / "plan.yml"
    plan.write_text(
        "reports:\n  - notebook: planning\n    scopes: [company, 'region:*']\n"
        "    parameters: {target: 500000}\n"
    )
    with pytest.raises(so.ConfigError, match="one amount for the scopes company, region:"):
        BatchPlan.read(plan)
    plan.write_text(plan.read_text().replace("{target: 500000}", "{target: {company: 500000}}"))
    assert BatchPlan.read(plan).reports[0].parameters["target"] == {"company": 500_000}


def test_the_target_starts_from_the_plan_years_quotas(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    quotas = pd.read_csv(crm / "quotas.csv")
    months = [f"2027-{m:02d}-01" for m in range(1, 13)]
    plan_year = pd.DataFrame({"rep_id": "R1", "month": months, "amount": 20_000.0})
    pd.concat([quotas, plan_year]).to_csv(crm / "quotas.csv", index=False)
    ctx = planning.context(str(crm), "company", "2026-09", simulations=50)
    frame = planning.target(ctx)
    assert frame.loc["2027-Q1", "target"] == 60_000 and frame.loc["Year", "target"] == 240_000
    assert "the quotas the source holds for 2027" in frame.attrs["view"].caption
    assert planning.summary(ctx)["target_basis"] == "quotas"
    # a plan year the quotas cover only in part: the forecast, and the caption says why
    plan_year.iloc[:6].pipe(lambda q: pd.concat([quotas, q])).to_csv(
        crm / "quotas.csv", index=False
    )
    ctx = planning.context(str(crm), "company", "2026-09", simulations=50)
    caption = planning.target(ctx).attrs["view"].caption
    assert "no quotas for every month of 2027" in caption and "growth 15%" in caption


@pytest.mark.notebook
def test_forecast_and_planning_notebooks_on_one_priced_month(tmp_path):
    """The notebooks run on a source with one priced month and say why their forecast
    and target are unknown, instead of a 12-month line and a plan built on it."""
    from conftest import execute

    src = _one_priced_month(tmp_path)
    path = tmp_path / "forecast.json"
    execute("forecast", tmp_path / "forecast.ipynb", source=src, summary_path=str(path))
    summary = json.loads(path.read_text())
    assert set(summary["forecast"].values()) == {None}
    reasons = {k: v for k, v in summary["unknown"].items() if k.startswith("forecast.")}
    assert len(reasons) == len(summary["forecast"])
    assert all("only 1 month of bookings" in why for why in reasons.values())
    page = (tmp_path / "forecast.ipynb").read_text()
    assert "only 1 month of bookings with an amount (2026-10)" in page
    path = tmp_path / "planning.json"
    execute("planning", tmp_path / "planning.ipynb", source=src, summary_path=str(path))
    summary = json.loads(path.read_text())
    assert summary["target"] is None and "only 1 month" in summary["unknown"]["target"]
    page = (tmp_path / "planning.ipynb").read_text()
    assert "Quota allocation needs a target, and the target starts from the forecast" in page


@pytest.mark.notebook
@pytest.mark.parametrize("scope", ["company", "region:EMEA"])
def test_planning_notebook_runs(scope, demo_db, tmp_path):
    summary = tmp_path / "planning.json"
    execute(
        "planning",
        tmp_path / "out.ipynb",
        source=str(demo_db),
        scope=scope,
        summary_path=str(summary),
        simulations=300,
    )
    data = json.loads(summary.read_text())
    assert data["scope"] == scope and data["year"] == "2027"
    assert set(data["quota_total"].values()) == {round(data["target"])}
    assert data["gap"] == pytest.approx(data["target"] - data["capacity"])


def export_context(reps: pd.DataFrame, absent: frozenset[str], growth: float):
    """A planning context on :data:`EXPORT` seen on 31 December 2017."""
    tables = Tables(
        EXPORT.assign(forecast_category="closed"),
        reps,
        as_of=pd.Timestamp("2017-12-31"),
        absent=absent,
    )
    return so.ReportContext.of(
        tables, "2017-12", "company", options=planning.PlanOptions(growth=growth)
    )


def test_the_plan_says_what_it_assumed_and_warns_about_an_unreachable_target():
    ctx = export_context(NO_DATES, frozenset({"reps.hire_date", "reps.end_date"}), growth=3.0)
    caption = planning.capacity(ctx).attrs["view"].caption
    assert caption.startswith("Bottom-up: 2 sellers who owned deals in the last 12 months")
    assert (
        "ramp assumed: linear to full productivity over 6 months (setting `ramp_months`), "
        "because the source has no hire dates; today's sellers count as fully ramped" in caption
    )
    assert (
        "attrition 2.0% a month assumed (setting `attrition_monthly`), because the source "
        "has no end dates" in caption
    )
    assert "0.0%" not in caption
    # the target is four times the forecast (4,800): 9 hires for a team of 2 is no plan
    shown = planning.hires(ctx)
    view = shown.attrs["view"]
    assert view.caption.startswith("Warning about the target, not a hiring plan")
    # each row names the plan year or its quarter ("starting in Q1" read as any year's)
    plan_year = planning.year(ctx).label
    assert (
        shown.loc["Sellers", "value"] == 2
        and shown.loc[f"Hires needed, starting in {plan_year}-Q1", "value"] == 9
    )
    assert f"Capacity of today's sellers, {plan_year}" in shown.index
    assert shown.loc[f"Capacity per seller, {plan_year}", "value"] == pytest.approx(
        200 * (0.98 ** np.arange(12)).sum()
    )
    summary = planning.summary(ctx)
    assert summary["hiring"]["plan"] is False and summary["sellers"] == 2
    assert summary["assumed"] == {
        "ramp": "the source has no hire dates",
        "attrition": "the source has no end dates",
    }


def test_the_hires_name_the_quarter_they_start_in(tiny_dir):
    """The hires that close the gap were listed by "Q1" to "Q4", of no year; they are the
    plan year's quarters, as the capacity's rows name them, and so are the summary's keys."""
    ctx = planning.context(
        str(tiny_dir), "company", "2026-09", target=480_000, hires=[1, 0, 0, 0], simulations=50
    )
    hires = planning.hires(ctx)
    assert list(hires.index) == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert list(planning.capacity(ctx).index[:4]) == list(hires.index)
    assert list(planning.need(ctx).index) == list(hires.index)
    summary = json.loads(json_text(planning.summary(ctx)))
    assert list(summary["hires_needed"]) == list(hires.index)
    assert summary["hires_needed"]["2027-Q1"] == hires.loc["2027-Q1", "hires"] == 1


def test_a_start_whose_hire_books_nothing_this_year_gives_no_hires_count(tiny_dir):
    """On tiny the measured ramp gives a new seller nothing in their first 3 months, so a
    hire starting in 2027-Q4 books $0 in 2027. Their hires read 0 next to the gap; they
    are unknown, saying why (no number of such hires closes it), and the fewest hires
    are those of a start that can close it: with a $585,313 gap, 8 (from 2027-Q1) for a
    team of 3, a warning about the target (before: 0 hires, a plan)."""
    ctx = planning.context(
        str(tiny_dir), "company", "2026-09", target=1_000_000, hires=[1, 0, 0, 0], simulations=50
    )
    assert float(planning.capacity(ctx).at["Year", "gap"]) == pytest.approx(585_313.417263)
    need = planning.need(ctx)
    assert need.loc["2027-Q4", "bookings_per_hire"] == 0.0
    assert list(need.loc[["2027-Q1", "2027-Q2", "2027-Q3"], "hires"]) == [8, 11, 23]
    reason = gaps.why(need.loc["2027-Q4", "hires"])
    assert reason == (
        "a hire starting in 2027-Q4 books nothing before 2027 ends (the ramp gives a new "
        "seller no bookings in their first 3 months)"
    )
    check = planning.hiring(ctx)
    assert (check["hires"], check["plan"]) == (8.0, False)
    summary = json.loads(json_text(planning.summary(ctx)))
    assert summary["hires_needed"]["2027-Q4"] is None
    assert summary["unknown"]["hires_needed.2027-Q4"] == reason
    # a smaller gap is a plan: the table shows "–" for 2027-Q4, with the reason
    ctx = planning.context(
        str(tiny_dir), "company", "2026-09", target=480_000, hires=[1, 0, 0, 0], simulations=50
    )
    shown = planning.hires(ctx)
    assert gaps.why(shown.loc["2027-Q4", "hires"]) and planning.hiring(ctx)["plan"] is True
    assert "books nothing before 2027 ends" in with_reasons(shown.attrs["view"].caption, shown)


def test_a_region_with_no_close_yet_says_so_of_itself(tiny_dir):
    """At 2026-08 East has closed deals and West none yet (its first closes in
    September): West's plan said its capacity was unknown because "the source holds no
    closed deal", which the source contradicts. It says "no deal in West has closed yet"."""
    ctx = planning.context(str(tiny_dir), "region:West", "2026-08", simulations=20)
    summary = json.loads(json_text(planning.summary(ctx)))
    assert summary["unknown"]["capacity"] == (
        "no deal in West has closed yet: there are no bookings to measure it on"
    )
    assert not any("the source holds" in why for why in summary["unknown"].values())
