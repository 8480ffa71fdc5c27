"""The filters a load pushes into the engine (salesops.data.filters), run on the tiny
CRM's CSV files: which rows each keeps, checked by hand against tests/fixtures/tiny."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from conftest import TINY

from salesops.data import filters
from salesops.data.catalog import Catalog
from salesops.data.scopes import Scope
from salesops.data.stages import Stages

SINCE = pd.Timestamp("2026-09-15")


@pytest.fixture(scope="module")
def src() -> Iterator[Catalog]:
    with Catalog(TINY) as catalog:
        yield catalog


def rows(src: Catalog, sql: str, params: dict[str, Any], column: str) -> list[str]:
    return sorted(src.engine.query(sql, params)[column], key=lambda v: (len(v), v))


def scoped(src: Catalog, table: str, scope: str, column: str) -> list[str]:
    """``column`` of the rows of ``table`` that :func:`filters.scope_filter` keeps."""
    parsed = Scope.parse(scope)
    selected = src.select(table)
    assert selected is not None
    where = filters.scope_filter(src, table, parsed)
    sql = f"SELECT * FROM ({selected[0]}) AS t WHERE {where}"
    return rows(src, sql, {"scope": parsed.value}, column)


def since(src: Catalog, table: str, column: str, **kwargs: Any) -> list[str]:
    """``column`` of the rows of ``table`` that :func:`filters.since_filter` keeps from
    15 Sep 2026."""
    selected = src.select(table)
    assert selected is not None
    params: dict[str, Any] = {}
    sql = filters.since_filter(src, table, selected[0], params, since=SINCE, **kwargs)
    return rows(src, sql, params, column)


def test_open_stages_binds_each_open_stage_in_pipeline_order(src):
    params: dict[str, Any] = {}
    assert filters.open_stages(src, "opportunities", params) == "($s0, $s1, $s2, $s3, $s4)"
    assert list(params.values()) == [
        "Prospecting",
        "Qualification",
        "Discovery",
        "Proposal",
        "Negotiation",
    ]


def test_open_stages_of_a_pipeline_without_an_open_stage_is_null():
    won_lost = [
        {"name": "Won", "probability": 1, "closed": True, "won": True},
        {"name": "Lost", "probability": 0, "closed": True},
    ]
    with Catalog(TINY, stages=Stages.from_dict({"stages": won_lost})) as closed_only:
        params: dict[str, Any] = {}
        assert filters.open_stages(closed_only, "opportunities", params) == "(NULL)"
        assert params == {}


def test_a_rep_scope_keeps_the_reps_rows_of_each_table(src):
    """R3 (Cara) owns O5, O6, O7 and O10; their history is 4 + 2 + 2 + 2 rows."""
    assert scoped(src, "opportunities", "rep:R3", "opportunity_id") == ["O5", "O6", "O7", "O10"]
    history = scoped(src, "opportunity_history", "rep:R3", "opportunity_id")
    assert history == ["O5"] * 4 + ["O6"] * 2 + ["O7"] * 2 + ["O10"] * 2
    assert scoped(src, "reps", "rep:R3", "rep_id") == ["R3"]
    assert scoped(src, "quotas", "rep:R3", "rep_id") == ["R3"] * 4
    assert scoped(src, "activities", "rep:R3", "activity_id") == ["X4", "X5", "X6"]


def test_a_region_scope_keeps_its_deals_and_the_rows_of_its_reps(src):
    """West: deals O5-O8 and O10; reps R3 and R4 (West's, and the owners of its deals);
    their leads L3, L4 (R3's) and L6 (R4's); their forecast submissions, R3's 3."""
    assert scoped(src, "opportunities", "region:West", "opportunity_id") == [
        "O5",
        "O6",
        "O7",
        "O8",
        "O10",
    ]
    assert scoped(src, "reps", "region:West", "rep_id") == ["R3", "R4"]
    assert scoped(src, "leads", "region:West", "lead_id") == ["L3", "L4", "L6"]
    assert scoped(src, "forecast_submissions", "region:West", "owner_id") == ["R3"] * 3
    history = scoped(src, "opportunity_history", "region:West", "opportunity_id")
    assert sorted(set(history)) == ["O10", "O5", "O6", "O7", "O8"] and len(history) == 11


def test_since_keeps_the_deals_open_now_closed_created_or_changed_since(src):
    """From 15 Sep: open O3, O6, O8, O10; closed since O2 (20 Sep), O5, O7, O9. O1 (won 15
    Aug) and O4 (won 31 Jul) are left out."""
    kept = since(src, "opportunities", "opportunity_id")
    assert kept == ["O2", "O3", "O5", "O6", "O7", "O8", "O9", "O10"]


def test_since_keeps_the_changes_since_and_each_kept_deals_state_just_before(src):
    """Changes from 15 Sep: O2, O3, O5, O6, O7 one each, O9 two (15 Sep 09:00 and 10 Oct);
    the last earlier row of the kept deals that have one: O2, O3, O5, O6, O7, O8, O10. 14
    rows; none of O1 or O4, which the deals' filter leaves out."""
    kept = since(src, "opportunity_history", "opportunity_id")
    assert kept == [
        *["O2"] * 2,
        *["O3"] * 2,
        *["O5"] * 2,
        *["O6"] * 2,
        *["O7"] * 2,
        "O8",
        *["O9"] * 2,
        "O10",
    ]


def test_since_with_the_loaded_deals_in_the_engine_uses_them(src):
    """The same history, its deals slice read from a registered table of ids: when O3
    alone was loaded, the state just before 15 Sep is O3's alone (its row of 5 Sep)."""
    name = src.engine.register("loaded_deals", pd.DataFrame({"opportunity_id": ["O3"]}))
    assert name == "loaded_deals"
    selected = src.select("opportunity_history")
    assert selected is not None
    params: dict[str, Any] = {}
    sql = filters.since_filter(
        src, "opportunity_history", selected[0], params, since=SINCE, deals=name
    )
    frame = src.engine.query(sql, params).sort_values("changed_at")
    # changes since of every deal (O2, O3, O5, O6, O7, O9 twice: 7) + O3's state before
    assert len(frame) == 8
    assert frame.loc[frame["changed_at"] < SINCE, "opportunity_id"].tolist() == ["O3"]


def test_since_keeps_the_rows_of_other_tables_dated_since(src):
    """Leads created from 15 Sep: L6 (20 Sep; L5 is of the 14th); quotas from October."""
    assert since(src, "leads", "lead_id") == ["L6"]
    assert since(src, "quotas", "rep_id") == ["R1", "R3", "R4"]


def test_since_leaves_a_table_without_a_date_as_it_is(src):
    selected = src.select("reps")
    assert selected is not None
    params: dict[str, Any] = {}
    assert filters.since_filter(src, "reps", selected[0], params, since=SINCE) == selected[0]
    assert params == {}


def test_deals_since_is_one_condition_over_stage_dates_and_history(src):
    params: dict[str, Any] = {}
    condition = filters.deals_since(src, params)
    assert condition is not None
    assert condition.startswith("(stage IN ($s0, $s1, $s2, $s3, $s4) OR close_date >= $since")
    assert 'FROM "opportunity_history"' in condition and condition.endswith("))")
