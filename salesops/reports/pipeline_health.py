"""The pipeline's sections of the sales metrics report (``notebooks/metrics.ipynb``): the
open pipeline by stage, how it moved in the period (the waterfall), stage conversion,
pipeline efficiency and the data's quality (stale and overdue deals, missing amounts, rows
set aside), for the company or one region.

Each section is a function of a :class:`~salesops.reports.context.ReportContext`
returning a DataFrame that :func:`~salesops.reports.display.show` draws as a chart::

    ctx = so.ReportContext.load(source, "region:EMEA", "2026-10")
    so.show(pipeline_health.waterfall(ctx))
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import efficiency as eff
from salesops.analytics import gaps, movement
from salesops.analytics import pipeline as pl
from salesops.data import coverage
from salesops.data.history import deals_then
from salesops.data.periods import Period
from salesops.reports import plots
from salesops.reports.context import ReportContext
from salesops.reports.display import View, section, viewed, with_reasons


@section("Open pipeline by stage")
def pipeline_by_stage(ctx: ReportContext) -> pd.DataFrame:
    """Open pipeline by stage at the end of the period, raw and weighted: the deals then by
    the one rule for a moment (:func:`salesops.data.history.deals_then`, as the metrics
    report's pipeline and the quarter outlook take them), from the stage history where a
    deal has a row before the end, else from its created and close dates (the caption
    says how many; without a stage history, the deals as exported, those closed later
    open)."""
    history, end = ctx.tables.opportunity_history, ctx.period.end
    deals = deals_then(ctx.tables.opportunities, end, ctx.stages, history=history).deals
    full = pl.by_stage(deals, ctx.stages.with_unknown_open())
    frame = full.drop(columns="unpriced")  # a stage whose deals all lack amounts: "–"
    caption = f"Open pipeline by stage {ctx.exported}"
    if ctx.tables.has("opportunity_history"):
        n, of = pl.unrecorded_open(deals, end, ctx.stages, history=history), full["deals"].sum()
        caption = f"Open pipeline by stage at the end of {ctx.period.label}, rebuilt from "
        if n and n == of:  # a history that starts later than every open deal then
            caption += "the deals' created and close dates (none had a stage history row then)"
        else:
            caption += "the stage history"
            if n:
                caption += (
                    f"; {n:,} of the {of:,} open deals had no stage history row before then: "
                    "rebuilt from their created and close dates"
                )
    said = gaps.left_out(full["unpriced"].sum(), full["deals"].sum())
    caption += f". {said}" if said else ""
    return viewed(frame, View({}, caption, lambda f: plots.pipeline_by_stage(f, caption)))


def waterfall_window(ctx: ReportContext) -> Period:
    """The close-date window the waterfall follows: the period's quarter."""
    return ctx.period.quarter() if ctx.period.grain == "month" else ctx.period


@section("The pipeline waterfall")
def waterfall(ctx: ReportContext) -> pd.DataFrame:
    """How the pipeline due to close in the quarter moved during the period: its start and
    end are the deals then by the one rule for a moment
    (:func:`salesops.data.history.deals_then`, as the metrics report's pipeline and
    pipeline by stage take them). A step whose deals all lack an amount reads "–", not
    $0, and the caption says how many deals of each step have none. Without a stage
    history, the deals are as exported throughout (created and closed by their dates);
    pulled in, pushed out and amount changes read "–" ("needs the stage history"), and
    the caption says that the known steps reconcile the start with the end."""
    window = waterfall_window(ctx)
    tables = ctx.tables
    full = movement.waterfall(
        tables.opportunity_history,
        ctx.period,
        window,
        stages=ctx.stages,
        opportunities=tables.opportunities,
    )
    caption = f"Pipeline closing in {window.label}: how it moved in {ctx.period.label}"
    lacking = [
        f"{n:,} of {full.at[step, 'deals']:,} {STEP_WORDS[step]}"
        for step, n in full["unpriced"].items()
        if n
    ]
    if lacking:
        caption += (
            ". Deals without an amount move nothing and are left out of the sums: "
            + ", ".join(lacking)
        )
    rebuilt = [
        f"{n:,} of the {full.at[step, 'deals']:,} open at the {step}"
        for step, n in _unrecorded(ctx, window).items()
        if n and tables.has("opportunity_history")
    ]
    if not tables.has("opportunity_history"):
        caption += (
            ". This source has no stage history: each deal is taken at its exported amount "
            "and close date, created and closed on its dates, so the known steps reconcile "
            "the start with the end; deals pulled in, pushed out and amount changes are "
            "unknown (–), not $0"
        )
    elif rebuilt:
        caption += (
            ". Deals without a stage history row then are taken from their created and close "
            "dates: " + ", ".join(rebuilt)
        )
    frame = full.drop(columns="unpriced")
    caption = with_reasons(caption, frame) or caption
    return viewed(frame, View({}, caption, lambda f: plots.waterfall(f["amount"], caption)))


def _unrecorded(ctx: ReportContext, window: Period) -> dict[str, int]:
    """How many of the deals open at the period's start and end, due in ``window``, have
    no stage history row before then (:func:`salesops.data.history.deals_then`)."""
    open_names = ctx.stages.with_unknown_open().open_names
    counts = {}
    for step, moment in (("start", ctx.period.start), ("end", ctx.period.end)):
        then = deals_then(
            ctx.tables.opportunities, moment, ctx.stages, history=ctx.tables.opportunity_history
        )
        deals = then.deals
        due = deals["stage"].isin(open_names) & window.contains(deals["close_date"])
        counts[step] = int(deals.loc[due, "opportunity_id"].astype(str).isin(then.unrecorded).sum())
    return counts


STEP_WORDS = {  # "2 of 5 open at the start": a step's deals in the waterfall's caption
    "start": "open at the start",
    "created": "created",
    "pulled_in": "pulled in",
    "won": "won",
    "lost": "lost",
    "pushed_out": "pushed out",
    "amount_change": "changing amount",
    "end": "open at the end",
}


@section("Stage conversion")
def funnel(ctx: ReportContext, months: int = 12) -> pd.DataFrame:
    """Stage conversion of the deals created in the ``months`` up to the period's end (it
    needs the stage history: a lost deal's current stage does not say how far it got)."""
    cohort = (ctx.period.end - pd.DateOffset(months=months), ctx.period.end)
    tables = ctx.tables
    frame = movement.funnel(tables.opportunity_history, tables.opportunities, cohort, ctx.stages)
    caption = f"Stage conversion of deals created in the {months} months to {ctx.period.label}"
    return viewed(frame, View({}, caption, lambda f: plots.funnel(f, caption)))


@section("Efficiency")
def efficiency(ctx: ReportContext, months: int = 12) -> pd.DataFrame:
    """Pipeline efficiency at the period's end: sales velocity with its inputs, pipeline
    coverage of the next period, and lead-to-deal conversion over the last ``months``
    (:mod:`salesops.analytics.efficiency`), without the rows the source cannot support."""
    frame = eff.pipeline_efficiency(ctx.tables, ctx.period, ctx.stages, months)
    gone, said = coverage.not_shown(ctx.tables, {k: v[1] for k, v in eff.ROWS.items()})
    frame = frame.drop(index=gone)
    caption = f"Pipeline efficiency at the end of {ctx.period.label}, over {months} months"
    caption += f". {said.replace('`', '')}" if said else ""
    rows = frame["kind"].to_dict()
    return viewed(frame[["value"]], View(caption=caption, rows=rows))


@section("Data quality")
def data_quality(ctx: ReportContext, top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of stale deals, missing amounts, filled values and rows set aside, and the
    ``top`` most overdue open deals, on the report's as-of day (the period's end, or the
    data's as-of day when earlier: a deal due after the export is not overdue)."""
    tables, opps = ctx.tables, ctx.tables.opportunities
    history = tables.has("opportunity_history")
    stale = pl.stale_deals(  # at the last day the data knows, not after it
        opps,
        ctx.as_of,
        tables.opportunity_history,
        stale_days=ctx.settings.stale_after_days,
        stages=ctx.stages,
        filled=tables.filled_ids.get("opportunities.close_date", ()),
    )
    open_ = opps[opps["stage"].isin(ctx.stages.open_names)]
    rows = {"Open deals past their close date": int((stale["days_past_close"] > 0).sum())}
    if stale.attrs["filled_close_dates"]:  # an invented date is never overdue
        rows["Open deals whose close date a default invented (not counted overdue)"] = stale.attrs[
            "filled_close_dates"
        ]
    if history:  # idleness needs the stage history
        rows = {"Stale open deals": len(stale), **rows}
    priced = tables.has("opportunities.amount")  # without the column, no open deal has one
    unpriced = int(open_["amount"].isna().sum()) if priced else len(open_)
    rows["Open deals without an amount"] = unpriced
    for column, (count, rule) in tables.filled.items():
        rows[f"Filled {column} ({rule})"] = count
    for table, frame in tables.set_aside.items():
        rows[f"Rows of {table} set aside (see quarantine/{table}.csv)"] = len(frame)
    counts = pd.DataFrame({"rows": list(rows.values())}, index=list(rows))
    caption = "Data quality"
    if not history:
        caption += " (" + coverage.sentence("Counting idle deals", ["opportunity_history"])
        caption = caption.rstrip(".") + ")"
    if not priced:
        caption += ". Every open deal is without an amount: the export has no amount column"
    columns = ["opportunity_id", "owner", "stage", "amount", "close_date", "days_past_close"]
    columns += ["days_since_change"] if history else []  # the two counts say why it is stale
    worst = stale.assign(owner=ctx.names(stale["owner_id"]))[columns]
    worst = worst.head(top).set_index("opportunity_id")
    worst["close_date"] = worst["close_date"].dt.strftime("%Y-%m-%d")
    formats = {"days_past_close": "number", "days_since_change": "number"}
    none = f"No open deal is past its close date{' or idle' if history else ''}."
    return (
        viewed(counts, View({"rows": "number"}, caption)),
        viewed(
            worst,
            View(formats, f"The {top} most overdue open deals", empty=none),
        ),
    )
