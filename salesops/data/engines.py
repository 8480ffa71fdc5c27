"""Database engines behind a source: DuckDB (files and the demo database) and SQLAlchemy.

Each engine answers four questions for :mod:`salesops.data.sources`: which columns a table has
(with their types), how a bound parameter is written, what a query returns, and whether
a loaded frame can be joined in a later query.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from salesops.credentials import expand, redact
from salesops.data import exports
from salesops.data.exports import EXPORT_SUFFIXES
from salesops.data.layout import Footer
from salesops.data.mapping import SourceSpec
from salesops.data.sql import ident, literal, quote
from salesops.errors import ConfigError, DataError, RuleFailure
from salesops.storage import version

_ALIASES = itertools.count(1)  # each open database file's own name in it


@dataclass
class Database:
    """The process's one in-memory DuckDB: its own connection, the connections of it that
    sources hold open, and the export files it holds copies of.

    Opening a DuckDB database costs some 20 ms and closing it 5 (a report's load opens its
    source several times, the test suite hundreds); a connection to an open one costs
    microseconds. What a connection creates is its own: export files are TEMP views (over
    the copies of :mod:`salesops.data.exports`), registered frames are its own views, and a
    database file is ATTACHed under a name of its own, so no two sources see each other's
    tables. DuckDB is not fork-safe: the database is closed before the process forks while
    no source is open (the runner's workers are forked copies of it), and a forked child
    that finds one open makes its own.
    """

    pid: int
    con: duckdb.DuckDBPyConnection
    store: exports.Store = field(default_factory=exports.Store)
    users: int = 0


_DATABASE: Database | None = None
_INHERITED: list[Database] = []  # a parent's, in a forked child: never closed there
_LOCK = threading.Lock()


def database() -> Database:
    """This process's :class:`Database`, opened if it is not."""
    with _LOCK:
        return _open()


def _open() -> Database:
    global _DATABASE
    if _DATABASE is None or _DATABASE.pid != os.getpid():
        if _DATABASE is not None:
            _INHERITED.append(_DATABASE)
        _DATABASE = Database(os.getpid(), duckdb.connect(":memory:"))
    return _DATABASE


def _before_fork() -> None:
    """Close the process's database before it forks, when no source is open, so that no
    DuckDB instance (and none of its threads) is copied into the child; the next source
    opens a new one, and the export copies go with the old."""
    global _DATABASE
    with _LOCK:
        if _DATABASE is not None and _DATABASE.pid == os.getpid() and not _DATABASE.users:
            _DATABASE.con.close()
            _DATABASE = None


os.register_at_fork(before=_before_fork)


class DuckDBEngine:
    """DuckDB: the demo database file, or an in-memory view over export files."""

    def __init__(self, spec: SourceSpec, strict: bool = True) -> None:
        location = self.location = Path(spec.location)
        self.kind = spec.kind
        self.encoding = spec.encoding
        self.broken: dict[str, str] = {}  # export files that cannot be read, and why
        self.footers: dict[str, Footer] = {}  # export files read without a report's footer
        self.repeated: dict[str, list[str]] = {}  # headers of two columns, by export file
        self._copies: list[str] = []  # the export files' copies it reads (exports.Store)
        self._types: dict[str, dict[str, str] | None] = {}  # column_types' answers
        # The database file's name on the connection, and the file's identity when opened.
        self._attached: tuple[str, tuple[int, int, int]] | None = None
        if spec.kind == "duckdb" and not location.is_file():
            hint = (
                " Run `salesops demo` (or `make report`) to build it."
                if (spec.name == "demo database")
                else ""
            )
            raise ConfigError(f"database not found: {location}.{hint}")
        if spec.kind != "duckdb" and not (
            location.is_dir() or location.suffix.lower() in EXPORT_SUFFIXES
        ):
            raise ConfigError(f"export folder not found: {location}")
        if spec.kind != "duckdb" and not location.exists():
            raise ConfigError(f"export file not found: {location}")
        with _LOCK:  # counted at once: no fork closes it in between
            self._db: Database | None = _open()  # None once closed
            self._db.users += 1
        self.con = self._db.con.cursor()
        if spec.kind == "duckdb":
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
            try:
                attached = exports.attach(self.con, location, self.encoding, self._db.store)
            except BaseException:
                self.close()
                raise
            self.found, self.broken, self._copies = attached.found, attached.broken, attached.copies
            self.footers, self.repeated = attached.footers, attached.repeated
            self._types.update(attached.types)
            if strict:
                self._refuse_broken(spec)

    def _attach(self, location: Path) -> tuple[str, tuple[int, int, int]]:
        """ATTACH the database file ``location`` read-only under a name of its own, and
        make it the connection's default database; the name and the file's identity."""
        alias, seen = f"source_{next(_ALIASES)}", version(location)
        try:
            self.con.execute(f"ATTACH {literal(str(location))} AS {alias} (READ_ONLY)")
        except duckdb.Error as exc:
            self.close()
            raise ConfigError(f"cannot open {location}: {exports.first_line(exc)}") from None
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
            name, problem = exports.csv_problem(exc)
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
        seen = self._attached[1]
        self._detach()
        if self._attach(self.location)[1] != seen:
            self.close()
            raise ConfigError(f"{self.location} changed while it was read: run again")

    def close(self) -> None:
        """Close the connection (its TEMP views go with it) and detach the database file: a
        later source of the same path reads the file as it is then."""
        if self._db is None:
            return
        self._detach()
        self._db.store.release(self.con, self._copies)
        self.con.close()
        with _LOCK:
            self._db.users -= 1
        self._db = None


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
            reason = redact(exports.first_line(exc))
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
