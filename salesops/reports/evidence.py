"""The evidence behind the bookings forecast report (``notebooks/forecast.ipynb``): the
fitted models and how the rule did from past month-ends, past forecasts against what was
booked, and how well the win probabilities are calibrated.

Each section is a function of the forecast's context
(:func:`salesops.reports.forecast.context`) returning a DataFrame.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import Markdown

from salesops import markup
from salesops.analytics.backtest import Backtest
from salesops.analytics.forecast import Forecast
from salesops.reports import formatting as fmt
from salesops.reports import shared
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, section, viewed
from salesops.reports.forecast import company, forecast, horizon
from salesops.words import plural

FAMILY_LABELS = {
    "forecast": "Forecast (mean of three)",
    "ets": "Exponential smoothing",
    "arima": "ARIMA",
    "theta": "Theta",
    "seasonal naive": "Seasonal naive",
}


MEMBER_LABELS = {"form": "Form", "sigma_1": "Standard error, one month ahead"}


@per_context
def evidence(ctx: ReportContext) -> Backtest:
    """The forecast rule replayed from past month-ends on the scope's own series (kept on
    disk under the series' content hash, like the forecast)."""
    history, ahead = forecast(ctx).history, horizon(ctx)
    return shared.backtest(history, ahead)


@section("Models")
def models(ctx: ReportContext) -> tuple[Any, ...]:
    """The fitted model families, and how the rule did from past month-ends against each
    family alone and seasonal naive."""
    f = forecast(ctx)
    if f.members.empty:
        return (Markdown(f"*No model was fitted: {markup.markdown(f.instead or f.model)}.*"),)
    ahead = f"Next {horizon(ctx)} months"
    members = f.members.rename(index=FAMILY_LABELS, columns=MEMBER_LABELS | {"total": ahead})
    fitted = viewed(
        members.rename_axis(None),
        View(
            {ahead: "money", MEMBER_LABELS["sigma_1"]: "money"},
            "The forecast is the mean of these models, each in the form (or, for exponential "
            "smoothing, the forms weighted by) its information criterion on the whole history",
        ),
    )
    past = evidence(ctx)
    if past.table.empty:
        return (fitted, Markdown(f"*{too_short(f)}*"))
    share = past.coverage
    caption = (
        f"Backtest from {len(past.past['origin'].unique())} past month-ends "
        "(lower MASE and WAPE are better; bias > 0 over-forecasts). Share of actuals "
        f"inside the intervals: 80% → {fmt.pct(share.get(80))}, "
        f"95% → {fmt.pct(share.get(95))}"
    )
    scores = past.table.rename(index=FAMILY_LABELS).rename_axis(None)  # labels: LABELS
    return fitted, viewed(scores, View({}, caption))


@section("Accuracy")
def accuracy(ctx: ReportContext) -> pd.DataFrame:
    """The forecast's past predictions against what was booked, per backtest origin."""
    past = evidence(ctx)
    formats = {"error": "change"}
    if past.past.empty:
        return viewed(pd.DataFrame(), View(empty="Too little history to show past forecasts."))
    grouped = past.past.groupby("origin").agg(
        months=("month", lambda m: f"{m.iloc[0]} – {m.iloc[-1]}"),
        forecast=("forecast", "sum"),
        actual=("actual", "sum"),
    )
    actual = grouped["actual"].where(grouped["actual"] > 0)
    grouped["error"] = (grouped["forecast"] - grouped["actual"]) / actual
    chosen = past.table.loc["forecast"]
    caption = (
        "Forecasts made at past month-ends against actual bookings · "
        f"MASE {chosen['mase']:.2f}, WAPE {fmt.pct(chosen['wape'])}, "
        f"bias {fmt.change(chosen['bias'])}"
    )
    return viewed(grouped.rename_axis("made after"), View(formats, caption))


@section("Win-probability calibration")
def calibration(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Brier scores of the three win-probability estimates, and the calibrated estimate's
    reliability table, out of time, on the whole company's deals."""
    calibration = company(ctx).calibration
    assert calibration is not None  # the section needs the stage history, which it is made of
    scores, tables = calibration
    return (
        viewed(
            scores,
            View(
                {"brier": "decimal"},
                "Win probability: Brier score on the last 12 months (lower is better)",
            ),
        ),
        viewed(
            tables["calibrated"],
            View(
                {"predicted": "pct", "observed": "pct"},
                "Calibrated win probability: predicted against observed",
            ),
        ),
    )


def too_short(f: Forecast) -> str:
    """The line in place of the backtest when there is none: the months the forecast rests
    on (:attr:`~salesops.analytics.forecast.Forecast.fitted`), not all the months of the
    bookings series when some came before an unknown month or before the bookings began."""
    months = len(f.history)
    if f.fitted and f.fitted < months:
        return (
            f"The forecast rests on the last {f.fitted} of the {plural(months, 'month')} of "
            f"bookings (from {f.fitted_from}; the notes say why): too short for a backtest."
        )
    return f"Under three years of history ({plural(months, 'month')}): too short for a backtest."
