"""The plan's target: where it starts from, per quarter, and the sentence that says so.

A plan's target is a decision, not a forecast. It starts from what the plan states, in
this order (formulas and reasons in ``docs/planning.md``):

1. **stated**: the plan's own target for the year (the report's ``target`` parameter),
   spread over the quarters like the forecast when the forecast is known, else evenly;
2. **quotas**: the quotas the source holds for every month of the plan year, summed by
   quarter;
3. **forecast**: otherwise the forecast × (1 + growth)
   (:func:`salesops.analytics.planning.top_down`), and the sentence says that it fell
   back to the forecast and why. An unknown forecast gives an unknown target, with the
   reason (:class:`salesops.analytics.gaps.Unknown`), never 0 or a crash.

The forecast and its 80% interval stay beside the target whatever its basis.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics.forecast import Forecast
from salesops.data.periods import Period
from salesops.data.scopes import Scope

Z80 = 1.2816  # the 80% two-sided normal quantile
SUM_TOLERANCE = 0.005  # regional targets that miss the company's by more are warned of
COLUMNS = ["forecast", "lower_80", "upper_80", "target"]


@dataclass(frozen=True)
class Target:
    """The target per quarter and for the year (rows ``Q…`` and ``Year``; columns
    ``forecast``, ``lower_80``, ``upper_80``, ``target``, of objects so that an unknown
    value keeps its reason), its ``basis`` (``stated``, ``quotas`` or ``forecast``) and the
    ``sentence`` that says where it comes from."""

    frame: pd.DataFrame
    basis: str
    sentence: str

    @property
    def year(self) -> float:
        """The year's target (:class:`~salesops.analytics.gaps.Unknown` when unknown)."""
        return self.frame.at["Year", "target"]


def quarters(year: Period) -> list[Period]:
    """The four quarters of ``year``."""
    return [Period(year.start, "quarter", year.fiscal_year_start_month).shift(i) for i in range(4)]


def forecast_by_quarter(forecast: Forecast, year: Period) -> pd.DataFrame:
    """Per quarter of ``year``: the forecast (Σ of its months) and its 80% range, the
    forecast ± 1.2816 σ_q with σ_q = Σ σ_h over its months (errors of a quarter's months
    taken as fully correlated, the cautious choice), floored at 0. Unknown, with the
    forecast's reason, when the forecast is; then the year's row, their sums."""
    sigma = pd.Series(forecast.sigma, index=forecast.mean.index)
    rows: dict[str, dict[str, float]] = {}
    for quarter in quarters(year):
        months = [mo for mo in quarter.months if mo in forecast.mean.index]
        if len(months) < 3:
            raise ValueError(f"the forecast does not reach {quarter.label}: forecast further ahead")
        f = forecast.total(months)
        s = float(sigma[months].sum())
        if gaps.why(f):
            rows[quarter.label] = dict.fromkeys(COLUMNS[:3], f)
        else:
            bounds = {"lower_80": max(f - Z80 * s, 0.0), "upper_80": f + Z80 * s}
            rows[quarter.label] = {"forecast": f, **bounds}
    rows["Year"] = {c: _sum([row[c] for row in rows.values()]) for c in COLUMNS[:3]}
    return _frame(rows, COLUMNS[:3])


def _frame(rows: dict[str, dict[str, float]], columns: list[str]) -> pd.DataFrame:
    """``rows`` as a frame of objects, so that an unknown value keeps its reason (a frame
    built from a dict of dicts, or a row added with ``loc``, would make it a bare NaN)."""
    index = pd.Index(list(rows), name="quarter")
    return pd.DataFrame(
        {c: pd.Series([rows[r][c] for r in rows], index=index, dtype=object) for c in columns}
    )


def plan_target(
    forecast: Forecast,
    year: Period,
    growth: float,
    *,
    stated: float | None = None,
    quotas: pd.DataFrame | None = None,
) -> Target:
    """The plan's :class:`Target` for ``year``: ``stated`` (an amount for the year), else
    the ``quotas`` rows (``month``, ``amount``, the scope's) when they cover every month
    of the year, else the forecast × (1 + ``growth``)."""
    frame = forecast_by_quarter(forecast, year)
    frame["target"] = pd.Series(np.nan, index=frame.index, dtype=object)
    labels = [q.label for q in quarters(year)]
    if stated is not None:
        if not np.isfinite(stated) or stated < 0:
            raise ValueError(f"target: a non-negative amount for the year; got {stated!r}")
        shape = frame.loc[labels, "forecast"]
        known = not any(gaps.why(v) for v in shape) and float(shape.sum()) > 0
        weights = shape.astype(float) / float(shape.sum()) if known else pd.Series(0.25, labels)
        frame["target"] = pd.Series(stated * weights, dtype=object)
        spread = "like the forecast" if known else "evenly (the forecast is unknown)"
        sentence = (
            f"the plan's stated target (parameter `target`), spread over the quarters {spread}"
        )
        return _done(frame, "stated", sentence)
    covered = _quota_months(quotas, year)
    if covered is not None:
        for quarter in quarters(year):
            inside = quarter.contains(covered["month"])
            frame.at[quarter.label, "target"] = float(covered.loc[inside, "amount"].sum())
        return _done(frame, "quotas", f"the quotas the source holds for {year.label}")
    why_not = (
        "the plan states no target (parameter `target`) and the source holds no quotas "
        f"for every month of {year.label}"
    )
    for label in labels:
        f = frame.at[label, "forecast"]
        frame.at[label, "target"] = (
            gaps.Unknown(f"the target starts from the forecast, which is unknown: {_reason(f)}")
            if gaps.why(f)
            else f * (1 + growth)
        )
    sentence = f"the forecast × (1 + growth {growth:.0%}), because {why_not}"
    return _done(frame, "forecast", sentence)


def _done(frame: pd.DataFrame, basis: str, sentence: str) -> Target:
    frame.at["Year", "target"] = _sum(list(frame.loc[frame.index != "Year", "target"]))
    return Target(frame[COLUMNS], basis, sentence)


def _quota_months(quotas: pd.DataFrame | None, year: Period) -> pd.DataFrame | None:
    """The quota rows of ``year``, when every one of its months has one (else None)."""
    if quotas is None or quotas.empty:
        return None
    rows = quotas[year.contains(quotas["month"])]
    months = set(rows["month"].dt.strftime("%Y-%m"))
    return rows if months >= set(year.months) else None


def _sum(values: list[float]) -> float:
    """Σ ``values``, or the first unknown one's :class:`~salesops.analytics.gaps.Unknown`."""
    for value in values:
        if gaps.why(value):
            return value
    return float(sum(values))


def _reason(value: float) -> str:
    reason = gaps.why(value) or "unknown"
    return reason.removeprefix("the forecast is unknown: ")


@dataclass(frozen=True)
class Unsummed:
    """Regional targets that do not add up to the company's: each region's stated
    target, their ``total``, the ``company`` target, and the source's regions the plan
    states no target for (``missing``)."""

    regions: dict[str, float]
    total: float
    company: float
    missing: tuple[str, ...]

    @property
    def off(self) -> float:
        """total / company − 1 (NaN for a company target of 0)."""
        return self.total / self.company - 1 if self.company else float("nan")


def unsummed(
    targets: Mapping[str, float | None],
    regions: Collection[str],
    tolerance: float = SUM_TOLERANCE,
) -> Unsummed | None:
    """The plan's targets per scope (``{company: ..., "region:<name>": ...}``) when they
    state a company target and regional ones whose sum misses it by more than
    ``tolerance`` (0.5%) of it: |Σ regions − company| > tolerance × company. None when
    they add up, or when the plan does not state both. ``regions`` are the source's:
    those without a stated target are named (their share is then in no region's).

    Examples
    --------
    >>> miss = unsummed({"company": 1000, "region:East": 400, "region:West": 500},
    ...     ["East", "West", "South"])
    >>> miss.total, miss.company, miss.missing, round(miss.off, 3)
    (900.0, 1000.0, ('South',), -0.1)
    >>> unsummed({"company": 1000, "region:East": 498, "region:West": 500}, ["East", "West"])
    """
    company, stated = targets.get("company"), {}
    for key, amount in targets.items():
        scope = Scope.parse(str(key))
        if scope.level == "region" and amount is not None:
            stated[str(scope.value)] = float(amount)
    if company is None or not stated:
        return None
    total = sum(stated.values())
    if abs(total - float(company)) <= tolerance * float(company):
        return None
    missing = tuple(sorted(r for r in regions if r not in stated))
    return Unsummed(stated, total, float(company), missing)
