"""How the canonical tables relate (salesops.data.relations): every name a column of the
model, and the rep tables derived from the references."""

from __future__ import annotations

from salesops.data.model import TABLES
from salesops.data.relations import DATE_COLUMNS, REFERENCES, REP_TABLES, SET_IN_ADVANCE


def test_each_table_has_a_date_column_of_a_date_kind():
    assert set(DATE_COLUMNS) == set(TABLES) - {"reps"}
    for table, column in DATE_COLUMNS.items():
        assert TABLES[table].column(column).kind in ("date", "timestamp"), table
    assert set(SET_IN_ADVANCE) <= set(DATE_COLUMNS)


def test_each_reference_is_a_column_of_its_table_to_a_table_of_the_model():
    for (table, other), column in REFERENCES.items():
        assert other in TABLES
        assert TABLES[table].column(column).kind == "id", (table, column)


def test_the_rep_tables_are_the_rep_references_but_the_deals():
    assert REP_TABLES == {
        "quotas": "rep_id",
        "leads": "owner_id",
        "activities": "rep_id",
        "forecast_submissions": "owner_id",
    }
