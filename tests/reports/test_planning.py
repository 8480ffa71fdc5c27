"""The planning workbook's sections on the tiny CRM, without papermill."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from salesops.reports import planning
from salesops.reports.display import Missing


@pytest.fixture
def plan(tiny_dir):
    return planning.context(str(tiny_dir), "company", "2026-09", hires=[1, 0, 0, 0], simulations=50)


def test_each_method_allocates_exactly_the_target(plan):
    target = round(float(planning.target(plan).loc["Year", "target"]))
    quotas = planning.quotas(plan)
    assert set(quotas.index) == {"R1", "R3", "R4"}  # the active reps: Bob has left
    for method in planning.METHODS:
        assert quotas[method].sum() == target
    assert planning.year(plan).label == "2027"


def test_the_options_are_the_plans_parameters(plan):
    assert planning.option(plan, "hires") == (1, 0, 0, 0)
    assert planning.option(plan, "growth") == 0.15  # the default
    capacity = planning.capacity(plan)
    assert "planned hires 1, 0, 0, 0 by quarter" in capacity.attrs["view"].caption
    cost = planning.compensation(plan)
    assert list(cost.columns) == ["comp_plan.yml", "comp_plan_variant.yml"]


def test_bad_parameters_are_named(tiny_dir):
    with pytest.raises(ValueError, match="method must be one of"):
        planning.context(str(tiny_dir), method="fair")
    with pytest.raises(ValueError, match="four non-negative numbers"):
        planning.context(str(tiny_dir), hires=[1, 2])


def test_rebalancing_needs_accounts(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = pd.read_csv(crm / "opportunities.csv").drop(columns="account_id")
    deals.to_csv(crm / "opportunities.csv", index=False)
    ctx = planning.context(str(crm), "company", "2026-09", simulations=50)
    assert planning.rebalancing(ctx) == Missing(
        "Account rebalancing", ("opportunities.account_id",)
    )
    assert "accounts" not in planning.territory_tables(ctx)[1].columns
