"""The plan's context and target (:mod:`salesops.reports.plan`): its options, checked
before any data is read, and the warning when regional targets miss the company's."""

from __future__ import annotations

import pytest
from conftest import once

import salesops as so
from salesops.reports import plan, planning


def test_bad_parameters_are_named(tiny_dir):
    with pytest.raises(ValueError, match="method must be one of"):
        planning.context(str(tiny_dir), method="fair")
    with pytest.raises(ValueError, match="four non-negative numbers"):
        planning.context(str(tiny_dir), hires=[1, 2])
    # a misspelt option is named with those the plan takes, before any data is read
    with pytest.raises(
        ValueError, match=r"unknown option 'grwoth' for PlanOptions; it takes growth, method"
    ):
        planning.context(str(tiny_dir), grwoth=0.2)
    # a context built without options reads the plan's defaults, and its own when given
    tables = once(so.load, str(tiny_dir), period="2026-09")
    assert planning.plan_options(so.ReportContext.of(tables, "2026-09")) == planning.PlanOptions()
    given = so.ReportContext.of(tables, "2026-09", options=planning.PlanOptions(seed=3))
    assert planning.plan_options(given).seed == 3


def test_regional_targets_that_do_not_add_up_to_the_company_are_warned_of(tiny_dir):
    """East 200,000 + West 250,000 = 450,000 against a company target of 500,000 (-10%):
    every plan of the run (the company's, each region's) warns, naming them; 249,000 +
    250,000 (0.2% short) is within the 0.5% and is not warned of; a plan stating only
    East names West as without a target."""
    kw = {"target": {"company": 500_000, "region:East": 200_000, "region:West": 250_000}}
    warning = (
        "Warning: the stated regional targets do not add up to the company's: East $200,000 "
        "+ West $250,000 = $450,000, against the company target of $500,000 (-10%, more than "
        "0.5% apart)."
    )
    for scope in ("company", "region:East", "region:West"):
        ctx = planning.context(str(tiny_dir), scope, "2026-09", simulations=50, **kw)
        assert planning.target(ctx).attrs["view"].caption.startswith(warning), scope
    close = {"company": 500_000, "region:East": 249_000, "region:West": 250_000}
    ctx = planning.context(str(tiny_dir), "company", "2026-09", simulations=50, target=close)
    assert "Warning" not in planning.target(ctx).attrs["view"].caption
    east = {"company": 500_000, "region:East": 200_000}
    ctx = planning.context(str(tiny_dir), "region:East", "2026-09", simulations=50, target=east)
    caption = planning.target(ctx).attrs["view"].caption
    assert "East $200,000 = $200,000, against the company target of $500,000 (-60%" in caption
    assert "; West has no stated target." in caption


def test_plan_options_are_checked_and_hires_kept_as_a_tuple():
    options = planning.PlanOptions(hires=[1, 0, 2, 0], target={"company": 10, "region:East": 2.5})
    assert options.hires == (1, 0, 2, 0) and options.method == "historical"
    for bad in (-1, float("nan"), "1000", {"company": -5}):
        with pytest.raises(ValueError, match="target: a non-negative amount for the year"):
            planning.PlanOptions(target=bad)
    with pytest.raises(ValueError, match="hires: four non-negative numbers"):
        planning.PlanOptions(hires=(1, 0, -1, 0))


def test_the_scope_target_is_this_scopes_entry_and_a_wrong_key_is_named(tiny):
    """The tiny CRM's regions are East and West: a region's plan takes its own entry, the
    company's the company's; a scope the targets do not name has none."""
    targets = {"company": 500_000, "region:East": 200_000}
    east = so.ReportContext.of(tiny, "2026-09", "region:East")
    west = so.ReportContext.of(tiny, "2026-09", "region:West")
    company = so.ReportContext.of(tiny, "2026-09")
    assert plan.scope_target(targets, east) == 200_000.0
    assert plan.scope_target(targets, company) == 500_000.0
    assert plan.scope_target(targets, west) is None
    with pytest.raises(
        ValueError, match=r"'region:Eats' is not the company or a region .*East, West"
    ):
        plan.scope_target({"region:Eats": 1.0}, company)
    with pytest.raises(ValueError, match="'rep:R1' is not the company or a region"):
        plan.scope_target({"rep:R1": 1.0}, company)
    assert plan.year(company).label == "2027"
