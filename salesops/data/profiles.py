"""What the columns of an export look like, for ``salesops map`` (:mod:`salesops.data.proposal`):
dates, money, ids, a few repeated values, people's names; and which columns of one file
hold the values of a column of another.

Everything is asked of the engine that a load uses (DuckDB over the export's files): one
``SUMMARIZE`` per file, and small queries for the columns worth a closer look.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

import pandas as pd

from salesops.data import dates, numbers
from salesops.data.engines import DuckDBEngine
from salesops.data.sql import ident, quote

# A column of a few repeated values: at most this many distinct ones.
FEW = 30
# Text values read to tell whether a column holds dates written as text (DD-MM-YYYY, ...),
# and the share of them that must read as dates in the column's one format.
DATE_SAMPLE = 500
DATE_SHARE = 0.9
# Words in a stage value that say it is one.
STAGE_WORDS = (
    "won",
    "lost",
    "closed",
    "open",
    "qualif",
    "prospect",
    "proposal",
    "negotiat",
    "discovery",
    "demo",
    "contract",
    "lead",
    "stage",
    "pipeline",
    "commit",
)

# Values that name the kind of a CRM record, not a market segment (Odoo's ``Type``: Lead
# or Opportunity; a combined export's object type).
RECORD_KINDS = frozenset(
    {"lead", "opportunity", "opp", "deal", "contact", "account", "company", "organization"}
    | {"organisation", "person", "record", "task", "event", "case", "customer", "prospect"}
)
# A segment's one value for at least this share of the deals with one splits nothing.
ONE_SEGMENT = 0.95


@dataclass
class ColumnProfile:
    """One column of an export file, by its content."""

    header: str
    type: str  # the engine's type: BIGINT, DOUBLE, DATE, TIMESTAMP, VARCHAR, ...
    rows: int
    distinct: int
    _: KW_ONLY
    nulls: int
    minimum: str | None = None
    values: dict[str, int] = field(default_factory=dict)  # the few values, with counts
    date_format: str | None = None  # text that reads as dates, in this one format
    number_format: numbers.Format | None = None  # text that reads as numbers ($10,000.00)

    @property
    def filled(self) -> int:
        """Rows with a value."""
        return self.rows - self.nulls

    @property
    def is_date(self) -> bool:
        """Typed as dates, or text whose values read as dates in one format."""
        return self.type.startswith(("DATE", "TIMESTAMP")) or self.date_format is not None

    @property
    def is_number(self) -> bool:
        """Typed as numbers, or text whose values read as numbers (``$10,000.00``)."""
        typed = self.type in ("BIGINT", "DOUBLE", "INTEGER", "HUGEINT")
        return typed or self.type.startswith(("DECIMAL", "FLOAT")) or bool(self.number_format)

    @property
    def is_unique(self) -> bool:
        """Every row has a value, and no value repeats: an id."""
        return self.rows > 0 and self.nulls == 0 and self.distinct >= self.rows

    @property
    def is_money(self) -> bool:
        """Numbers, none negative, not an id, many different ones."""
        if not self.is_number or (self.is_unique and self.type == "BIGINT"):
            return False
        negative = self.minimum is not None and self.minimum.startswith("-")
        return not negative and self.distinct > min(10, self.filled // 2)

    @property
    def is_few(self) -> bool:
        """Text of a few repeated values (a stage, a region, an office)."""
        return (
            not self.is_number
            and not self.is_date
            and 2 <= self.distinct <= FEW
            and self.distinct * 3 <= max(self.filled, 1)
        )

    @property
    def stage_like(self) -> int:
        """How many of its few values read like stages (``Closed Won``, ``Demo``, ...)."""
        if not self.is_few:
            return 0
        return sum(any(w in v.casefold() for w in STAGE_WORDS) for v in self.values)


def not_a_segment(column: ColumnProfile) -> str | None:
    """Why a column proposed as the deals' segment is not one, or None when it may be:
    its values name a record's kind (``Lead``, ``Opportunity``: every value a word of
    :data:`RECORD_KINDS`, singular or plural), or one value holds nearly every deal that
    has one (:data:`ONE_SEGMENT`), so a breakdown by it would show one row. The rule
    reads the values, not the header."""
    values = column.values or {}
    if not values and column.distinct == 1 and column.minimum is not None:
        values = {column.minimum: column.filled}  # one value: the column's minimum
    kinds = [v for v in values if str(v).strip().casefold().removesuffix("s") in RECORD_KINDS]
    top = max(values.values(), default=0) / max(column.filled, 1)
    if values and len(kinds) == len(values):
        return f"its values name a record's kind ({', '.join(sorted(kinds))}), not a segment"
    if values and top >= ONE_SEGMENT:
        share = "every deal" if len(values) == 1 else f"{top:.0%} of the deals"
        return f"one value ({max(values, key=values.__getitem__)}) for {share} with one"
    return None


@dataclass
class FileProfile:
    """One export file (or sheet): its name, rows and columns."""

    name: str
    rows: int
    columns: dict[str, ColumnProfile]

    @property
    def headers(self) -> list[str]:
        return list(self.columns)


def profile(engine: DuckDBEngine, name: str) -> FileProfile:
    """The profile of table ``name`` of ``engine``: one SUMMARIZE, then the values of the
    columns that hold a few of them."""
    summary = engine.query(f"SUMMARIZE {ident(name)}", {})
    columns = {}
    rows = int(summary["count"].iloc[0]) if len(summary) else 0
    for row in summary.itertuples(index=False):
        nulls = round(float(row.null_percentage or 0) * rows / 100)
        distinct = min(int(row.approx_unique or 0), rows - nulls)
        minimum = None if row.min is None else str(row.min)
        columns[row.column_name] = ColumnProfile(
            row.column_name,
            str(row.column_type).upper(),
            rows,
            distinct,
            nulls=nulls,
            minimum=minimum,
        )
    for column in columns.values():
        if column.type == "VARCHAR" and column.filled:
            _text_dates(engine, name, column)
        if column.type == "VARCHAR" and column.filled and column.date_format is None:
            _text_numbers(engine, name, column)
        if column.nulls == 0 and column.distinct >= 0.9 * rows and not column.is_date:
            column.distinct = exact_distinct(engine, name, column.header)  # an id, exactly
    few = [c for c in columns.values() if not c.is_number and not c.is_date and c.distinct <= FEW]
    for column in few:
        column.distinct = exact_distinct(engine, name, column.header)  # approx_unique is not
        if 2 <= column.distinct <= FEW:
            counts = engine.query(
                f"SELECT CAST({quote(column.header)} AS VARCHAR) AS v, count(*) AS n "
                f"FROM {ident(name)} WHERE {quote(column.header)} IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC, 1",
                {},
            )
            column.values = dict(zip(counts["v"], counts["n"].astype(int), strict=True))
    return FileProfile(name, rows, columns)


def _text_dates(engine: DuckDBEngine, name: str, column: ColumnProfile) -> None:
    """Mark a text column whose values read as dates in one format (``26-02-2018 19:58``),
    with the earliest of them as its minimum (written YYYY-MM-DD, so that minimums compare)."""
    header = quote(column.header)
    sample = engine.query(
        f"SELECT {header} AS v FROM {ident(name)} WHERE {header} IS NOT NULL LIMIT {DATE_SAMPLE}",
        {},
    )["v"]
    read = dates.read(sample.astype(str))
    if read.format is None or read.read < DATE_SHARE * len(sample):
        return
    values = engine.query(f"SELECT DISTINCT {header} AS v FROM {ident(name)}", {})["v"]
    every = dates.read(values.dropna().astype(str))
    if every.format is None or every.read < DATE_SHARE * int(values.notna().sum()):
        return
    column.date_format = every.format
    column.minimum = every.values.min().strftime("%Y-%m-%d %H:%M:%S")


def _text_numbers(engine: DuckDBEngine, name: str, column: ColumnProfile) -> None:
    """Mark a text column whose values read as numbers with one decimal mark and one
    currency (``$10,000.00``, ``1.234,50 €``), as validation reads them, with the least of
    them as its minimum."""
    header = quote(column.header)
    sample = engine.query(
        f"SELECT CAST({header} AS VARCHAR) AS v FROM {ident(name)} "
        f"WHERE {header} IS NOT NULL LIMIT {DATE_SAMPLE}",
        {},
    )["v"]
    if numbers.read(sample).values.notna().sum() < DATE_SHARE * len(sample):
        return
    read = read_numbers(engine, name, column.header)
    if read["n"][read["value"].notna()].sum() < DATE_SHARE * read["n"].sum():
        return
    column.number_format = numbers.column_format(read["v"], read["n"])
    column.minimum = str(read["value"].min())


def read_numbers(
    engine: DuckDBEngine, name: str, header: str, known: numbers.Format | None = None
) -> pd.DataFrame:
    """The distinct values ``v`` of ``name.header`` as text, each read as a number
    (``value``; NaN where it does not read) with the column's one format
    (:mod:`salesops.data.numbers`), and the rows ``n`` of each."""
    counted = engine.query(
        f"SELECT CAST({quote(header)} AS VARCHAR) AS v, count(*) AS n FROM {ident(name)} "
        f"WHERE {quote(header)} IS NOT NULL GROUP BY 1",
        {},
    )
    known = known or numbers.column_format(counted["v"], counted["n"])
    return counted.assign(value=numbers.read(counted["v"], known).values)


def zeros(engine: DuckDBEngine, name: str, column: ColumnProfile) -> tuple[int, int]:
    """The rows of ``name.column`` with a number, and those of them at 0; text written as
    money (``$0.00``) read as validation reads it."""
    if column.number_format is not None:
        read = read_numbers(engine, name, column.header, column.number_format)
        return int(read["n"][read["value"].notna()].sum()), int(read["n"][read["value"] == 0].sum())
    value = f"TRY_CAST({quote(column.header)} AS DOUBLE)"
    row = engine.query(
        f"SELECT count({value}) AS n, count(*) FILTER (WHERE {value} = 0) AS z FROM {ident(name)}",
        {},
    ).iloc[0]
    return int(row["n"]), int(row["z"])


def exact_distinct(engine: DuckDBEngine, name: str, header: str) -> int:
    """The number of distinct values of ``name.header``."""
    sql = f"SELECT count(DISTINCT {quote(header)}) AS n FROM {ident(name)}"
    return int(engine.query(sql, {}).iloc[0, 0])


def overlap(engine: DuckDBEngine, table: str, column: str, *, other: str, key: str) -> float:
    """The share of the distinct values of ``table.column`` found in ``other.key``
    (compared as trimmed text): 1.0 when every deal's owner is a row of the people table."""
    value = f"trim(CAST({quote(column)} AS VARCHAR))"
    found = f"SELECT trim(CAST({quote(key)} AS VARCHAR)) FROM {ident(other)}"
    row = engine.query(
        f"SELECT count(DISTINCT {value}) AS n, "
        f"count(DISTINCT {value}) FILTER (WHERE {value} IN ({found})) AS k "
        f"FROM {ident(table)} WHERE {quote(column)} IS NOT NULL",
        {},
    ).iloc[0]
    return 0.0 if not row["n"] else float(row["k"]) / float(row["n"])
