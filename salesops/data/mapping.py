"""Source files (``parameters/sources/*.yml``): where a CRM's data is and how it maps.

A source file names the kind of source and its location, and maps the export's own
table names, column names and values (stages, forecast categories) onto the
canonical model. Everything not mapped is taken to have its canonical name. It may
also derive a column from a joined table, fill missing values by stated rules, and
carry the CRM's own stage list. Relative paths in it are relative to its own folder.

.. code-block:: yaml

    name: Salesforce export
    kind: files                 # duckdb | files | sql
    location: exports           # folder, DuckDB file (relative to this file) or SQLAlchemy URL
    stages: stages.yml          # or the list itself; default parameters/stages.yml
    tables:
      opportunities:
        from: Opportunity       # file stem, Excel sheet or SQL table
        columns: {opportunity_id: Id, owner_id: OwnerId, stage: StageName}
        values:
          stage: {"Needs Analysis": Discovery, "Negotiation/Review": Negotiation}
        derive:                 # the owner's region where the deal has none
          region: {from: reps.region, on: owner_id}
        defaults:               # in order where a value is missing; chained, never in a cycle
          created_date: [{first: opportunity_history.changed_at}, {column: LastModifiedDate}]
          close_date: {column: created_date, plus: 90 days, when: open}
        outcome: {column: status, won: won, lost: lost}   # Pipedrive: won/lost apart from stage
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from salesops.config import check_keys, read_yaml, root
from salesops.credentials import redact
from salesops.data.model import TABLES
from salesops.data.stages import Stages
from salesops.errors import ConfigError

SourceKind = Literal["duckdb", "files", "sql"]
KINDS = ("duckdb", "files", "sql")


@dataclass(frozen=True)
class Derive:
    """A column looked up in another table: ``{from: reps.region, on: owner_id}`` is the
    region of the rep whose ``rep_id`` is this row's ``owner_id``."""

    table: str
    column: str
    on: str


DefaultKind = Literal["column", "value", "first", "last"]
DEFAULT_KINDS: tuple[DefaultKind, ...] = ("column", "value", "first", "last")


@dataclass(frozen=True)
class Default:
    """One rule for a missing value, tried in order with the others of its column.

    ``kind`` is ``column`` (another column of the row, canonical or the export's own,
    optionally ``plus`` some days or months), ``value`` (a constant), ``first`` or
    ``last`` (the earliest or latest value of ``table.column`` among the rows of another
    table about this row, e.g. a deal's first stage change). ``when`` limits the rule to
    ``open`` or ``closed`` deals.
    """

    kind: DefaultKind
    argument: str
    plus: str | None = None
    when: Literal["open", "closed"] | None = None

    def __str__(self) -> str:
        text = {"column": "{}", "value": "{!r}", "first": "first {}", "last": "last {}"}
        out = text[self.kind].format(self.argument)
        out += f" + {self.plus}" if self.plus else ""
        return out + (f" (when {self.when})" if self.when else "")


@dataclass(frozen=True)
class Outcome:
    """Where a CRM keeps whether a deal was won or lost in a column of its own (Pipedrive's
    ``status``), leaving the last pipeline stage in ``stage``: a deal whose ``column`` is
    ``won`` is in the won stage, one whose ``column`` is ``lost`` in the (first) lost stage,
    and any other deal in the stage the export names."""

    column: str
    won: str = "won"
    lost: str = "lost"


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is found in a source."""

    source_table: str
    columns: Mapping[str, str | None] = field(default_factory=dict)  # None: absent on purpose
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    derive: Mapping[str, Derive] = field(default_factory=dict)
    _: KW_ONLY
    defaults: Mapping[str, tuple[Default, ...]] = field(default_factory=dict)
    outcome: Outcome | None = None

    def source_column(self, canonical: str) -> str | None:
        """The source's name for canonical column ``canonical``; None when the source file
        says the export lacks it (``created_date: null``)."""
        return self.columns.get(canonical, canonical)


@overload
def portable(source: str | Path) -> str: ...
@overload
def portable(source: None) -> None: ...
def portable(source: str | Path | None) -> str | None:
    """``source`` as another process reads it from any folder (a kernel starts in
    ``notebooks/``): a file or folder path made absolute; a URL, the demo (``None`` or
    ``demo``) unchanged."""
    if source is None or str(source) == "demo" or "://" in str(source):
        return None if source is None else str(source)
    return str(Path(source).resolve())


@dataclass(frozen=True)
class SourceSpec:
    """A resolved source: its kind, its location and its table mappings."""

    kind: SourceKind
    location: str
    name: str = ""
    tables: Mapping[str, TableMapping] = field(default_factory=dict)
    _: KW_ONLY
    stages: Stages | None = None
    files: tuple[Path, ...] = ()  # files besides the source file that it reads (stages)
    encoding: str | None = None  # of its CSV files; None: UTF-8 (or UTF-16 with a BOM)

    def table(self, canonical: str) -> TableMapping:
        """The mapping of canonical table ``canonical`` (identity if unmapped)."""
        return self.tables.get(canonical, TableMapping(canonical))

    @property
    def label(self) -> str:
        """How the source is named in messages (never shows a password)."""
        return self.name or redact(self.location)

    @classmethod
    def resolve(cls, source: str | Path | SourceSpec | None) -> SourceSpec:
        """Turn what a user typed into a SourceSpec.

        ``None`` is the demo database; a ``.yml`` file is a source file; a string with
        ``://`` is a SQLAlchemy URL; a folder holds CSV, Parquet or Excel exports; any
        other path is a DuckDB file.
        """
        from salesops.config import default_database

        if isinstance(source, SourceSpec):
            return source
        if source is None or str(source) == "demo":
            return cls("duckdb", str(default_database()), "demo database")
        text = str(source)
        if text.endswith((".yml", ".yaml")):
            return cls.read(text)
        if "://" in text:
            return cls("sql", text)
        path = Path(text)
        export = path.is_dir() or path.suffix.lower() in (".csv", ".parquet", ".xlsx", ".xls")
        return cls("files" if export else "duckdb", str(path))

    @classmethod
    def read(cls, path: str | Path) -> SourceSpec:
        """Read and check a source file."""
        path = Path(path)
        return cls.from_dict(read_yaml(path), origin=str(path), base=path.parent)

    @classmethod
    def from_dict(cls, data: Any, origin: str = "source", base: Path | None = None) -> SourceSpec:
        """Build a SourceSpec from parsed YAML; every mistake is a ConfigError.

        Relative paths are relative to ``base`` (the source file's folder), else to the
        project root."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{origin}: expected a mapping with 'kind' and 'location'")
        check_keys(data, ("name", "kind", "location", "tables", "stages", "encoding"), origin)
        base = root() if base is None else base
        kind = data.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{origin}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        location = data.get("location")
        if not isinstance(location, str) or not location:
            raise ConfigError(f"{origin}: 'location' must name a file, folder or URL")
        if kind != "sql" and not Path(location).is_absolute():
            location = str((base / location).resolve())
        tables = {}
        for table, spec in (data.get("tables") or {}).items():
            tables[table] = _table_mapping(table, spec, origin)
        stages, files = _stages(data.get("stages"), origin, base)
        encoding = _encoding(data.get("encoding"), origin)
        name = str(data.get("name", ""))
        return cls(kind, location, name, tables, stages=stages, files=files, encoding=encoding)


ENCODINGS = ("utf-8", "utf-16", "latin-1")


def _encoding(value: Any, origin: str) -> str | None:
    """The CSV files' encoding as DuckDB names it: ``utf-8``, ``utf-16`` or ``latin-1``
    (``iso-8859-1``, ``cp1252`` and ``windows-1252`` read as latin-1)."""
    if value is None:
        return None
    text = str(value).strip().lower().replace("_", "-")
    text = {"utf8": "utf-8", "utf16": "utf-16", "latin1": "latin-1"}.get(text, text)
    if text in ("iso-8859-1", "cp1252", "windows-1252"):
        text = "latin-1"
    if text not in ENCODINGS:
        known = ", ".join(ENCODINGS)
        raise ConfigError(f"{origin}: encoding must be one of {known}, got {value!r}")
    return text


def _stages(value: Any, origin: str, base: Path) -> tuple[Stages | None, tuple[Path, ...]]:
    """The source's own stages: a list like ``parameters/stages.yml``'s, or a path to one."""
    if value is None:
        return None, ()
    if isinstance(value, str):
        path = Path(value) if Path(value).is_absolute() else (base / value).resolve()
        return Stages.read(path), (path,)
    return Stages.from_dict({"stages": value}, origin=f"{origin}: stages"), ()


def _table_mapping(table: str, spec: Any, origin: str) -> TableMapping:
    where = f"{origin}: tables.{table}"
    if table not in TABLES:
        raise ConfigError(f"{where}: unknown table; expected one of {', '.join(TABLES)}")
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping with 'from', 'columns' and 'values'")
    check_keys(spec, ("from", "columns", "values", "derive", "defaults", "outcome"), where)
    outcome = spec.get("outcome")
    if outcome is not None:
        if table != "opportunities" or not isinstance(outcome, Mapping) or "column" not in outcome:
            raise ConfigError(
                f"{where}.outcome: expected {{column: <export column>, won: <value>, "
                "lost: <value>}} on opportunities"
            )
        check_keys(outcome, ("column", "won", "lost"), f"{where}.outcome")
        outcome = Outcome(**{k: str(v) for k, v in outcome.items()})
    columns = spec.get("columns") or {}
    values = spec.get("values") or {}
    derive = spec.get("derive") or {}
    defaults = spec.get("defaults") or {}
    canonical = set(TABLES[table].column_names)
    for key, kind in (
        (columns, "columns"),
        (values, "values"),
        (derive, "derive"),
        (defaults, "defaults"),
    ):
        if not isinstance(key, Mapping):
            raise ConfigError(f"{where}.{kind}: expected a mapping")
        bad = set(key) - canonical
        if bad:
            raise ConfigError(
                f"{where}.{kind}: {sorted(bad)} are not columns of {table}; "
                f"expected some of {', '.join(sorted(canonical))}"
            )
    for column, mapping in values.items():
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"{where}.values.{column}: expected 'export value: canonical value'")
    return TableMapping(
        str(spec.get("from", table)),
        {k: None if v is None else str(v) for k, v in columns.items()},
        {k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        {k: _derive(v, f"{where}.derive.{k}") for k, v in derive.items()},
        defaults={k: _defaults(table, k, v, f"{where}.defaults.{k}") for k, v in defaults.items()},
        outcome=outcome,
    )


def _table_column(text: Any, where: str) -> tuple[str, str]:
    """``reps.region`` as ``("reps", "region")``, checked against the data model."""
    table, _, column = str(text).partition(".")
    if table not in TABLES or column not in TABLES[table].column_names:
        raise ConfigError(f"{where}: {text!r} is not <table>.<column> of the data model")
    return table, column


def _derive(spec: Any, where: str) -> Derive:
    if isinstance(spec, Mapping):  # YAML 1.1 reads a bare `on` key as True
        spec = {("on" if key is True else key): value for key, value in spec.items()}
    if not isinstance(spec, Mapping) or set(spec) != {"from", "on"}:
        raise ConfigError(f"{where}: expected {{from: <table>.<column>, on: <column>}}")
    table, column = _table_column(spec["from"], where)
    return Derive(table, column, str(spec["on"]))


def _defaults(table: str, column: str, spec: Any, where: str) -> tuple[Default, ...]:
    items = spec if isinstance(spec, list) else [spec]
    rules = []
    for i, item in enumerate(items, 1):
        at = f"{where}[{i}]" if len(items) > 1 else where
        if not isinstance(item, Mapping):
            raise ConfigError(f"{at}: expected {{column: ...}}, {{value: ...}} or {{first: ...}}")
        check_keys(item, ("column", "value", "first", "last", "plus", "when"), at)
        kinds = [k for k in DEFAULT_KINDS if k in item]
        if len(kinds) != 1:
            raise ConfigError(f"{at}: give exactly one of column, value, first or last")
        kind, argument = kinds[0], str(item[kinds[0]])
        if kind in ("first", "last"):
            _table_column(argument, at)
        if kind == "value":
            _check_literal(TABLES[table].column(column).kind, item["value"], at)
        plus = item.get("plus")
        dated = TABLES[table].column(column).kind in ("date", "timestamp")
        if plus is not None and (kind == "value" or not dated or _interval(str(plus)) is None):
            raise ConfigError(
                f"{at}: plus must be like '90 days' or '3 months', on a rule that reads a "
                "date for a date column"
            )
        when = item.get("when")
        if when is not None and (table != "opportunities" or when not in ("open", "closed")):
            raise ConfigError(f"{at}: when must be open or closed, on opportunities")
        rules.append(Default(kind, argument, None if plus is None else str(plus), when))
    return tuple(rules)


def _check_literal(kind: str, value: Any, where: str) -> None:
    """A constant default must be a value of its column's type: a date for a date column,
    a number for an amount."""
    if kind in ("date", "timestamp"):
        try:
            ok = value is not None and not pd.isna(pd.Timestamp(str(value)))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    elif kind in ("money", "count"):
        try:
            ok = float(str(value)) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"{where}: {value!r} is not a number >= 0")


def _interval(text: str) -> tuple[int, str] | None:
    """``"90 days"`` as ``(90, "day")``; None if it is not a number of days or months."""
    number, _, unit = text.strip().partition(" ")
    unit = unit.strip().rstrip("s")
    if not number.lstrip("-").isdigit() or unit not in ("day", "month"):
        return None
    return int(number), unit
