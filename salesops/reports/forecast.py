"""The bookings forecast report (``notebooks/forecast.ipynb``): the monthly forecast with
its intervals, the quarter outlook from the pipeline and the breakdown by region; the
deals that matter most are in :mod:`salesops.reports.deals`, and the models, their
backtest and how accurate past forecasts were in :mod:`salesops.reports.evidence`.

A region's forecast is the reconciled one, so that the regions always add up to the
company, and its deals' win probabilities are calibrated on the whole company's history:
its numbers depend on the company's data (``reads: company`` in a plan). The report loads
only its scope's rows, though, without leads or activities, and reads what it needs of
the company (:class:`~salesops.reports.shared.CompanyForecast`) from the cache, computed
once per run. Each section is a function of the context returning a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from salesops import markup
from salesops.analytics import forecast as fc
from salesops.analytics import gaps, outlook, probability, reconciliation, rollup, runrate
from salesops.analytics import pipeline as pl
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.scopes import Scope
from salesops.reports import formatting as fmt
from salesops.reports import labels, plots, shared
from salesops.reports.context import ReportContext, make_options, options_of, per_context
from salesops.reports.display import View, heading, plain, section, viewed
from salesops.words import plural

OUTLOOK_LABELS = {
    "closed": "Closed to date",
    "weighted_pipeline": "Open pipeline × win probability × in-quarter share",
    "in_quarter_share": "In-quarter share of wins (slippage)",
    "run_rate": "Run-rate from deals not created yet",
    "expected": "Pipeline forecast",
    "time_series": "Time-series forecast",
    "open_deals": "Open deals due",
    "unpriced_deals": "Open deals due without an amount",
    "quota": "Quota",
    "expected_attainment": "Expected attainment",
    "commit": "Commit roll-up (CRM categories)",
    "best_case": "Best-case roll-up",
    "pipeline": "Pipeline roll-up",
    "submitted_commit": "Submitted commit (reps)",
    "submitted_best_case": "Submitted best case (reps)",
}
# each row's kind: LABELS' for expected and quota, these for the outlook's own rows
OUTLOOK_FORMATS = labels.kinds(
    OUTLOOK_LABELS,
    dict.fromkeys(
        ["closed", "weighted_pipeline", "run_rate", "time_series", "commit", "best_case"],
        "money",
    )
    | dict.fromkeys(["pipeline", "submitted_commit", "submitted_best_case"], "money")
    | {"expected_attainment": "pct", "in_quarter_share": "pct"}
    | {"open_deals": "number", "unpriced_deals": "number"},
)
COMPANY_TOTAL = "Company total"  # the breakdown's last row: not "Company", a region's name
INTERVALS = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]


@dataclass(frozen=True, kw_only=True)
class ForecastOptions:
    """The forecast report's options (``notebooks/forecast.ipynb``'s parameters cell
    says the same).

    Parameters
    ----------
    horizon
        Months to forecast after the period, a whole number from 1.
    """

    horizon: int = 12

    def __post_init__(self) -> None:
        h = self.horizon
        if isinstance(h, bool) or not isinstance(h, int) or h < 1:
            raise ValueError(f"horizon: a whole number of months from 1; got {h!r}")


def context(
    source: Any = None,
    scope: str = "company",
    period: str = "latest",
    *,
    on_invalid: str = "refuse",
    data_fingerprint: dict[str, str] | None = None,
    **options: Any,
) -> ReportContext:
    """The forecast's context: the scope's tables that a forecast reads
    (``shared.FORECAST_TABLES``), and its ``options``, the keywords of
    :class:`ForecastOptions` (horizon). ``data_fingerprint`` is the runner's fingerprint
    of the company (see :class:`ReportContext`)."""
    ctx = ReportContext.load(
        source,
        scope,
        period,
        on_invalid=on_invalid,
        data_fingerprint=data_fingerprint,
        tables=shared.FORECAST_TABLES,
        options=make_options(ForecastOptions, options),
    )
    if ctx.scope.level == "rep":
        raise ValueError("the forecast report is for the company or a region")
    return ctx


def horizon(ctx: ReportContext) -> int:
    """Months to forecast (:class:`ForecastOptions`)."""
    return options_of(ctx, ForecastOptions).horizon


@per_context
def company(ctx: ReportContext) -> shared.CompanyForecast:
    """What the report reads of the whole company (:func:`shared.company_forecast`)."""
    return shared.company_forecast(ctx, horizon(ctx))


def forecasts(ctx: ReportContext) -> tuple[fc.Forecast, dict[str, fc.Forecast]]:
    """The company's forecast and its regions', reconciled so that they add up."""
    return company(ctx).company, company(ctx).regions


def forecast(ctx: ReportContext) -> fc.Forecast:
    """The scope's forecast."""
    company, regions = forecasts(ctx)
    if ctx.scope.level == "company":
        return company
    return reconciliation.of_region(regions, str(ctx.scope.value), ctx.period, horizon(ctx))


@per_context
def scoped(ctx: ReportContext) -> Tables:
    """The scope's own rows of the company's tables."""
    return ctx.tables.for_scope(ctx.scope)


def win_model(ctx: ReportContext) -> probability.WinModel:
    """Win probabilities calibrated on the whole company's history."""
    return company(ctx).win_model


def title(ctx: ReportContext) -> HTML:
    """The heading: scope, the month the forecast starts after, and the horizon."""
    return heading(
        f"{ctx.who} · bookings forecast after {ctx.period.label} · {horizon(ctx)} months ahead",
        ctx.tables,
    )


def notes(ctx: ReportContext) -> Markdown | None:
    """The forecast's notes (short history, zeros, a model left out, no stage history)."""
    said = list(forecast(ctx).notes)
    start = gaps.bookings_start(ctx.tables.opportunities, ctx.stages)
    if start.month is None or start.day > ctx.tables.opportunities["created_date"].min():
        said.insert(0, gaps.sentence(start, "bookings"))  # deals before the first close
    if ctx.tables.opportunity_history is None:
        said.append(
            f"This source has no stage history: open deals are taken {ctx.exported}, "
            "and their win probabilities are "
            "the stage defaults, not calibrated on past deals."
        )
    elif not win_model(ctx).learnt_from:
        said.append(
            "Win probabilities are the stage defaults, not calibrated: "
            f"{shared.uncalibrated(ctx.tables, win_model(ctx))}."
        )
    return Markdown("\n".join(f"- *{markup.markdown(n)}*" for n in said)) if said else None


@section("Monthly")
def monthly(ctx: ReportContext, months: int = 36) -> pd.DataFrame:
    """The forecast per month with its 80% and 95% intervals, drawn after the last
    ``months`` months of history (``show(frame, table=True)``: the numbers)."""
    f = forecast(ctx)
    chart_title = f"{ctx.who}: monthly bookings and the {horizon(ctx)}-month forecast"
    history = f.history.iloc[-months:]
    view = View(
        {},  # the forecast and its intervals are money in LABELS
        f"Model: {f.model}",
        lambda frame: plots.forecast(history, frame, chart_title),
    )
    return viewed(f.frame(), view)


def quarters(ctx: ReportContext) -> list[Period]:
    """The current quarter (holding the day after the period) and the next one."""
    current = ctx.period_of(ctx.as_of + pd.Timedelta(days=1)).quarter()
    return [current, current.shift(1)]


@per_context
def outlook_by_quarter(ctx: ReportContext) -> pd.DataFrame:
    """Closed + weighted pipeline + run-rate per quarter (columns), against quota, the
    time-series forecast, the category roll-up and the reps' submissions."""
    mine = scoped(ctx)
    opps, history = mine.opportunities, mine.opportunity_history
    rows = {}
    for q in quarters(ctx):
        forecast_ = outlook.pipeline_forecast(
            opps, q, ctx.as_of, win_model(ctx), stages=ctx.stages, history=history
        )
        row = dict(forecast_.items())  # not to_dict() nor enlarging a Series: both drop an Unknown
        row["time_series"] = _time_series(ctx, q)
        no_quota = "this source has no quotas" if mine.quotas is None else f"no quota for {q.label}"
        row["quota"] = gaps.known(rollup.quota(mine.quotas, q), no_quota)
        row["expected_attainment"] = _attainment(row["expected"], row["quota"])
        cats = rollup_of(ctx, q)
        sent = rollup.submitted(mine.forecast_submissions, q)
        unsent = (
            "this source has no forecast submissions"
            if mine.forecast_submissions is None
            else f"no rep submitted a forecast for {q.label}"
        )
        for key in ("commit", "best_case", "pipeline"):
            row[key] = cats[key]
        row["submitted_commit"] = gaps.known(sent["commit"], unsent)
        row["submitted_best_case"] = gaps.known(sent["best_case"], unsent)
        rows[q.label] = pd.Series(row, dtype=object)
    return pd.DataFrame(rows)  # of objects: an Unknown keeps its reason


@per_context
def rollup_of(ctx: ReportContext, quarter: Period) -> pd.Series:
    """:func:`salesops.analytics.rollup.categories` of the scope's deals for ``quarter``."""
    mine = scoped(ctx)
    return rollup.categories(
        mine.opportunities,
        quarter,
        ctx.as_of,
        stages=ctx.stages,
        history=mine.opportunity_history,
    )


def rollups(ctx: ReportContext) -> dict[str, tuple[int, int]]:
    """Per quarter label: (deals due with a forecast category, those without an amount)."""
    return {
        q.label: (int(c["categorised"]), int(c["unpriced"]))
        for q in quarters(ctx)
        for c in [rollup_of(ctx, q)]
    }


def _attainment(expected: float, quota: float) -> float:
    """Expected bookings over quota; unknown, with the reasons of each that is (the quota's
    first), when either is."""
    lacking = [reason.rstrip(".") for value in (quota, expected) if (reason := gaps.why(value))]
    if lacking:
        return gaps.Unknown("; and ".join(lacking))
    return expected / quota if quota > 0 else np.nan


def _time_series(ctx: ReportContext, quarter: Period) -> float:
    """Actual bookings of the quarter's past months plus the forecast of the rest."""
    f = forecast(ctx)
    value = float(sum(f.history.get(m, f.mean.get(m, np.nan)) for m in quarter.months))
    return gaps.known(value, f"the time-series forecast is unknown: {f.unknown}")


@section("Quarter outlook")
def quarter_outlook(ctx: ReportContext) -> pd.DataFrame:
    """The outlook as shown: a row per figure, labelled, each formatted by its kind; the
    pipeline and time-series forecasts side by side, and the caption says what sets them
    apart in each quarter (:func:`apart`)."""
    frame = outlook_by_quarter(ctx).loc[list(OUTLOOK_LABELS)]
    rows = {OUTLOOK_LABELS[k]: OUTLOOK_FORMATS[k] for k in OUTLOOK_LABELS}
    caption = "Quarter outlook. " + " ".join(
        apart(q, frame[q], ctx.settings.currency) for q in frame.columns
    )
    o, at = scoped(ctx).opportunities, ctx.as_of  # most won deals unpriced: said once
    said = {runrate.unpriced_wins(o, q, at, stages=ctx.stages) for q in quarters(ctx)} - {""}
    caption += "".join(f" {s}." for s in sorted(said))
    for q in frame.columns:  # the roll-ups' sums left deals out: say how many
        n, lacking = rollups(ctx)[q]
        if 0 < lacking < n:
            note = gaps.left_out(lacking, n, f"open deals due in {q} with a forecast category")
            caption += f" Roll-ups: {note[0].lower()}{note[1:]}"
    caption += "".join(f" {said}." for said in invented(ctx).values())
    return viewed(frame.rename(index=OUTLOOK_LABELS), View(caption=caption, rows=rows))


def invented(ctx: ReportContext) -> dict[str, str]:
    """Per quarter of the outlook, how many of its open deals due (in its pipeline view
    and roll-ups) are due there only by a close date a default invented, and their
    amount, with the rule (:meth:`ReportContext.invented_by`); none when no deal is."""
    mine, ids = scoped(ctx), ctx.tables.filled_ids.get("opportunities.close_date")
    if not ids:
        return {}
    state = outlook.open_at(
        mine.opportunities, ctx.as_of, ctx.stages, history=mine.opportunity_history
    )
    out = {}
    for q in quarters(ctx):
        due = outlook.due_in(state, q, ctx.as_of, ctx.stages)
        made = pl.by_invented_dates(due, mine.opportunities, ids)
        if made.empty:
            continue
        priced = made["amount"].dropna()
        worth = f" ({ctx.money(priced.sum())})" if len(priced) else ""
        out[q.label] = (
            f"Of the {plural(len(due), 'open deal')} due in {q.label}, {len(made):,}{worth} "
            f"{'is' if len(made) == 1 else 'are'} due there by close dates filled by "
            f"{ctx.invented_by(made)}"
        )
    return out


def apart(quarter: str, row: pd.Series, currency: str = fmt.DEFAULT_CURRENCY) -> str:
    """One line: the quarter's pipeline and time-series views (money in ``currency``),
    and what parts them (:func:`salesops.analytics.outlook.apart`) when they differ by
    more than 10%."""
    why = outlook.apart(row)
    views = (
        f"{quarter}: pipeline view {fmt.money(row['expected'], True, currency=currency)}, "
        f"time-series view {fmt.money(row['time_series'], True, currency=currency)}"
    )
    if pd.notna(why["ratio"]) and abs(why["ratio"] - 1) <= 0.1:
        return f"{views}, within 10% of each other."
    reasons = []
    if why["unpriced"] > 0:
        n = int(why["unpriced"])
        reasons.append(
            f"{n:,} of {int(why['open_deals']):,} open deals due {'has' if n == 1 else 'have'} "
            "no amount and count for nothing in the pipeline view"
        )
    if why["slippage"] > 0:
        reasons.append(f"{fmt.pct(why['slippage'])} of the wins of due deals slip past the quarter")
    if pd.notna(why["run_rate"]) and why["run_rate"] >= 0.005:
        reasons.append(f"{fmt.pct(why['run_rate'])} of the pipeline view is run-rate")
    reasons.append("the time series projects past monthly bookings and does not read the pipeline")
    return f"{views}: {'; '.join(reasons)}."


@section("Breakdown")
def breakdown(ctx: ReportContext) -> pd.DataFrame:
    """For the company: each region's forecast, reconciled so that they add up to the
    company's (for a region, an empty frame that says where the breakdown is)."""
    if ctx.scope.level != "company":
        where = "The breakdown by region is in the company's forecast report."
        return viewed(pd.DataFrame(), View(empty=where))
    company, regions = forecasts(ctx)
    ahead = f"next_{horizon(ctx)}_months"
    rows, total = {}, labels.total_row(regions, COMPANY_TOTAL)  # never a region's own row
    for name, f in [*regions.items(), (total, company)]:
        last = _last_year(f, ctx.tables, None if name == total else Scope("region", name))
        growth = last if gaps.why(last) else f.total(12) / last - 1 if last > 0 else np.nan
        rows[name] = pd.Series(
            {
                "last_12_months": last,
                "next_quarter": f.total(3),
                ahead: f.total(),
                "growth": growth,
                "model": f.model,
            },
            dtype=object,
        )
    caption = f"Per-region forecast, reconciled so that the regions add up to the {total}"
    frame = pd.DataFrame(rows).T.rename_axis("region")
    return viewed(frame, View({ahead: "money", "growth": "change"}, caption))


def _last_year(f: fc.Forecast, tables: Tables, region: Scope | None = None) -> float:
    """Bookings of the last 12 months of ``f``'s history; unknown when the series (which
    starts at the first close) holds fewer than 12 months: a sum of fewer months is not
    a year, and growth against it would be inflated. Without one, ``tables``' deals (of
    ``region``, if given: :meth:`Tables.for_scope`) say why none has closed
    (:func:`salesops.analytics.gaps.no_close`)."""
    n = len(f.history)
    if n == 0:
        deals = (tables if region is None else tables.for_scope(region)).opportunities
        none = gaps.no_close(deals)
        return gaps.Unknown(f"{none}: no year of bookings to compare with")
    if n < 12:
        return gaps.Unknown(
            f"the bookings series holds {n} month{'s' if n != 1 else ''} (from "
            f"{f.history.index[0]}, the first close): not a year to compare with"
        )
    year = f.history.iloc[-12:]
    if year.isna().any():  # a month whose won deals lack amounts is not a month of $0
        months = ", ".join(year.index[year.isna()])
        return gaps.Unknown(
            f"the bookings of {months} are unknown (the deals won then have no amount): "
            "no year of bookings to compare with"
        )
    return float(year.sum())


def summary(ctx: ReportContext) -> dict[str, Any]:
    """Headline numbers as JSON-ready values: an unknown number is null, and ``"unknown"``
    names it with its reason; ``history_months`` counts the months of the bookings series
    (from ``history_starts``, the first close), ``fitted_months`` the last of them that the
    forecast rests on (from ``fitted_from``: after the last unknown month and the months
    before the bookings begin; 0 and null when the forecast is unknown); ``notes`` says of
    a quarter's outlook what rests on close dates a default invented."""
    frame, f, made = outlook_by_quarter(ctx), forecast(ctx), invented(ctx)
    return ctx.summary(
        "forecast",
        model=f.model,
        history_months=len(f.history),
        history_starts=f.history.index[0] if len(f.history) else None,
        fitted_months=f.fitted,
        fitted_from=f.fitted_from,
        forecast={m: plain(gaps.known(v, "; ".join(f.notes))) for m, v in f.mean.items()},
        outlook={q: {k: plain(v) for k, v in frame[q].items()} for q in frame.columns},
        **({"notes": {f"outlook.{q}": n for q, n in made.items()}} if made else {}),
    )
