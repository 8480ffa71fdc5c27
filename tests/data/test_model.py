"""The canonical data model (salesops.data.model): tables and columns, what a Tables holds,
and a scope's rows of it (the tiny CRM, tests/fixtures/tiny, counted by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.data.model import (
    LOST_DEALS,
    OPEN_DEALS,
    QUALIFIED_DEALS,
    REQUIRED,
    TABLES,
    Tables,
    stage_need_held,
)
from salesops.data.stages import Stages

WON_ONLY = Stages.from_dict(
    {"stages": [{"name": "Won", "probability": 1, "closed": True, "won": True}]}
)


def test_the_required_tables_and_each_tables_id_column():
    assert REQUIRED == ("opportunities", "reps")
    assert TABLES["opportunities"].id_column == "opportunity_id"
    assert TABLES["quotas"].column_names == ["rep_id", "month", "amount"]


def test_a_column_is_found_by_name_or_a_key_error_names_the_table():
    assert TABLES["reps"].column("email").kind == "email"
    with pytest.raises(KeyError, match="reps has no column 'colour'"):
        TABLES["reps"].column("colour")


def test_stage_need_held_reads_the_stage_lists():
    shipped = Stages.read()
    assert all(stage_need_held(w, shipped) for w in (OPEN_DEALS, LOST_DEALS, QUALIFIED_DEALS))
    assert not any(stage_need_held(w, WON_ONLY) for w in (OPEN_DEALS, LOST_DEALS, QUALIFIED_DEALS))


def test_has_a_table_a_column_or_what_the_stages_need():
    deals = pd.DataFrame({"opportunity_id": ["O1"], "amount": [None]})
    tables = Tables(
        opportunities=deals, reps=pd.DataFrame(), absent=frozenset({"opportunities.amount"})
    )
    assert tables.has("opportunities") and tables.has("opportunities.opportunity_id")
    assert not tables.has("opportunities.amount")  # in the frame, but absent from the source
    assert not tables.has("opportunities.segment")  # not in the frame
    assert not tables.has("leads")  # None
    assert tables.has(OPEN_DEALS)  # no stages: a reopened deal makes one
    tables.stages = WON_ONLY
    assert not tables.has(OPEN_DEALS) and not tables.has(LOST_DEALS)
    tables.stages, tables.absent = Stages.read(), frozenset({LOST_DEALS})
    assert tables.has(OPEN_DEALS) and not tables.has(LOST_DEALS)  # no lost deal in the source


def test_items_are_in_canonical_order_and_present_leaves_out_the_absent():
    tables = Tables(opportunities=pd.DataFrame(), reps=pd.DataFrame())
    assert [name for name, _ in tables.items()] == [
        "opportunities",
        "reps",
        "opportunity_history",
        "quotas",
        "leads",
        "activities",
        "forecast_submissions",
    ]  # the fields' order: the required tables first
    assert list(tables.present()) == ["opportunities", "reps"]


def test_a_regions_rows(tiny):
    """West: deals O5-O8 and O10 with their 11 history rows; its people R3 and R4; their
    6 quotas (R3 4, R4 2), leads L3, L4 (R3) and L6 (R4), activities X4-X7."""
    west = tiny.for_scope("region:West")
    assert sorted(west.opportunities["opportunity_id"]) == ["O10", "O5", "O6", "O7", "O8"]
    assert len(west.opportunity_history) == 11
    assert sorted(west.reps["rep_id"]) == ["R3", "R4"]
    assert len(west.quotas) == 6
    assert sorted(west.leads["lead_id"]) == ["L3", "L4", "L6"]
    assert sorted(west.activities["activity_id"]) == ["X4", "X5", "X6", "X7"]


def test_a_reps_rows_and_the_companys(tiny):
    """R1 (Alice): O1, O2, O3, O9; 4 quotas; 3 submissions (2 in Sep, 1 in Oct)."""
    alice = tiny.for_scope("rep:R1")
    assert sorted(alice.opportunities["opportunity_id"]) == ["O1", "O2", "O3", "O9"]
    assert list(alice.reps["rep_id"]) == ["R1"]
    assert len(alice.quotas) == 4 and len(alice.forecast_submissions) == 3
    assert tiny.for_scope("company") is tiny
