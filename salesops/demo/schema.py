"""The demo database's tables and columns, and how each chunk numbers its ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesops.data.model import TABLES

if TYPE_CHECKING:
    from salesops.demo.organisation import Organisation

# The DuckDB type of each kind of canonical column (salesops.data.model.Column.kind).
DUCKDB_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP", "money": "DOUBLE", "count": "DOUBLE"}

# Each canonical table's columns as DuckDB DDL, in the model's order: the demo writes every
# table and column that salesops.data.model.TABLES defines, so the two cannot drift.
SCHEMA = {
    name: ", ".join(f"{c.name} {DUCKDB_TYPES.get(c.kind, 'VARCHAR')}" for c in table.columns)
    for name, table in TABLES.items()
}


def id_base(first_seat: int, org: Organisation) -> int:
    """First id number for a chunk: chunks get disjoint, increasing id ranges."""
    per_seat = org.config.opportunities / max(org.config.reps, 1) * 2.5 + 200
    return int(first_seat * per_seat)


def columns(table: str) -> tuple[str, ...]:
    """The column names of a demo table, in order."""
    return tuple(c.name for c in TABLES[table].columns)
