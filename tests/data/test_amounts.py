"""An export that prices every lost deal at 0 (salesops.data.amounts): its lost deals'
amounts are unknown, not $0, and a deal's amount while it was open (the stage history's)
is kept. On the tiny CRM (tests/fixtures/tiny: 2 lost deals, O2 and O7) with lost deals
added, by hand."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY, validate_cli

from salesops.analytics import gaps, movement
from salesops.analytics.pipeline import pipeline_as_of
from salesops.data.amounts import LOST_AMOUNTS, ZEROED_LOST
from salesops.data.sources import Source

LOST = "Closed Lost"


def export(tmp_path: Path, lost: list[float | None]) -> Path:
    """The tiny CRM with its two lost deals, O2 and O7, and more lost deals (L3, L4, ...,
    copies of O2) priced at ``lost`` in turn, in its deals and their last stage history
    rows; every other row as it is."""
    folder = tmp_path / "crm"
    shutil.copytree(TINY, folder)
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    extra = [
        deals[deals["opportunity_id"] == "O2"].assign(opportunity_id=f"L{i}")
        for i in range(3, len(lost) + 1)
    ]
    deals = pd.concat([deals, *extra], ignore_index=True)
    ids = deals.loc[deals["stage"] == LOST, "opportunity_id"].tolist()
    prices = dict(zip(ids, ["" if v is None else f"{v:g}" for v in lost], strict=True))
    deals["amount"] = deals["opportunity_id"].map(prices).fillna(deals["amount"])
    deals.to_csv(folder / "opportunities.csv", index=False)
    history = pd.read_csv(folder / "opportunity_history.csv", dtype=str, keep_default_na=False)
    closed = history["stage"] == LOST
    history.loc[closed, "amount"] = history.loc[closed, "opportunity_id"].map(prices)
    history.to_csv(folder / "opportunity_history.csv", index=False)
    return folder


def lost_amounts(folder: Path, period: str | None = None) -> list[float]:
    with Source(folder) as src:
        tables = src.load("company", period)
    deals = tables.opportunities
    return deals.loc[deals["stage"] == LOST, "amount"].tolist()


def test_every_lost_deal_at_zero_makes_their_amounts_unknown(tmp_path, capsys):
    folder = export(tmp_path, [0.0] * ZEROED_LOST)
    with Source(folder) as src:
        assert LOST_AMOUNTS in src.absent()
        tables = src.load()
    deals = tables.opportunities.set_index("opportunity_id")
    assert deals.loc[["O2", "O7", "L3", "L4", "L5"], "amount"].isna().all()
    assert deals.loc[["O1", "O4", "O5"], "amount"].tolist() == [10000.0, 8000.0, 50000.0]
    history = tables.opportunity_history
    o2 = history.loc[history["opportunity_id"] == "O2", "amount"].tolist()
    assert o2[:2] == [5000.0, 5000.0] and math.isnan(o2[2])  # its worth while open is kept
    code, out = validate_cli(folder, capsys)
    assert code == 0
    assert "warning: every lost deal has an amount of 0 (5 here) and won deals have theirs" in out


def test_a_lost_deal_counts_at_its_worth_while_open_where_the_history_has_it(tmp_path):
    """September 2026, by hand. Open on 1 Sep and due in September: O2 (5,000 by its row
    of 25 Aug), O3 (25,000, due 30 Sep by its row of 1 Aug) and O5 (50,000); and L3, L4
    and L5, O2's copies without history rows, whose amount then is unknown, not $0.
    The waterfall's lost step: O2 and O7 (4,000 while open) at their worth before they
    were lost, −9,000, and the three copies counted beside it, without an amount."""
    folder = export(tmp_path, [0.0] * ZEROED_LOST)
    with Source(folder) as src:
        tables = src.load("company", "2026-09")
    o, history, stages = tables.opportunities, tables.opportunity_history, tables.stages
    then = pipeline_as_of(history, "2026-09-01", "2026-09", opportunities=o, stages=stages)
    assert (then["deals"], then["amount"], then["unpriced"]) == (6, 80000.0, 3)
    steps = movement.waterfall(history, "2026-09", "2026-09", opportunities=o, stages=stages)
    assert steps.loc["lost"].tolist() == [-9000.0, 5, 3]


def test_without_history_the_lost_step_is_unknown_not_zero(tmp_path):
    folder = export(tmp_path, [0.0] * ZEROED_LOST)
    (folder / "opportunity_history.csv").unlink()
    with Source(folder) as src:
        tables = src.load("company", "2026-09")
    o, stages = tables.opportunities, tables.stages
    steps = movement.waterfall(None, "2026-09", "2026-09", opportunities=o, stages=stages)
    assert steps.at["lost", "unpriced"] == 5
    assert gaps.why(steps.at["lost", "amount"]).startswith("none of the 5 deals lost")


@pytest.mark.parametrize(
    "lost",
    [
        pytest.param([0.0] * (ZEROED_LOST - 1), id="too-few-to-tell"),
        pytest.param([0.0] * (ZEROED_LOST - 1) + [300.0], id="one-priced"),
        pytest.param([0.0] * ZEROED_LOST + [None], id="one-unpriced-the-rest-at-zero"),
    ],
)
def test_lost_deals_keep_their_zeros_unless_every_one_of_several_is_zero(tmp_path, lost):
    amounts = lost_amounts(export(tmp_path, lost))
    if None in lost:  # the priced ones are all 0: the rule holds, and all are unknown
        assert all(math.isnan(a) for a in amounts)
    else:
        assert sorted(amounts) == sorted(lost)


def test_lost_deals_at_zero_written_as_money_are_unknown_too(tmp_path, capsys):
    """Amounts written "$0.00" and "$10,000.00": the engine read none of them as a number
    (its TRY_CAST), so the lost deals at $0.00 were taken at $0 while validation read the
    same zeros; the rule is now decided on the amounts as validation reads them."""
    folder = export(tmp_path, [0.0] * ZEROED_LOST)
    for table in ("opportunities", "opportunity_history"):
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        priced = frame["amount"] != ""
        frame.loc[priced, "amount"] = (
            frame.loc[priced, "amount"].astype(float).map("${:,.2f}".format)
        )
        frame.to_csv(folder / f"{table}.csv", index=False)
    with Source(folder) as src:
        assert LOST_AMOUNTS in src.absent()
    assert all(math.isnan(a) for a in lost_amounts(folder))
    code, out = validate_cli(folder, capsys)
    assert code == 0
    assert "warning: every lost deal has an amount of 0 (5 here) and won deals have theirs" in out
    assert 'opportunities.amount is written as money ("$0.00")' in out
