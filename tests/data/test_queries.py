"""The SELECT that turns a table of a source into a canonical table (salesops.data.queries):
mapped names and values, a derived region, defaults with their markers, an outcome column;
run in DuckDB on two small CSV files written here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from salesops.data.engines import DuckDBEngine
from salesops.data.mapping import SourceSpec
from salesops.data.queries import FILLED, TableQuery, markers
from salesops.data.stages import Stages
from salesops.errors import ConfigError, DataError

REPS = """rep_id,name,region,manager_id,role,hire_date
R1,Alice,East ,,rep,2021-01-01
R2,Bob,West,,rep,2021-01-01
"""
# The export's deals: its own headers, its own stage name (Verbal), an owner written with
# spaces (D3), no region, open deals without a close date, won or lost in `status`, and
# a `phase` that only some deals have.
DEALS = """Id,OwnerId,StageName,created_date,close_date,amount,status,phase
D1,R1,Verbal,2026-07-01,,100,open,
D2,R2,Verbal,2026-07-10,2026-08-01,200,won,Verbal
D3, R2 ,Proposal,2026-07-20,,300,lost,Proposal
"""
DEAL_MAPPING: dict[str, Any] = {
    "from": "deals",
    "columns": {"opportunity_id": "Id", "owner_id": "OwnerId", "stage": "StageName"},
    "values": {"stage": {"Verbal": "Negotiation"}},
    "defaults": {"close_date": {"column": "created_date", "plus": "30 days", "when": "open"}},
    "outcome": {"column": "status"},
}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    (folder / "reps.csv").write_text(REPS)
    (folder / "deals.csv").write_text(DEALS)
    return folder


@pytest.fixture(scope="module")
def engine(export: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(SourceSpec("files", str(export)))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def query(export: Path, engine: DuckDBEngine) -> Callable[[str, dict[str, Any]], TableQuery]:
    """The query of ``table`` of the export, as a source file maps it (``mapping``)."""

    def make(table: str, mapping: dict[str, Any]) -> TableQuery:
        spec = SourceSpec.from_dict(
            {"kind": "files", "location": str(export), "tables": {table: mapping}}
        )
        return TableQuery(spec, engine, Stages.read(), table)

    return make


def rows(engine: DuckDBEngine, q: TableQuery) -> pd.DataFrame:
    sql, _ = q.select()
    return engine.query(sql, {}).set_index("opportunity_id")


def test_a_table_the_source_lacks_does_not_exist(query, engine):
    assert not query("leads", {}).exists
    assert query("opportunities", {"from": "deals"}).exists


def test_source_column_is_the_mapped_header_else_the_same_name_in_any_case(query, engine):
    q = query("opportunities", {**DEAL_MAPPING, "columns": {"segment": None}})
    assert q.source_column("amount") == "amount"
    assert q.source_column("STATUS".lower()) == "status"
    assert q.source_column("segment") is None  # `segment: null`: absent on purpose
    mapped = query("opportunities", DEAL_MAPPING)
    assert mapped.source_column("opportunity_id") == "Id"


def test_the_select_maps_names_values_outcome_owner_region_and_defaults(query, engine):
    """D1: Verbal -> Negotiation, open, closes 1 Jul + 30 days = 31 Jul (rule 1, marked 1).
    D2: won in `status`: Closed Won, its own close date. D3: lost: Closed Lost, and being
    closed gets no close date from the open-only rule; its owner " R2 " is R2. Each
    deal's region is its owner's (the export has none): East, West, West (R2's)."""
    frame = rows(engine, query("opportunities", DEAL_MAPPING))
    assert frame["stage"].tolist() == ["Negotiation", "Closed Won", "Closed Lost"]
    assert frame["owner_id"].tolist() == ["R1", "R2", "R2"]
    assert frame["region"].tolist() == ["East", "West", "West"]
    assert frame.loc["D1", "close_date"] == pd.Timestamp("2026-07-31")
    assert frame.loc["D2", "close_date"] == pd.Timestamp("2026-08-01")
    assert pd.isna(frame.loc["D3", "close_date"])
    assert frame[FILLED + "close_date"].tolist() == [1, 0, 0]


def test_a_default_copying_an_export_column_has_its_values_mapped_as_the_columns_own(query, engine):
    """The stage from `phase`, else from `StageName` (an export whose stage is empty where
    a status column holds the row's state): D1's `Verbal`, copied by the default, is the
    export's value and reads Negotiation, as D2's own `Verbal` does; before, it stayed
    `Verbal`, and validation asked to map in `values.stage` a value mapped there."""
    mapping = {
        "from": "deals",
        "columns": {"opportunity_id": "Id", "owner_id": "OwnerId", "stage": "phase"},
        "values": {"stage": {"Verbal": "Negotiation"}},
        "defaults": {"stage": {"column": "StageName"}},
    }
    frame = rows(engine, query("opportunities", mapping))
    assert frame["stage"].tolist() == ["Negotiation", "Negotiation", "Proposal"]
    assert frame[FILLED + "stage"].tolist() == [1, 0, 0]


def test_select_lists_the_columns_the_source_provides(query, engine):
    _, present = query("opportunities", DEAL_MAPPING).select()
    assert present == [
        "opportunity_id",
        "owner_id",
        "region",
        "created_date",
        "close_date",
        "stage",
        "amount",
    ]


def test_markers_pops_the_fill_columns_onto_the_frames_index():
    frame = pd.DataFrame(
        {"amount": [1, 2], FILLED + "close_date": [1, None]}, index=pd.Index([7, 9])
    )
    marks = markers(frame)
    assert frame.columns.tolist() == ["amount"]
    assert marks.to_dict("index") == {7: {"close_date": 1}, 9: {"close_date": 0}}


def test_a_header_mapped_wrongly_is_refused_naming_the_closest(query, engine):
    mapping = {**DEAL_MAPPING, "columns": {**DEAL_MAPPING["columns"], "owner_id": "OwnerID_"}}
    with pytest.raises(DataError) as refused:
        query("opportunities", mapping).select()
    assert (
        'opportunities.owner_id: is mapped to "OwnerID_", which deals does not have '
        "(closest: OwnerId)"
    ) in str(refused.value)


def test_a_missing_required_column_is_refused(query, engine):
    """Without `columns`, the export has no opportunity_id nor owner_id, nor a region to
    take from the owner: each is named, with the headers found. (The region, implied from
    an owner_id the export lacks, was a ConfigError about a derive no source file wrote,
    "opportunities.region is derived on owner_id, which the source does not have", which
    hid the missing columns.)"""
    with pytest.raises(DataError) as refused:
        query("opportunities", {"from": "deals"}).select()
    said = str(refused.value)
    assert "opportunities.opportunity_id: required column is missing" in said
    assert "opportunities.owner_id: required column is missing (found: Id, OwnerId" in said
    assert "opportunities.region: required column is missing" in said


def test_defaults_that_read_each_other_are_refused_naming_the_cycle(query, engine):
    mapping = {
        **DEAL_MAPPING,
        "defaults": {
            "close_date": {"column": "segment"},
            "segment": {"column": "product"},
            "product": {"column": "segment"},
        },
    }
    with pytest.raises(
        ConfigError, match=r"read each other in a cycle \(segment -> product -> segment\)"
    ):
        query("opportunities", mapping).select()


def test_variants_count_each_written_value_with_its_trimmed_reading(query, engine):
    """reps.region: "East " (R1) is read East."""
    q = query("reps", {})
    frame = engine.query(q.variants("region"), {}).sort_values("value")
    assert frame.to_dict("list") == {
        "written": ["East ", "West"],
        "value": ["East", "West"],
        "n": [1, 1],
    }
    assert q.variants("hire_date") is None  # a date column: not written as text


def test_temporal_is_a_date_typed_column_neither_derived_nor_filled(query, engine):
    q = query("opportunities", DEAL_MAPPING)
    assert q.temporal("created_date")
    assert not q.temporal("close_date")  # filled by a default: the engine decides its type
    assert not q.temporal("amount")


def test_a_derive_the_source_file_writes_on_a_key_the_export_lacks_is_refused(query):
    """Unlike the implied region, a derive written in the source file must be honoured:
    without an owner column there is no owner to take the region of."""
    mapping = {
        "from": "deals",
        "columns": {"opportunity_id": "Id", "stage": "StageName"},
        "derive": {"region": {"from": "reps.region", "on": "owner_id"}},
    }
    with pytest.raises(
        ConfigError,
        match="opportunities.region is derived on owner_id, which the source does not have",
    ):
        query("opportunities", mapping).select()


def test_a_derive_from_a_table_the_source_lacks_is_refused(query):
    mapping = {
        **DEAL_MAPPING,
        "derive": {"segment": {"from": "leads.source", "on": "opportunity_id"}},
    }
    with pytest.raises(
        ConfigError,
        match="opportunities.segment is derived from leads, which the source does not have",
    ):
        query("opportunities", mapping).select()
