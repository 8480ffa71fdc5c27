"""The plan's territories (:mod:`salesops.reports.territories`): accounts and open
pipeline per seller and region, and the account moves that would even them out."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import once

import salesops as so
from salesops.reports import planning
from salesops.reports.display import Missing


def test_rebalancing_moves_nothing_to_a_rep_whose_pipeline_is_unknown(tiny_dir):
    """West: Cara Cole holds A6 (30,000) and A10 (15,000) open; Dan Dune's one open deal
    (O8, account A8) has no amount. Dan's open pipeline is unknown, not $0: he is not the
    poorest rep, A8 is not moved, and no move evens out pipeline. Before, A10 moved to
    Dan on his invented $0."""
    ctx = once(planning.context, str(tiny_dir), "company", "2026-09", simulations=50)
    moves = planning.rebalancing(ctx)
    assert moves.empty
    said = (
        "1 account whose open deals all lack an amount has an unknown open pipeline: never "
        "moved, and 1 rep whose open pipeline is unknown is left out of the balance and the "
        "Gini"
    )
    assert said in moves.attrs["view"].caption
    assert said in so.show(moves).data  # the line shown when no move is suggested
    assert np.isnan(planning.territory(ctx).loc["R4", "open_pipeline"])  # Dan: "–"


def test_rebalancing_needs_accounts(tiny_dir, tmp_path):
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = pd.read_csv(crm / "opportunities.csv").drop(columns="account_id")
    deals.to_csv(crm / "opportunities.csv", index=False)
    ctx = planning.context(str(crm), "company", "2026-09", simulations=50)
    assert planning.rebalancing(ctx) == Missing(
        "Account rebalancing", ("opportunities.account_id",)
    )
    assert "accounts" not in planning.territory_tables(ctx)[1].columns


def test_territory_without_open_amounts_is_unknown_not_zero(tmp_path):
    """No deal open at the end of October 2026 has an amount (those closed in November
    were open then): the plan's territory tables showed $0 of open pipeline for every
    seller and region."""
    crm = Path(__file__).parents[1] / "fixtures" / "exports" / "crm" / "hubspot"
    folder = shutil.copytree(crm, tmp_path / "hubspot")
    deals = pd.read_csv(folder / "deals.csv")
    later = pd.to_datetime(deals["Close Date"]) >= pd.Timestamp("2026-11-01")
    deals.loc[~deals["Deal Stage"].str.startswith("Closed") | later, "Amount"] = None
    deals.to_csv(folder / "deals.csv", index=False)
    ctx = planning.context(str(folder / "source.yml"), "company", "2026-10", simulations=50)
    by_region, by_rep = planning.territory_tables(ctx)
    t = planning.territory(ctx)
    o = ctx.tables.opportunities
    holders = set(o.loc[o["stage"].isin(ctx.stages.open_names), "owner_id"])
    assert t.loc[t.index.isin(holders), "open_pipeline"].isna().all()  # was $0
    assert (t.loc[~t.index.isin(holders), "open_pipeline"] == 0).all()  # no open deal: $0
    regions = set(t.loc[t.index.isin(holders), "region"])
    assert by_region.loc[sorted(regions), "open_pipeline"].isna().all()
    assert by_rep["bookings_12m"].sum() > 0  # the won deals keep their amounts
    assert "has an amount: their sums are unknown" in by_rep.attrs["view"].caption
    assert "$0" not in str(so.show(by_region).data)
