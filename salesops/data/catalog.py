"""What a source holds, asked of its engine: its tables and columns (and what it lacks),
its regions and reps, and its as-of day.

:class:`~salesops.data.sources.Source` reads rows on top of this; both share one connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from salesops.data import currencies, dates
from salesops.data.activity import active_in
from salesops.data.amounts import LOST_AMOUNTS, priced_lost, priced_lost_sql
from salesops.data.coverage import SECTIONS
from salesops.data.engines import DuckDBEngine, SQLEngine
from salesops.data.mapping import SourceSpec
from salesops.data.model import (
    CLOSED_DEALS,
    LOST_DEALS,
    STAGE_NEEDS,
    TABLES,
    stage_need_held,
)
from salesops.data.queries import FILLED, TRIMMED, TableQuery
from salesops.data.relations import DATE_COLUMNS, SET_IN_ADVANCE
from salesops.data.scopes import Scope
from salesops.data.sql import literal, quote
from salesops.data.stages import Stages
from salesops.data.synonyms import synced
from salesops.errors import ConfigError, DataError, RuleFailure
from salesops.storage import version

Window = tuple[pd.Timestamp, pd.Timestamp]

# Rows dated at or after a period's end are left out, except what is set in advance.
PERIOD_COLUMN = {t: c for t, c in DATE_COLUMNS.items() if t not in SET_IN_ADVANCE}
# A closed deal's close date serves the as-of day when it is at most this long after the
# latest other event (a deal created, a stage changed, a lead, an activity, a forecast
# submitted); a later one is taken for a typo and named by `salesops validate`. Olist's
# deals close up to 5.5 months after its last lead: a year leaves real closes alone.
CLOSE_AHEAD = pd.Timedelta(days=365)


class Catalog:
    """An open source's shape and extent.

    Parameters
    ----------
    source
        ``None`` for the demo database, a DuckDB file, a folder of exports, a
        SQLAlchemy URL, a source file (``parameters/sources/*.yml``) or a SourceSpec.
    stages
        The stage configuration; defaults to the source file's, else
        ``parameters/stages.yml``.
    """

    def __init__(self, source: str | Path | SourceSpec | None = None, stages: Stages | None = None):
        self.spec = SourceSpec.resolve(source)
        self.stages = stages or self.spec.stages or Stages.read()
        self.engine = SQLEngine(self.spec) if self.spec.kind == "sql" else DuckDBEngine(self.spec)
        self._as_of: pd.Timestamp | None = None
        self._late: tuple[int, pd.Timestamp, pd.Timestamp] | None = None
        self._absent: frozenset[str] | None = None
        self._tables: dict[str, TableQuery] = {}

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection."""
        self.engine.close()

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
        has instead), required columns that no table provides, and deals' amounts in more
        than one currency (:mod:`salesops.data.currencies`)."""
        out = []
        for table, spec in TABLES.items():
            query = self._table(table)
            if not query.exists:
                if spec.required:
                    rule = (
                        "required table is missing: no file, sheet or table "
                        f'"{query.mapping.source_table}"'
                    )
                    out.append(
                        RuleFailure(table, "-", rule, 0, examples=tuple(self.engine.names()))
                    )
                continue
            try:
                query.select()
            except DataError as exc:
                out += exc.failures
        return out + currencies.mixed(self._table("opportunities"))

    def absent(self) -> frozenset[str]:
        """The tables the source lacks, and the columns that report sections depend on
        (:data:`salesops.data.coverage.SECTIONS`) without a single value in the whole source:
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
            # deals closed only: no open deal to show; won only: no win rate; ...
            out |= {what for what in STAGE_NEEDS if not stage_need_held(what, self.stages)}
            checks = []
            selected = self.select("opportunities")
            deals = selected[0] if selected is not None and "stage" in selected[1] else None
            for what, names in (
                (LOST_DEALS, self.stages.lost_names),
                (CLOSED_DEALS, self.stages.closed_names),
            ):
                if deals is None or not names or what in out:
                    out.add(what)
                    continue
                held = ", ".join(map(literal, names))
                first = f"SELECT 1 FROM ({deals}) AS t WHERE stage IN ({held}) LIMIT 1"
                checks.append((what, f"(SELECT count(*) FROM ({first}) AS f)"))
            amounts = deals is not None and selected is not None and "amount" in selected[1]
            if deals is not None and amounts:  # lost deals priced at 0 only: amounts unknown
                amount = self.engine.cast("amount", "DOUBLE PRECISION")
                sql = priced_lost_sql(deals, self.stages, amount=amount)
                if self._table("opportunities").textual("amount"):  # $0.00: read in pandas
                    sql = None if self._priced_lost(deals) else "false"
                checks += [(LOST_AMOUNTS, sql)] if sql is not None else []
            for what in SECTIONS:
                if what in STAGE_NEEDS:
                    continue
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
                self.engine.evict()  # the blocks it read are not the load's to keep
                out |= {what for what, _ in checks if not row[what]}
            self._absent = frozenset(out)
            if key is not None:
                _ABSENT[key] = self._absent
        return self._absent

    def _priced_lost(self, deals: str) -> bool:
        """:func:`~salesops.data.amounts.priced_lost` on the deals' amounts of text."""
        counted = self.engine.query(
            "SELECT CAST(stage AS VARCHAR) AS stage, CAST(amount AS VARCHAR) AS v, "
            f"count(*) AS n FROM ({deals}) AS d WHERE amount IS NOT NULL GROUP BY 1, 2",
            {},
        )
        return priced_lost(counted, self.stages)

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

    def variants(self) -> dict[tuple[str, str], pd.DataFrame]:
        """For each column that names a region or a rep (:data:`salesops.data.queries.TRIMMED`),
        the rows of each value as the export writes it and as it is read (``written``,
        ``value``, ``n``); for :func:`salesops.data.validation.variant_warnings`."""
        out = {}
        for table, column in sorted(TRIMMED):
            query = self._table(table)
            sql = query.variants(column) if query.exists else None
            if sql is not None:
                out[(table, column)] = self.engine.query(sql, {})
        return out

    def as_of(self) -> pd.Timestamp:
        """The last day the data covers: the demo's fixed date, else the latest day on
        which something is known to have happened.

        The events are every table's own date (:data:`PERIOD_COLUMN`: a deal created, a
        stage changed, a lead arrived, an activity, a forecast submitted) and the close
        date of every closed deal. An open deal's close date is a plan, not an event, and
        never counts; nor does a date read from a connector's bookkeeping column (a stage
        history whose ``changed_at`` is Fivetran's ``_fivetran_start`` says when the
        connector saw each version, not when the deal changed), unless nothing else is
        dated; nor does a date a default of the source file invented (a constant, or a
        date moved by ``plus``: :func:`salesops.data.fills.invented`). A closed deal dated
        more than :data:`CLOSE_AHEAD` after the latest other event is left out
        (:meth:`late_closes` says so). Asked of the engine once per version of a source's
        files (their sizes and times, as :meth:`absent`), once per open source of a
        database server.
        """
        if self._as_of is None:
            version = _version(self.spec)
            key = None if version is None else (version, repr(self.stages))
            if key is not None and key in _AS_OF:
                self._as_of, self._late = _AS_OF[key]
            else:
                self._as_of = self._find_as_of()
                if key is not None:
                    _AS_OF[key] = (self._as_of, self._late)
        return self._as_of

    def file_notes(self) -> list[str]:
        """For ``salesops validate``, a line for each export file read without a report's
        footer below its rows (:mod:`salesops.data.layout`), "note: ...", and for each
        with columns under the same header, "warning: ..."."""
        if not isinstance(self.engine, DuckDBEngine):
            return []
        engine = self.engine
        notes = [f"note: {footer.note(name)}" for name, footer in sorted(engine.footers.items())]
        for name, headers in sorted(engine.repeated.items()):
            shown = ", ".join(f'"{h}"' for h in headers)
            notes.append(
                f"warning: {name}: more than one column is headed {shown}: the first of each "
                "is read, the others are not"
            )
        return notes

    def late_closes(self) -> str | None:
        """A warning naming the closed deals left out of the as-of day because they close
        more than :data:`CLOSE_AHEAD` after every other event; None when there are none."""
        self.as_of()
        if self._late is None:
            return None
        count, latest, events = self._late
        return (
            f"opportunities.close_date: {count:,} closed deal(s) dated after "
            f"{events + CLOSE_AHEAD:%Y-%m-%d} (up to {latest:%Y-%m-%d}), more than "
            f"{CLOSE_AHEAD.days} days after the latest other event ({events:%Y-%m-%d}): "
            "left out of the data's as-of day; check their dates"
        )

    def _find_as_of(self) -> pd.Timestamp:
        if self.engine.column_types("salesops_meta") is not None:
            rows = self.engine.query("SELECT value FROM salesops_meta WHERE key = 'as_of'", {})
            if len(rows):
                return pd.Timestamp(rows.iloc[0, 0])
        latest: list[pd.Timestamp] = []
        synced_days: list[pd.Timestamp] = []
        for table, column in PERIOD_COLUMN.items():
            days = self._days(table, column)
            if len(days):
                (synced_days if self._synced(table, column) else latest).append(days.index.max())
        latest = latest or synced_days  # a connector's times only where nothing else is dated
        closes = self._days("opportunities", "close_date", closed=True)
        if latest:
            events = max(latest)
            late = closes[closes.index > events + CLOSE_AHEAD]
            if len(late):
                self._late = (int(late.sum()), late.index.max(), events)
            closes = closes[closes.index <= events + CLOSE_AHEAD]
        if len(closes):
            latest.append(closes.index.max())
        if not latest:
            raise DataError([RuleFailure("opportunities", "created_date", "has no dates", 0)])
        return max(latest)

    def _synced(self, table: str, column: str) -> bool:
        """Whether ``table.column`` is read from a connector's bookkeeping column
        (:func:`salesops.data.synonyms.synced`: ``_fivetran_start``, ``_airbyte_extracted_at``):
        when the row was copied, not when anything happened in the CRM."""
        header = self._table(table).mapping.source_column(column)
        return header is not None and synced(header)

    def _days(self, table: str, column: str, closed: bool = False) -> pd.Series:
        """The rows of ``table`` by day of ``column`` (a Series of counts indexed by day,
        naive and in UTC as coerced), read in the engine; of closed deals only with
        ``closed``. Dates written as text are read in the column's one format; a date a
        default invented is left out."""
        selected = self.select(table)
        if selected is None or column not in selected[1]:
            return pd.Series(dtype=int)
        where = f"{quote(column)} IS NOT NULL"
        rules = self._table(table).mapping.defaults.get(column, ())
        made = [str(i) for i, rule in enumerate(rules, 1) if rule.kind == "value" or rule.plus]
        if made:  # a date a default invented (fills.invented's rule) is no event
            where += f" AND {quote(FILLED + column)} NOT IN ({', '.join(made)})"
        if closed:
            names = ", ".join(literal(n) for n in self.stages.closed_names)
            where += f" AND stage IN ({names})"
        day = quote(column)
        if self._table(table).temporal(column):
            day = f"CAST({day} AS DATE)"  # one row a day, not one a timestamp
        sql = f"SELECT {day} AS d, count(*) AS n FROM ({selected[0]}) AS t WHERE {where} GROUP BY 1"
        rows = self.engine.query(sql, {})
        read = _dates(rows["d"])  # text: in the column's one format
        counts = rows["n"].astype(int).set_axis(read.dt.normalize())
        return counts[counts.index.notna()].groupby(level=0).sum()

    def scopes(self, level: str, window: Window | None = None) -> list[str]:
        """Every region with deals (``level='region'``) or active rep id with deals
        (``'rep'``), sorted. With a ``window`` ``[start, end)``, only those with a deal
        active in it (:func:`salesops.data.activity.active_in`, the rule the peers and the
        capacity read too, :func:`salesops.analytics.capacity.owners`): a person on the
        reps file, or a region, whose deals are all older, or later, has nothing for a
        report of that window to show."""
        selected, opps = self.select("reps"), self.select("opportunities")
        assert selected is not None and opps is not None  # required tables
        if level == "region":  # regions with deals: a team without any has nothing to report
            sql = f"SELECT DISTINCT region FROM ({opps[0]}) AS o WHERE region IS NOT NULL"
        else:
            sql = (
                f"SELECT rep_id FROM ({selected[0]}) AS r WHERE end_date IS NULL "
                "AND rep_id IN (SELECT DISTINCT owner_id FROM ("
                f"{opps[0]}) AS o)"
            )
        found = sorted(self.engine.query(sql, {}).iloc[:, 0].astype(str))
        if window is not None:
            active = self._active(window, "region" if level == "region" else "owner_id")
            found = [value for value in found if value in active]
        return found

    def _active(self, window: Window, column: str) -> set[str]:
        """The ``column`` values (owner ids, regions) of the deals active in ``window``
        (see :meth:`scopes`)."""
        opps = self.select("opportunities")
        assert opps is not None
        sql = (
            f"SELECT {column}, stage, created_date, close_date "
            f"FROM ({opps[0]}) AS o WHERE {column} IS NOT NULL"
        )
        frame = self.engine.query(sql, {})
        for name in ("created_date", "close_date"):
            frame[name] = _dates(frame[name])
        return active_in(frame, window, self.stages.open_names, column)

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


def _dates(values: pd.Series) -> pd.Series:
    """A column of dates as the engine returns it (dates, or text in one format), naive
    and in UTC as coerced."""
    known = values.dropna()
    if len(known) and isinstance(known.iloc[0], str):
        return dates.read(values).values
    return pd.to_datetime(values, errors="coerce", utc=True).dt.tz_convert(None)


# What a source lacks, by version of its files: sources are read far more often than they
# change (a run's kernels load the same export dozens of times).
_ABSENT: dict[tuple[Any, ...], frozenset[str]] = {}
# The as-of day and the late closes left out of it, by version of the files, alike.
Late = tuple[int, pd.Timestamp, pd.Timestamp]  # closes left out, the latest, the last event
_AS_OF: dict[tuple[Any, ...], tuple[pd.Timestamp, Late | None]] = {}


def _version(spec: SourceSpec) -> tuple[Any, ...] | None:
    """The mapping and the files' sizes and times; None for a database server (no cache)."""
    if spec.kind == "sql":
        return None
    location = Path(spec.location)
    files = sorted(location.iterdir()) if location.is_dir() else [location]
    stats = tuple((f.name, version(f)) for f in files if f.is_file())
    return (repr(spec), stats)
