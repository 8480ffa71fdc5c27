"""Sources: the only module that reads files and databases.

One API serves every kind of source (the DuckDB demo database, a folder of CSV,
Parquet or Excel exports, any SQLAlchemy URL)::

    tables = load(source, scope="region:EMEA", period="2026-10")

Scope and period filters are pushed down to the engine as a SQL ``WHERE`` clause
with bound parameters, so loading one rep's slice never reads the whole database
into pandas. The loaded tables are then coerced and checked against the data
model (``salesops.data.validation``); bad data raises a :class:`DataError` that lists
every broken rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from salesops.data import filters, queries
from salesops.data.amounts import unprice_lost
from salesops.data.catalog import PERIOD_COLUMN, Catalog
from salesops.data.engines import DuckDBEngine
from salesops.data.fills import default_categories, filled, filled_ids, invented
from salesops.data.formats import ColumnFormats
from salesops.data.history import by_deal, deals_as_of
from salesops.data.mapping import SourceSpec
from salesops.data.model import CLOSED_DEALS, LOST_DEALS, REQUIRED, TABLES, Tables
from salesops.data.periods import Period
from salesops.data.quarantine import check_mode, set_aside
from salesops.data.scopes import WHERE, Scope, mark_closed_aside, scope_words
from salesops.data.stages import Stages
from salesops.data.validation import validate
from salesops.errors import RuleFailure


class Source(Catalog):
    """An open source of CRM data: its rows, scoped, filtered in the engine and
    validated. What it holds, and lacks, and its parameters are
    :class:`~salesops.data.catalog.Catalog`'s."""

    def __init__(self, source: str | Path | SourceSpec | None = None, stages: Stages | None = None):
        super().__init__(source, stages)
        self.queries: list[tuple[str, dict[str, Any]]] = []  # what was run, for tests and debugging
        self._marks: dict[str, pd.DataFrame] = {}  # per row, what defaults filled (last read)
        self.formats = ColumnFormats(self)  # of its text columns, on whole export columns
        self._lost_kept: bool | None = None  # a lost deal kept by the quarantine (whole source)

    def __enter__(self) -> Source:
        return self

    # -- reading ------------------------------------------------------------------------
    def read(
        self,
        table: str,
        scope: Scope | str = "company",
        *,
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
        query = self._query(table, scope, until, id_range=id_range, since=since, deals=deals)
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
        *,
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
        date = PERIOD_COLUMN.get(table)
        if until is not None and date and self.temporal(table, date):
            where.append(f"{date} < {p('until')}")
            params["until"] = until.to_pydatetime()
        if id_range is not None:
            where.append(f"opportunity_id BETWEEN {p('lo')} AND {p('hi')}")
            params["lo"], params["hi"] = id_range
        sql = f"SELECT * FROM ({inner}) AS t" + (f" WHERE {' AND '.join(where)}" if where else "")
        if since is not None:
            sql = filters.since_filter(self, table, sql, params, since=since, deals=deals)
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
            frame = self.read(
                table, scope, until=until, id_range=id_range, since=since, deals=deals
            )
            self.engine.evict()
            if frame is not None:
                out[table] = frame
        return out

    def load(
        self,
        scope: Scope | str = "company",
        period: Period | str | None = None,
        *,
        since: pd.Timestamp | str | None = None,
        on_invalid: str = "refuse",
        tables: Collection[str] | None = None,
    ) -> Tables:
        """The validated canonical tables for ``scope``, as known at the end of ``period``.

        Rows that happen after the period (deals created, changes made, leads and
        activities logged later) are left out, and each deal is as it stood at the
        period's end (:func:`salesops.data.history.deals_as_of`): its stage, amount, close
        date and forecast category of its last stage history row before then, or, with no
        such row, a deal that closed after the period's end is open at it (stage unknown).
        ``Tables.reopened`` lists the deals closed later and open at the end,
        ``Tables.stage_unknown`` those of them without a history row; no report of a past
        period sees a later close. The stage history is read for that even when
        ``tables`` leaves it out (it is then None on the tables returned).

        ``since`` (a day) narrows the load, in the engine, to what metrics over windows
        from that day on need: deals open now, created, closed or changed since then;
        stage changes since then plus each such deal's state just before; leads,
        activities, submissions and quotas from then on. Such metrics come out the same
        as on a full load.

        ``on_invalid="quarantine"`` sets aside the rows that break a rule (with their
        reasons, on ``Tables.set_aside``) instead of refusing the load; see
        :mod:`salesops.data.quarantine`.

        ``tables`` names the tables to read, for a report that needs only those (the
        forecast reads no activities): the required ones are always read, the others are
        None, unread and unchecked.

        Raises
        ------
        DataError
            When the data breaks a rule of the data model.
        """
        unread = set() if tables is None else set(TABLES) - set(tables) - set(REQUIRED)
        unread -= {"opportunity_history"} if period is not None else set()  # deals_as_of's
        problems = [f for f in self.problems() if f.table not in unread]
        broken = {f.table for f in problems} | unread
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
        self.formats.attach(raw)
        if check_mode(on_invalid) == "quarantine":
            loaded = set_aside(raw, self.stages, self.spec.label, problems)
        else:
            loaded = validate(raw, self.stages, self.spec.label, problems)
        del raw  # the coerced tables replace the raw ones
        known = self._known(loaded, as_of, until)
        if self._every_lost_aside(loaded, problems, broken):  # no win rate of 100%
            known.absent = known.absent | {LOST_DEALS}
        if scope_words(scope) and self.holds_closed():  # a part: its reasons say which
            known.opportunities.attrs[WHERE] = scope_words(scope)
        mark_closed_aside(known.opportunities, loaded.set_aside.get("opportunities"), self.stages)
        if tables is not None and "opportunity_history" not in tables:
            known.opportunity_history = None  # read for the deals' state only
        return known

    def _every_lost_aside(
        self, loaded: Tables, problems: list[RuleFailure], broken: set[str]
    ) -> bool:
        """Whether the quarantine set aside every lost deal of the whole source (an export
        whose lost deals have no close date): its win rates would be 100% by construction.
        Asked of the whole source, once, and only when ``loaded`` set a lost deal aside
        and kept none."""
        lost = self.stages.lost_names
        aside = loaded.set_aside.get("opportunities")
        if aside is None or LOST_DEALS in self.absent() or not aside["stage"].isin(lost).any():
            return False
        if loaded.opportunities["stage"].isin(lost).any():
            return False
        if self._lost_kept is None:
            marks = dict(self._marks)  # the scope's, which the whole source's would replace
            raw = self.raw(Scope("company"), None, None, skip=broken)
            self.formats.attach(raw)
            whole = set_aside(raw, self.stages, self.spec.label, problems)
            self._lost_kept = bool(whole.opportunities["stage"].isin(lost).any())
            self._marks = marks
        return not self._lost_kept

    def holds_closed(self) -> bool:
        """Whether the whole source holds a closed deal (:meth:`absent`'s one query), so
        that a scope without one says "no deal in West has closed yet", and "the source
        holds no closed deal" only of a source that holds none."""
        return CLOSED_DEALS not in self.absent()

    def _known(self, tables: Tables, as_of: pd.Timestamp, until: pd.Timestamp | None) -> Tables:
        """Validated ``tables`` as known before ``until``, with what defaults filled."""
        tables.as_of, tables.stages, tables.absent = as_of, self.stages, self.absent()
        kept = {name: frame.index for name, frame in tables.present().items()}
        if until is not None:
            for name, frame in tables.present().items():
                column = PERIOD_COLUMN.get(name)
                keep = None if column is None else frame[column] < until
                if keep is not None and not keep.all():  # the engine may have done it
                    kept[name] = frame.index[keep.to_numpy()]
                    setattr(tables, name, frame[keep].reset_index(drop=True))
            if tables.leads is not None:
                tables.leads = known_by(tables.leads, until)
        tables.filled = filled(self.spec, self._marks, kept)
        tables.filled_ids = filled_ids(self.spec, self._marks, kept, tables)
        tables.invented = invented(self.spec, self._marks, kept, tables)
        unprice_lost(tables)  # an export that prices lost deals at 0 only: unknown, not $0
        if tables.opportunity_history is not None:
            tables.opportunity_history = by_deal(tables.opportunity_history)
        if until is not None:  # each deal as it stood at the period's end
            history = self.select("opportunity_history")
            known = deals_as_of(
                tables.opportunities,
                until,
                self.stages,
                history=tables.opportunity_history,
                held=() if history is None else history[1],
            )
            tables.opportunities, tables.reopened = known.deals, known.reopened
            tables.stage_unknown = known.stage_unknown
            if known.stage_unknown:
                tables.stages = self.stages.with_unknown_open()
        default_categories(tables, tables.stages)
        return tables


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
    *,
    since: pd.Timestamp | str | None = None,
    on_invalid: str = "refuse",
    tables: Collection[str] | None = None,
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
    tables
        The tables to read, if not all (the required ones always are); the others are
        None.

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
        return src.load(scope, period, since=since, on_invalid=on_invalid, tables=tables)
