"""The deals that matter most to the forecast (``notebooks/forecast.ipynb``): the largest
open deals due this quarter and next, ranked by expected value (amount × calibrated win
probability), with the calibration of :mod:`salesops.reports.forecast`'s company model.
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import outlook
from salesops.analytics import pipeline as pl
from salesops.reports import shared
from salesops.reports.context import ReportContext
from salesops.reports.display import View, section, viewed
from salesops.reports.forecast import quarters, scoped, win_model
from salesops.words import plural


@section("Top deals")
def top_deals(ctx: ReportContext, n: int = 15) -> pd.DataFrame:
    """The largest open deals due this quarter and next, with their win probabilities; none,
    with one line that says why, when none of them has an amount to rank by."""
    qs, mine = quarters(ctx), scoped(ctx)
    state = outlook.open_at(
        mine.opportunities, ctx.as_of, ctx.stages, history=mine.opportunity_history
    )
    due = pd.concat([outlook.due_in(state, q, ctx.as_of, ctx.stages) for q in qs])
    due = due.drop_duplicates("opportunity_id")
    due = due.assign(
        stage_probability=ctx.stages.probability_of(due["stage"]),
        calibrated=win_model(ctx).predict(due, ctx.as_of),
    )
    due["expected"] = due["amount"] * due["calibrated"]  # no amount: unknown, ranked last
    top = pl.largest(due, n)
    top = top.assign(
        close_date=top["close_date"].dt.strftime("%Y-%m-%d"), owner=ctx.names(top["owner_id"])
    )
    columns = ["opportunity_id", "owner", "stage", "close_date", "amount"]
    columns += ["stage_probability", "calibrated", "expected"]
    caption = f"Top {n} open deals due by the end of {qs[-1].label}, by expected value"
    caption += overdue(ctx, due, mine.opportunities, qs[0].label)
    if due["amount"].isna().any():  # no amount: no expected value, ranked last
        unpriced = int(due["amount"].isna().sum())
        caption += (
            f". {unpriced:,} of the {len(due):,} open deals due have no amount: no expected "
            "value (–), ranked last"
        )
    frame = top[columns].set_index("opportunity_id")
    if len(due) and due["amount"].isna().all():  # nothing to rank by: no list of 15 "–"
        empty = (
            f"No open deal due by the end of {qs[-1].label} can be ranked by expected value: "
            f"none of the {len(due):,} has an amount."
        )
        return viewed(frame.head(0), View(caption=caption, empty=empty))
    if not win_model(ctx).learnt_from:  # nothing to calibrate on: say so, once
        why = shared.uncalibrated(ctx.tables, win_model(ctx))
        caption += f" (win probability: each stage's default, as {why})"
        frame = frame.drop(columns="calibrated")
    return viewed(frame, View(caption=caption))


def overdue(
    ctx: ReportContext, due: pd.DataFrame, opportunities: pd.DataFrame, quarter: str
) -> str:
    """What the top deals' caption says of the deals ``due`` whose close date is before
    the data's as-of day (one due that day is not late, as in
    :func:`salesops.analytics.pipeline.stale_deals`): they can close only from now on,
    so they count as due in ``quarter``, the current one. A close date a default of the
    source file invented (``Tables.filled_ids``; ``opportunities`` as exported) makes no
    deal overdue, as in the data-quality counts: those are said apart, with the rule. ""
    when no close date has passed."""
    # before the as-of day, as the data-quality counts judge it: due that day is not late
    passed = due[(due["close_date"] < ctx.as_of).to_numpy()]
    ids = ctx.tables.filled_ids.get("opportunities.close_date", frozenset())
    made = pl.by_invented_dates(passed, opportunities, ids)
    late = passed[~passed["opportunity_id"].isin(made["opportunity_id"]).to_numpy()]
    said = ""
    if len(late):
        its = "its" if len(late) == 1 else "their"
        said += (
            f". {plural(len(late), 'deal is', 'deals are')} past {its} close date (the "
            f"earliest {late['close_date'].min():%d %b %Y}), counted as due in {quarter}"
        )
    if len(made):
        has = "has" if len(made) == 1 else "have"
        said += (
            f". {plural(len(made), 'deal')} {has} a close date filled by "
            f"{ctx.invented_by(made)} that has passed (the earliest "
            f"{made['close_date'].min():%d %b %Y}): not overdue, counted as due in {quarter}"
        )
    return said
