"""Time-series forecasts of monthly bookings, chosen on a rolling-origin backtest.

:func:`forecast` fits a set of candidate models to a monthly series, scores each one
on a rolling-origin backtest *inside the series it is given*, and returns the mean of
the best one to three candidates, with prediction intervals sized from the same
backtest. Nothing looks past the end of the series, so holding out its tail and
scoring against it (``benchmarks/forecast_accuracy.py``) is an honest test.

Candidates
    ``naive`` (last value), ``seasonal_naive`` (same month last year), ``drift``
    (the line from the first to the last value), ``ets_damped`` (Holt's damped trend),
    ``ets_additive`` / ``ets_multiplicative`` (Holt-Winters with a damped trend and
    additive or multiplicative seasonality), ``theta`` (the theta method on the
    seasonally adjusted series), ``sarima`` (the best of a few seasonal ARIMA orders
    by AIC) and ``ets`` (the state-space ETS form with the lowest AICc). The two searches
    run once on the whole series and the backtest reuses the form they found. Seasonal
    candidates need two full years before the earliest backtest origin; shorter series
    use the non-seasonal ones.

Backtest
    Five origins three months apart; from each, the candidate forecasts ``b`` months
    (``b`` = the horizon, at most 12, shorter for short series) and is scored by MASE:
    the mean absolute error over the in-sample mean absolute error of the seasonal
    naive forecast up to the origin. The combinations "mean of the best k" for
    k = 1, 2, 3 are scored the same way and the best is kept.

Intervals
    For each step ahead, σ is the root mean square of the chosen forecast's backtest
    errors at that step, made non-decreasing in the step and grown as √h beyond the
    backtest horizon. The 80% and 95% intervals are the forecast ± 1.28σ and ± 1.96σ,
    floored at zero. Their empirical coverage is measured leave-one-origin-out.

Statistical libraries (statsmodels) are imported here only, never at package import.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.periods import Period
from salesops.project import cached
from salesops.stages import Stages

SEASON = 12
Z = {80: 1.2816, 95: 1.9600}  # two-sided normal quantiles
ORIGINS, STEP = 5, 3  # backtest origins and the months between them
MIN_BACKTEST = 12  # months before the earliest origin for a backtest at all

Fit = Callable[[np.ndarray, int], np.ndarray]


# -- accuracy measures ------------------------------------------------------------------------
def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, m: int = SEASON) -> float:
    """Mean absolute scaled error.

    MASE = mean|A − F| / mean|y_t − y_{t−m}|, the denominator over the training series
    (the in-sample seasonal naive error; m = 1 gives the naive error). NaN when the
    training series is too short or constant.
    """
    train = np.asarray(train, float)
    m = m if len(train) > m else 1
    scale = np.mean(np.abs(train[m:] - train[:-m])) if len(train) > m else np.nan
    if not scale:
        return np.nan
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))) / scale)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: Σ|A − F| / Σ|A|; NaN when Σ|A| = 0."""
    total = np.sum(np.abs(actual))
    return float(np.sum(np.abs(np.asarray(actual) - predicted)) / total) if total else np.nan


def bias(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Forecast bias: Σ(F − A) / Σ|A|. Positive: over-forecast; negative: under-forecast."""
    total = np.sum(np.abs(actual))
    return float(np.sum(np.asarray(predicted) - actual) / total) if total else np.nan


# -- candidate models -------------------------------------------------------------------------
def _naive(y: np.ndarray, h: int) -> np.ndarray:
    return np.repeat(y[-1], h)


def _seasonal_naive(y: np.ndarray, h: int) -> np.ndarray:
    return np.resize(y[-SEASON:], h)


def _drift(y: np.ndarray, h: int) -> np.ndarray:
    slope = (y[-1] - y[0]) / (len(y) - 1)
    return y[-1] + slope * np.arange(1, h + 1)


def _holt_winters(seasonal: str | None) -> Fit:
    def fit(y: np.ndarray, h: int) -> np.ndarray:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        model = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=True,
            seasonal=seasonal,
            seasonal_periods=SEASON if seasonal else None,
            initialization_method="estimated",
        )
        return model.fit(use_brute=False).forecast(h)

    return fit


def _theta(seasonal: bool) -> Fit:
    def fit(y: np.ndarray, h: int) -> np.ndarray:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        season = SEASON if seasonal else 1
        deseasonalize = seasonal and bool(np.all(y > 0))
        model = ThetaModel(y, period=season, deseasonalize=deseasonalize)
        return np.asarray(model.fit().forecast(h))

    return fit


def _search(
    y_full: np.ndarray, forms: Mapping[str, Callable], criterion: str, refit: bool = True
) -> tuple[str, Fit]:
    """The form with the lowest information ``criterion`` on ``y_full``, as a model.

    ``forms`` maps a label to a function that builds the statsmodels model for a
    series. On shorter series (the backtest) the model is refitted starting from the
    parameters found on ``y_full`` or, with ``refit=False``, only filtered with them;
    ``y_full`` itself reuses its fit.
    """
    best = None
    for label, make in forms.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = make(y_full).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError):
            continue
        score = getattr(result, criterion)
        if np.isfinite(score) and (best is None or score < best[0]):
            best = (score, label, result)
    if best is None:
        raise ValueError("no form could be fitted")
    _, label, result = best

    def fit(y: np.ndarray, h: int) -> np.ndarray:
        if len(y) == len(y_full) and np.array_equal(y, y_full):
            return np.asarray(result.forecast(h))
        if not refit:
            return np.asarray(result.apply(y).forecast(h))
        again = forms[label](y).fit(start_params=result.params, disp=False, maxiter=50)
        return np.asarray(again.forecast(h))

    return label, fit


def _sarima(y: np.ndarray, seasonal: bool) -> tuple[str, Fit]:
    """The best of a few ARIMA orders by AIC.

    (0,1,1)(0,1,1)12 and (1,0,0)(0,1,1)12 with a constant when seasonal; (0,1,1) and
    (1,1,0) otherwise. The backtest filters its origins with the parameters estimated
    on the whole series (refitting costs six times as much), which flatters it a little.
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    orders = (
        [((0, 1, 1), (0, 1, 1, SEASON), "n"), ((1, 0, 0), (0, 1, 1, SEASON), "c")]
        if seasonal
        else [((0, 1, 1), (0, 0, 0, 0), "n"), ((1, 1, 0), (0, 0, 0, 0), "n")]
    )
    forms = {}
    for order, seasonal_order, trend in orders:
        label = "sarima({},{},{})".format(*order)
        if seasonal:
            label += "({},{},{})12".format(*seasonal_order[:3])
        forms[label] = lambda v, o=order, so=seasonal_order, t=trend: SARIMAX(
            v, order=o, seasonal_order=so, trend=t
        )
    return _search(y, forms, "aic", refit=False)


def _ets(y: np.ndarray, seasonal: bool) -> tuple[str, Fit]:
    """The state-space ETS form with the lowest AICc.

    Forms: error A or M; trend N, A or damped A; seasonality A or M for a seasonal
    series (the non-seasonal forms are covered by the other candidates), none
    otherwise. Multiplicative forms only for a positive series and, as in R's
    ``forecast::ets``, no additive error with multiplicative seasonality.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    positive = bool(np.all(y > 0))
    code = {None: "N", "add": "A", "mul": "M"}
    forms = {}
    for error in ("add", "mul") if positive else ("add",):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            for season in (("add", "mul") if positive else ("add",)) if seasonal else (None,):
                if error == "add" and season == "mul":
                    continue
                label = f"ets({code[error]},{code[trend]}{'d' if damped else ''},{code[season]})"
                forms[label] = lambda v, e=error, t=trend, d=damped, s=season: ETSModel(
                    v,
                    error=e,
                    trend=t,
                    damped_trend=d,
                    seasonal=s,
                    seasonal_periods=SEASON if s else None,
                )
    return _search(y, forms, "aicc")


def candidates(y: np.ndarray, seasonal: bool) -> dict[str, Fit]:
    """The candidate models for a training series ``y``."""
    models: dict[str, Fit] = {"naive": _naive, "drift": _drift, "ets_damped": _holt_winters(None)}
    if seasonal:
        models["seasonal_naive"] = _seasonal_naive
        models["ets_additive"] = _holt_winters("add")
        if np.all(y > 0):
            models["ets_multiplicative"] = _holt_winters("mul")
    models["theta"] = _theta(seasonal)
    for search in (_sarima, _ets):
        try:
            name, fit = search(y, seasonal)
            models[name] = fit
        except ValueError:
            pass
    return models


# -- the forecast -----------------------------------------------------------------------------
@dataclass
class Forecast:
    """A monthly forecast with its intervals and the evidence for it.

    Attributes
    ----------
    history
        The observed series, indexed by month label (``2026-10``).
    mean
        The point forecast per future month.
    sigma
        The forecast's standard error per step ahead, from the backtest.
    model
        What produced the forecast, e.g. ``mean of theta, ets_additive``.
    backtest
        One row per candidate (and the chosen combination): MASE, WAPE and bias on
        the rolling-origin backtest, and whether it was chosen.
    coverage
        Empirical coverage of the 80% and 95% intervals in the backtest.
    past
        The chosen forecast's backtest predictions against actuals, one row per
        origin and month.
    notes
        Plain-language notes: short history, all zeros, a candidate that failed.
    """

    history: pd.Series
    mean: pd.Series
    sigma: np.ndarray
    model: str
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: dict[int, float] = field(default_factory=dict)
    past: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def interval(self, level: int) -> pd.DataFrame:
        """``lower`` and ``upper`` bounds of the ``level`` % interval (80 or 95)."""
        half = Z[level] * self.sigma
        return pd.DataFrame(
            {
                "lower": np.maximum(self.mean.to_numpy() - half, 0.0),
                "upper": self.mean.to_numpy() + half,
            },
            index=self.mean.index,
        )

    def frame(self) -> pd.DataFrame:
        """Forecast, 80% and 95% bounds per future month."""
        out = pd.DataFrame({"forecast": self.mean})
        for level in (80, 95):
            bounds = self.interval(level)
            out[f"lower_{level}"] = bounds["lower"]
            out[f"upper_{level}"] = bounds["upper"]
        return out

    def shifted(self, adjustment: np.ndarray, model: str | None = None) -> Forecast:
        """The same forecast moved by ``adjustment`` per step (intervals keep their width)."""
        mean = pd.Series(self.mean.to_numpy() + adjustment, index=self.mean.index)
        return Forecast(
            self.history,
            mean,
            self.sigma,
            model or self.model,
            self.backtest,
            self.coverage,
            self.past,
            self.notes,
        )


def forecast(series: pd.Series, horizon: int = 12) -> Forecast:
    """Forecast a monthly series ``horizon`` months ahead.

    Parameters
    ----------
    series
        Monthly values in time order, indexed by month (labels, Periods or first days);
        missing months must already be zero-filled.
    horizon
        Months to forecast.

    Returns
    -------
    Forecast
        The point forecast (floored at zero), σ per step, the backtest table, the
        intervals' empirical coverage and notes. Short, all-zero and brand-new series
        return a simple forecast with a note instead of raising.
    """
    history = _monthly(series)
    y = history.to_numpy(float)
    index = _future(history, horizon)
    notes: list[str] = []
    if len(y) == 0:
        return Forecast(
            history, pd.Series(0.0, index=index), np.zeros(horizon), "none", notes=["no history"]
        )
    if not np.any(y):
        notes.append("every month so far is zero, so the forecast is zero")
        return Forecast(
            history, pd.Series(0.0, index=index), np.zeros(horizon), "zero", notes=notes
        )
    b = min(horizon, 12, max(3, len(y) - 2 * SEASON - (ORIGINS - 1) * STEP))
    first_origin = len(y) - b - (ORIGINS - 1) * STEP
    if first_origin < MIN_BACKTEST:
        notes.append(
            f"only {len(y)} months of history: too short to backtest, "
            "so the forecast is the mean of the last 6 months (flat)"
        )
        level = float(np.mean(y[-6:]))
        sigma = np.full(horizon, float(np.std(y[-12:]) or level)) * np.sqrt(
            np.arange(1, horizon + 1)
        )
        return Forecast(history, pd.Series(level, index=index), sigma, "recent mean", notes=notes)
    seasonal = first_origin >= 2 * SEASON
    if not seasonal:
        notes.append(
            f"{len(y)} months of history: under two years before the backtest, "
            "so seasonal models are not used"
        )
    models = candidates(y, seasonal)
    origins = [first_origin + i * STEP for i in range(ORIGINS)]
    preds, failed = _backtest(y, models, origins, b)
    for name in failed:
        notes.append(f"{name} could not be fitted and was left out")
        models.pop(name)
    actual = np.array([y[o : o + b] for o in origins])
    scores = {
        name: np.mean([mase(actual[i], p[i], y[:o]) for i, o in enumerate(origins)])
        for name, p in preds.items()
    }
    ranked = sorted(scores, key=lambda n: (np.nan_to_num(scores[n], nan=np.inf), n))
    combos = {k: np.mean([preds[n] for n in ranked[:k]], axis=0) for k in (1, 2, 3)}
    combo_scores = {
        k: np.mean([mase(actual[i], c[i], y[:o]) for i, o in enumerate(origins)])
        for k, c in combos.items()
    }
    k = min(combo_scores, key=lambda k: (np.nan_to_num(combo_scores[k], nan=np.inf), k))
    chosen = ranked[:k]
    errors = actual - combos[k]
    sigma = _sigma(errors, horizon)
    fits = _fit_all(y, {n: models[n] for n in chosen}, horizon, notes)
    mean = np.maximum(np.mean(fits, axis=0), 0.0)
    model = chosen[0] if k == 1 else f"mean of {', '.join(chosen)}"
    table = _backtest_table(preds, combos[k], actual, origins, y, chosen, model)
    past = _past(history, origins, combos[k], actual)
    return Forecast(
        history,
        pd.Series(mean, index=index),
        sigma,
        model,
        table,
        _coverage(errors),
        past,
        notes,
    )


def _monthly(series: pd.Series) -> pd.Series:
    """The series with month labels (``2026-10``) as its index; integer positions stay."""
    s = pd.Series(series, dtype=float).fillna(0.0)
    if isinstance(s.index, pd.PeriodIndex | pd.DatetimeIndex):
        s.index = pd.Index(s.index.strftime("%Y-%m"), name="month")
    elif not pd.api.types.is_integer_dtype(s.index):
        s.index = pd.Index([str(v)[:7] for v in s.index], name="month")
    return s


def _future(history: pd.Series, horizon: int) -> pd.Index:
    """The index of the ``horizon`` months after ``history``."""
    if pd.api.types.is_integer_dtype(history.index):
        first = int(history.index[-1]) + 1 if len(history) else 0
        return pd.RangeIndex(first, first + horizon)
    last = pd.Period(history.index[-1], freq="M") if len(history) else pd.Period.now("M")
    months = pd.period_range(last + 1, periods=horizon, freq="M")
    return pd.Index(months.strftime("%Y-%m"), name="month")


def _quiet(fit: Fit, y: np.ndarray, h: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = np.asarray(fit(y, h), float)
    if out.shape != (h,) or not np.all(np.isfinite(out)):
        raise ValueError("the model returned no finite forecast")
    return np.maximum(out, 0.0)


def _backtest(
    y: np.ndarray, models: Mapping[str, Fit], origins: list[int], b: int
) -> tuple[dict[str, np.ndarray], list[str]]:
    preds, failed = {}, []
    for name, fit in models.items():
        try:
            preds[name] = np.array([_quiet(fit, y[:o], b) for o in origins])
        except Exception:  # a model that cannot fit this series is dropped, with a note
            failed.append(name)
    return preds, failed


def _fit_all(y: np.ndarray, models: Mapping[str, Fit], h: int, notes: list[str]) -> np.ndarray:
    fits = []
    for name, fit in models.items():
        try:
            fits.append(_quiet(fit, y, h))
        except Exception:
            notes.append(f"{name} failed on the full history and was left out")
    return np.array(fits) if fits else np.array([_naive(y, h)])


def _sigma(errors: np.ndarray, horizon: int) -> np.ndarray:
    """σ per step: backtest RMSE per step, non-decreasing, grown as √h past the backtest."""
    b = errors.shape[1]
    per_step = np.maximum.accumulate(np.sqrt(np.mean(errors**2, axis=0)))
    steps = np.arange(1, horizon + 1)
    return np.where(
        steps <= b, per_step[np.minimum(steps, b) - 1], per_step[-1] * np.sqrt(steps / b)
    )


def _coverage(errors: np.ndarray) -> dict[int, float]:
    """Share of backtest actuals inside each interval, σ estimated without their origin."""
    hits = {level: [] for level in Z}
    for i in range(len(errors)):
        others = np.delete(errors, i, axis=0)
        sigma = np.maximum.accumulate(np.sqrt(np.mean(others**2, axis=0)))
        for level, z in Z.items():
            hits[level].extend(np.abs(errors[i]) <= z * sigma)
    return {level: float(np.mean(h)) for level, h in hits.items()}


def _backtest_table(
    preds: Mapping[str, np.ndarray],
    combined: np.ndarray,
    actual: np.ndarray,
    origins: list[int],
    y: np.ndarray,
    chosen: list[str],
    model: str,
) -> pd.DataFrame:
    rows = {**preds}
    if len(chosen) > 1:
        rows[model] = combined
    out = []
    for name, p in rows.items():
        out.append(
            {
                "model": name,
                "mase": np.mean([mase(actual[i], p[i], y[:o]) for i, o in enumerate(origins)]),
                "wape": wape(actual.ravel(), p.ravel()),
                "bias": bias(actual.ravel(), p.ravel()),
                "chosen": name == model,
            }
        )
    return pd.DataFrame(out).set_index("model").sort_values("mase")


def _past(history: pd.Series, origins: list[int], combined: np.ndarray, actual: np.ndarray):
    rows = []
    for i, o in enumerate(origins):
        for step in range(actual.shape[1]):
            rows.append(
                {
                    "origin": history.index[o - 1],
                    "month": history.index[o + step],
                    "step": step + 1,
                    "forecast": combined[i, step],
                    "actual": actual[i, step],
                }
            )
    return pd.DataFrame(rows)


# -- series from the CRM ----------------------------------------------------------------------
def monthly_bookings(
    opportunities: pd.DataFrame,
    end: Period | str,
    by: str | None = None,
    start: pd.Timestamp | None = None,
    stages: Stages | None = None,
) -> pd.Series | pd.DataFrame:
    """Won amount per close month, zero-filled, for every month before ``end``'s end.

    The series starts at ``start`` (default: the month of the earliest created_date).
    With ``by`` it is a frame with one column per group.
    """
    st = stages or Stages.read()
    last = Period.parse(end).end
    opps = opportunities
    first = start if start is not None else opps["created_date"].min()
    months = pd.period_range(pd.Timestamp(first), last - pd.Timedelta(days=1), freq="M")
    labels = pd.Index(months.strftime("%Y-%m"), name="month")
    won = opps[(opps["stage"] == st.won) & (opps["close_date"] < last)]
    month = won["close_date"].dt.strftime("%Y-%m").rename("month")
    if by is None:
        return won.groupby(month)["amount"].sum().reindex(labels, fill_value=0.0)
    table = won.groupby([month, won[by]])["amount"].sum().unstack(by, fill_value=0.0)
    return table.reindex(labels, fill_value=0.0).rename_axis(columns=by)


# -- coherence --------------------------------------------------------------------------------
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
    new_total = total.shifted(adjusted.sum(axis=0) - total.mean.to_numpy())
    return new_total, {n: parts[n].shifted(adjusted[i] - base[i]) for i, n in enumerate(names)}


def split(total: Forecast, parts: Mapping[str, Forecast]) -> dict[str, Forecast]:
    """Top-down: share ``total`` among ``parts`` in proportion to their own forecasts.

    ỹ_i = ŷ_total · ŷ_i / Σ ŷ_j per step (equal shares where every ŷ_j is zero). Used
    below the region level, where rep histories are short and noisy and the region's
    forecast also covers bookings that reps who are no longer there made in the past.
    """
    names = list(parts)
    base = np.array([parts[n].mean.to_numpy() for n in names])
    adjusted = _proportional(base, total.mean.to_numpy())
    return {n: parts[n].shifted(adjusted[i] - base[i]) for i, n in enumerate(names)}


def _proportional(base: np.ndarray, level: np.ndarray) -> np.ndarray:
    base = np.maximum(base, 0.0)
    sums = base.sum(axis=0)
    weights = np.where(sums > 0, base / np.where(sums > 0, sums, 1), 1 / len(base))
    return weights * level


def company_and_regions(
    opportunities: pd.DataFrame,
    period: Period | str,
    horizon: int = 12,
    stages: Stages | None = None,
    cache: bool = True,
) -> tuple[Forecast, dict[str, Forecast]]:
    """The company's bookings forecast and its regions', reconciled to add up.

    Each series runs to the end of ``period``; see :func:`reconcile` for the method.
    The result depends on the regions' monthly series, the horizon and this module
    only, so it is kept on disk under that content hash (``.cache/forecasts``): the
    reports of one monthly run that all need it compute it once (``cache=False``
    computes it anyway and leaves the cache alone).
    """
    regions = monthly_bookings(opportunities, period, by="region", stages=stages)

    def compute() -> tuple[Forecast, dict[str, Forecast]]:
        total = forecast(regions.sum(axis=1), horizon)
        return reconcile(total, {r: forecast(regions[r], horizon) for r in regions.columns})

    return cached("forecasts", [regions, horizon, Path(__file__)], compute, enabled=cache)


def reps_of_region(
    region_forecast: Forecast,
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    period: Period | str,
    stages: Stages | None = None,
) -> dict[str, Forecast]:
    """Forecasts for the region's active reps that sum to ``region_forecast``.

    Each rep's own forecast (their series starts in their hire month) sets their share
    of the region's forecast (:func:`split`).
    """
    end = Period.parse(period)
    active = reps[
        (reps["role"].fillna("rep") == "rep")
        & (reps["end_date"].isna() | (reps["end_date"] >= end.end))
    ]
    horizon = len(region_forecast.mean)
    own = {}
    opps = opportunities[opportunities["owner_id"].isin(active["rep_id"])]
    by_rep = monthly_bookings(opps, end, by="owner_id", stages=stages)
    for rep in active.itertuples():
        series = by_rep[rep.rep_id] if rep.rep_id in by_rep else pd.Series(0.0, index=by_rep.index)
        if pd.notna(rep.hire_date):
            series = series[series.index >= f"{rep.hire_date:%Y-%m}"]
        own[rep.rep_id] = forecast(series, horizon)
    return split(region_forecast, own) if own else {}
