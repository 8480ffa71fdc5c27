"""What several reports of a run share, computed once per run: the reconciled forecasts,
the calibrated win model, the forecast's backtest and a region's peers.

The one place that caches. Each result is kept on disk (:func:`salesops.storage.cached`,
under ``.cache/<kind>/``) under a hash of the package's code and of the inputs it depends
on, the same digest that the runner's report fingerprints use: the six forecast reports
of a monthly run compute the forecasts once, and the reviews of one region's reps read
its :class:`~salesops.peers.Peers` (win model included), computed by the first of them.
The domain functions they call (:func:`salesops.forecast.reconciled`,
:meth:`salesops.probability.WinModel.fit`, :meth:`salesops.peers.Peers.of`) stay pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from salesops import backtest as bt
from salesops.forecast import Forecast, monthly_bookings, reconciled
from salesops.peers import Peers
from salesops.periods import Period
from salesops.probability import WinModel
from salesops.stages import Stages
from salesops.storage import cached

if TYPE_CHECKING:
    from salesops.reports.context import ReportContext


def forecasts(
    opportunities: pd.DataFrame, period: Period | str, horizon: int, stages: Stages
) -> tuple[Forecast, dict[str, Forecast]]:
    """:func:`salesops.forecast.company_and_regions`, computed once per regions' monthly
    series and horizon."""
    regions = monthly_bookings(opportunities, period, by="region", stages=stages)
    return cached("forecasts", [regions, horizon], lambda: reconciled(regions, horizon))


def win_model(
    history: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    months: int = 24,
    stages: Stages | None = None,
) -> WinModel:
    """:meth:`salesops.probability.WinModel.fit`, fitted once per input."""
    st = Stages.given(stages)
    if history is None:
        return WinModel.stage_defaults(st)
    parts = [history, opportunities, pd.Timestamp(as_of), months, st]
    return cached(
        "win_models", parts, lambda: WinModel.fit(history, opportunities, as_of, months, st)
    )


def backtest(history: pd.Series, horizon: int) -> bt.Backtest:
    """:func:`salesops.backtest.backtest` of a monthly series, replayed once per series
    and horizon."""
    return cached("backtests", [history, horizon], lambda: bt.backtest(history, horizon))


def peers(ctx: ReportContext, region: str) -> Peers:
    """:meth:`salesops.peers.Peers.of` for ``region`` in the context's period, computed
    once per region, period and data.

    A context loaded from a source (:meth:`ReportContext.load`) holds only the rep's rows:
    the region's are read from the source only when its peers are not in the cache yet,
    which is keyed by the source's fingerprint of the region
    (:meth:`salesops.sources.Source.fingerprint`): the runner's, when it passed one that
    covers the region (``ctx.data_fingerprint``), else hashed here, in the engine. A
    context made of tables (:meth:`ReportContext.of`) has them all.
    """
    if ctx.source is None:
        return Peers.of(ctx.tables, region, ctx.period, ctx.as_of, ctx.stages)
    from salesops.sources import open_source

    scope = f"region:{region}"
    with open_source(ctx.source) as src:
        given = ctx.data_fingerprint or {}
        if given.get("scope") in (scope, "company"):
            data = given["fingerprint"]
        else:
            data = src.fingerprint(scope, ctx.period.label)
        parts = [data, scope, ctx.period.label, ctx.as_of]
        parts += [ctx.stages, ctx.settings, ctx.on_invalid]

        def compute() -> Peers:
            tables = src.load(scope, ctx.period, on_invalid=ctx.on_invalid)
            return Peers.of(tables, region, ctx.period, ctx.as_of, ctx.stages)

        return cached("peers", parts, compute)
