"""The SQL that turns one table of a source into a canonical table.

A source file maps names (``columns``), derives a column from a joined table
(``derive``) and fills missing values by stated rules (``defaults``); all three become
one ``SELECT`` that the engine runs, so scope and period filters apply to derived and
filled values too (a deal whose region comes from its owner is in that region's
report). Each filled column also yields a marker column (``FILLED`` + name: the number
of the rule that filled the row, 0 for none) that
:mod:`salesops.data.sources` counts and drops.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd

from salesops.data.mapping import Default, Derive, SourceSpec
from salesops.data.model import TABLES
from salesops.data.relations import REFERENCES
from salesops.data.sql import ident, literal, quote
from salesops.data.stages import Stages
from salesops.data.validation import missing_columns
from salesops.errors import ConfigError, DataError, RuleFailure

FILLED = "__filled__"
# Columns whose values are read without surrounding spaces: a scope's region, and every
# column that names a rep ("EMEA " is EMEA, so none of its deals falls out of the region's
# reports). Deal, lead, activity and account ids are read as written.
TRIMMED = {
    ("opportunities", "region"),
    ("reps", "region"),
    ("reps", "rep_id"),
    ("reps", "manager_id"),
    *((table, column) for (table, other), column in REFERENCES.items() if other == "reps"),
}
TEXT_TYPES = ("VARCHAR", "TEXT", "CHAR", "STRING", "NVARCHAR", "CHARACTER", "CLOB")

# Derived without being asked when the export lacks the column: a deal's region is its
# owner's home region.
IMPLIED = {("opportunities", "region"): Derive("reps", "region", "owner_id")}
# The (table, column) pairs being computed, outermost first: a column met again is a cycle.
Chain = tuple[tuple[str, str], ...]
# The SQL type a filled value takes, by kind of column; other kinds are text.
SQL_TYPES = {"date": "TIMESTAMP", "timestamp": "TIMESTAMP", "money": "DOUBLE PRECISION"}
SQL_TYPES["count"] = SQL_TYPES["money"]


class Engine(Protocol):
    """What a query needs of an engine."""

    def column_types(self, table: str) -> dict[str, str] | None: ...

    def timestamp(self, expr: str) -> str: ...

    def cast(self, expr: str, kind: str) -> str: ...

    def query(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame: ...


class TableQuery:
    """The ``SELECT`` of one canonical table from a source, with what it can provide.

    Parameters
    ----------
    spec, engine, stages
        The source's mapping, its engine and its stages.
    table
        The canonical table.
    """

    def __init__(self, spec: SourceSpec, engine: Engine, stages: Stages, table: str) -> None:
        self.spec, self.engine, self.stages, self.table = spec, engine, stages, table
        self.mapping = spec.table(table)
        self.types = engine.column_types(self.mapping.source_table)

    @property
    def exists(self) -> bool:
        """Whether the source has the table."""
        return self.types is not None

    def source_column(self, name: str) -> str | None:
        """The export's column for canonical ``name``: as mapped, else the column of that
        name (``Region`` serves ``region`` when no other column differs only in case); None
        if it has none, or the source file says so (``name: null``)."""
        assert self.types is not None
        if name in self.mapping.columns:
            source = self.mapping.columns[name]
            return source if source is not None and source in self.types else None
        if name in self.types:
            return name
        same = [c for c in self.types if c.casefold() == name.casefold()]
        return same[0] if len(same) == 1 else None

    def mismapped(self) -> list[RuleFailure]:
        """What the source file maps that the export does not have: a column mapped to a
        header the export lacks (a typo, a deleted column), and defaults for a column the
        export does not have at all, which would invent every value of it. Each names the
        closest headers found."""
        assert self.types is not None
        out, where = [], self.mapping.source_table
        for name, header in self.mapping.columns.items():
            if header is not None and header not in self.types:
                closest = self._closest(header)
                rule = f'is mapped to "{header}", which {where} does not have{closest}'
                out.append(RuleFailure(self.table, name, rule, 0))
        for name in self.mapping.defaults:
            if name in self.mapping.columns or self.column(name) is not None:
                continue
            rule = (
                f"has defaults, but {where} has no such column{self._closest(name)}: map it "
                f"under columns, or write `{name}: null` there if the export lacks it on "
                "purpose and every value is to come from the defaults"
            )
            out.append(RuleFailure(self.table, name, rule, 0))
        return out

    def _closest(self, name: str) -> str:
        """``" (closest: A, B)"``: the export's headers most like ``name``, or the headers
        it has when none is close."""
        headers = list(self.types or {})
        folded = {h.casefold(): h for h in headers}
        near = difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.5)
        if near:
            return f" (closest: {', '.join(folded[n] for n in near)})"
        shown = ", ".join(headers[:12]) + (", ..." if len(headers) > 12 else "")
        return f" (it has: {shown})"

    def column(self, name: str, alias: str = "t", chain: Chain = ()) -> str | None:
        """The SQL of canonical column ``name`` before defaults, on the table as ``alias``:
        the export's column with its values mapped, or its derived value, or both (the
        export's where it has one); None if neither.

        A derived value is the other table's column as that table's own defaults filled
        it, looked up on this row's key as its defaults filled it; ``chain`` holds the
        columns being computed, so that columns that read each other are refused."""
        source = self.source_column(name)
        own = None if source is None else self._mapped(name, self._written(name, source, alias))
        outcome = self.mapping.outcome
        if name == "stage" and outcome is not None:
            status = self._export(outcome.column, "outcome", alias)
            won, lost = literal(self.stages.won), literal(self.stages.lost_names[0])
            own = (
                f"CASE WHEN {status} = {literal(outcome.won)} THEN {won} "
                f"WHEN {status} = {literal(outcome.lost)} THEN {lost} ELSE {own or 'NULL'} END"
            )
        derive = self.mapping.derive.get(name)
        if derive is None and own is None:
            derive = IMPLIED.get((self.table, name))  # a deal's region: its owner's
        if derive is None:
            return own
        other = TableQuery(self.spec, self.engine, self.stages, derive.table)
        if not other.exists and (self.table, name) in IMPLIED:
            return own
        if not other.exists:
            raise ConfigError(
                f"{self.spec.label}: {self.table}.{name} is derived from {derive.table}, "
                f"which the source does not have ({other.mapping.source_table!r})"
            )
        chain = self._enter(name, chain)
        # on the table itself, the key as its defaults filled it
        on = own if derive.on == name else self.filled(derive.on, alias, chain)
        if on is None and name not in self.mapping.derive:
            return own  # implied, on a key the export lacks: that key's absence is the error
        if on is None:
            raise ConfigError(
                f"{self.spec.label}: {self.table}.{name} is derived on {derive.on}, "
                "which the source does not have"
            )
        key, inner = TABLES[derive.table].id_column, f"{alias}_d"
        found = (
            f"(SELECT max({other.filled(derive.column, inner, chain) or 'NULL'}) "
            f"FROM {ident(other.mapping.source_table)} AS {inner} "
            f"WHERE {_text(other.filled(key, inner, chain) or 'NULL')} = {_text(on)})"
        )
        return found if own is None else f"COALESCE({own}, {found})"

    def _written(self, name: str, source: str, alias: str = "t") -> str:
        """The export's column ``source`` for canonical ``name``, trimmed of surrounding
        spaces (empty then is missing) where ``name`` is one of :data:`TRIMMED` and the
        export holds it as text."""
        expr = f"{alias}.{quote(source)}"
        if (self.table, name) in TRIMMED and self.is_text(source):
            return f"NULLIF(TRIM({expr}), '')"
        return expr

    def is_text(self, source: str) -> bool:
        """Whether the export holds its column ``source`` as text."""
        return (self.types or {}).get(source, "").startswith(TEXT_TYPES)

    def variants(self, name: str) -> str | None:
        """SQL counting the rows of each value of canonical ``name`` as the export writes
        it (``written``) and as it is read (``value``); None if the export has no text
        column for it."""
        source = self.source_column(name)
        if source is None or not self.is_text(source):
            return None
        read = self.column(name) or "NULL"
        return (
            f"SELECT t.{quote(source)} AS written, {read} AS value, count(*) AS n "
            f"FROM {ident(self.mapping.source_table)} AS t "
            f"WHERE t.{quote(source)} IS NOT NULL GROUP BY 1, 2"
        )

    def _mapped(self, name: str, expr: str) -> str:
        """``expr`` with the source file's ``values`` for column ``name`` mapped, in SQL, so
        that scopes, filters and derived columns all see the canonical values."""
        values = self.mapping.values.get(name)
        if not values:
            return expr
        text = _text(expr)
        cases = " ".join(f"WHEN {literal(a)} THEN {literal(b)}" for a, b in values.items())
        return f"CASE {text} {cases} ELSE {text} END"

    def _export(self, column: str, key: str, alias: str = "t") -> str:
        """The export's own column ``column``; ConfigError naming ``key`` if it has none."""
        assert self.types is not None
        if column not in self.types:
            raise ConfigError(
                f"{self.spec.label}: {self.table}.{key} names column {column!r}, which "
                f"{self.mapping.source_table!r} does not have (it has: {', '.join(self.types)})"
            )
        return f"{alias}.{quote(column)}"

    def filled(self, name: str, alias: str = "t", chain: Chain = ()) -> str | None:
        """The SQL of canonical column ``name`` after its defaults, on the table as
        ``alias``: the export's value, else each rule's in the order written. A rule that
        reads another column reads it filled by that column's own defaults, in this table
        or another (``chain`` holds the columns being filled, so a cycle is refused rather
        than followed). All parts share one type: the column's (a date, a number) when the
        export's column has it, else text, which validation parses."""
        own, values = self._parts(name, alias, chain)
        parts = ([own] if own else []) + values
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"

    def _parts(self, name: str, alias: str, chain: Chain) -> tuple[str | None, list[str]]:
        """The export's value of ``name`` and each default rule's, in one type."""
        own = self.column(name, alias, chain)
        rules = self.mapping.defaults.get(name, ())
        if not rules:
            return own, []
        chain = self._enter(name, chain)
        values = [self._default(name, rule, alias, chain) for rule in rules]
        target = SQL_TYPES.get(TABLES[self.table].column(name).kind)
        if target is not None and (own is None or _family(self._type(name)) == target):
            return own, [self.engine.cast(v, target) for v in values]
        # text, or an export column whose type is not the column's: compare as text
        return (_text(own) if own else None), [_text(v) for v in values]

    def marker(self, name: str) -> str:
        """SQL of which default filled ``name`` in a row: 0 when the export has a value
        (or no rule gives one), else the number of the first rule that gave it (1, 2...)."""
        own, values = self._parts(name, "t", ())
        cases = [f"WHEN {own} IS NOT NULL THEN 0"] if own else []
        cases += [f"WHEN {v} IS NOT NULL THEN {i}" for i, v in enumerate(values, 1)]
        return f"CASE {' '.join(cases)} ELSE 0 END"

    def _type(self, name: str) -> str:
        """The engine's type of the export column behind ``name`` when it is read as it is
        (not value-mapped, derived or from an outcome column); "" when not known."""
        source = self.source_column(name)
        plain = name not in self.mapping.values and name not in self.mapping.derive
        if source is None or not plain or (name == "stage" and self.mapping.outcome):
            return ""
        return (self.types or {}).get(source, "")

    def _enter(self, name: str, chain: Chain) -> Chain:
        """``chain`` with ``self.table.name`` added; ConfigError naming the cycle when the
        column is already being computed (it would read itself)."""
        here = (self.table, name)
        if here not in chain:
            return (*chain, here)
        loop = (*chain[chain.index(here) :], here)
        one = all(table == self.table for table, _ in loop)
        cycle = " -> ".join(column if one else f"{table}.{column}" for table, column in loop)
        what = f"{self.table} defaults" if one else "defaults and derived columns"
        raise ConfigError(
            f"{self.spec.label}: {what} read each other in a cycle "
            f"({cycle}): no value can be filled from itself"
        )

    def _default(self, name: str, rule: Default, alias: str, chain: Chain) -> str:
        """The SQL of one default ``rule`` of canonical column ``name``. A rule that copies
        one of the export's own columns gives the export's values: the column's ``values``
        map them as they map the column's own (a stage taken from a status column)."""
        if rule.kind == "value":
            value = literal(rule.argument)
        elif rule.kind == "column":
            if rule.argument in TABLES[self.table].column_names:
                value = self.filled(rule.argument, alias, chain) or "NULL"
            else:
                value = self._mapped(name, self._export(rule.argument, "defaults", alias))
        else:
            other_table, _, other_column = rule.argument.partition(".")
            refers = REFERENCES.get((other_table, self.table))
            if refers is None:
                raise ConfigError(
                    f"{self.spec.label}: {self.table} defaults: no column of {other_table} "
                    f"refers to {self.table}"
                )
            other = TableQuery(self.spec, self.engine, self.stages, other_table)
            if not other.exists:
                return "NULL"  # the table is absent: the rule finds nothing
            key = _text(self.column(TABLES[self.table].id_column, alias) or "NULL")
            aggregate, inner = ("min" if rule.kind == "first" else "max"), f"{alias}_o"
            value = (
                f"(SELECT {aggregate}({other.filled(other_column, inner, chain) or 'NULL'}) "
                f"FROM {ident(other.mapping.source_table)} AS {inner} "
                f"WHERE {_text(other.filled(refers, inner, chain) or 'NULL')} = {key})"
            )
        if rule.plus:
            number, unit = rule.plus.split()
            unit = "days" if unit.startswith("day") else "months"
            value = f"({self.engine.timestamp(value)} + INTERVAL '{int(number)} {unit}')"
        if rule.when is None:
            return value
        names = self.stages.open_names if rule.when == "open" else self.stages.closed_names
        # the stage as its own defaults filled it (a deal the export leaves without one)
        if (self.table, "stage") in chain:
            stage = self.column("stage", alias) or "NULL"
        else:
            stage = self.filled("stage", alias, chain) or "NULL"
        values = ", ".join(literal(v) for v in names) or "NULL"  # no open stage: none is
        return f"CASE WHEN {stage} IN ({values}) THEN {value} END"

    def select(self) -> tuple[str, list[str]]:
        """``SELECT <expressions> AS <canonical columns>, <fill markers> FROM <table> AS t``
        and the canonical columns the source provides (its own, derived or filled).

        Raises
        ------
        DataError
            When a required column is neither in the export nor derived nor filled.
        """
        assert self.types is not None
        parts, present, markers = [], [], []
        mismapped = self.mismapped()
        for name in TABLES[self.table].column_names:
            expr = self.filled(name)
            if name in self.mapping.defaults:
                markers.append(f"{self.marker(name)} AS {quote(FILLED + name)}")
            parts.append(f"{expr or 'NULL'} AS {quote(name)}")
            if expr is not None:
                present.append(name)
        named = {f.column for f in mismapped}
        missing = [f for f in missing_columns(self.table, present) if f.column not in named]
        if missing or mismapped:
            found = tuple(self.types)
            failures = [RuleFailure(f.table, f.column, f.rule, 0, examples=found) for f in missing]
            raise DataError(mismapped + failures, self.spec.label)
        sql = f"SELECT {', '.join(parts + markers)} FROM {ident(self.mapping.source_table)} AS t"
        return sql, present

    def textual(self, name: str) -> bool:
        """Whether the export column behind ``name`` is text in the engine (an amount
        written as money: validation reads it, :mod:`salesops.data.numbers`)."""
        return self._type(name).upper().startswith(TEXT_TYPES)

    def temporal(self, name: str) -> bool:
        """Whether column ``name`` is typed as a date in the engine (and is not derived or
        filled, whose type the engine decides): then period filters can run in SQL."""
        if name in self.mapping.derive or name in self.mapping.defaults:
            return False
        kind = (self.types or {}).get(self.source_column(name) or "", "")
        return kind.startswith(("DATE", "TIMESTAMP"))


def _family(kind: str) -> str | None:
    """The SQL type of :data:`SQL_TYPES` that an engine's column type ``kind`` belongs to."""
    kind = kind.upper()
    if kind.startswith(("DATE", "TIMESTAMP")):
        return "TIMESTAMP"
    numbers = ("BIGINT", "INT", "DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL", "HUGEINT")
    if kind.startswith(numbers) or kind in ("SMALLINT", "TINYINT", "UBIGINT", "UINTEGER"):
        return "DOUBLE PRECISION"
    return None


def _text(expr: str) -> str:
    """``expr`` compared as text: ids exported as numbers in one file and text in another
    still match."""
    return f"CAST({expr} AS VARCHAR)"


def markers(frame: pd.DataFrame) -> pd.DataFrame:
    """Pop the fill markers from a queried frame: one column per filled canonical column,
    on the frame's index (so rows set aside or cut by the period drop out): 0 where the
    export had the value, else the number of the default rule that filled it."""
    names = [c for c in frame.columns if str(c).startswith(FILLED)]
    return pd.DataFrame(
        {c.removeprefix(FILLED): frame.pop(c).fillna(0) for c in names}, index=frame.index
    )
