"""What the report sections' tests share: the tiny CRM's company context for September
2026 as the metrics report loads it (``company``; test_forecast has its own), that CRM as
a real export often is (``unpriced``), and its 2027 plan (``plan``)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import once

import salesops as so
from salesops.reports import planning


@pytest.fixture
def company(tiny_dir) -> so.ReportContext:
    return once(so.ReportContext.load, str(tiny_dir), "company", "2026-09")


@pytest.fixture
def unpriced(tiny_dir, tmp_path) -> so.ReportContext:
    """tiny as a real export often is: no stage history, and open deals without amounts
    (O9, won on 10 Oct, was open at the end of September too). Its deals are created from
    March 2026 (O10); the first close is O4 on 31 July 2026."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    later = pd.to_datetime(deals["close_date"]) >= pd.Timestamp("2026-10-01")
    deals.loc[~deals["stage"].str.startswith("Closed") | later, "amount"] = None
    deals.to_csv(crm / "opportunities.csv", index=False)
    return so.ReportContext.load(str(crm), "company", "2026-09")


@pytest.fixture
def plan(tiny_dir):
    return once(
        planning.context, str(tiny_dir), "company", "2026-09", hires=[1, 0, 0, 0], simulations=50
    )
