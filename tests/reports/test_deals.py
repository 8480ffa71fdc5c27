"""The forecast report's top deals (:mod:`salesops.reports.deals`) on the tiny CRM, in
the forecast report's context (as test_forecast's ``company`` and ``unpriced``)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import once

import salesops as so
from salesops.reports import deals, forecast


@pytest.fixture
def company(tiny_dir):
    return once(forecast.context, str(tiny_dir), "company", "2026-09", horizon=6)


@pytest.fixture
def unpriced(tiny_dir, tmp_path):
    """tiny without stage history and with no amount on the deals open at the end of Sep
    2026 (O9, won on 10 Oct, was open then)."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    frame = pd.read_csv(crm / "opportunities.csv")
    later = pd.to_datetime(frame["close_date"]) >= pd.Timestamp("2026-10-01")
    frame.loc[~frame["stage"].str.startswith("Closed") | later, "amount"] = None
    frame.to_csv(crm / "opportunities.csv", index=False)
    return forecast.context(str(crm), "company", "2026-09", horizon=6)


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


def test_top_deals_without_amounts_have_no_expected_value_and_say_so(unpriced):
    top = deals.top_deals(unpriced)
    assert top["expected"].isna().all()
    caption = top.attrs["view"].caption
    assert "5 of the 5 open deals due have no amount: no expected value (–)" in caption
