"""Monthly bookings forecasts that hold on two to four years of history.

:func:`forecast` fits three model families to a monthly series, each in the form its
information criterion prefers on the whole series (exponential smoothing: its forms
weighted by AICc; :mod:`salesops.analytics.timeseries`), and
returns their mean with prediction intervals from the models' own variances blended
with the series' year-on-year change, calibrated on public series. Nothing is chosen on
a series' own backtest: on the 36 months a CRM typically holds, a backtest has too few
origins to tell models apart; the rules were chosen on the M3 competition's monthly
series and checked on Tourism's.
:func:`salesops.analytics.backtest.backtest` replays the same rule from past month-ends as evidence
for the report, and ``benchmarks/forecast_accuracy.py`` scores it on real series.

The rules, in order
    1. No history: unknown (NaN), with the reason. Every month zero: zero, with a note.
    2. The data begins at the first month with bookings, past the partial months right
       after it (under a tenth of the median month, a year at most): what comes before
       is left out, with a note (:func:`start`), never fitted as zeros.
    3. A month whose won deals all lack an amount is unknown (NaN), never fitted as $0: a
       model cannot skip a month, so the forecast is fitted on the months after the last
       unknown one, with a note saying so
       (:func:`salesops.analytics.gaps.known_since`); when the last month is
       unknown, the forecast is unknown. Then, fewer than ``MIN_PRICED`` (3) months
       with priced bookings (a month whose won deals
       have amounts summing above zero): unknown (NaN), with the reason
       (:attr:`Forecast.unknown`). One or two months say nothing of a level, a trend or a
       spread: a flat line through them, with a band from one or two values, would be a
       confident number the data cannot support.
    4. Under 24 months of data: a plain, labelled method (``PLAIN``): the mean of the
       last 12 months, flat, σ_h = s·√h with s their standard deviation (a wide band).
    5. Seasonality is used when the lag-12 autocorrelation passes its 95% test or the
       seasonal strength is at least 0.64 (:func:`salesops.analytics.timeseries.yearly_pattern`);
       a note gives both figures.
    6. The models see the last ten years at most, divided by their mean month (the
       optimisers fail on bookings in the millions); a series with a zero month gets
       additive forms only. The forecast is the mean of the ETS, ARIMA and theta
       forecasts, floored at zero. A family that cannot be fitted, or that forecasts a
       month above three times the best month so far (an explosive trend), is left out,
       with a note.
    7. σ per step blends the models' own σ with how much the series moves from one year
       to the next; the 80% interval is the forecast ± 1.2816σ, the 95% one ± 2.27σ,
       floored at zero (:mod:`salesops.analytics.intervals`).

Statistical libraries (statsmodels) are imported inside the model functions only, never
at package import.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field, replace

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics import timeseries as ts
from salesops.analytics.intervals import Z_MODELS, Z, spread
from salesops.data.periods import Period
from salesops.words import listed

SEASON = ts.SEASON
MIN_MODELS = 24  # months of data before models are fitted at all
MIN_PRICED = gaps.MIN_PRICED  # months with priced bookings before there is a forecast
PLAIN = "recent mean (under two years of data)"
MAX_FIT = 120  # the models see at most the last ten years
PLAUSIBLE = 3  # a model forecasting more than this many times the best month is left out


@dataclass
class Forecast:
    """A monthly forecast with its intervals and how it was made.

    Attributes
    ----------
    history
        The observed series, indexed by month label (``2026-10``).
    mean
        The point forecast per future month.
    sigma
        The forecast's standard error per step ahead.
    model
        What produced the forecast, e.g. ``mean of ETS(M,N,M), log ARIMA(0,1,1)(0,1,1)12,
        theta``.
    members
        One row per fitted model family: its form, its total over the forecast, its σ
        one step ahead.
    by_model
        Each family's own forecast per future month (one column per family).
    seasonal
        Whether the yearly pattern was used.
    notes
        Plain-language notes: short history, all zeros, no seasonality, a model left out.
    instead
        When no model was fitted, the note that says what the forecast is instead (the
        recent mean, zero, the last value, or unknown, and why); "" otherwise.
    z
        The multiple of σ that each interval spans either side of the forecast (normal
        quantiles, or the heavier-tailed ones measured for the models' forecasts).
    fitted
        How many months of ``history`` the forecast rests on, its last ones (from
        :attr:`fitted_from`): after the last unknown month and the months before the
        bookings begin (rules 2 and 3), the last ten years at most; 0 when it is unknown.
    """

    history: pd.Series
    mean: pd.Series
    sigma: np.ndarray
    model: str
    _: KW_ONLY
    members: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_model: pd.DataFrame = field(default_factory=pd.DataFrame)
    seasonal: bool = False
    notes: list[str] = field(default_factory=list)
    instead: str = ""
    z: dict[int, float] = field(default_factory=lambda: dict(Z))
    fitted: int = 0

    @property
    def fitted_from(self) -> str | None:
        """The first month the forecast rests on (``2026-01``), or None when unknown."""
        return str(self.history.index[-self.fitted]) if self.fitted else None

    @property
    def unknown(self) -> str | None:
        """Why the forecast is unknown (its notes), or None when it has numbers."""
        if len(self.mean) and self.mean.isna().all():
            return "; ".join(self.notes) or "no forecast"
        return None

    def total(self, months: int | slice | list[str] | None = None) -> float:
        """Σ of the forecast over ``months`` (the first n, a slice or labels; all by
        default): :class:`~salesops.analytics.gaps.Unknown`, with the reason, when a month
        of them is unknown (never a sum that skips them as zero)."""
        mean = self.mean
        if isinstance(months, int):
            mean = mean.iloc[:months]
        elif isinstance(months, slice):
            mean = mean.iloc[months]
        elif months is not None:
            mean = mean.reindex(months)
        if mean.isna().any():
            return gaps.Unknown(f"the forecast is unknown: {self.unknown or 'months missing'}")
        return float(mean.sum())

    def interval(self, level: int) -> pd.DataFrame:
        """``lower`` and ``upper`` bounds of the ``level`` % interval (80 or 95)."""
        half = self.z[level] * self.sigma
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

    def shifted(self, adjustment: np.ndarray) -> Forecast:
        """The same forecast moved by ``adjustment`` per step (intervals keep their width)."""
        return self.with_mean(self.mean.to_numpy() + adjustment)

    def with_mean(self, mean: np.ndarray) -> Forecast:
        """The same forecast with ``mean`` as its point forecast (intervals keep their width)."""
        return replace(self, mean=pd.Series(mean, index=self.mean.index))


def forecast(
    series: pd.Series, horizon: int = 12, last: str | None = None, min_priced: int = MIN_PRICED
) -> Forecast:
    """Forecast a monthly series ``horizon`` months ahead (the rules are in the module).

    Parameters
    ----------
    series
        Monthly values in time order, indexed by month (labels, Periods or first days);
        months without a won deal must already be zero-filled; a NaN month is unknown
        (its won deals all lack an amount): the fit uses the months after the last one.
    horizon
        Months to forecast.
    last
        The series' last month (``"2020-12"``), for an empty series: the months ahead
        follow it (without it, they follow the current month).
    min_priced
        Months with priced bookings needed for a forecast (rule 3); below it the
        forecast is unknown. A rep's forecast, which only sets their share of their
        region's (:func:`salesops.analytics.reconciliation.reps_of_region`), uses 1.

    Returns
    -------
    Forecast
        The point forecast (floored at zero), σ per step, the fitted models and notes.
        Short and all-zero series return a simple forecast with a note instead of
        raising; an empty one (no month yet), or one with fewer than ``min_priced``
        priced months, returns NaN with the reason (:attr:`Forecast.unknown`): unknown,
        not zero. The same series always gives the same forecast.
    """
    history = as_monthly(series)  # an unknown month stays NaN: never fitted as $0
    y = history.to_numpy(float)
    index = _future(history, horizon, last)
    if len(y) == 0:  # unknown, not zero: nothing says what the months ahead hold
        return _unknown(history, index, "no history")
    notes: list[str] = []
    gap = gaps.known_since(y)
    since = ""  # the reason's prefix when months before the fitted ones are unknown
    if gap:
        lacking = [str(m) for m in history.index[np.isnan(y)]]
        months = f"the deals won in {len(lacking)} of the {len(y)} months ({listed(lacking)})"
        if gap == len(y):
            return _unknown(
                history,
                index,
                f"{months} all lack an amount: their bookings are unknown, the last "
                "month's among them, so the forecast is unknown",
            )
        notes.append(
            f"{months} all lack an amount: their bookings are unknown, so the "
            f"forecast uses only the {len(y) - gap} months after the last of them, from "
            f"{history.index[gap]}"
        )
        since = f"after {history.index[gap - 1]}, whose bookings are unknown, "
        y = y[gap:]
    elif not np.any(y):
        note = "every month so far is zero, so the forecast is zero"
        zero = pd.Series(0.0, index=index)
        return Forecast(
            history, zero, np.zeros(horizon), "zero", notes=[note], instead=note, fitted=len(y)
        )
    first = start(y)
    if first:
        begun = history.index[gap : gap + first]  # "the first month (2024-01)", never "1 month"
        months = f"the first {first} months ({begun[0]} to {begun[-1]})"
        if first == 1:
            months = f"the first month ({begun[0]})"
        notes.append(
            f"{months}, before the bookings begin (zero or under a tenth of a typical month), "
            "left out"
        )
        y = y[first:]
    priced = int(np.count_nonzero(y))
    if priced < min_priced:
        booked = list(history.index[gap + first :][y != 0])
        which = f" ({', '.join(str(m) for m in booked)})" if booked else ""
        return _unknown(
            history,
            index,
            f"{since}only {priced} month{'s' if priced != 1 else ''} of bookings with an "
            f"amount{which}: a forecast needs at least {min_priced}, so it is unknown, not a "
            f"line through {'it' if priced == 1 else 'them'}",
        )
    if len(y) < MIN_MODELS:
        return _plain(history, y, index, notes)
    seasonal, why = ts.yearly_pattern(y[-MAX_FIT:])
    notes.append(
        f"{len(y)} months of data "
        + (
            f"with a yearly pattern ({why}): seasonal models are used"
            if seasonal
            else f"without a clear yearly pattern ({why}): seasonal models are not used"
        )
    )
    members = []
    recent = y[-MAX_FIT:]
    scale = float(np.mean(np.abs(recent))) or 1.0  # the optimisers work on values near 1
    for name, fit in ts.FAMILIES.items():
        try:
            member = fit(recent / scale, seasonal, horizon).scaled(scale)
        except Exception:  # a family that cannot fit this series is left out, with a note
            member = None
        if member is None or not np.all(np.isfinite(member.mean) & np.isfinite(member.sigma)):
            notes.append(f"the {name} model could not be fitted and was left out")
            continue
        if member.mean.max() > PLAUSIBLE * y.max():
            notes.append(
                f"the {name} model ({member.form}) forecast more than {PLAUSIBLE}× the "
                "best month so far and was left out"
            )
            continue
        members.append(member)
    if not members:
        notes.append("no model could be fitted, so the forecast repeats the last value")
        sigma = float(np.std(np.diff(y))) * np.sqrt(np.arange(1, horizon + 1))
        last = pd.Series(y[-1], index=index)
        return Forecast(
            history,
            last,
            sigma,
            "naive",
            seasonal=seasonal,
            notes=notes,
            instead=notes[-1],
            fitted=len(recent),
        )
    means = np.array([m.mean for m in members])
    sigma = spread(means, np.array([m.sigma for m in members]), recent)
    table = pd.DataFrame(
        {
            "model": [m.name for m in members],
            "form": [m.form for m in members],
            "total": [m.mean.sum() for m in members],
            "sigma_1": [m.sigma[0] for m in members],
        }
    ).set_index("model")
    forms = ", ".join(m.form for m in members)
    model = f"mean of {forms}" if len(members) > 1 else forms
    mean = pd.Series(np.maximum(means.mean(axis=0), 0.0), index=index)
    by_model = pd.DataFrame({m.name: np.maximum(m.mean, 0.0) for m in members}, index=index)
    return Forecast(
        history,
        mean,
        sigma,
        model,
        members=table,
        by_model=by_model,
        seasonal=seasonal,
        notes=notes,
        z=dict(Z_MODELS),
        fitted=len(recent),
    )


def start(y: np.ndarray) -> int:
    """The month the data begins: the first month with bookings, then past the partial
    months that follow it (under a tenth of the median month, a year of them at most), so
    that a CRM's or a rep's first months are not fitted as if they were sales."""
    y = np.asarray(y, float)
    if not np.any(y):
        return 0
    first = int(np.argmax(y != 0))
    rest = y[first:]
    typical = np.median(rest[rest > 0])
    partial = int(np.argmax(rest >= 0.1 * typical))
    return first + min(partial, SEASON)


def unknown(after: Period | str, horizon: int, reason: str) -> Forecast:
    """The forecast of the ``horizon`` months after ``after`` that cannot be made: NaN
    every month, ``reason`` its one note (a region with no deal won, say)."""
    first = pd.Period(Period.parse(after).last_day, freq="M") + 1
    index = pd.Index(pd.period_range(first, periods=horizon, freq="M").strftime("%Y-%m"))
    return _unknown(pd.Series(dtype=float), index.rename("month"), reason)


def _unknown(history: pd.Series, index: pd.Index, reason: str) -> Forecast:
    """The forecast that cannot be made: NaN every month, ``reason`` its one note."""
    nothing = np.full(len(index), np.nan)
    return Forecast(
        history, pd.Series(nothing, index=index), nothing, "none", notes=[reason], instead=reason
    )


def _plain(history: pd.Series, y: np.ndarray, index: pd.Index, notes: list[str]) -> Forecast:
    """Under two years of data: the mean of the last 12 months (or fewer), flat, with
    σ_h = s·√h, s the months' standard deviation (their mean if they are all equal)."""
    recent = y[-SEASON:]
    level = float(np.mean(recent))
    spread = float(np.std(recent, ddof=1) if len(recent) > 1 else 0.0) or abs(level)
    sigma = spread * np.sqrt(np.arange(1, len(index) + 1))
    notes.append(
        f"only {len(y)} months of data: too short to fit a model, so the forecast is the "
        f"mean of the last {len(recent)} months (flat), with a wide interval"
    )
    return Forecast(
        history,
        pd.Series(level, index=index),
        sigma,
        PLAIN,
        notes=notes,
        instead=notes[-1],
        fitted=len(y),
    )


def as_monthly(series: pd.Series) -> pd.Series:
    """The series with month labels (``2026-10``) as its index; integer positions stay.
    A NaN month (its won deals all lack an amount) stays NaN: unknown, not $0."""
    s = pd.Series(series, dtype=float)
    if isinstance(s.index, pd.PeriodIndex | pd.DatetimeIndex):
        s.index = pd.Index(s.index.strftime("%Y-%m"), name="month")
    elif not pd.api.types.is_integer_dtype(s.index):
        s.index = pd.Index([str(v)[:7] for v in s.index], name="month")
    return s


def _future(history: pd.Series, horizon: int, last: str | None = None) -> pd.Index:
    """The index of the ``horizon`` months after ``history`` (after ``last`` when the
    history is empty and ``last`` is given: a CRM where the source holds no closed deal)."""
    if pd.api.types.is_integer_dtype(history.index):
        first = int(history.index[-1]) + 1 if len(history) else 0
        return pd.RangeIndex(first, first + horizon)
    if len(history):
        final = pd.Period(history.index[-1], freq="M")
    else:
        final = pd.Period(last, freq="M") if last is not None else pd.Period.now("M")
    months = pd.period_range(final + 1, periods=horizon, freq="M")
    return pd.Index(months.strftime("%Y-%m"), name="month")
