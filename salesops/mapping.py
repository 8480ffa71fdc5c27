"""Source files (``parameters/sources/*.yml``): where a CRM's data is and how it maps.

A source file names the kind of source and its location, and maps the export's own
table names, column names and values (stages, forecast categories) onto the
canonical model. Everything not mapped is taken to have its canonical name.

.. code-block:: yaml

    name: Salesforce export
    kind: files                 # duckdb | files | sql
    location: data/salesforce   # folder, DuckDB file (relative to the project) or SQLAlchemy URL
    tables:
      opportunities:
        from: Opportunity       # file stem, Excel sheet or SQL table
        columns: {opportunity_id: Id, owner_id: OwnerId, stage: StageName}
        values:
          stage: {"Needs Analysis": Discovery, "Negotiation/Review": Negotiation}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from salesops.errors import ConfigError
from salesops.model import TABLES
from salesops.project import check_keys, read_yaml, root

SourceKind = Literal["duckdb", "files", "sql"]
KINDS = ("duckdb", "files", "sql")


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table is found in a source."""

    source_table: str
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def source_column(self, canonical: str) -> str:
        """The source's name for canonical column ``canonical``."""
        return self.columns.get(canonical, canonical)


@dataclass(frozen=True)
class SourceSpec:
    """A resolved source: its kind, its location and its table mappings."""

    kind: SourceKind
    location: str
    name: str = ""
    tables: Mapping[str, TableMapping] = field(default_factory=dict)

    def table(self, canonical: str) -> TableMapping:
        """The mapping of canonical table ``canonical`` (identity if unmapped)."""
        return self.tables.get(canonical, TableMapping(canonical))

    @property
    def label(self) -> str:
        """How the source is named in messages (never shows a password)."""
        return self.name or _redact(self.location)

    @classmethod
    def resolve(cls, source: str | Path | SourceSpec | None) -> SourceSpec:
        """Turn what a user typed into a SourceSpec.

        ``None`` is the demo database; a ``.yml`` file is a source file; a string with
        ``://`` is a SQLAlchemy URL; a folder holds CSV, Parquet or Excel exports; any
        other path is a DuckDB file.
        """
        from salesops.project import default_database

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
        return cls("files" if path.is_dir() else "duckdb", str(path))

    @classmethod
    def read(cls, path: str | Path) -> SourceSpec:
        """Read and check a source file."""
        path = Path(path)
        return cls.from_dict(read_yaml(path), origin=str(path), base=path.parent)

    @classmethod
    def from_dict(cls, data: Any, origin: str = "source", base: Path | None = None) -> SourceSpec:
        """Build a SourceSpec from parsed YAML; every mistake is a ConfigError."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{origin}: expected a mapping with 'kind' and 'location'")
        check_keys(data, ("name", "kind", "location", "tables"), origin)
        kind = data.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{origin}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        location = data.get("location")
        if not isinstance(location, str) or not location:
            raise ConfigError(f"{origin}: 'location' must name a file, folder or URL")
        if kind != "sql" and not Path(location).is_absolute():
            location = str(root() / location)
        tables = {}
        for table, spec in (data.get("tables") or {}).items():
            tables[table] = _table_mapping(table, spec, origin)
        return cls(kind, location, str(data.get("name", "")), tables)


def _table_mapping(table: str, spec: Any, origin: str) -> TableMapping:
    where = f"{origin}: tables.{table}"
    if table not in TABLES:
        raise ConfigError(f"{where}: unknown table; expected one of {', '.join(TABLES)}")
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping with 'from', 'columns' and 'values'")
    check_keys(spec, ("from", "columns", "values"), where)
    columns = spec.get("columns") or {}
    values = spec.get("values") or {}
    canonical = set(TABLES[table].column_names)
    for key, kind in ((columns, "columns"), (values, "values")):
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
        {k: str(v) for k, v in columns.items()},
        {k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
    )


def _redact(location: str) -> str:
    """A URL without its password."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return location
