"""What several reports of a run share, computed once per run: the reconciled forecasts,
the calibrated win model, the forecast's backtest, what a forecast report reads of the
whole company, and a region's peers.

The one place that caches. Each result is kept on disk (:func:`salesops.storage.cached`,
under ``.cache/<kind>/``) under a hash of the package's code and of the inputs it depends
on, the same digest that the runner's report fingerprints use: the six forecast reports
of a monthly run compute the forecasts once, and the reviews of one region's reps read
its :class:`~salesops.analytics.peers.Peers` (win model included), computed by the first of them.
The domain functions they call (:func:`salesops.analytics.reconciliation.reconciled`,
:meth:`~salesops.analytics.probability.WinModel.fit`,
:meth:`~salesops.analytics.peers.Peers.of`) stay pure.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

from salesops.analytics import backtest as bt
from salesops.analytics import probability
from salesops.analytics.forecast import Forecast
from salesops.analytics.peers import Peers
from salesops.analytics.probability import WinModel
from salesops.analytics.reconciliation import Monthly, last_month, reconciled
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.storage import cached

if TYPE_CHECKING:
    from salesops.reports.context import ReportContext

T = TypeVar("T")
# What a forecast report reads: no leads or activities (the largest tables).
FORECAST_TABLES = ("opportunities", "reps", "opportunity_history", "quotas", "forecast_submissions")


def forecasts(
    opportunities: pd.DataFrame, period: Period | str, horizon: int, stages: Stages
) -> tuple[Forecast, dict[str, Forecast]]:
    """:func:`salesops.analytics.reconciliation.company_and_regions`, computed once per
    regions' monthly series and horizon."""
    series = Monthly.of(opportunities, period, stages=stages)
    last = last_month(period)
    parts = [series.company, series.regions, series.notes, horizon, last]
    return cached("forecasts", parts, lambda: reconciled(series, horizon, last))


def win_model(
    history: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    months: int = 24,
    *,
    stages: Stages,
) -> WinModel:
    """:meth:`salesops.analytics.probability.WinModel.fit`, fitted once per input."""
    if history is None:
        return WinModel.stage_defaults(stages)
    parts = [history, opportunities, pd.Timestamp(as_of), months, stages]
    return cached(
        "win_models",
        parts,
        lambda: WinModel.fit(history, opportunities, as_of, months, stages=stages),
    )


def uncalibrated(tables: Tables, model: WinModel | None) -> str:
    """Why win probabilities are the stage defaults (a model that learnt from no past
    open deal, or none), to follow "as" in a caption: "the source has no stage history"."""
    if tables.opportunity_history is None or model is None:
        return "the source has no stage history"
    return (
        "the stage history holds no open deal at a month's end in the last two years to learn from"
    )


def backtest(history: pd.Series, horizon: int) -> bt.Backtest:
    """:func:`salesops.analytics.backtest.backtest` of a monthly series, replayed once per series
    and horizon."""
    return cached("backtests", [history, horizon], lambda: bt.backtest(history, horizon))


def peers(ctx: ReportContext, region: str) -> Peers:
    """:meth:`salesops.analytics.peers.Peers.of` for ``region`` in the context's period, computed
    once per region, period and data (see :func:`from_source`).

    A context loaded from a source (:meth:`ReportContext.load`) holds only the rep's rows:
    the region's are read from the source only when its peers are not in the cache yet.
    A context made of tables (:meth:`ReportContext.of`) has them all. A region that holds
    no deal (a rep's home region, while the deals carry other regions) has no peers: they
    are those of the context's rows, where none of its deals is either.
    """
    kinds = ctx.settings.selling_activity_kinds
    if ctx.source is None or not _holds_deals(ctx, region):
        return Peers.of(
            ctx.tables, region, ctx.period, ctx.as_of, stages=ctx.stages, selling_kinds=kinds
        )
    scope = f"region:{region}"
    return from_source(
        ctx,
        "peers",
        scope,
        lambda tables: Peers.of(
            tables, region, ctx.period, ctx.as_of, stages=ctx.stages, selling_kinds=kinds
        ),
    )


def _holds_deals(ctx: ReportContext, region: str) -> bool:
    """Whether the context's source holds a deal of ``region`` (case aside, as a scope)."""
    from salesops.data.sources import open_source

    with open_source(ctx.source) as src:
        return region.casefold() in {known.casefold() for known in src.scopes("region")}


@dataclass(frozen=True)
class CompanyForecast:
    """What a forecast report reads of the whole company, whatever its scope: the
    reconciled forecasts (the regions add up to the company), the win model calibrated on
    the company's history, and that model's calibration out of time (None without a stage
    history)."""

    company: Forecast
    regions: dict[str, Forecast]
    win_model: WinModel
    calibration: tuple[pd.DataFrame, dict[str, pd.DataFrame]] | None

    @classmethod
    def of(
        cls, tables: Tables, period: Period, horizon: int, *, as_of: pd.Timestamp, stages: Stages
    ) -> CompanyForecast:
        """From the company's ``tables``."""
        opps, history = tables.opportunities, tables.opportunity_history
        company, regions = forecasts(opps, period, horizon, stages)
        model = win_model(history, opps, as_of, stages=stages)
        calibration = None
        if history is not None:
            calibration = probability.calibration(
                history, opps, as_of, stages=stages, fit=win_model
            )
        return cls(company, regions, model, calibration)


def company_forecast(ctx: ReportContext, horizon: int) -> CompanyForecast:
    """:meth:`CompanyForecast.of` in the context's period, computed once per period,
    horizon and company data (see :func:`from_source`).

    The company's own report computes it from its tables, as does a context made of
    tables (:meth:`ReportContext.of`, which holds the company's); a region's report loaded
    from a source holds only the region's rows, and reads the company's from the source
    (``FORECAST_TABLES`` only) when it is not in the cache yet.
    """

    def of(tables: Tables) -> CompanyForecast:
        return CompanyForecast.of(tables, ctx.period, horizon, as_of=ctx.as_of, stages=ctx.stages)

    if ctx.source is None:
        return of(ctx.tables)
    mine = ctx.tables if ctx.scope.level == "company" else None
    return from_source(
        ctx, "company_forecasts", "company", of, key=[horizon], tables=FORECAST_TABLES, loaded=mine
    )


def from_source(
    ctx: ReportContext,
    kind: str,
    scope: str,
    compute: Callable[[Tables], T],
    *,
    key: list[object] | None = None,
    tables: Collection[str] | None = None,
    loaded: Tables | None = None,
) -> T:
    """``compute`` of the rows of ``scope`` (``loaded``, else only ``tables`` of them read
    from the context's source), kept in the cache under ``kind``.

    The entry is keyed by the source's fingerprint of ``scope``
    (:meth:`salesops.data.sources.Source.fingerprint`): the runner's, when it passed one that
    covers the scope (``ctx.data_fingerprint``), else hashed here, in the engine; then by
    the period, as-of day, stages, settings and ``key``. The rows are read only when the
    entry is not there yet.
    """
    from salesops.data.sources import open_source

    with open_source(ctx.source) as src:
        given = ctx.data_fingerprint or {}
        if given.get("scope") in (scope, "company"):
            data = given["fingerprint"]
        else:
            data = src.fingerprint(scope, ctx.period.label)
        parts = [data, scope, ctx.period.label, ctx.as_of]
        parts += [ctx.stages, ctx.settings, ctx.on_invalid, *(key or [])]

        def read() -> T:
            if loaded is not None:
                return compute(loaded)
            return compute(src.load(scope, ctx.period, on_invalid=ctx.on_invalid, tables=tables))

        return cached(kind, parts, read)
