"""Forecasts that add up: the company's, its regions' and their reps', reconciled.

Regions are reconciled with the company's total by minimum trace (:func:`reconcile`);
below them, where reps' histories are short and noisy, the region's forecast is shared
out top-down (:func:`split`). Each forecast is :func:`salesops.analytics.forecast.forecast`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from salesops.analytics import bookings
from salesops.analytics.forecast import Forecast, forecast, unknown
from salesops.data.activity import sellers
from salesops.data.periods import Period
from salesops.data.stages import Stages


def reconcile(
    total: Forecast, parts: Mapping[str, Forecast]
) -> tuple[Forecast, dict[str, Forecast]]:
    """Make ``parts`` sum to ``total`` by minimum-trace reconciliation with a diagonal W.

    For one parent and its children, MinT with W = diag(σ²) (the backtest variances)
    has a closed form per step: the gap g = ŷ_total − Σ ŷ_i is shared out in proportion
    to the variances, ỹ_i = ŷ_i + g · σ_i² / (σ_total² + Σ σ_j²), and the total becomes
    Σ ỹ_i. The least certain forecasts move most. Should a part go below zero, that
    step falls back to splitting the reconciled total in proportion to the parts'
    forecasts. Intervals keep their widths and move with their forecast.
    """
    names = list(parts)
    if not names:  # nothing to share out (no region has a booking yet)
        return total, {}
    unknown = [n for n in names if parts[n].unknown]
    if unknown and not total.unknown:  # their share cannot be known: nothing to reconcile
        note = (
            f"{', '.join(map(str, unknown))}: too little priced history for a forecast of "
            "its own, so the parts are not reconciled and do not add up to the total"
        )
        return replace(total, notes=[*total.notes, note]), dict(parts)
    base = np.array([parts[n].mean.to_numpy() for n in names])
    var = np.array([parts[n].sigma ** 2 for n in names])
    gap = total.mean.to_numpy() - base.sum(axis=0)
    denominator = total.sigma**2 + var.sum(axis=0)
    share = np.divide(
        var, denominator, out=np.full_like(var, 1 / (len(names) + 1)), where=denominator > 0
    )
    adjusted = base + gap * share
    negative = (adjusted < 0).any(axis=0)
    if negative.any():
        level = adjusted.sum(axis=0)
        adjusted[:, negative] = _proportional(base[:, negative], level[negative])
    new_total = total.with_mean(adjusted.sum(axis=0))
    return new_total, {n: parts[n].with_mean(adjusted[i]) for i, n in enumerate(names)}


def split(total: Forecast, parts: Mapping[str, Forecast]) -> dict[str, Forecast]:
    """Top-down: share ``total`` among ``parts`` in proportion to their own forecasts.

    ỹ_i = ŷ_total · ŷ_i / Σ ŷ_j per step (equal shares where every ŷ_j is zero). Used
    below the region level, where rep histories are short and noisy and the region's
    forecast also covers bookings that reps who are no longer there made in the past.
    """
    names = list(parts)
    if not names:  # nothing to share out (no region has a booking yet)
        return {}
    base = np.array([parts[n].mean.to_numpy() for n in names])
    adjusted = _proportional(base, total.mean.to_numpy())
    return {n: parts[n].with_mean(adjusted[i]) for i, n in enumerate(names)}


def _proportional(base: np.ndarray, level: np.ndarray) -> np.ndarray:
    base = np.maximum(base, 0.0)
    sums = base.sum(axis=0)
    weights = np.where(sums > 0, base / np.where(sums > 0, sums, 1), 1 / len(base))
    return weights * level


@dataclass(frozen=True)
class Monthly:
    """The monthly bookings a company-and-regions forecast is fitted on.

    Attributes
    ----------
    company
        The company's bookings per month, by the one rule for bookings
        (:func:`salesops.analytics.bookings.total`): the known sum of its won deals'
        amounts, unknown (NaN) only where every deal won that month lacks one; never
        unknown because one region's month is.
    regions
        One column per region, by the same rule.
    notes
        For the company (key ``""``) and each region, the forecast's note on the months
        whose known sums left won deals without an amount out
        (:func:`salesops.analytics.bookings.months_left_out`); absent when none did.
    """

    company: pd.Series
    regions: pd.DataFrame
    notes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, opportunities: pd.DataFrame, period: Period | str, *, stages: Stages) -> Monthly:
        """The company's and the regions' monthly bookings up to ``period``'s end
        (:func:`~salesops.analytics.bookings.monthly`), with their notes."""
        company = bookings.monthly(opportunities, period, stages=stages)
        regions = bookings.monthly(opportunities, period, by="region", stages=stages)
        counts = bookings.won_by_month(opportunities, period, stages=stages, by="region")
        notes = {"": bookings.months_left_out(counts.groupby("month").sum(), len(company))}
        for region in regions.columns:
            mine = counts.xs(region, level="region")
            notes[str(region)] = bookings.months_left_out(mine, len(regions))
        return cls(company, regions, {k: v for k, v in notes.items() if v})

    @classmethod
    def from_regions(cls, regions: pd.DataFrame) -> Monthly:
        """The company's series read from its regions' alone: by the same rule, the sum
        of the regions' known months, unknown where a region's month is unknown and the
        known ones book nothing (then no deal won that month has an amount, unless one
        was priced at $0)."""
        known = regions.sum(axis=1)
        company = known.where(~(regions.isna().any(axis=1) & (known == 0)))
        return cls(company, regions)


def company_and_regions(
    opportunities: pd.DataFrame,
    period: Period | str,
    horizon: int = 12,
    *,
    stages: Stages,
) -> tuple[Forecast, dict[str, Forecast]]:
    """The company's bookings forecast and its regions', reconciled to add up.

    Each series runs to the end of ``period`` (:meth:`Monthly.of`); see :func:`reconcile`
    for the method. The reports of a run share it through
    :func:`salesops.reports.shared.forecasts`, which computes it once.
    """
    return reconciled(Monthly.of(opportunities, period, stages=stages), horizon, last_month(period))


def reconciled(
    series: Monthly, horizon: int, last: str | None = None
) -> tuple[Forecast, dict[str, Forecast]]:
    """The forecast of the company's series and of each region's (monthly bookings whose
    last month is ``last``), reconciled so that the regions add up to the company's, each
    with its note on the months that left won deals without an amount out."""
    regions = series.regions
    total = forecast(series.company, horizon, last)
    parts = {r: forecast(regions[r], horizon, last) for r in regions.columns}
    total, parts = reconcile(total, parts)
    return _noted(total, series.notes.get("")), {
        r: _noted(f, series.notes.get(str(r))) for r, f in parts.items()
    }


def _noted(f: Forecast, note: str | None) -> Forecast:
    return replace(f, notes=[*f.notes, note]) if note else f


def last_month(period: Period | str) -> str:
    """The label of the last month of ``period`` (``"2020-12"`` for 2020-Q4)."""
    return f"{Period.parse(period).end - pd.Timedelta(days=1):%Y-%m}"


def of_region(
    regions: Mapping[str, Forecast], region: str, period: Period | str, horizon: int
) -> Forecast:
    """``region``'s forecast of :func:`reconciled`; unknown (NaN, with the reason), not
    zero, for a region none of whose deals has been won (it has no series)."""
    if region in regions:
        return regions[region]
    return unknown(period, horizon, f"no deal of region {region} has been won in this source")


def reps_of_region(
    region_forecast: Forecast,
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    period: Period | str,
    *,
    stages: Stages,
) -> dict[str, Forecast]:
    """Forecasts for the region's active reps that sum to ``region_forecast``.

    Each rep's own forecast (their series starts in their hire month) sets their share
    of the region's forecast (:func:`split`).
    """
    end = Period.parse(period)
    selling = sellers(reps)
    active = selling[selling["end_date"].isna() | (selling["end_date"] >= end.end)]
    horizon = len(region_forecast.mean)
    own = {}
    opps = opportunities[opportunities["owner_id"].isin(active["rep_id"])]
    by_rep = bookings.monthly(opps, end, by="owner_id", stages=stages)
    for rep in active.itertuples():
        series = by_rep[rep.rep_id] if rep.rep_id in by_rep else pd.Series(0.0, index=by_rep.index)
        if pd.notna(rep.hire_date):
            series = series[series.index >= f"{rep.hire_date:%Y-%m}"]
        own[rep.rep_id] = forecast(series, horizon, last_month(end), min_priced=1)
    return split(region_forecast, own) if own else {}
