"""Export files (CSV, Parquet, Excel) as the tables of a DuckDB connection.

Every source of a process is a connection to one in-memory DuckDB database
(:class:`salesops.data.engines.Database`). A file up to :data:`COPIED_BYTES` is read into
that database once and kept there by its content (:class:`Store`): every later source
over the same bytes (a dashboard's every selection, a report's several loads, a copy of
the folder) reads memory, not the file, and never sniffs its dialect again. Each source
sees the file through a TEMP view of its own, under the file's name. A larger file stays a
view over the file, read again by each query, so that memory holds no copy of it.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from salesops.data.layout import Footer, one_column, repeated_headers
from salesops.data.layout import find as find_footer
from salesops.data.layout import of_sheet as sheet_footer
from salesops.data.sql import literal, quote
from salesops.errors import ConfigError

EXPORT_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")
# An export file up to this size is read into memory once (a table); a report's load asks
# dozens of queries, which then cost milliseconds, not a parse of the file each.
COPIED_BYTES = 32 * 2**20
# The copied files kept for later sources, by their size on disk, beyond those in use.
KEPT_BYTES = 256 * 2**20


@dataclass
class _Copy:
    table: str  # in the process's database, by content
    rows: int
    size: int  # of the file on disk
    users: int = 0  # open sources that read it


@dataclass
class Store:
    """The copies of export files in a database, by content; the least recently used ones
    that no open source reads are dropped beyond :data:`KEPT_BYTES`."""

    copies: OrderedDict[str, _Copy] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, con: duckdb.DuckDBPyConnection, key: str, read: str, size: int) -> _Copy:
        """The copy of the file with content ``key``, made by ``read`` if there is none;
        counted as used until :meth:`release`. Raises ``duckdb.Error`` if it cannot be read."""
        with self.lock:
            copy = self.copies.get(key)
            if copy is None:
                table = f"export_{key}"
                rows = con.execute(f"CREATE TABLE memory.main.{table} AS {read}").fetchall()[0][0]
                copy = self.copies[key] = _Copy(table, int(rows), size)
            copy.users += 1
            self.copies.move_to_end(key)
            return copy

    def release(self, con: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
        """``keys`` are no longer read by a source; drop what is over the limit."""
        with self.lock:
            for key in keys:
                self.copies[key].users -= 1
            kept = sum(copy.size for copy in self.copies.values())
            for key, copy in list(self.copies.items()):  # the least recently used first
                if kept <= KEPT_BYTES:
                    break
                if copy.users == 0:
                    con.execute(f"DROP TABLE memory.main.{copy.table}")
                    del self.copies[key]
                    kept -= copy.size


@dataclass(kw_only=True)
class Attached:
    """What :func:`attach` made of a folder: the files (and sheets) found, the broken
    ones and why, each table's column types, and the copies its connection reads."""

    found: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)
    types: dict[str, dict[str, str]] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)
    footers: dict[str, Footer] = field(default_factory=dict)  # by file name
    repeated: dict[str, list[str]] = field(default_factory=dict)  # headers, by file name


def attach(
    con: duckdb.DuckDBPyConnection, folder: Path, encoding: str | None, store: Store
) -> Attached:
    """Each export file of ``folder`` (or ``folder`` itself, one workbook) as a TEMP view of
    ``con`` named after the file (a sheet of a workbook of several after the sheet), over
    the copies in ``store`` (those of ``con``'s database)."""
    if folder.is_file():
        files = [folder]
    else:
        files = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in EXPORT_SUFFIXES and p.is_file()
        )
    if not files:
        raise ConfigError(f"{folder} holds no .csv, .parquet or .xlsx files")
    out = Attached()
    try:
        for path in files:
            if path.suffix.lower() in (".xlsx", ".xls"):
                try:
                    sheets = pd.read_excel(path, sheet_name=None)
                except Exception as exc:  # not a workbook, or a damaged one
                    out.found.append(path.name)
                    reason = first_line(exc)
                    if "format cannot be determined" in reason:  # pandas' words for it
                        reason = "it is not an Excel file; save it as .xlsx, or as CSV"
                    out.broken[path.stem] = f"{path.name} cannot be read as a workbook: {reason}"
                    continue
                for sheet, frame in sheets.items():
                    name = path.name if len(sheets) == 1 else f"{path.name}:{sheet}"
                    table = path.stem if len(sheets) == 1 else str(sheet)
                    out.found.append(name)
                    problem = _title_row([str(c) for c in frame.columns], r"Unnamed: \d+")
                    if problem is not None:
                        out.broken[table] = f"{name} {problem}"
                        continue
                    repeated = _mangled(frame.columns)
                    if repeated:
                        out.repeated[name] = repeated
                    footer = sheet_footer(frame)
                    if footer is not None:
                        out.footers[name] = footer
                        frame = frame.iloc[: footer.start]
                    con.register(table, frame)
                continue
            out.found.append(path.name)
            problem = _attach_file(con, path, encoding, store, out)
            if problem is not None:
                out.broken[path.stem] = f"{path.name} {problem}"
    except BaseException:  # interrupted: the copies it made are no longer read
        store.release(con, out.copies)
        raise
    return out


def _attach_file(
    con: duckdb.DuckDBPyConnection, path: Path, encoding: str | None, store: Store, out: Attached
) -> str | None:
    """A view of one CSV or Parquet file (over its copy up to :data:`COPIED_BYTES`, unless
    a line of it cannot be read); what is wrong with the file if it cannot serve as a table
    (empty, headers only, not UTF-8, a title row above the headers)."""
    size = path.stat().st_size
    if size == 0:
        return "is empty (0 bytes)"
    if size <= 16 and not path.read_bytes().removeprefix(b"\xef\xbb\xbf").strip():
        return f"is empty (no headers, {size} bytes of blank or a byte-order mark)"
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
        encoding = encoding or ("utf-16" if bom in (b"\xff\xfe", b"\xfe\xff") else None)
        if encoding is not None:
            options += f", encoding = {literal(encoding)}"
    view = quote(path.stem)
    read = f"SELECT * FROM {reader}({literal(str(path))}{options})"
    rows = None
    footer = find_footer(path, encoding) if reader == "read_csv" else None
    repeated = repeated_headers(path, encoding) if reader == "read_csv" else []
    if repeated:
        out.repeated[path.name] = repeated
    if footer is not None:  # read without it, from a copy of the rows (salesops.data.layout)
        try:
            key, rows_copy = _copy_rows(
                con, path, footer.start, reading=(reader, options), store=store
            )
        except duckdb.Error as exc:
            return csv_problem(exc)[1]
        out.copies.append(key)
        out.footers[path.name] = footer
        read, rows = f"SELECT * FROM memory.main.{rows_copy.table}", rows_copy.rows
    elif size <= COPIED_BYTES:
        content = path.read_bytes() + (reader + options).encode()  # not its path: a copy's too
        key = hashlib.blake2b(content, digest_size=16).hexdigest()
        try:  # read once: every later query reads memory, not the file again
            copy = store.use(con, key, read, size)
        except duckdb.Error:  # a bad line: the view says what is wrong, where it is read
            pass
        else:
            out.copies.append(key)
            read, rows = f"SELECT * FROM memory.main.{copy.table}", copy.rows
    try:
        con.execute(f"CREATE TEMP VIEW {view} AS {read}")
        described = con.execute(f"DESCRIBE {view}").fetchall()
        headers = [r[0] for r in described]
        if rows is None:  # over the file: is there a first row (a copy says how many it has)
            first = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {view} LIMIT 1)")
            rows = first.fetchall()[0][0]
    except duckdb.Error as exc:
        con.execute(f"DROP VIEW IF EXISTS {view}")
        if reader == "read_parquet":  # DuckDB's first line, without its kind of error
            return f"cannot be read as Parquet: {first_line(exc).partition('Error: ')[2]}"
        return csv_problem(exc)[1]
    one = one_column(headers) if reader == "read_csv" else None
    if one is not None:
        con.execute(f"DROP VIEW {view}")
        return one
    title = _title_row(headers, r"column\d+")
    if title is not None:
        con.execute(f"DROP VIEW {view}")
        return title
    if rows == 0:
        con.execute(f"DROP VIEW {view}")
        return f"has headers but no rows ({', '.join(headers[:6])})"
    if "." not in path.stem:  # what column_types would DESCRIBE again
        out.types[path.stem] = {r[0]: str(r[1]).upper() for r in described}
    return None


def _copy_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    end: int,
    *,
    reading: tuple[str, str],
    store: Store,
) -> tuple[str, _Copy]:
    """The copy in ``store`` (and its key) of the first ``end`` bytes of ``path``: its rows,
    above a footer, read by ``reading`` (the reader and its options) from a temporary file."""
    rows = path.read_bytes()[:end]
    reader, options = reading
    key = hashlib.blake2b(rows + (reader + options).encode(), digest_size=16).hexdigest()
    with tempfile.TemporaryDirectory(prefix="salesops-rows-") as folder:
        part = Path(folder) / path.name
        part.write_bytes(rows)
        read = f"SELECT * FROM {reader}({literal(str(part))}{options})"
        return key, store.use(con, key, read, end)


def _mangled(columns: pd.Index) -> list[str]:
    """The headers of more than one column of a sheet, as pandas reads them (``amount``,
    then ``amount.1``)."""
    names = [str(c) for c in columns]
    return [n for n in names if f"{n}.1" in names]


def _title_row(headers: list[str], empty: str) -> str | None:
    """What is wrong with a file or sheet whose ``headers`` are mostly the names its reader
    gives to empty cells (``empty``, a pattern): a title row above the headers; or None."""
    auto = [h for h in headers[1:] if re.fullmatch(empty, h)]
    if headers and len(auto) >= max(1, (len(headers) - 1) / 2):
        return (
            f'has a title row above its headers ("{headers[0]}" and {len(auto)} empty '
            "cells): delete the rows above the header row"
        )
    return None


def csv_problem(exc: BaseException) -> tuple[str | None, str]:
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
    reason = next((x for x in lines[1:] if not x.startswith("Original Line")), first_line(exc))
    return name, f"cannot be read as CSV{at}: {reason}"


def first_line(exc: BaseException) -> str:
    """An exception's first line of text (its type's name when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
