"""What several reports of a run share, computed once per run: the reconciled forecasts,
the calibrated win model and the forecast's backtest.

The one place that caches. Each result is kept on disk (:func:`salesops.storage.cached`,
under ``.cache/<kind>/``) under a hash of the package's code and of the inputs it depends
on, the same digest that the runner's report fingerprints use: the six forecast reports
of a monthly run compute the forecasts once, and the reviews of one region's reps fit
its win model once. The domain functions they call (:func:`salesops.forecast.reconciled`,
:meth:`salesops.probability.WinModel.fit`) stay pure.
"""

from __future__ import annotations

import pandas as pd

from salesops import backtest as bt
from salesops.forecast import Forecast, monthly_bookings, reconciled
from salesops.periods import Period
from salesops.probability import WinModel
from salesops.stages import Stages
from salesops.storage import cached


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
