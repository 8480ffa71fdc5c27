"""How the pipeline moved, from the stage history: the waterfall from one period's start
to its end, the stage-to-stage funnel of a cohort, and close dates pushed out (slippage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics.metrics import Window, in_window, window_bounds
from salesops.data.history import changes_before, last_per_deal
from salesops.data.lookups import isin, lookup
from salesops.data.stages import Stages

WATERFALL_STEPS = [
    "start",
    "created",
    "pulled_in",
    "won",
    "lost",
    "pushed_out",
    "amount_change",
    "end",
]


def waterfall(
    history: pd.DataFrame,
    period: Window,
    close_window: Window | None = None,
    *,
    stages: Stages,
) -> pd.DataFrame:
    """How the open pipeline closing in ``close_window`` moved during ``period``.

    start + created + pulled_in − won − lost − pushed_out ± amount_change = end

    where, walking every history change made during the period deal by deal:

    - **start** / **end**: the pipeline as of the period's start / end (amount,
      :func:`~salesops.analytics.pipeline.pipeline_as_of`);
    - **created**: deals created during the period straight into the pipeline;
    - **pulled_in**: existing deals that entered it (close date moved into the window,
      or reopened);
    - **won** / **lost**: deals that left it by closing (won at their final amount);
    - **pushed_out**: deals that left it because their close date moved out of the window;
    - **amount_change**: amount changes of deals while in the pipeline (including the
      change made when a deal is won for a different amount).

    ``close_window`` defaults to the period itself. The steps reconcile exactly with
    the pipeline as of the start and end. A deal without an amount moves nothing (it
    counts as 0 in every step, as the pipeline leaves it out of its sum). Won, lost and
    pushed_out are negative.

    Returns
    -------
    DataFrame indexed by step with ``amount`` and ``deals`` (deals moving in that step).
    """
    start, end = window_bounds(period)
    close_window = close_window if close_window is not None else (start, end)
    h = changes_before(history, end)
    inside = h["stage"].isin(stages.open_names) & in_window(h["close_date"], close_window)
    amount = h["amount"].fillna(0.0)
    first = h["opportunity_id"].ne(h["opportunity_id"].shift())
    prev_in = inside.shift(fill_value=False) & ~first
    prev_amount = amount.shift(fill_value=0.0).where(~first, 0.0)
    during = h["changed_at"] >= start

    entered = during & inside & ~prev_in
    stayed = during & inside & prev_in
    left = during & ~inside & prev_in
    won = left & (h["stage"] == stages.won)
    lost = left & h["stage"].isin(stages.lost_names)
    pushed = left & ~won & ~lost
    won_amount = amount.where(h["amount"].notna(), prev_amount)

    start_rows = h.index[last_per_deal(h, ~during).to_numpy()]
    end_rows = h.index[last_per_deal(h).to_numpy()]
    steps = {
        "start": (amount[start_rows][inside[start_rows]].sum(), int(inside[start_rows].sum())),
        "created": (amount[entered & first].sum(), int((entered & first).sum())),
        "pulled_in": (amount[entered & ~first].sum(), int((entered & ~first).sum())),
        "won": (-won_amount[won].sum(), int(won.sum())),
        "lost": (-prev_amount[lost].sum(), int(lost.sum())),
        "pushed_out": (-prev_amount[pushed].sum(), int(pushed.sum())),
        "amount_change": (
            (amount - prev_amount)[stayed].sum() + (won_amount - prev_amount)[won].sum(),
            int((stayed & (amount != prev_amount)).sum()),
        ),
        "end": (amount[end_rows][inside[end_rows]].sum(), int(inside[end_rows].sum())),
    }
    return pd.DataFrame(steps, index=["amount", "deals"]).T.astype({"deals": int})


def funnel(
    history: pd.DataFrame,
    opportunities: pd.DataFrame,
    cohort: Window,
    stages: Stages,
) -> pd.DataFrame:
    """Stage-to-stage conversion of the deals created in ``cohort``.

    A deal *reached* an open stage if any history row shows it in that stage or a
    later one (won deals reached every open stage). For each stage:

    - deals = deals that reached it;
    - conversion = deals / deals that reached the previous stage;
    - of_created = deals / deals in the cohort.

    The last row is the won stage. Without history the current stage is used.
    """
    cohort_ids = opportunities.loc[
        in_window(opportunities["created_date"], cohort), "opportunity_id"
    ]
    order = {name: i for i, name in enumerate(stages.open_names)}
    n_open = len(stages.open_names)
    rows = (history if history is not None else opportunities)[["opportunity_id", "stage"]]
    rows = rows[isin(rows["opportunity_id"], cohort_ids)]
    level = lookup(rows["stage"], order).where(rows["stage"] != stages.won, n_open)
    reached = level.groupby(rows["opportunity_id"]).max().reindex(cohort_ids).fillna(-1)
    counts = [int((reached >= k).sum()) for k in range(n_open + 1)]
    out = pd.DataFrame(
        {"deals": counts}, index=pd.Index([*stages.open_names, stages.won], name="stage")
    )
    previous = out["deals"].shift()
    out["conversion"] = out["deals"] / previous.where(previous > 0)
    out["of_created"] = out["deals"] / len(cohort_ids) if len(cohort_ids) else np.nan
    return out


def slippage(history: pd.DataFrame, period: Window, stages: Stages) -> pd.DataFrame:
    """Close-date pushes made during ``period``, per deal.

    A push is a change that moves an open deal's close date later. Per deal: ``pushes``
    (how many), ``days_pushed`` (total days moved), ``amount`` (latest amount), and
    ``slipped_out`` (its close date was inside the period and a push moved it past the
    period's end). Empty when no deal was pushed.
    """
    start, end = window_bounds(period)
    h = changes_before(history, end)
    same = h["opportunity_id"].eq(h["opportunity_id"].shift())
    before = h["close_date"].shift()
    moved = (h["close_date"] - before).dt.days
    push = same & (moved > 0) & h["stage"].isin(stages.open_names) & (h["changed_at"] >= start)
    slipped = push & (before >= start) & (before < end) & (h["close_date"] >= end)
    rows = h.assign(days=moved, slipped_out=slipped)[push]
    if rows.empty:
        return pd.DataFrame(columns=["pushes", "days_pushed", "amount", "slipped_out"])
    return rows.groupby("opportunity_id").agg(
        pushes=("days", "size"),
        days_pushed=("days", "sum"),
        amount=("amount", "last"),
        slipped_out=("slipped_out", "any"),
    )
