"""A rep's own deals in their monthly review (``notebooks/performance_review.ipynb``):
which rows are theirs and which peers they are compared with, their open pipeline, the
deals to clean up, and their commit forecasts against what they booked.

No other rep's name or id reaches these sections: the rows are the rep's own, and the
peers (:class:`salesops.analytics.peers.Peers`) hold no ids.
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import gaps, movement
from salesops.analytics import pipeline as pl
from salesops.analytics import precision as pr
from salesops.analytics.capacity import owners
from salesops.analytics.peers import KPI_MONTHS, Peers
from salesops.data import coverage
from salesops.data.scopes import scope_deals
from salesops.reports import formatting as fmt
from salesops.reports import shared
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, section, viewed

STALE = ["opportunity_id", "stage", "amount", "close_date", "days_past_close", "days_since_change"]


def rep(ctx: ReportContext) -> pd.Series:
    """The rep's row of ``reps``."""
    if ctx.scope.level != "rep":
        raise ValueError(f"the performance review is for one rep (rep:<id>), not {ctx.scope}")
    reps = ctx.tables.reps
    mine = reps[reps["rep_id"] == ctx.scope.value]
    if mine.empty:
        raise ValueError(f"rep {ctx.scope.value!r} is not in this source")
    return mine.iloc[0]


def own(ctx: ReportContext, table: str, column: str = "rep_id") -> pd.DataFrame | None:
    """The rep's own rows of ``table`` (by ``column``); None if the source lacks it."""
    frame = getattr(ctx.tables, table)
    return None if frame is None else frame[frame[column] == ctx.scope.value]


def deals(ctx: ReportContext) -> pd.DataFrame:
    """The rep's deals (saying, in their ``attrs``, that they are the rep's own)."""
    return scope_deals(ctx.tables.opportunities, ctx.scope, ctx.stages)


def history(ctx: ReportContext) -> pd.DataFrame | None:
    """The stage history of the rep's deals; None without one."""
    h = ctx.tables.opportunity_history
    return None if h is None else h[h["opportunity_id"].isin(deals(ctx)["opportunity_id"])]


@per_context
def peers(ctx: ReportContext) -> Peers:
    """The rep's region's peers (:func:`salesops.reports.shared.peers`)."""
    return shared.peers(ctx, str(rep(ctx)["region"]))


def member(ctx: ReportContext) -> bool:
    """Whether the rep counts among the region's peers (:attr:`Peers.members`): employed
    in the last 3 months and owner of a deal of the region active in them."""
    me = ctx.tables.reps[ctx.tables.reps["rep_id"] == ctx.scope.value]
    mine = deals(ctx)[deals(ctx)["region"] == rep(ctx)["region"]]
    return not owners(mine, me, ctx.period.window(KPI_MONTHS), ctx.stages).empty


def peer_count(ctx: ReportContext) -> int:
    """How many peers the rep is compared with: the region's sellers who owned deals in
    the last 3 months, the rep aside."""
    return peers(ctx).members - int(member(ctx))


@section("Pipeline")
def pipeline(ctx: ReportContext, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rep's open pipeline by stage at the month's end, and the ``top`` deals by
    expected value (amount × win probability, calibrated on the region's history).

    The deals are as loaded for the period: each as it stood at its end
    (:func:`salesops.data.history.deals_as_of`), from the stage history where a deal has
    a row before then."""
    tables, mine = ctx.tables, deals(ctx)
    open_ = mine[mine["stage"].isin(ctx.stages.open_names)].copy()
    model = peers(ctx).win_model if tables.opportunity_history is not None else None
    if model is not None and model.learnt_from:
        open_["win_probability"] = model.predict(open_, ctx.as_of)
        label = "win probability calibrated on the region's history of deals like them"
    else:
        open_["win_probability"] = ctx.stages.probability_of(open_["stage"])
        label = f"win probability: each stage's default, as {shared.uncalibrated(tables, model)}"
    open_["expected"] = open_["amount"] * open_["win_probability"]  # no amount: "–"
    full = pl.by_stage(open_, ctx.stages)
    caption = "Open pipeline by stage" + ctx.reopened  # closed later: open at the end
    said = gaps.left_out(full["unpriced"].sum(), full["deals"].sum())
    caption += f". {said}" if said else ""
    best = pl.largest(open_, top)
    best = best.assign(close_date=best["close_date"].dt.strftime("%Y-%m-%d"))
    columns = ["opportunity_id", "stage", "close_date", "amount", "win_probability", "expected"]
    return (
        viewed(full.drop(columns="unpriced"), View({}, caption)),
        viewed(
            best[columns].set_index("opportunity_id"),
            View(
                caption=f"Top {top} open deals by expected value ({label})",
                empty="You had no open deal at the end of the month.",
            ),
        ),
    )


@per_context
def stale(ctx: ReportContext) -> pd.DataFrame:
    """The rep's open deals that need cleaning up on the report's as-of day (the month's
    end, or the data's as-of day when earlier)."""
    days = ctx.settings.stale_after_days
    filled = ctx.tables.filled_ids.get("opportunities.close_date", ())  # never overdue
    return pl.stale_deals(  # at the last day the data knows: overdue by then, not later
        deals(ctx), ctx.as_of, history(ctx), stale_days=days, stages=ctx.stages, filled=filled
    )


@section("Cleanup")
def cleanup(ctx: ReportContext, top: int = 10) -> tuple[pd.DataFrame, ...]:
    """The ``top`` stale deals to clean up, and the deals whose close date was pushed out
    this month (with the stage history)."""
    own_history = history(ctx)
    worst = (
        stale(ctx).head(top).assign(close_date=lambda f: f["close_date"].dt.strftime("%Y-%m-%d"))
    )
    shown = worst[STALE].set_index("opportunity_id")
    shown.columns = ["stage", "amount", "close date", "days overdue", "days idle"]
    caption = f"Stale deals to clean up ({len(worst)} shown)"
    empty = "No open deal is past its close date or idle."
    if own_history is None:  # idleness needs the stage history; age is not idleness
        shown = shown.drop(columns="days idle")
        caption = (
            f"Open deals past their close date ({len(worst)} shown; idle deals need "
            "the `opportunity_history` table, which this source does not have)"
        )
        idle = coverage.sentence("Finding idle deals", ["opportunity_history"])
        empty = f"No open deal is past its close date. {idle}"
    invented = stale(ctx).attrs.get("filled_close_dates", 0)
    if invented:  # said: a default's close date is never overdue
        deal = f"{invented} open deal{'s' if invented > 1 else ''}"
        said = f"{deal} whose close date a default invented"
        caption, empty = f"{caption}; {said}: never counted overdue", f"{empty} ({said}.)"
    formats = {"days overdue": "number", "days idle": "number"}
    out = [viewed(shown, View(formats, caption, empty=empty))]
    if own_history is not None:
        slipped = movement.slippage(own_history, ctx.period, ctx.stages)
        if len(slipped):
            slip_formats = {"pushes": "number", "days_pushed": "number"}
            caption = f"Deals whose close date was pushed in {ctx.period.label}"
            out.append(viewed(slipped.head(top), View(slip_formats, caption)))
    return tuple(out)


@per_context
def submissions(ctx: ReportContext) -> pd.DataFrame | None:
    """The rep's commit forecasts of the last 6 months against bookings (None: none)."""
    subs = own(ctx, "forecast_submissions", "owner_id")
    if subs is None or subs.empty:
        return None
    labels = {p.label for p in ctx.period.trailing_months(6)}
    chosen = subs[subs["period"].isin(labels)]
    return pr.forecast_precision(chosen, deals(ctx), stages=ctx.stages)


@section("Forecast precision")
def forecast_precision(ctx: ReportContext) -> pd.DataFrame:
    """The precision of the rep's own commit submissions over the last 6 months."""
    prec = submissions(ctx)
    columns = ["forecast", "actual", "error", "accuracy"]
    formats = {"error": "money"}  # the others' kinds are LABELS'; an error here is money
    if prec is None:
        empty = pd.DataFrame(columns=columns).rename_axis("period")
        return viewed(empty, View(empty="You submitted no forecast in the last 6 months."))
    summary = pr.precision_summary(prec)
    caption = (
        f"Your commit forecasts · WAPE {fmt.pct(summary['wape'])}, "
        f"bias {fmt.change(summary['bias'])} (> 0: over-forecast)"
    )
    return viewed(prec.set_index("period")[columns].sort_index(), View(formats, caption))
