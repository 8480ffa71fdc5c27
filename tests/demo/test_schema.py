"""The demo database's tables and columns, and its chunks' id ranges (salesops.demo.schema)."""

from __future__ import annotations

from salesops.data.model import TABLES
from salesops.demo.database import DemoConfig
from salesops.demo.organisation import Organisation
from salesops.demo.schema import SCHEMA, columns, id_base


def test_the_schema_writes_every_table_and_column_of_the_model_with_its_type():
    assert list(SCHEMA) == list(TABLES)
    assert SCHEMA["quotas"] == "rep_id VARCHAR, month DATE, amount DOUBLE"
    assert SCHEMA["activities"].startswith(
        "activity_id VARCHAR, rep_id VARCHAR, started_at TIMESTAMP"
    )


def test_columns_are_the_models_in_order():
    assert columns("quotas") == ("rep_id", "month", "amount")
    assert columns("reps") == tuple(TABLES["reps"].column_names)


def test_id_base_gives_each_chunk_a_range_of_its_own():
    """60 deals over 2 seats: 60 / 2 * 2.5 + 200 = 275 ids a seat."""
    org = Organisation(DemoConfig(reps=2, opportunities=60, years=1))
    assert [id_base(seat, org) for seat in (0, 1, 2, 3)] == [0, 275, 550, 825]
