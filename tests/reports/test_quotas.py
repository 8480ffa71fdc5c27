"""The plan's quotas (:mod:`salesops.reports.quotas`): the target allocated by each method,
summed by region, and the fairness check, on the tiny CRM's 2027 plan (conftest's
``plan``)."""

from __future__ import annotations

import shutil
from html import unescape

import pandas as pd

import salesops as so
from salesops.analytics import gaps
from salesops.reports import planning


def test_each_method_allocates_exactly_the_target(plan):
    target = round(float(planning.target(plan).loc["Year", "target"]))
    quotas = planning.quotas(plan)
    assert set(quotas.index) == {"R1", "R3", "R4"}  # the active reps: Bob has left
    for method in ("historical", "equal"):  # potential is unknown: R4's open O8 has no amount
        assert quotas[method].sum() == target
    assert all(gaps.why(quota) for quota in quotas["potential"])
    assert planning.year(plan).label == "2027"


def test_the_fairness_check_against_unmeasured_potential_reads_a_dash_with_the_reason(plan):
    """Dan's (R4's) open O8 has no amount: taken as $0 of pipeline, his potential share was
    his accounts' half only (1/6) and his quota looked above it; no share of open pipeline
    is known, so each potential share and ratio reads "–", with the reason."""
    why = (
        "1 of 5 open deals of the team has no amount, so no seller's share of open pipeline "
        "is known"
    )
    table = planning.fairness(plan)
    for column in ("potential_share", "ratio"):
        assert {gaps.why(value) for value in table[column]} == {why}
    assert (table["flag"] == "").all()
    assert "spread (std) –" in table.attrs["view"].caption
    assert why in unescape(so.show(table).to_html())


def test_a_region_named_total_keeps_its_row_beside_the_quotas_total(tiny_dir, tmp_path):
    """The quotas by region ended with a row keyed "Total": a region of that name had its
    sums overwritten by the company's. The tiny CRM with West renamed "Total": R3's quota
    stays on its region's row, and the total row is named apart."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    for table in ("opportunities", "reps"):
        frame = pd.read_csv(crm / f"{table}.csv")
        frame["region"] = frame["region"].replace({"West": "Total"})
        frame.to_csv(crm / f"{table}.csv", index=False)
    ctx = planning.context(str(crm), "company", "2026-09", target=900_000, simulations=50)
    by_region = planning.quota_by_region(ctx)
    assert list(by_region.index) == ["East", "Total", "Total, all regions"]
    assert by_region.loc["Total", "equal"] == 600_000  # R3 and R4, two of the 3 sellers
    assert by_region.loc["Total, all regions", "equal"] == 900_000
