"""The time-series models behind :func:`salesops.analytics.forecast.forecast`.

Three model families, each fitted once on the whole series it is given, with its form
chosen by an information criterion on that series (never by a backtest):

``ets``
    Exponential smoothing. Every form, trend none, additive or damped additive, times
    seasonality none, additive or multiplicative (seasonal forms only for a seasonal
    series, multiplicative only for a positive one), is fitted by Holt-Winters; the
    forecast is the mean of their forecasts weighted by their Akaike weights
    (:func:`akaike_weights`, from the AICc), not the best form's alone. The form with the
    largest weight is then fitted as a state-space ETS model with multiplicative errors
    (additive errors when the series has zeros), which gives the forecast's variance.
``arima``
    Seasonal ARIMA on the logarithm of a positive seasonal series (multiplicative
    seasonality; the level otherwise, where a log turns a ramp into momentum): the
    lower-AICc of (0,1,1)(0,1,1)₁₂ and (1,0,0)(0,1,1)₁₂, neither with a constant (a
    constant there is a yearly growth rate that compounds over the horizon), or of
    (0,1,1) and (1,1,0) without seasonality. Back on the original scale the forecast is exp(μ), the
    median, which a wide interval cannot inflate.
``theta``
    The theta method (simple exponential smoothing with drift) on the seasonally
    adjusted series, adjusted by a classical decomposition, multiplicative for a positive
    series. The drift is (1 − 1/θ) times the slope of a straight line fitted to that
    series, with θ = 3 (``THETA``): two thirds of the slope, where the classical method
    (θ = 2) takes half. θ = 3 was chosen on the M3 competition's monthly series (400 of
    them: mean MASE of the forecast 0.831 with θ = 2, 0.828 with 3, 0.827 with 4; its 36-month
    windows 0.864, 0.863, 0.862) and checked on Tourism's (1.369, 1.370, 1.371; windows
    0.852, 0.851, 0.851): larger θ gains less each time on M3 and loses on Tourism.

Every family returns its point forecast and σ per step ahead, from the model's own
forecast variance (the half-width of its 80% interval over 1.2816).

Seasonality is used when the series has at least two years and its **seasonal
strength** is at least 0.64 (:func:`seasonal_strength`).

Statistical libraries (statsmodels) are imported here only, inside the functions.

Every fit runs on one BLAS thread (:func:`_quiet`). The models' matrices are tiny, so
OpenBLAS's threads add nothing, and when other processes share the cores (the run's
workers, a notebook server) their spin-waiting made a demo forecast of company and regions
take 5 to 20 s instead of under 1 s (``benchmarks/forecast_threads.py``).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

SEASON = 12
MIN_SEASONAL = 2 * SEASON  # months before seasonality is considered
STRONG = 0.64  # seasonal strength from which a series counts as seasonal
THETA = 3.0  # the theta method's drift is (1 − 1/θ) of the straight line's slope
Z80 = 1.2816
K = TypeVar("K")
Form = tuple[str | None, bool, str | None]  # an ETS form: trend, damped, season
T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    """One model's forecast: its form, point forecast and σ per step."""

    name: str
    form: str
    mean: np.ndarray
    sigma: np.ndarray

    def scaled(self, factor: float) -> Member:
        """The forecast of a series ``factor`` times as large."""
        return Member(self.name, self.form, self.mean * factor, self.sigma * factor)


def seasonal_strength(y: np.ndarray) -> float:
    """Strength of the yearly pattern, from 0 (none) to 1.

    F = max(0, 1 − Var(R) / Var(S + R)) (Wang, Smith and Hyndman, 2006), from a
    classical decomposition of the series (of its logarithm when it is positive): the
    trend is the centred 2×12 moving average (a straight line under 36 months), S the
    mean detrended value of each calendar month, centred, and R what is left. NaN
    under two years.
    """
    y = np.asarray(y, float)
    n = len(y)
    if n < MIN_SEASONAL or not np.ptp(y):
        return np.nan
    z = np.log(y) if np.all(y > 0) else y
    x = np.arange(n)
    if n >= 3 * SEASON:
        weights = np.r_[0.5, np.ones(SEASON - 1), 0.5] / SEASON
        trend = np.full(n, np.nan)
        trend[SEASON // 2 : n - SEASON // 2] = np.convolve(z, weights, mode="valid")
    else:
        trend = np.polyval(np.polyfit(x, z, 1), x)
    detrended = z - trend
    known = ~np.isnan(detrended)
    month = x % SEASON
    pattern = np.array([detrended[known & (month == k)].mean() for k in range(SEASON)])
    seasonal = (pattern - pattern.mean())[month][known]
    remainder = detrended[known] - seasonal
    total = np.var(seasonal + remainder)
    return float(max(0.0, 1 - np.var(remainder) / total)) if total > 0 else 0.0


def seasonal_test(y: np.ndarray, z: float = 1.645) -> tuple[bool, float]:
    """Whether the series has a yearly pattern: its autocorrelation at lag 12 against the
    one-sided 95% limit (z = 1.645) of Bartlett's standard error.

    With r_k = Σ (y_t − ȳ)(y_{t−k} − ȳ) / Σ (y_t − ȳ)², the series is seasonal when

        |r_12| > z · √((1 + 2 Σ_{k<12} r_k²) / n)

    (the test of the theta method in the M3 competition, Assimakopoulos and Nikolopoulos
    2000). Returns the verdict and the statistic |r_12| / limit; (False, NaN) under two
    years or for a constant series.
    """
    y = np.asarray(y, float)
    n = len(y)
    x = y - y.mean()
    total = float(np.sum(x * x))
    if n < MIN_SEASONAL or total <= 0:
        return False, np.nan
    r = np.array([np.sum(x[k:] * x[:-k]) / total for k in range(1, SEASON + 1)])
    limit = z * np.sqrt((1 + 2 * np.sum(r[: SEASON - 1] ** 2)) / n)
    statistic = float(abs(r[SEASON - 1]) / limit)
    return statistic > 1, statistic


def yearly_pattern(y: np.ndarray) -> tuple[bool, str]:
    """Whether to use seasonal models, and why in words: the autocorrelation test
    (:func:`seasonal_test`) or a seasonal strength of at least 0.64
    (:func:`seasonal_strength`), which catches the yearly pattern of a steeply trending
    series that the autocorrelation, dominated by the trend, misses."""
    passed, statistic = seasonal_test(y)
    strength = seasonal_strength(y)
    strong = bool(np.isfinite(strength) and strength >= STRONG)
    why = (
        f"autocorrelation at 12 months {statistic:.1f}× its 95% limit, "
        f"seasonal strength {strength:.2f}"
    )
    return passed or strong, why


@functools.cache
def _blas() -> Any:
    """The process's BLAS thread pools: NumPy's and SciPy's (which statsmodels uses),
    found once."""
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS before the pools are listed)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


def _quiet(fit: Callable[[], T]) -> T:
    """``fit()`` without its warnings, on one BLAS thread (the limit is lifted after)."""
    with warnings.catch_warnings(), _blas().limit(limits=1):
        warnings.simplefilter("ignore")
        return fit()


def lowest_aicc(fits: Mapping[K, Callable[[], Any]], what: str) -> tuple[K, Any]:
    """The key and fitted result with the lowest finite AICc; forms that fail are skipped."""
    best = None
    for key, fit in fits.items():
        try:
            result = _quiet(fit)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(result.aicc) and (best is None or result.aicc < best[1].aicc):
            best = (key, result)
    if best is None:
        raise ValueError(f"no {what} could be fitted")
    return best


def akaike_weights(aiccs: np.ndarray) -> np.ndarray:
    """Akaike weights: w_i = exp(−Δ_i / 2) / Σ_j exp(−Δ_j / 2), Δ_i = AICc_i − min AICc.

    The relative likelihood of each fitted form; they sum to 1 (Burnham and Anderson
    2002). A form with Δ = 2 weighs e⁻¹ ≈ 0.37 of the best; Δ = 10, under 1%.
    """
    delta = np.asarray(aiccs, float) - np.min(aiccs)
    weights = np.exp(-delta / 2)
    return weights / weights.sum()


def ets(y: np.ndarray, seasonal: bool, h: int) -> Member:
    """Exponential smoothing: the Akaike-weighted mean of its forms (see the module)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    positive = bool(np.all(y > 0))
    seasons = ((None, "add", "mul") if positive else (None, "add")) if seasonal else (None,)

    def fitted(form: Form) -> tuple[float, np.ndarray]:
        trend, damped, season = form
        result = ExponentialSmoothing(
            y,
            trend=trend,
            damped_trend=damped,
            seasonal=season,
            seasonal_periods=SEASON if season else None,
            initialization_method="estimated",
        ).fit(use_brute=False)
        return float(result.aicc), np.asarray(result.forecast(h), dtype=float)

    fits: dict[Form, tuple[float, np.ndarray]] = {}
    for trend, damped in ((None, False), ("add", False), ("add", True)):
        for season in seasons:
            key: Form = (trend, damped, season)
            try:
                aicc, path = _quiet(functools.partial(fitted, key))
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(aicc) and np.all(np.isfinite(path)):
                fits[key] = (aicc, path)
    if not fits:
        raise ValueError("no exponential smoothing form could be fitted")
    forms = list(fits)
    weights = akaike_weights(np.array([fits[f][0] for f in forms]))
    mean = weights @ np.array([fits[f][1] for f in forms])
    trend, damped, season = forms[int(np.argmax(weights))]
    error = "mul" if positive else "add"
    model = ETSModel(
        pd.Series(y),  # an array breaks statsmodels' prediction (0.15)
        error=error,
        trend=trend,
        damped_trend=damped,
        seasonal=season,
        seasonal_periods=SEASON if season else None,
    )
    result = _quiet(lambda: model.fit(disp=False))
    prediction = _quiet(
        lambda: result.get_prediction(
            start=len(y),
            end=len(y) + h - 1,
            simulate_repetitions=500,
            rng=np.random.default_rng(0),
        ).summary_frame(alpha=0.2)
    )
    code = {None: "N", "add": "A", "mul": "M"}
    best = f"ETS({code[error]},{code[trend]}{'d' if damped else ''},{code[season]})"
    form = f"{best} {weights.max():.0%}, AICc-weighted with {len(forms) - 1} other forms"
    if len(forms) == 1:
        form = best
    sigma = (prediction["pi_upper"].to_numpy() - prediction["pi_lower"].to_numpy()) / (2 * Z80)
    return Member("ets", form, mean, sigma)


def arima(y: np.ndarray, seasonal: bool, h: int) -> Member:
    """Seasonal ARIMA by AICc, on logarithms for a positive seasonal series (see the module)."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    positive = seasonal and bool(np.all(y > 0))
    z = np.log(y) if positive else y
    orders = (
        [((0, 1, 1), (0, 1, 1, SEASON), "n"), ((1, 0, 0), (0, 1, 1, SEASON), "n")]
        if seasonal
        else [((0, 1, 1), (0, 0, 0, 0), "n"), ((1, 1, 0), (0, 0, 0, 0), "n")]
    )
    fits = {
        (order, seasonal_order, trend): lambda o=order, s=seasonal_order, t=trend: SARIMAX(
            z, order=o, seasonal_order=s, trend=t, concentrate_scale=True
        ).fit(disp=False)
        for order, seasonal_order, trend in orders
    }
    (order, seasonal_order, _), result = lowest_aicc(fits, "ARIMA order")
    form = "ARIMA({},{},{})".format(*order)
    if seasonal:
        form += "({},{},{})12".format(*seasonal_order[:3])
    future = result.get_forecast(h)
    mu, s = np.asarray(future.predicted_mean), np.asarray(future.se_mean)
    if not positive:
        return Member("arima", form, mu, s)
    lower, upper = np.exp(mu - Z80 * s), np.exp(mu + Z80 * s)
    return Member("arima", f"log {form}", np.exp(mu), (upper - lower) / (2 * Z80))


def theta(y: np.ndarray, seasonal: bool, h: int) -> Member:
    """The theta method on the seasonally adjusted series (see the module)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    positive = bool(np.all(y > 0))
    model = ThetaModel(
        y,
        period=SEASON if seasonal else 1,
        deseasonalize=seasonal,
        use_test=False,
        method="multiplicative" if positive else "additive",
    )
    result = _quiet(model.fit)
    mean = np.asarray(_quiet(lambda: result.forecast(h, theta=THETA)))
    bounds = _quiet(lambda: result.prediction_intervals(h, theta=THETA, alpha=0.2))
    sigma = (np.asarray(bounds["upper"]) - np.asarray(bounds["lower"])) / (2 * Z80)
    adjusted = "seasonally adjusted " if seasonal else ""
    return Member("theta", f"theta, {adjusted}SES with drift", mean, sigma)


FAMILIES: dict[str, Callable[[np.ndarray, bool, int], Member]] = {
    "ets": ets,
    "arima": arima,
    "theta": theta,
}
