"""The forecast report's top deals (:mod:`salesops.reports.deals`) on the tiny CRM, in
the forecast report's context (as test_forecast's ``company`` and ``unpriced``)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from conftest import once, unpriced_copy

import salesops as so
from salesops.reports import deals, forecast


@pytest.fixture
def company(tiny_dir):
    return once(forecast.context, str(tiny_dir), "company", "2026-09", horizon=6)


@pytest.fixture
def unpriced(tmp_path):
    """tiny as a real export often is (:func:`conftest.unpriced_copy`), in the forecast's
    context."""
    return forecast.context(str(unpriced_copy(tmp_path / "crm")), "company", "2026-09", horizon=6)


def test_top_deals_name_their_owners(company):
    """The Owner column shows the reps table's name (R3 owns O6 and O10), not the id; an
    id without a name there stays the id."""
    top = deals.top_deals(company)
    assert "owner_id" not in top.columns
    assert top.loc["O6", "owner"] == "Cara Cole" == top.loc["O10", "owner"]
    assert "Cara Cole" in so.show(top).to_html()
    assert company.names(pd.Series(["R1", "R9"])).tolist() == ["Alice Able", "R9"]


def test_top_deals_say_which_are_past_their_close_date(company):
    """O10 (Discovery) was due on 31 Aug 2026 and is still open at the end of September:
    it is listed among the deals due in 2026-Q4 (the current quarter), and the caption
    says why a close date before the quarter is there (HubSpot's 17 of 21)."""
    top = deals.top_deals(company)
    assert top.loc["O10", "close_date"] == "2026-08-31"
    caption = top.attrs["view"].caption
    assert (
        "1 deal is past its close date (the earliest 31 Aug 2026), counted as due in 2026-Q4"
        in caption
    )


def test_a_deal_due_on_the_as_of_day_is_not_past_its_close_date(tiny_dir, tmp_path):
    """O6 due on 30 Sep 2026, the as-of day of 2026-09, and still open: not late, as the
    data-quality count has it (1 open deal past its close date: O10). Before, the top
    deals' caption said 2 (the CRM and Sales Pipelines export: 483 here, 481 there)."""
    from salesops.reports import pipeline_health

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for name in ("opportunities", "opportunity_history"):
        frame = pd.read_csv(crm / f"{name}.csv")
        frame.loc[frame["opportunity_id"] == "O6", "close_date"] = "2026-09-30"
        frame.to_csv(crm / f"{name}.csv", index=False)
    ctx = forecast.context(str(crm), "company", "2026-09", horizon=6)
    caption = deals.top_deals(ctx).attrs["view"].caption
    assert "1 deal is past its close date (the earliest 31 Aug 2026)" in caption
    counts, _ = pipeline_health.data_quality(so.ReportContext.load(str(crm), "company", "2026-09"))
    assert counts.at["Open deals past their close date", "rows"] == 1


def test_top_deals_without_amounts_have_no_expected_value_and_say_so(unpriced, tmp_path):
    """With O3 priced again, the open deals due in 2026-Q4 and 2027-Q1 are O3, O6, O8, O9
    and O10: O3 leads, the four without an amount are ranked last with no expected value."""
    crm = tmp_path / "crm"  # the fixture's copy of tiny
    frame = pd.read_csv(crm / "opportunities.csv")
    frame.loc[frame["opportunity_id"] == "O3", "amount"] = 20000
    frame.to_csv(crm / "opportunities.csv", index=False)
    top = deals.top_deals(forecast.context(str(crm), "company", "2026-09", horizon=6))
    assert top.index[0] == "O3" and top["expected"].iloc[1:].isna().all()
    caption = top.attrs["view"].caption
    assert "4 of the 5 open deals due have no amount: no expected value (–)" in caption


def test_top_deals_with_no_amount_at_all_list_none_and_say_why(unpriced):
    top = deals.top_deals(unpriced)
    assert top.empty
    said = so.show(top).data
    assert said == (
        "*No open deal due by the end of 2027-Q1 can be ranked by expected value: none of "
        "the 5 has an amount.*"
    )


def test_top_deals_say_a_passed_close_date_a_default_invented_is_not_overdue(tiny_dir, tmp_path):
    """O3 and O10 without close dates, filled by created date + 30 days: O3's (31 Aug
    2026, before 30 Sep) still counts it as due in 2026-Q4, but the caption does not
    call it past its close date, as the data-quality counts do not (the Maven export's
    1,479 Engaging deals were "past their close date" by invented dates); O10's close
    date then is its stage history's own."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    opps = pd.read_csv(crm / "opportunities.csv")
    opps.loc[opps["opportunity_id"].isin(["O3", "O10"]), "close_date"] = None
    opps.to_csv(crm / "opportunities.csv", index=False)
    rule = {"close_date": {"column": "created_date", "plus": "30 days", "when": "open"}}
    tables = {"opportunities": {"from": "opportunities", "defaults": rule}}
    source = {"name": "tiny", "kind": "files", "location": ".", "tables": tables}
    (crm / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    ctx = so.ReportContext.load(str(crm / "source.yml"), "company", "2026-09")
    top = deals.top_deals(ctx)
    assert {"O3", "O10"} <= set(top.index)
    caption = top.attrs["view"].caption
    assert "past its close date" not in caption and "past their close date" not in caption
    assert (
        "1 deal has a close date filled by a default rule (created date + 30 days) that "
        "has passed (the earliest 31 Aug 2026): not overdue, counted as due in 2026-Q4"
    ) in caption
