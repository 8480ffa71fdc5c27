"""What every section of one report reads, resolved once: the scoped tables, the period,
the as-of day, the stages, the settings and the commission plan.

.. code-block:: python

    ctx = so.ReportContext.load(source, "region:EMEA", "2026-10")
    board = team_review.leaderboard(ctx)   # a DataFrame
    so.show(board)                          # the table a reader sees

Sections are functions of a context. What several sections share (a leaderboard, a
forecast) is computed once per context (:func:`per_context`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Collection
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd

from salesops.analytics.compensation import COMP_PLAN, CompPlan
from salesops.config import Settings, settings
from salesops.data.model import Tables
from salesops.data.periods import Period, in_calendar
from salesops.data.scopes import Scope
from salesops.data.stages import UNKNOWN_OPEN, Stages
from salesops.reports.formatting import in_currency, money
from salesops.reports.labels import rep_names
from salesops.words import plural

T = TypeVar("T")
Opts = TypeVar("Opts")
Reads = Literal["scope", "region", "company"]


@dataclass(eq=False)
class ReportContext:
    """One report's inputs.

    Parameters
    ----------
    tables
        The tables the report reads: the scope's own, or its region's (a rep's review
        compares them with their peers), or the company's (a region's forecast is
        reconciled with the company's).
    period
        The period reported on.
    scope
        Whom the report is about.
    as_of
        The last day the numbers know of: the period's last day, or the data's as-of day
        when that is earlier.
    stages, settings
        The stage configuration and the company's settings.
    comp_plan
        The commission plan, for the reports that pay people.
    options
        The report's own options, an instance of its options class
        (:class:`salesops.reports.plan.PlanOptions`,
        :class:`salesops.reports.forecast.ForecastOptions`); None for a report that takes
        none. Sections read them through :func:`options_of`.
    source, on_invalid
        Where :meth:`load` read the tables from, and how it treated bad rows: the sections
        that need more than the scope's rows read them from there (a review's peers,
        :func:`salesops.reports.shared.peers`). None for tables given to :meth:`of`.
    data_fingerprint
        When the runner passes it: ``{"scope": ..., "fingerprint": ...}``, the fingerprint
        of the rows of ``scope`` it planned the report with
        (:meth:`salesops.data.sources.Source.fingerprint`), so that shared results are not hashed
        again per report.
    """

    tables: Tables
    period: Period
    scope: Scope
    as_of: pd.Timestamp
    _: KW_ONLY
    stages: Stages
    settings: Settings
    comp_plan: CompPlan | None = None
    options: Any = None
    source: Any = None
    on_invalid: str = "refuse"
    data_fingerprint: dict[str, str] | None = None
    cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        tables: Tables,
        period: Period | str = "latest",
        scope: Scope | str = "company",
        *,
        stages: Stages | None = None,
        comp_plan: CompPlan | str | Path | None = None,
        options: Any = None,
    ) -> ReportContext:
        """A context for tables already loaded; ``latest`` resolves with their as-of day;
        ``options`` are the report's own (see the class)."""
        company = settings()
        month = company.fiscal_year_start_month
        period = Period.parse(period, as_of=tables.as_of, fiscal_year_start_month=month)
        if isinstance(comp_plan, str | Path):
            comp_plan = CompPlan.read(comp_plan)
        return cls(
            tables,
            period,
            Scope.parse(scope),
            min(tables.as_of or period.last_day, period.last_day),
            stages=stages or Stages.of(tables),
            settings=company,
            comp_plan=comp_plan,
            options=options,
        )

    @classmethod
    def load(
        cls,
        source: Any = None,
        scope: Scope | str = "company",
        period: Period | str = "latest",
        *,
        reads: Reads = "scope",
        comp_plan: CompPlan | str | Path | None = None,
        on_invalid: str = "refuse",
        data_fingerprint: dict[str, str] | None = None,
        tables: Collection[str] | None = None,
        options: Any = None,
    ) -> ReportContext:
        """Load what a report for ``scope`` reads from ``source`` (see
        :func:`salesops.load`): its own rows, its region's (``reads="region"``, for a rep)
        or the company's; only ``tables``, when the report needs no others. ``comp_plan``
        is a plan file (relative to the project root) or ``"default"`` for
        ``parameters/comp_plan.yml``; ``data_fingerprint`` is what the runner passes (see
        the class)."""
        from salesops.data.sources import open_source

        period = in_calendar(period, settings().fiscal_year_start_month)
        with open_source(source) as src:
            parsed = src.check_scope(scope)
            loaded: Scope = parsed
            if reads == "company":
                loaded = Scope("company")
            elif reads == "region" and parsed.level == "rep":
                loaded = Scope("region", src.rep_regions()[str(parsed.value)])
            read = src.load(loaded, period, on_invalid=on_invalid, tables=tables)
            spec = src.spec
        plan = COMP_PLAN if comp_plan == "default" else comp_plan
        ctx = cls.of(read, period, parsed, comp_plan=plan, options=options)
        return dataclasses.replace(
            ctx, source=spec, on_invalid=on_invalid, data_fingerprint=data_fingerprint
        )

    def summary(self, report: str, **numbers: Any) -> dict[str, Any]:
        """A report's JSON summary: the report, scope, period and as-of day, then its
        headline ``numbers``."""
        head = {"report": report, "scope": str(self.scope), "period": self.period.label}
        return {**head, "as_of": f"{self.as_of:%Y-%m-%d}", **numbers}

    def money(self, value: float | None, compact: bool = False) -> str:
        """``value`` as money in the company's currency
        (:func:`salesops.reports.formatting.money`)."""
        return money(value, compact, currency=self.settings.currency)

    @property
    def data_as_of(self) -> str:
        """ "data as of 31 Oct 2026": the one as-of day a report names, in its heading,
        its body and its summary (``as_of``): :attr:`as_of`, the data's as-of day at the
        period's end (the period's last day, or the data's as-of day when earlier)."""
        return f"data as of {self.as_of:%d %b %Y}"

    @property
    def exported(self) -> str:
        """ "as exported on 18 Nov 2026": what a section says of deals shown as they stand
        in the export (no stage history to go back to the period's end with); the export's
        own day, which is not the report's as-of day when the export is later; and the
        deals that closed later and count as open (:attr:`reopened`)."""
        day = self.tables.as_of if self.tables.as_of is not None else self.as_of
        said = f"as exported on {day:%d %b %Y}"
        if day > self.as_of:
            said += ", after the period's end"
        return said + self.reopened

    @property
    def reopened(self) -> str:
        """ "; 3 deals that closed after the period's end count as open at it, in their
        stage then (from the stage history)", and for those without a history row before
        the period's end "..., in Prospecting (the stage then is unknown: ...)": what a
        section showing deals by stage says of the scope's deals that
        :func:`salesops.data.history.deals_as_of` reopened ("" when none was)."""
        t = self.tables
        o = t.opportunities  # the scope's own deals (the tables may be wider)
        if not t.reopened or o.empty:
            return ""
        if self.scope.level != "company":
            o = o[o["region" if self.scope.level == "region" else "owner_id"] == self.scope.value]
        ids = o["opportunity_id"].astype(str)
        guessed = int(ids.isin(t.stage_unknown).sum())
        staged = int(ids.isin(t.reopened).sum()) - guessed
        why = (
            "the export has no stage history"
            if t.opportunity_history is None and "opportunity_history" in t.absent
            else "no stage history row before the period's end"
        )
        known = "in their stage then (from the stage history)"
        unknown = f"in {self.stages.unknown_open} (the stage then is unknown: {why})"
        if self.stages.unknown_open == UNKNOWN_OPEN:  # not "in open (stage unknown) (the ..."
            unknown = f"in {UNKNOWN_OPEN}: {why}"
        return "".join(
            f"; {_closed_later(n)} as open at it, {where}"
            for n, where in ((staged, known), (guessed, unknown))
            if n
        )

    def period_of(self, day: pd.Timestamp) -> Period:
        """The month holding ``day``, in the company's fiscal calendar."""
        return Period.parse(
            f"{day:%Y-%m}", fiscal_year_start_month=self.settings.fiscal_year_start_month
        )

    @property
    def who(self) -> str:
        """The scope for a heading: "Company", "EMEA region", or the rep's name."""
        if self.scope.level != "rep":
            return self.scope.title
        return str(self.names(pd.Series([self.scope.value])).iloc[0])

    def invented_dates(self, due: pd.DataFrame) -> str:
        """What a figure of the open deals says of those of them, ``due``, that count in it
        only by a close date a default invented
        (:func:`salesops.analytics.pipeline.invented_due`): "$30,100 of it (4 deals)
        rests on close dates filled by a default rule (created date + 30 days)", with the
        rules of the source file that filled them (``Tables.invented``); "" for none
        (:func:`invented_dates`, which the dashboard's tiles say too)."""
        return invented_dates(self.tables, due, self.money)

    def invented_by(self, due: pd.DataFrame) -> str:
        """ "a default rule (created date + 30 days)": the source file's rules that
        invented the close dates of the deals ``due`` (``Tables.invented``)."""
        return invented_by(self.tables, due)

    def names(self, ids: pd.Series) -> pd.Series:
        """The reps' names for ``ids`` (owner or rep ids), as the reps table has them; an id
        without a name there stays the id (:func:`salesops.reports.labels.rep_names`)."""
        return rep_names(self.tables.reps, ids)


def per_context(function: Callable[..., T]) -> Callable[..., T]:
    """A section computed once per context and arguments: the sections that several
    others read (a leaderboard, a forecast) are not computed again. Its frames carry the
    context's currency (:func:`salesops.reports.formatting.in_currency`)."""

    @functools.wraps(function)
    def once(ctx: ReportContext, *args: Any, **kwargs: Any) -> T:
        key = (function.__module__, function.__qualname__, args, tuple(sorted(kwargs.items())))
        if key not in ctx.cache:
            result = function(ctx, *args, **kwargs)
            ctx.cache[key] = in_currency(result, ctx.settings.currency)
        return ctx.cache[key]

    return once


def make_options(kind: type[Opts], given: dict[str, Any]) -> Opts:
    """A report's options of class ``kind`` from the keywords a caller gave its
    ``context`` (a notebook's parameters); a name ``kind`` does not have is an error that
    lists those it has."""
    names = [f.name for f in dataclasses.fields(kind)]  # type: ignore[arg-type]
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(
            f"unknown option {', '.join(map(repr, unknown))} for {kind.__name__}; "
            f"it takes {', '.join(names)}"
        )
    return kind(**given)


def options_of(ctx: ReportContext, kind: type[Opts]) -> Opts:
    """The context's options, of class ``kind``; the defaults when it was built without
    any (``ReportContext.of(tables)``)."""
    if ctx.options is None:
        return kind()
    if not isinstance(ctx.options, kind):
        raise TypeError(
            f"this context's options are {type(ctx.options).__name__}, not {kind.__name__}"
        )
    return ctx.options


def _closed_later(n: int) -> str:
    """ "1 deal that closed after the period's end counts", or "3 deals that ... count"."""
    if n == 1:
        return "1 deal that closed after the period's end counts"
    return f"{n:,} deals that closed after the period's end count"


def invented_dates(tables: Tables, due: pd.DataFrame, money: Callable[[float], str]) -> str:
    """What a figure of open deals says of those of them, ``due``, that count in it only
    by a close date a default invented: "$30,100 of it (4 deals) rests on close dates
    filled by a default rule (created date + 30 days)"; "" for none. ``money`` formats
    an amount in the company's currency."""
    if due.empty:
        return ""
    how = invented_by(tables, due)
    n, priced = len(due), due["amount"].dropna()
    if not len(priced):  # no amount: the count alone
        rest = "rests" if n == 1 else "rest"
        return f"{plural(n, 'deal')} of it {rest} on close dates filled by {how}"
    deals = plural(n, "deal")
    if len(priced) < n:
        deals += f", {n - len(priced)} without an amount"
    return f"{money(priced.sum())} of it ({deals}) rests on close dates filled by {how}"


def invented_by(tables: Tables, due: pd.DataFrame) -> str:
    """ "a default rule (created date + 30 days)": the source file's rules that invented
    the close dates of the deals ``due`` (``tables.invented``)."""
    ids = set(due["opportunity_id"].astype(str))
    rules = tables.invented.get("opportunities.close_date", {})
    used = [rule for rule, rows in rules.items() if rows & ids]
    by = "a default rule" if len(used) <= 1 else "default rules"
    return f"{by} ({'; '.join(used)})" if used else by
