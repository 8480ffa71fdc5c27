"""Database engines behind a source: DuckDB (files and the demo database) and SQLAlchemy.

Each engine answers four questions for :mod:`salesops.data.sources`: which columns a table has
(with their types), how a bound parameter is written, what a query returns, and whether
a loaded frame can be joined in a later query.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from salesops.credentials import expand, redact
from salesops.data.mapping import SourceSpec
from salesops.errors import ConfigError, DataError, RuleFailure

EXPORT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")
# An export file up to this size is read into memory once when the source opens (a table);
# a larger one stays a view, read again by each query, so that memory holds no copy of it.
# A small export's queries (a report's load asks dozens) then cost milliseconds, not a
# parse of the file each.
COPIED_BYTES = 32 * 2**20
_SHARED: dict[int, duckdb.DuckDBPyConnection] = {}  # the process's database, by process id
_SHARED_LOCK = threading.Lock()
_ALIASES = itertools.count(1)  # each open database file's own name in it


def _connection() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's one in-memory DuckDB database.

    Opening a DuckDB database costs some 20 ms and closing it 5 (a report's load opens its
    source several times, the test suite hundreds); a connection to an open one costs
    microseconds. What a connection creates is its own: export files become TEMP tables
    and views, registered frames are its own views, and a database file is ATTACHed under
    a name of its own, so no two sources see each other's tables. A forked process makes
    its own database (a DuckDB instance must not cross a fork).
    """
    with _SHARED_LOCK:
        if os.getpid() not in _SHARED:
            _SHARED.clear()
            _SHARED[os.getpid()] = duckdb.connect(":memory:")
        return _SHARED[os.getpid()].cursor()


class DuckDBEngine:
    """DuckDB: the demo database file, or an in-memory view over export files."""

    def __init__(self, spec: SourceSpec, strict: bool = True) -> None:
        location = self.location = Path(spec.location)
        self.kind = spec.kind
        self.encoding = spec.encoding
        self.broken: dict[str, str] = {}  # export files that cannot be read, and why
        self._types: dict[str, dict[str, str] | None] = {}  # column_types' answers
        # The database file's name on the connection, and the file as it was opened.
        self._attached: tuple[str, os.stat_result] | None = None
        if spec.kind == "duckdb":
            if not location.is_file():
                hint = (
                    " Run `salesops demo` (or `make report`) to build it."
                    if (spec.name == "demo database")
                    else ""
                )
                raise ConfigError(f"database not found: {location}.{hint}")
            self.con = _connection()
            self._home = self.con.execute("SELECT current_database()").fetchall()[0][0]
            alias = self._attach(location)[0]
            self.found: list[str] = sorted(
                r[0]
                for r in self.con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_catalog = $db",
                    {"db": alias},
                ).fetchall()
            )
        else:
            if not (location.is_dir() or location.suffix.lower() in EXPORT_SUFFIXES):
                raise ConfigError(f"export folder not found: {location}")
            if not location.exists():
                raise ConfigError(f"export file not found: {location}")
            self.con = _connection()
            self._attach_exports(location)
            if strict:
                self._refuse_broken(spec)

    def _attach(self, location: Path) -> tuple[str, os.stat_result]:
        """ATTACH the database file ``location`` read-only under a name of its own, and
        make it the connection's default database."""
        alias, seen = f"source_{next(_ALIASES)}", location.stat()
        try:
            self.con.execute(f"ATTACH {literal(str(location))} AS {alias} (READ_ONLY)")
        except duckdb.Error as exc:
            self.con.close()
            raise ConfigError(f"cannot open {location}: {_first_line(exc)}") from None
        self.con.execute(f"USE {alias}")
        self._attached = (alias, seen)
        return self._attached

    def _detach(self) -> None:
        if self._attached is not None:
            self.con.execute(f"USE {quote(self._home)}")
            self.con.execute(f"DETACH {self._attached[0]}")
            self._attached = None

    def _refuse_broken(self, spec: SourceSpec) -> None:
        """A DataError naming each broken file that a canonical table reads (others are
        no business of this source's)."""
        from salesops.data.model import TABLES

        wanted = {spec.table(t).source_table: t for t in TABLES}
        failures = [
            RuleFailure(wanted[stem], "-", problem, 0)
            for stem, problem in self.broken.items()
            if stem in wanted
        ]
        if failures:
            self.close()
            raise DataError(failures, spec.label)

    def _attach_exports(self, folder: Path) -> None:
        """Each export file of ``folder`` (or ``folder`` itself, one workbook) as a view."""
        if folder.is_file():
            files = [folder]
        else:
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in EXPORT_SUFFIXES)
        if not files:
            raise ConfigError(f"{folder} holds no .csv, .parquet or .xlsx files")
        self.found = []
        for path in files:
            suffix = path.suffix.lower()
            if suffix in (".xlsx", ".xls"):
                sheets = pd.read_excel(path, sheet_name=None)
                for sheet, frame in sheets.items():
                    name = path.stem if len(sheets) == 1 else sheet
                    self.con.register(name, frame)
                    self.found.append(path.name if len(sheets) == 1 else f"{path.name}:{sheet}")
                continue
            self.found.append(path.name)
            problem = self._attach_file(path)
            if problem is not None:
                self.broken[path.stem] = f"{path.name} {problem}"

    def _attach_file(self, path: Path) -> str | None:
        """A table of one CSV or Parquet file (a view over it when larger than
        :data:`COPIED_BYTES`, or when a line of it cannot be read); what is wrong with the
        file if it cannot serve as a table (empty, headers only, not UTF-8, a title row
        above the headers)."""
        if path.stat().st_size == 0:
            return "is empty (0 bytes)"
        reader, options = "read_parquet", ""
        if path.suffix.lower() == ".csv":
            # Yes/No stays text (a value to map), not a boolean. Only ISO dates are typed
            # here (DuckDB would read a column of 08/05/2026 day first, silently): dates in
            # any other format are read, with one format per column, by salesops.data.dates.
            reader = "read_csv"
            options = (
                ", header = true, auto_type_candidates = "
                "['BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'VARCHAR'], "
                "dateformat = '%Y-%m-%d'"
            )
            with path.open("rb") as f:
                bom = f.read(2)
            encoding = self.encoding or ("utf-16" if bom in (b"\xff\xfe", b"\xfe\xff") else None)
            if encoding is not None:
                options += f", encoding = {_quote_literal(encoding)}"
        view = quote(path.stem)
        read = f"SELECT * FROM {reader}({_quote_literal(str(path))}{options})"
        kind, copied = "VIEW", None
        if path.stat().st_size <= COPIED_BYTES:
            try:  # read once: every later query reads memory, not the file again
                copied = self.con.execute(f"CREATE TEMP TABLE {view} AS {read}").fetchall()[0][0]
                kind = "TABLE"
            except duckdb.Error:  # a bad line: the view says what is wrong, where it is read
                self.con.execute(f"DROP TABLE IF EXISTS {view}")
        try:
            if kind == "VIEW":
                self.con.execute(f"CREATE TEMP VIEW {view} AS {read}")
            described = self.con.execute(f"DESCRIBE {view}").fetchall()
            headers = [r[0] for r in described]
            if copied is None:  # a view: is there a first row (a table says how many it has)
                rows = self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {view} LIMIT 1)")
                copied = rows.fetchall()[0][0]
            empty = copied == 0
        except duckdb.Error as exc:
            self.con.execute(f"DROP {kind} IF EXISTS {view}")
            return _csv_problem(exc)[1]
        auto = [h for h in headers[1:] if re.fullmatch(r"column\d+", h)]
        if headers and len(auto) >= max(1, (len(headers) - 1) / 2):
            self.con.execute(f"DROP {kind} {view}")
            return (
                f'has a title row above its headers ("{headers[0]}" and {len(auto)} empty '
                "cells): delete the rows above the header row"
            )
        if empty:
            self.con.execute(f"DROP {kind} {view}")
            return f"has headers but no rows ({', '.join(headers[:6])})"
        if "." not in path.stem:  # what column_types would DESCRIBE again
            self._types[path.stem] = {r[0]: str(r[1]).upper() for r in described}
        return None

    def column_types(self, table: str) -> dict[str, str] | None:
        if table not in self._types:
            try:
                rows = self.con.execute(f"DESCRIBE {ident(table)}").fetchall()
                self._types[table] = {r[0]: str(r[1]).upper() for r in rows}
            except duckdb.CatalogException:
                self._types[table] = None
        return self._types[table]

    def names(self) -> list[str]:
        """What the source holds, as a person would look for it: files (and sheets) of an
        export folder, else tables."""
        return self.found

    def param(self, name: str) -> str:
        return f"${name}"

    def timestamp(self, expr: str) -> str:
        """``expr`` as a timestamp; NULL where it does not parse."""
        return f"TRY_CAST({expr} AS TIMESTAMP)"

    def cast(self, expr: str, kind: str) -> str:
        """``expr`` as SQL type ``kind``; NULL where it does not convert."""
        return f"TRY_CAST({expr} AS {kind})"

    def query(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        # Through Arrow: several times faster than .df() for text columns.
        try:
            table = self.con.sql(sql, params=dict(params)).to_arrow_table()
        except duckdb.InvalidInputException as exc:  # a bad line far into an export file
            name, problem = _csv_problem(exc)
            if name is None:
                raise
            raise DataError([RuleFailure(Path(name).stem, "-", f"{name} {problem}", 0)]) from None
        return table.to_pandas(date_as_object=False)

    def register(self, name: str, frame: pd.DataFrame) -> str | None:
        """Make ``frame`` queryable as table ``name`` on this connection; return the name."""
        self.con.register(name, frame)
        return name

    def evict(self) -> None:
        """Drop the blocks of a database file that DuckDB keeps cached after a read (up to
        its memory limit, 80% of the machine's by default), so that a load holds its frames
        and not those blocks too: 0.2 GB for a region of 300 reps. Detaching the file drops
        them, and it is attached again at once (in a millisecond or two); what is read later
        comes from the file (or the system's page cache). The file must be the one opened:
        a database replaced in the middle of a load is refused, not read half old, half new.
        The TEMP tables of export files are left alone: they are data, not a cache."""
        if self._attached is None:
            return
        location, (_, seen) = self.location, self._attached
        self._detach()
        now = self._attach(location)[1]
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (
            seen.st_ino,
            seen.st_size,
            seen.st_mtime_ns,
        ):
            self.close()
            raise ConfigError(f"{location} changed while it was read: run again")

    def close(self) -> None:
        """Close the connection (its TEMP tables and views go with it) and detach the
        database file: a later source of the same path reads the file as it is then."""
        self._detach()
        self.con.close()


class SQLEngine:
    """Any database SQLAlchemy reaches (PostgreSQL, MySQL, Snowflake, ...)."""

    def __init__(self, spec: SourceSpec) -> None:
        import sqlalchemy as sa

        url = expand(spec.location)  # a ${VARIABLE} holds the password: read it now
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            self.engine = sa.create_engine(url)
            self.inspector = sa.inspect(self.engine)
        except Exception as exc:  # driver missing, bad URL, server down
            reason = redact(_first_line(exc))
            raise ConfigError(f"cannot connect to {spec.label}: {reason}") from None
        self._types: dict[str, dict[str, str] | None] = {}

    def column_types(self, table: str) -> dict[str, str] | None:
        if table not in self._types:
            schema, _, name = table.rpartition(".")
            if not self.inspector.has_table(name, schema=schema or None):
                self._types[table] = None
            else:
                cols = self.inspector.get_columns(name, schema=schema or None)
                self._types[table] = {c["name"]: str(c["type"]).upper() for c in cols}
        return self._types[table]

    def names(self) -> list[str]:
        """The database's tables."""
        return sorted(self.inspector.get_table_names())

    def param(self, name: str) -> str:
        return f":{name}"

    def timestamp(self, expr: str) -> str:
        """``expr`` as a timestamp."""
        return f"CAST({expr} AS TIMESTAMP)"

    def cast(self, expr: str, kind: str) -> str:
        """``expr`` as SQL type ``kind``."""
        return f"CAST({expr} AS {kind})"

    def query(self, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
        import sqlalchemy as sa

        with self.engine.connect() as con:
            return pd.read_sql(sa.text(sql), con, params=dict(params))

    def register(self, name: str, frame: pd.DataFrame) -> str | None:
        """None: a remote database cannot see a local frame (queries use subqueries)."""
        return None

    def evict(self) -> None:
        """Nothing: a database server's cache is its own."""

    def close(self) -> None:
        self.engine.dispose()


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def ident(name: str) -> str:
    """A quoted table name (``schema.table`` is quoted part by part)."""
    return ".".join(quote(part) for part in name.split("."))


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return _quote_literal(text)


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_problem(exc: BaseException) -> tuple[str | None, str]:
    """The file a DuckDB CSV error names (None if it names none) and the problem in one
    line: not UTF-8 (with the ``encoding:`` to set), or what DuckDB says of the line."""
    text = str(exc)
    file = re.search(r"^\s*file = (.+)$", text, re.M)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    at = f" at line {line.group(1)}" if line else ""
    name = None if file is None else Path(file.group(1).strip()).name
    if "not utf-8 encoded" in text.lower() or "invalid unicode" in text.lower():
        return name, (
            f"is not UTF-8{at}: set `encoding: latin-1` (or utf-16) in the source file, "
            "or save it as UTF-8"
        )
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    reason = next((x for x in lines[1:] if not x.startswith("Original Line")), _first_line(exc))
    return name, f"cannot be read as CSV{at}: {reason}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
