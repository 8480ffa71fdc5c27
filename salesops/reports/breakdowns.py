"""The metrics report's breakdowns (``notebooks/metrics.ipynb``): bookings, deals won, win
rate, deal size, cycle and open pipeline per value of a deal column (region, segment,
product, lead source), where a group that won nothing counts as 0 won and $0, not –; when
the deals hold no closed deal at all (none has closed yet, or the quarantine set every one
aside), bookings and deals won are unknown (–) with the reason, as the headline's::

    ctx = so.ReportContext.load(source, "region:EMEA", "2026-10")
    so.show(breakdowns.breakdown(ctx, "segment"))
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import pipeline as pl
from salesops.data import coverage
from salesops.data.model import OPEN_DEALS
from salesops.reports.context import ReportContext
from salesops.reports.display import View, requires, section, viewed

BREAKDOWN_FORMATS = {
    "won": "number",
}


@section("Breakdown")
def breakdown(ctx: ReportContext, by: str) -> pd.DataFrame:
    """Bookings, win rate, deal size, cycle and open pipeline per ``by`` value."""
    name = f"The breakdown by {by.replace('_', ' ')}"
    missing = requires(ctx, name, f"opportunities.{by}")
    if missing is not None:
        return missing
    p, st, o = ctx.period, ctx.stages, ctx.tables.opportunities
    cycle = m.sales_cycle(o, p, by=by, stages=st)
    empty = pd.Series(dtype=float)
    pipe = pl.pipeline(o, by=by, stages=st) if len(o) else pd.DataFrame(columns=pl.COLUMNS)
    frame = pd.DataFrame(
        {
            "bookings": m.bookings(o, p, by=by, stages=st),
            "won": cycle.get("deals", empty),
            "win_rate": m.win_rate(o, p, by=by, stages=st),
            "average_deal_size": m.average_deal_size(o, p, by=by, stages=st),
            "cycle_days": cycle.get("median_days", empty),
            "open_pipeline": pipe["amount"],  # NaN ("–") where no open deal has an amount
        }
    )
    _counted(frame, p.label)
    start = gaps.bookings_start(o, st)
    if start.month is None:  # nothing closed at all: unknown, as the headline tile says
        never = start.unknown_for(p, "closed deals")
        for column in ("bookings", "won"):
            frame[column] = pd.Series(never, index=frame.index, dtype=object)
    if (unknown := m.win_rate_unknown(ctx.tables)) is not None:  # won only: not 100%
        frame["win_rate"] = pd.Series(unknown, index=frame.index, dtype=object)
    has_open = frame.index.isin(pipe.index[pipe["deals"] > 0])
    frame["open_pipeline"] = frame["open_pipeline"].mask(~has_open, 0.0)  # no open deal: 0
    frame = frame.sort_values("bookings", ascending=False).rename_axis(by.replace("_", " "))
    caption = None
    if not ctx.tables.has("opportunities.amount"):
        frame = frame.drop(columns=["bookings", "average_deal_size", "open_pipeline"])
        caption = coverage.sentence("Money columns", ["opportunities.amount"])
    elif not ctx.tables.has(OPEN_DEALS):  # an export of closed deals: pipeline unknown
        frame = frame.drop(columns=["open_pipeline"])
        caption = coverage.sentence("The open pipeline", [OPEN_DEALS])
    else:
        caption = gaps.left_out(pipe["unpriced"].sum(), pipe["deals"].sum()) or None
    return viewed(frame, View(BREAKDOWN_FORMATS, caption))


def _counted(frame: pd.DataFrame, period: str) -> None:
    """Give a breakdown's groups that won nothing their known numbers, in place.

    A count of won deals is a count: 0 when a group won nothing, never unknown; so are
    its bookings ($0; unknown only when every deal it won lacks an amount). The win rate
    of a group with no closed deal, and the deal size and cycle of one with no win, are
    unknown with the reason (a group with lost deals only wins 0%).
    """
    won = frame["won"].fillna(0).astype(int)
    frame["won"] = won
    nothing_won = gaps.Unknown(f"no deal was won in {period}")
    unpriced = gaps.Unknown(f"none of the deals won in {period} has an amount")
    frame["bookings"] = frame["bookings"].where(won > 0, frame["bookings"].fillna(0.0))
    frame["bookings"] = gaps.filled(frame["bookings"], unpriced)
    sizes = frame["average_deal_size"]
    frame["average_deal_size"] = pd.concat(
        [gaps.filled(sizes[won > 0], unpriced), gaps.filled(sizes[won == 0], nothing_won)]
    ).reindex(frame.index)
    frame["cycle_days"] = gaps.filled(frame["cycle_days"], nothing_won)
    frame["win_rate"] = gaps.filled(frame["win_rate"], gaps.Unknown(f"no deal closed in {period}"))
