"""Sources: the only module that reads files and databases.

One API serves every kind of source (the DuckDB demo database, a folder of CSV,
Parquet or Excel exports, any SQLAlchemy URL)::

    tables = load(source, scope="region:EMEA", period="2026-10")

Scope and period filters are pushed down to the engine as a SQL ``WHERE`` clause
with bound parameters, so loading one rep's slice never reads the whole database
into pandas. The loaded tables are then coerced and checked against the data
model (``salesops.validation``); bad data raises a :class:`DataError` that lists
every broken rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from salesops import filters, queries
from salesops.coverage import SECTIONS
from salesops.engines import DuckDBEngine, SQLEngine, quote
from salesops.errors import ConfigError, DataError, RuleFailure
from salesops.history import by_deal
from salesops.mapping import SourceSpec
from salesops.model import DATE_COLUMNS, REQUIRED, SET_IN_ADVANCE, TABLES, Tables
from salesops.periods import Period
from salesops.quarantine import check_mode, set_aside
from salesops.queries import TableQuery
from salesops.scopes import Scope
from salesops.stages import Stages
from salesops.validation import validate

# Rows dated at or after a period's end are left out, except what is set in advance.
_PERIOD_COLUMN = {t: c for t, c in DATE_COLUMNS.items() if t not in SET_IN_ADVANCE}


class Source:
    """An open source of CRM data.

    Parameters
    ----------
    source
        ``None`` for the demo database, a DuckDB file, a folder of exports, a
        SQLAlchemy URL, a source file (``parameters/sources/*.yml``) or a SourceSpec.
    stages
        The stage configuration; defaults to ``parameters/stages.yml``.
    """

    def __init__(self, source: str | Path | SourceSpec | None = None, stages: Stages | None = None):
        self.spec = SourceSpec.resolve(source)
        self.stages = stages or self.spec.stages or Stages.read()
        self.engine = SQLEngine(self.spec) if self.spec.kind == "sql" else DuckDBEngine(self.spec)
        self.queries: list[tuple[str, dict[str, Any]]] = []  # what was run, for tests and debugging
        self._marks: dict[str, pd.DataFrame] = {}  # per row, what defaults filled (last read)
        self._as_of: pd.Timestamp | None = None
        self._absent: frozenset[str] | None = None
        self._tables: dict[str, TableQuery] = {}

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection."""
        self.engine.close()

    # -- reading ------------------------------------------------------------------------
    def _table(self, table: str) -> TableQuery:
        if table not in self._tables:
            self._tables[table] = TableQuery(self.spec, self.engine, self.stages, table)
        return self._tables[table]

    def select(self, table: str) -> tuple[str, list[str]] | None:
        """``SELECT <source cols> AS <canonical cols> FROM <source table>``, or None if absent."""
        query = self._table(table)
        return query.select() if query.exists else None

    def temporal(self, table: str, column: str) -> bool:
        """Whether ``table.column`` is typed as a date in the engine (so a filter on it can
        run in SQL)."""
        return self._table(table).temporal(column)

    def problems(self) -> list[RuleFailure]:
        """What is wrong with the source's shape: required tables it lacks (with what it
        has instead) and required columns that no table provides."""
        out = []
        for table, spec in TABLES.items():
            query = self._table(table)
            if not query.exists:
                if spec.required:
                    rule = (
                        "required table is missing: no file, sheet or table "
                        f'"{query.mapping.source_table}"'
                    )
                    out.append(RuleFailure(table, "-", rule, 0, tuple(self.engine.names())))
                continue
            try:
                query.select()
            except DataError as exc:
                out += exc.failures
        return out

    def absent(self) -> frozenset[str]:
        """The tables the source lacks, and the columns that report sections depend on
        (:data:`salesops.coverage.SECTIONS`) without a single value in the whole source:
        what sections must not pretend to know.

        One query per such column that stops at the first value (``LIMIT 1``), so the cost
        does not grow with the source.
        """
        if self._absent is None:
            version = _version(self.spec)
            key = None if version is None else (version, repr(self.stages))
            if key is not None and key in _ABSENT:
                self._absent = _ABSENT[key]
                return self._absent
            out = {table for table in TABLES if self.select(table) is None}
            checks = []
            for what in SECTIONS:
                table, _, column = what.partition(".")
                selected = self.select(table) if column else None
                if selected is None:
                    continue
                sql, present = selected
                if column not in present:
                    out.add(what)
                    continue
                first = f"SELECT 1 FROM ({sql}) AS t WHERE {quote(column)} IS NOT NULL LIMIT 1"
                checks.append((what, f"(SELECT count(*) FROM ({first}) AS f)"))
            if checks:
                select = ", ".join(f"{expr} AS {quote(what)}" for what, expr in checks)
                row = self.engine.query(f"SELECT {select}", {}).iloc[0]
                out |= {what for what, _ in checks if not row[what]}
            self._absent = frozenset(out)
            if key is not None:
                _ABSENT[key] = self._absent
        return self._absent

    def check_scope(self, scope: Scope | str) -> Scope:
        """``scope`` as the source names it (case aside); ConfigError listing the regions
        (or how many reps there are) when the source has no such region or rep."""
        scope = Scope.parse(scope)
        if scope.level == "company":
            return scope
        known = self.scopes("region") if scope.level == "region" else self.rep_ids()
        if scope.value in known:
            return scope
        same = [k for k in known if k.casefold() == str(scope.value).casefold()]
        if len(same) == 1:
            return Scope(scope.level, same[0])
        if scope.level == "region":
            listed = f"the regions are: {', '.join(known)}" if known else "it has no regions"
        else:
            listed = f"it has {len(known):,} reps, e.g. {', '.join(known[:5])}"
        raise ConfigError(f"no {scope.level} {scope.value!r} in {self.spec.label}; {listed}")

    def read(
        self,
        table: str,
        scope: Scope | str = "company",
        until: pd.Timestamp | None = None,
        id_range: tuple[str, str] | None = None,
        since: pd.Timestamp | None = None,
        deals: str | None = None,
    ) -> pd.DataFrame | None:
        """One canonical table, filtered in the engine; None if the source lacks it.

        ``until`` drops rows dated at or after it; ``since`` keeps only what metrics over
        windows from ``since`` on need (see :meth:`load`), with ``deals`` naming a table
        the engine holds of the opportunity ids already loaded. Values are mapped (stages,
        categories) but not yet coerced or validated.
        """
        query = self._query(table, scope, until, id_range, since, deals)
        if query is None:
            return None
        sql, params = query
        self.queries.append((sql, params))
        frame = self.engine.query(sql, params)
        self._marks[table] = queries.markers(frame)
        return frame

    def _query(
        self,
        table: str,
        scope: Scope | str,
        until: pd.Timestamp | None,
        id_range: tuple[str, str] | None = None,
        since: pd.Timestamp | None = None,
        deals: str | None = None,
    ) -> tuple[str, dict[str, Any]] | None:
        """The SQL and bound parameters that :meth:`read` runs; None if the table is absent."""
        scope = Scope.parse(scope)
        selected = self.select(table)
        if selected is None:
            return None
        inner, _ = selected
        p = self.engine.param
        where: list[str] = []
        params: dict[str, Any] = {}
        if scope.level != "company":
            params["scope"] = scope.value
            where.append(filters.scope_filter(self, table, scope))
        date = _PERIOD_COLUMN.get(table)
        if until is not None and date and self.temporal(table, date):
            where.append(f"{date} < {p('until')}")
            params["until"] = until.to_pydatetime()
        if id_range is not None:
            where.append(f"opportunity_id BETWEEN {p('lo')} AND {p('hi')}")
            params["lo"], params["hi"] = id_range
        sql = f"SELECT * FROM ({inner}) AS t" + (f" WHERE {' AND '.join(where)}" if where else "")
        if since is not None:
            sql = filters.since_filter(self, table, sql, params, since, deals)
        return sql, params

    def fingerprint(
        self, scope: Scope | str = "company", period: Period | str | None = None
    ) -> str:
        """A hash of every row a report for ``scope`` and ``period`` reads.

        It changes when any of those rows changes, and only then: a change to one
        region's data leaves the other regions' fingerprints alone. DuckDB hashes the rows
        in the engine; other databases hash the loaded tables.
        """
        until = None if period is None else Period.parse(period, as_of=self.as_of()).end
        digest = hashlib.sha256(f"{self.as_of():%Y-%m-%d}".encode())
        for table in TABLES:
            query = self._query(table, scope, until)
            if query is None:
                continue
            sql, params = query
            if isinstance(self.engine, DuckDBEngine):
                row = self.engine.query(
                    f"SELECT count(*) AS n, sum(hash(q)) AS h FROM ({sql}) AS q", params
                ).iloc[0]
                digest.update(f"{table}:{row['n']}:{row['h']}".encode())
            else:
                frame = self.engine.query(sql, params)
                hashed = pd.util.hash_pandas_object(frame, index=False).sum()
                digest.update(f"{table}:{len(frame)}:{hashed}".encode())
        return digest.hexdigest()[:16]

    def raw(
        self,
        scope: Scope | str = "company",
        until: pd.Timestamp | None = None,
        since: pd.Timestamp | None = None,
        skip: Collection[str] = (),
    ) -> dict[str, pd.DataFrame]:
        """Every table the source has (but ``skip``), scoped and mapped but not validated."""
        scope = Scope.parse(scope)
        out: dict[str, pd.DataFrame] = {}
        self._marks = {}
        for table in TABLES:
            if table in skip:
                continue
            id_range, deals = None, None
            if table == "opportunity_history" and scope.level != "company":
                ids = out["opportunities"]["opportunity_id"].dropna().astype(str)
                id_range = (ids.min(), ids.max()) if len(ids) else ("", "")
            if table == "opportunity_history" and since is not None:
                deals = self.engine.register(
                    "salesops_deals", out["opportunities"][["opportunity_id"]]
                )
            frame = self.read(table, scope, until, id_range, since, deals)
            if frame is not None:
                out[table] = frame
        return out

    def load(
        self,
        scope: Scope | str = "company",
        period: Period | str | None = None,
        since: pd.Timestamp | str | None = None,
        on_invalid: str = "refuse",
    ) -> Tables:
        """The validated canonical tables for ``scope``, as known at the end of ``period``.

        Rows that happen after the period (deals created, changes made, leads and
        activities logged later) are left out; opportunities keep their current state.

        ``since`` (a day) narrows the load, in the engine, to what metrics over windows
        from that day on need: deals open now, created, closed or changed since then;
        stage changes since then plus each such deal's state just before; leads,
        activities, submissions and quotas from then on. Such metrics come out the same
        as on a full load.

        ``on_invalid="quarantine"`` sets aside the rows that break a rule (with their
        reasons, on ``Tables.set_aside``) instead of refusing the load; see
        :mod:`salesops.quarantine`.

        Raises
        ------
        DataError
            When the data breaks a rule of the data model.
        """
        problems = self.problems()
        broken = {f.table for f in problems}
        if broken.intersection(
            REQUIRED
        ):  # no scope or period without them: check the rest, then say all
            validate(self.raw(skip=broken), self.stages, self.spec.label, problems)
        scope = self.check_scope(scope)
        as_of = self.as_of()
        until = None
        if period is not None:
            until = Period.parse(period, as_of=as_of).end
        since = None if since is None else pd.Timestamp(since)
        raw = self.raw(scope, until, since, skip=broken)
        if check_mode(on_invalid) == "quarantine":
            tables = set_aside(raw, self.stages, self.spec.label, problems)
        else:
            tables = validate(raw, self.stages, self.spec.label, problems)
        tables.as_of, tables.stages, tables.absent = as_of, self.stages, self.absent()
        kept = {name: frame.index for name, frame in tables.present().items()}
        if until is not None:
            for name, frame in tables.present().items():
                column = _PERIOD_COLUMN.get(name)
                keep = None if column is None else frame[column] < until
                if keep is not None and not keep.all():  # the engine may have done it
                    kept[name] = frame.index[keep.to_numpy()]
                    setattr(tables, name, frame[keep].reset_index(drop=True))
            if tables.leads is not None:
                tables.leads = known_by(tables.leads, until)
        tables.filled = self._fills(kept)
        self._default_categories(tables)
        if tables.opportunity_history is not None:
            tables.opportunity_history = by_deal(tables.opportunity_history)
        return tables

    def _fills(self, kept: dict[str, pd.Index]) -> dict[str, tuple[int, str]]:
        """How many values of the ``kept`` rows (by the labels they were read with) the
        source file's defaults filled, with the rules."""
        out = {}
        for table, marks in self._marks.items():
            if table not in kept:
                continue
            for column, count in marks.reindex(kept[table]).sum().items():
                if count:
                    rules = self.spec.table(table).defaults[column]
                    out[f"{table}.{column}"] = (int(count), "; then ".join(map(str, rules)))
        return out

    def _default_categories(self, tables: Tables) -> None:
        """An open deal without a forecast category takes its stage's default one (from
        the stages), counted as filled."""
        defaults = {s.name: s.forecast_category for s in self.stages.stages}
        for name in ("opportunities", "opportunity_history"):
            frame = getattr(tables, name)
            if frame is None:
                continue
            empty = frame["forecast_category"].isna()
            fill = frame.loc[empty, "stage"].map(defaults)
            if fill.notna().any():
                frame.loc[empty, "forecast_category"] = fill
                count = int(fill.notna().sum())
                tables.filled[f"{name}.forecast_category"] = (count, "the stage's default")
                tables.absent = tables.absent - {f"{name}.forecast_category"}

    def as_of(self) -> pd.Timestamp:
        """The last day the data covers (the demo's fixed date, else the last event).

        Asked of the engine once per open source.
        """
        if self._as_of is None:
            self._as_of = self._find_as_of()
        return self._as_of

    def _find_as_of(self) -> pd.Timestamp:
        if self.engine.column_types("salesops_meta") is not None:
            rows = self.engine.query("SELECT value FROM salesops_meta WHERE key = 'as_of'", {})
            if len(rows):
                return pd.Timestamp(rows.iloc[0, 0])
        latest = []
        for table, column in _PERIOD_COLUMN.items():
            selected = self.select(table)
            if selected is not None:
                value = self.engine.query(
                    f"SELECT max({column}) AS m FROM ({selected[0]}) AS t", {}
                )
                latest.append(pd.to_datetime(value.iloc[0, 0], errors="coerce"))
        latest = [d for d in latest if pd.notna(d)]
        if not latest:
            raise DataError([RuleFailure("opportunities", "created_date", "has no dates", 0)])
        latest = [d.tz_convert(None) if d.tzinfo else d for d in latest]  # UTC, as coerced
        return max(latest).normalize()

    def scopes(self, level: str) -> list[str]:
        """Every region with deals (``level='region'``) or active rep id with deals
        (``'rep'``), sorted."""
        selected = self.select("reps")
        assert selected is not None
        if level == "region":  # regions with deals: a team without any has nothing to report
            opps = self.select("opportunities")
            assert opps is not None
            sql = f"SELECT DISTINCT region FROM ({opps[0]}) AS o WHERE region IS NOT NULL"
        else:
            sql = (
                f"SELECT rep_id FROM ({selected[0]}) AS r WHERE end_date IS NULL "
                "AND rep_id IN (SELECT DISTINCT owner_id FROM ("
                f"{self.select('opportunities')[0]}) AS o)"
            )
        return sorted(self.engine.query(sql, {}).iloc[:, 0].astype(str))

    def rep_ids(self) -> list[str]:
        """Every rep id of the source, sorted."""
        selected = self.select("reps")
        assert selected is not None
        frame = self.engine.query(f"SELECT rep_id FROM ({selected[0]}) AS r", {})
        return sorted(frame["rep_id"].dropna().astype(str))

    def rep_regions(self) -> dict[str, str]:
        """Each rep's home region, by rep id."""
        selected = self.select("reps")
        assert selected is not None
        frame = self.engine.query(f"SELECT rep_id, region FROM ({selected[0]}) AS r", {})
        return dict(zip(frame["rep_id"].astype(str), frame["region"].astype(str), strict=True))


# What a source lacks, by version of its files: sources are read far more often than they
# change (a run's kernels load the same export dozens of times).
_ABSENT: dict[tuple[Any, ...], frozenset[str]] = {}


def _version(spec: SourceSpec) -> tuple[Any, ...] | None:
    """The mapping and the files' sizes and times; None for a database server (no cache)."""
    if spec.kind == "sql":
        return None
    location = Path(spec.location)
    files = sorted(location.iterdir()) if location.is_dir() else [location]
    stats = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())
    return (repr(spec), stats)


def known_by(leads: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """Leads as known before ``until``: a response or a conversion that came later had not
    happened yet, so it is blanked (with the deal the lead became)."""
    later_response = leads["first_response_at"] >= until
    later_deal = leads["converted_at"] >= until
    if not (later_response.any() or later_deal.any()):
        return leads
    leads = leads.copy()
    leads.loc[later_response, "first_response_at"] = pd.NaT
    leads.loc[later_deal, "converted_at"] = pd.NaT
    leads.loc[later_deal, "opportunity_id"] = None
    return leads


@contextmanager
def open_source(source: str | Path | SourceSpec | None = None) -> Iterator[Source]:
    """A :class:`Source` that is closed when the block ends."""
    src = Source(source)
    try:
        yield src
    finally:
        src.close()


def load(
    source: str | Path | SourceSpec | None = None,
    scope: Scope | str = "company",
    period: Period | str | None = None,
    since: pd.Timestamp | str | None = None,
    on_invalid: str = "refuse",
) -> Tables:
    """Load the validated canonical tables for a scope and period.

    Parameters
    ----------
    source
        ``None`` (the demo database), a DuckDB file, a folder of exports, a
        SQLAlchemy URL or a source file under ``parameters/sources/``.
    scope
        ``company``, ``region:<name>`` or ``rep:<id>``; filtered in the engine.
    period
        A period label (``2026-10``, ``2026-Q3``, ``latest``) or None for all data;
        rows after the period's end are left out.
    since
        Optional first day the caller's metrics look at; the engine then leaves out the
        rows no metric over a later window needs (see :meth:`Source.load`).
    on_invalid
        ``refuse`` (the default): bad data raises. ``quarantine``: rows that break a rule
        are set aside with their reasons (``Tables.set_aside``) and the rest is loaded.

    Returns
    -------
    Tables
        Optional tables the source lacks are None.

    Raises
    ------
    DataError
        When the data breaks a rule of the data model; lists every broken rule.
    ConfigError
        When the source, scope or period cannot be used.

    Examples
    --------
    >>> import salesops as so
    >>> tables = so.load(scope="region:EMEA", period="2026-10")  # doctest: +SKIP
    """
    with open_source(source) as src:
        return src.load(scope, period, since, on_invalid)
