"""The sales metrics report (``notebooks/metrics.ipynb``): headline KPIs, the bookings
trend, lead management, selling time and forecast precision of the company or one region;
the breakdowns are in :mod:`salesops.reports.breakdowns`, and the pipeline, conversion and
data quality sections in :mod:`salesops.reports.pipeline_health`.

Each section is a function of a :class:`~salesops.reports.context.ReportContext`
returning a DataFrame; :func:`~salesops.reports.display.show` shows it as tiles, a
chart or a table::

    ctx = so.ReportContext.load(source, "region:EMEA", "2026-10")
    so.show(metrics.kpis(ctx))
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML

from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import pipeline as pl
from salesops.analytics import precision as pr
from salesops.data import coverage
from salesops.data.model import LOST_DEALS, OPEN_DEALS
from salesops.data.periods import Period
from salesops.reports import formatting as fmt
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import (
    Tile,
    View,
    formatted,
    heading,
    plain,
    section,
    tiles_html,
    tone,
    viewed,
)
from salesops.reports.trend import trend as bookings_trend

LOWER_IS_BETTER = {"Sales cycle (median)", "Lead response (median)"}  # a fall is good news
# What each headline KPI needs beyond deals (see salesops.data.coverage).
KPI_NEEDS = {
    "Bookings": ("opportunities.amount",),
    "Quota attainment": ("quotas", "opportunities.amount"),
    "Win rate": (LOST_DEALS,),
    "Average deal size": ("opportunities.amount",),
    "Open pipeline, next period": ("opportunities.amount", OPEN_DEALS),
    "Pipeline coverage": ("quotas", "opportunities.amount", OPEN_DEALS),
    "Lead response (median)": ("leads.first_response_at",),
}
# Why a headline KPI reads "–" for a period ({}) when nothing more precise says so.
KPI_EMPTY = {
    "Bookings": "no bookings can be counted in {}",
    "Quota attainment": "no quota for {}",
    "Win rate": "no deal closed in {}",
    "Average deal size": "no deal with an amount was won in {}",
    "Sales cycle (median)": "no deal was won in {}",
    "Open pipeline, next period": "the open pipeline after {} cannot be counted",
    "Pipeline coverage": "no quota left to cover after {}",
    "Lead response (median)": "no lead created in {} was answered",
}
RESPONSE_COLUMNS = ["median_hours", "p90_hours", "within_1h", "within_24h", "never"]
LEAD_FORMATS = {
    "leads": "number",
    "never": "pct",
}
PRECISION_FORMATS = {
    "forecasts": "number",
}


def title(ctx: ReportContext) -> HTML:
    """The report heading: scope, period and the data's as-of day at the period's end
    (:attr:`ReportContext.as_of`, the one date the heading, the body and the summary
    name)."""
    return heading(f"{ctx.who} · {ctx.period.label} · {ctx.data_as_of}", ctx.tables)


def pipeline_at(ctx: ReportContext, moment: pd.Timestamp, window: Period | None) -> float:
    """The open pipeline due to close in ``window`` (any time: None), as it stood at
    ``moment``: the deals then by the one rule for a moment
    (:func:`salesops.analytics.pipeline.pipeline_as_of` given the deals, as pipeline
    health, efficiency and the quarter outlook take them), from the stage history where a
    deal has a row before ``moment``, else from its created and close dates
    (:func:`rebuilt` says how many). Unknown, with the reason, when no open deal has an
    amount, or the export holds no open deal at all (no open stage)."""
    if lacking := coverage.reason(ctx.tables, (OPEN_DEALS,), "the open pipeline"):
        return gaps.Unknown(lacking.replace("`", ""))
    history, o = ctx.tables.opportunity_history, ctx.tables.opportunities
    pipe = pl.pipeline_as_of(history, moment, window, opportunities=o, stages=ctx.stages)
    return pipe["amount"]


def rebuilt(ctx: ReportContext) -> str:
    """What the tiles and the summary say of the open pipeline at the period's end and
    the previous period's when deals open then have no stage history row before it (a
    source without stage history, or a history that starts later than the deals): that
    their state then is rebuilt from their created and close dates, and how many they are
    at each moment ("" when every open deal then has one, or the source holds no open
    deal; :func:`salesops.analytics.pipeline.unrecorded_open`)."""
    t = ctx.tables
    if not t.has(OPEN_DEALS):
        return ""
    history, counts, ns = t.opportunity_history, [], []
    for p in (ctx.period, ctx.period.shift(-1)):
        n = pl.unrecorded_open(t.opportunities, p.end, ctx.stages, history=history)
        ns.append(n)
        counts.append(f"{n:,} {'deal' if n == 1 else 'deals'} at the end of {p.label}")
    how = (
        "(a deal created before the end and not closed by then counts as open; one that "
        f"closed later at its exported amount, its stage then unknown): {' and '.join(counts)}."
    )
    if history is None:
        return (
            "This source has no stage history: the open pipeline at a period's end is rebuilt "
            f"from the deals' created and close dates, not from a stage history {how}"
        )
    if not any(ns):
        return ""
    return (
        "Some open deals have no stage history row before a period's end (the history starts "
        "later, or skips them): the open pipeline then counts them from their created and "
        f"close dates, not from the stage history {how}"
    )


@per_context
def kpis(ctx: ReportContext) -> pd.DataFrame:
    """Headline KPIs with their change against the previous period and last year; shown
    as tiles, without those the source cannot support."""
    o, st, q = ctx.tables.opportunities, ctx.stages, ctx.tables.quotas

    no_quotas = gaps.Unknown("this source has no quotas")

    def attainment(p: Period) -> float:
        if q is None:
            return no_quotas
        booked = m.bookings(o, p, stages=st)
        if gaps.why(booked):  # bookings unknown: so is their share of quota, not 0%
            return booked
        return m.quota_attainment(o, q, p, stages=st)["attainment"].iloc[0]

    def pipeline_coverage(p: Period) -> float:
        if q is None:
            return no_quotas
        nxt = p.shift(1)
        quota = q.loc[nxt.contains(q["month"]), "amount"].sum()
        open_amount = pipeline_at(ctx, p.end, nxt)
        if gaps.why(open_amount):
            return open_amount
        return open_amount / quota if quota > 0 else np.nan

    def response(p: Period) -> float:
        leads = ctx.tables.leads
        if leads is None:
            return gaps.Unknown("this source has no leads")
        return m.lead_response(leads, p)["median_hours"]

    booked, piped = starts(ctx)
    rows = {
        "Bookings": (lambda p: m.bookings(o, p, stages=st), "money", booked),
        "Quota attainment": (attainment, "pct", booked),
        "Win rate": (lambda p: m.win_rate(o, p, stages=st), "pct", booked),
        "Average deal size": (lambda p: m.average_deal_size(o, p, stages=st), "money", booked),
        "Sales cycle (median)": (
            lambda p: m.sales_cycle(o, p, stages=st)["median_days"],
            "days",
            booked,
        ),
        "Open pipeline, next period": (
            lambda p: pipeline_at(ctx, p.end, p.shift(1)),
            "money",
            piped,
        ),
        "Pipeline coverage": (pipeline_coverage, "ratio", piped),
        "Lead response (median)": (response, "hours", None),
    }
    out = {}
    for name, (value, kind, start) in rows.items():
        lacking = coverage.reason(ctx.tables, KPI_NEEDS.get(name, ()), name.lower())
        if lacking:  # what the source cannot hold reads – with why, in the summary too
            value = _unknown(lacking.replace("`", ""))
        what = "pipeline" if start is piped else "closed deals"
        changes = m.growth(_with_reason(value, KPI_EMPTY[name]), ctx.period, start, what)
        out[name] = pd.concat([pd.Series({"kind": kind}, dtype=object), changes])
    frame = pd.DataFrame(out).T.rename_axis("kpi")  # of objects: an Unknown keeps its reason
    return viewed(frame, View(caption="Headline KPIs", draw=lambda f: _tiles(ctx, f)))


def _unknown(reason: str) -> Callable[[Period], float]:
    """A KPI unknown in every period, for ``reason``."""
    return lambda p: gaps.Unknown(reason)


def _with_reason(value: Callable[[Period], float], reason: str) -> Callable[[Period], float]:
    """``value``, whose NaN for a period reads ``reason`` (``{}``: the period's label)."""
    return lambda p: gaps.known(value(p), reason.format(p.label))


def _tiles(ctx: ReportContext, kpis: pd.DataFrame) -> HTML:
    needs = {k: KPI_NEEDS.get(k, ()) for k in kpis.index}
    gone, said = coverage.not_shown(ctx.tables, needs)
    tiles = []
    shown = kpis.drop(index=gone)
    for name in shown.index:  # not iterrows, which loses an Unknown's reason
        row = shown.loc[name]
        changes = " · ".join(
            f"<span class='{tone(move, name in LOWER_IS_BETTER)}'>{text}</span> {label}"
            for move, text, label in (
                (*_moved(row, "previous"), "vs prev."),
                (*_moved(row, "last_year"), "vs last yr"),
            )
        )
        reason = gaps.why(row["current"])
        if reason:  # "–", and why
            changes = f"<span class='flat'>{escape(reason)}</span>"
        value = formatted(row["current"], row["kind"], ctx.settings.currency)
        tiles.append(Tile(str(name), value, changes))
    notes = [said.replace("`", ""), unpriced_wins(ctx), rebuilt(ctx)]
    notes += [f"{name}: {note}." for name, note in invented(ctx).items()]
    said = " ".join(filter(None, notes))
    note = f"<p><em>{escape(said)}</em></p>" if said else ""
    return HTML(tiles_html(tiles) + note)


def invented(ctx: ReportContext) -> dict[str, str]:
    """The notes on headline figures that rest on values a default invented: the open
    pipeline next period, when some of it is due only by close dates a default rule made
    up (:meth:`ReportContext.invented_dates`); none when nothing of it is."""
    t, ids = ctx.tables, ctx.tables.filled_ids.get("opportunities.close_date")
    if not ids or coverage.reason(t, KPI_NEEDS["Open pipeline, next period"], "pipeline"):
        return {}
    p = ctx.period
    due = pl.invented_due(
        t.opportunities, p.end, p.shift(1), ids, history=t.opportunity_history, stages=ctx.stages
    )
    said = ctx.invented_dates(due)
    return {"Open pipeline, next period": said} if said else {}


def unpriced_wins(ctx: ReportContext) -> str:
    """The note under the tiles when deals won in the period have no amount: bookings and
    the average deal size leave them out ("" when every won deal has one,
    :func:`salesops.analytics.gaps.left_out`)."""
    won = m.won_in(ctx.tables.opportunities, ctx.period, ctx.stages)
    return gaps.left_out(won["amount"].isna().sum(), len(won), f"deals won in {ctx.period.label}")


def _moved(row: pd.Series, against: str) -> tuple[float, str]:
    """How far a KPI moved against an earlier value: a rate in points (52.9% → 78.5% is
    +25.6 pts), anything else as a relative change (+12%); "–" when the earlier value is
    unknown (before the series starts, say)."""
    if gaps.why(row[against]):
        return np.nan, "–"
    if row["kind"] in ("pct", "pct1"):
        move = row["current"] - row[against]
        return move, fmt.points(move)
    return row[f"vs_{against}"], fmt.change(row[f"vs_{against}"])


def starts(ctx: ReportContext) -> tuple[gaps.Start, gaps.Start]:
    """Where the data can speak for bookings (the first closed deal's month) and for the
    pipeline (the first created deal's month) in this scope."""
    o = ctx.tables.opportunities
    return gaps.bookings_start(o, ctx.stages), gaps.pipeline_start(o)


def summary(ctx: ReportContext) -> dict[str, Any]:
    """Headline numbers as plain JSON-ready values, for tests and roll-ups. A number that
    cannot be known is null, and ``"unknown"`` names it with the reason
    (:func:`salesops.storage.json_text`); ``"starts"`` says where each series starts."""
    frame = kpis(ctx)
    booked, piped = starts(ctx)
    return ctx.summary(
        "metrics",
        kpis={
            name: {k: plain(frame.at[name, k]) for k in ("current", "previous", "last_year")}
            for name in frame.index
        },
        deals=len(ctx.tables.opportunities),
        **details(ctx),
        starts={
            "bookings": None if booked.month is None else str(booked.month),
            "pipeline": None if piped.month is None else str(piped.month),
        },
    )


def details(ctx: ReportContext) -> dict[str, Any]:
    """The summary's figures beyond the tiles: the period's sales cycle (mean and median
    days), bookings by month as the trend shows them, and the whole open pipeline (any
    close date) at the period's end and the previous period's (``open_pipeline_rebuilt``
    says how many open deals then had no stage history row to rebuild them from,
    :func:`rebuilt`)."""
    cycle = m.sales_cycle(ctx.tables.opportunities, ctx.period, stages=ctx.stages)
    trail = trend(ctx)
    by_month = None
    if isinstance(trail, pd.DataFrame):
        by_month = {month: plain(v) for month, v in trail["bookings"].items()}
    moments = (ctx.period.end, ctx.period.shift(-1).end)
    return {
        "cycle": {k: plain(cycle[k]) for k in ("mean_days", "median_days")},
        "bookings_by_month": by_month,
        "open_pipeline": {f"{t:%Y-%m-%d}": plain(pipeline_at(ctx, t, None)) for t in moments},
        **({"open_pipeline_rebuilt": said} if (said := rebuilt(ctx)) else {}),
        **({"notes": notes} if (notes := invented(ctx)) else {}),
    }


@section("The bookings trend")
def trend(ctx: ReportContext, months: int = 13) -> pd.DataFrame:
    """Bookings, quota and attainment for each of the last ``months`` months
    (:func:`salesops.reports.trend.table`), drawn as a chart against quota where the
    source has quotas."""
    t = ctx.tables
    booked_from, _ = starts(ctx)
    return bookings_trend(
        t.opportunities, t.quotas, ctx.period, months,
        start=booked_from, has_quotas=t.has("quotas"), stages=ctx.stages,
    )  # fmt: skip


@section("Lead response and conversion")
def leads(ctx: ReportContext) -> pd.DataFrame:
    """Lead response and conversion by lead source for the period, and for all sources."""
    leads = ctx.tables.leads
    stats = m.lead_response(leads, ctx.period, by="source")
    stats["conversion"] = m.lead_conversion(leads, ctx.period, by="source")
    overall = m.lead_response(leads, ctx.period)
    overall["conversion"] = m.lead_conversion(leads, ctx.period)
    stats.loc["All sources"] = overall
    said = []
    if not ctx.tables.has("leads.first_response_at"):
        stats = stats.drop(columns=RESPONSE_COLUMNS)
        said.append("response times need `leads.first_response_at`")
    if not ctx.tables.has("leads.converted_at"):
        stats = stats.drop(columns=["conversion"])
        said.append("conversion needs `leads.converted_at`")
    caption = None
    if said:
        caption = f"Leads by source ({'; '.join(said)}, which this source does not have)"
    return viewed(stats, View(LEAD_FORMATS, caption))


@section("Activity")
def activity(ctx: ReportContext) -> pd.DataFrame:
    """Time selling and minutes per activity kind in the period."""
    acts = ctx.tables.activities
    mix = m.activity_mix(acts, ctx.period)
    kinds = ctx.settings.selling_activity_kinds
    mix["selling"] = ["yes" if k in kinds else "" for k in mix.index]
    share = m.time_selling(acts, ctx.period, selling_kinds=kinds)
    caption = f"Time selling: {fmt.pct(share)} of {fmt.number(mix['minutes'].sum())} logged minutes"
    return viewed(mix, View({}, caption))


@section("Forecast precision")
def forecast_precision(ctx: ReportContext, months: int = 6) -> pd.DataFrame:
    """Commit forecasts against bookings per month over the last ``months`` months."""
    subs = ctx.tables.forecast_submissions
    assert subs is not None  # the section needs the table
    labels = {p.label for p in ctx.period.trailing_months(months)}
    prec = pr.forecast_precision(
        subs[subs["period"].isin(labels)], ctx.tables.opportunities, stages=ctx.stages
    )
    by_period = pr.precision_summary(prec, by="period")
    by_period.loc["All"] = pr.precision_summary(prec)
    caption = "Commit forecast precision (bias > 0: over-forecast, < 0: sandbagged)"
    return viewed(by_period, View(PRECISION_FORMATS, caption))
