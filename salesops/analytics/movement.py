"""How the pipeline moved, from the stage history: the waterfall from one period's start
to its end (without a history, from the deals' created and close dates), the
stage-to-stage funnel of a cohort, and close dates pushed out (slippage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import bookings, gaps
from salesops.analytics.metrics import Window, in_window, window_bounds, window_label
from salesops.data.history import changes_before, deals_then, held_by, last_per_deal
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


# The steps only a stage history shows: without it they are unknown, never $0.
NEEDS_HISTORY = {
    "pulled_in": "deals pulled into the pipeline (close dates moved in, deals reopened)",
    "pushed_out": "deals pushed out of the pipeline (a close date moved out of the window)",
    "amount_change": "amount changes of deals in the pipeline",
}


def waterfall(
    history: pd.DataFrame | None,
    period: Window,
    close_window: Window | None = None,
    *,
    stages: Stages,
    opportunities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How the open pipeline closing in ``close_window`` moved during ``period``.

    start + created + pulled_in − won − lost − pushed_out ± amount_change = end

    where, walking every history change made during the period deal by deal:

    - **start** / **end**: the pipeline as of the period's start / end
      (:func:`~salesops.analytics.pipeline.pipeline_as_of`): with ``opportunities``, the
      deals then by the one rule for a moment (:func:`salesops.data.history.deals_then`,
      as every other past-moment section takes them: a deal without a history row before
      the moment from its created and close dates); without, the history alone;
    - **created**: deals created during the period straight into the pipeline;
    - **pulled_in**: existing deals that entered it (close date moved into the window,
      or reopened);
    - **won** / **lost**: deals that left it by closing (won at their final amount);
    - **pushed_out**: deals that left it because their close date moved out of the window;
    - **amount_change**: amount changes of deals while in the pipeline (including the
      change made when a deal is won for a different amount).

    With ``opportunities``, a deal whose state at the end (by that rule) differs from its
    last history row in the period moves to it at the end: a deal created in the period
    without history enters as created, one whose history starts later as pulled in, one
    the export shows closed as won or lost.

    Without a stage history (``history`` None; ``opportunities`` then needed), each deal
    is at its exported amount and close date throughout, as
    :func:`~salesops.data.history.deals_then` rebuilds it: start = the pipeline then,
    created = the deals created in the period (at their exported amount, those closed in
    it too), won and lost = the deals closed in the period by their close date, end = the
    pipeline then. Pulled in, pushed out and amount changes cannot be seen: they are
    unknown ("needs the stage history", :data:`NEEDS_HISTORY`), with unknown deal counts,
    and the known steps reconcile the start with the end. Won and lost are unknown too
    when the period ends before the data's first close
    (:func:`salesops.analytics.bookings.before_start`), lost when the source holds no
    lost deal (an export of won deals only): not $0.

    ``close_window`` defaults to the period itself. The steps reconcile exactly with
    the pipeline as of the start and end. Unknown is not zero: each step sums the amounts
    of its deals that have one (``unpriced`` counts those left out, which move nothing);
    a step whose deals all lack an amount is unknown
    (:class:`~salesops.analytics.gaps.Unknown`, with the reason), not 0, and counts as
    nothing in the reconciliation. Won, lost and pushed_out are negative.

    Returns
    -------
    DataFrame indexed by step with ``amount`` (objects: an unknown one keeps its reason),
    ``deals`` (deals moving in that step) and ``unpriced`` (of them, without an amount).
    """
    start, end = window_bounds(period)
    close_window = close_window if close_window is not None else (start, end)
    if opportunities is None:
        if history is None:
            raise ValueError("a waterfall needs the deals or their stage history")
        h = changes_before(history, end)
        walk = pd.DataFrame(
            {
                "opportunity_id": h["opportunity_id"],
                "stage": h["stage"],
                "amount": h["amount"].astype(float),
                "close_date": h["close_date"],
                "during": h["changed_at"] >= start,
            }
        )
        open_names = stages.open_names
    else:
        walk = _walk(history, opportunities, (start, end), stages)
        open_names = stages.with_unknown_open().open_names
    walk = walk.reset_index(drop=True)
    inside = walk["stage"].isin(open_names) & in_window(walk["close_date"], close_window)
    raw = walk["amount"]
    amount = raw.fillna(0.0)  # for the differences only: each step sums what is known
    first = walk["opportunity_id"].ne(walk["opportunity_id"].shift())
    prev_in = inside.shift(fill_value=False) & ~first
    prev_raw = raw.shift().where(~first)
    prev_amount = prev_raw.fillna(0.0)
    during = walk["during"]

    entered = during & inside & ~prev_in
    stayed = during & inside & prev_in
    left = during & ~inside & prev_in
    won = left & (walk["stage"] == stages.won)
    lost = left & walk["stage"].isin(stages.lost_names)
    pushed = left & ~won & ~lost
    won_raw = raw.where(raw.notna(), prev_raw)  # won without an amount: at the one before

    start_rows = walk.index[last_per_deal(walk, ~during).to_numpy()]
    end_rows = walk.index[last_per_deal(walk).to_numpy()]
    at_start = pd.Series(False, index=walk.index)
    at_start[start_rows] = True
    at_end = pd.Series(False, index=walk.index)
    at_end[end_rows] = True
    due = "" if isinstance(close_window, tuple) else f" due in {window_label(close_window)}"
    changed = stayed & (amount != prev_amount)
    steps: dict[str, tuple[float, float, int]] = {
        "start": _step(raw, at_start & inside, "open deals", f"{due} when the period began"),
        "created": _step(raw, entered & first, "deals", " created into the pipeline"),
        "pulled_in": _step(raw, entered & ~first, "deals", " pulled into the pipeline"),
        "won": _step(won_raw, won, "deals", " won from the pipeline", sign=-1),
        "lost": _step(prev_raw, lost, "deals", " lost from the pipeline", sign=-1),
        "pushed_out": _step(prev_raw, pushed, "deals", " pushed out of it", sign=-1),
        "amount_change": (
            float(
                (amount - prev_amount)[stayed].sum()
                + (won_raw.fillna(0.0) - prev_amount)[won].sum()
            ),
            int(changed.sum()),
            0,
        ),
        "end": _step(raw, at_end & inside, "open deals", f"{due} when the period ended"),
    }
    if history is None and opportunities is not None:  # what the deals cannot show
        closes = {"won": bookings.before_start(opportunities, period, stages)}
        closes["lost"] = closes["won"]
        if not opportunities["stage"].isin(stages.lost_names).any():
            closes["lost"] = closes["lost"] or gaps.Unknown("this source holds no lost deal")
        for step, unknown in closes.items():
            if unknown is not None:
                steps[step] = (unknown, steps[step][1], steps[step][2])
        # and only a stage history shows these moves: unknown, not 0
        for step, what in NEEDS_HISTORY.items():
            unknown = gaps.Unknown(f"{what}: needs the stage history, which this source lacks")
            steps[step] = (unknown, unknown, 0)
    return pd.DataFrame(
        {
            "amount": pd.Series([s[0] for s in steps.values()], dtype=object),
            "deals": pd.Series(  # an unknown count keeps its reason
                [s[1] for s in steps.values()], dtype=object if history is None else None
            ),
            "unpriced": [s[2] for s in steps.values()],
        },
    ).set_axis(list(steps))


def _step(
    values: pd.Series, mask: pd.Series, deals: str, where: str, sign: int = 1
) -> tuple[float, int, int]:
    """A step of :func:`waterfall`: the sum of ``values[mask]`` that are known (unknown
    when every one of them lacks an amount; :func:`salesops.analytics.gaps.total`), the
    deals it moves, and how many of them have no amount."""
    picked = values[mask]
    total = gaps.total(picked, deals, where)
    return (total if gaps.why(total) else sign * total + 0.0, len(picked), int(picked.isna().sum()))


def _walk(
    history: pd.DataFrame | None,
    opportunities: pd.DataFrame,
    bounds: tuple[pd.Timestamp, pd.Timestamp],
    stages: Stages,
) -> pd.DataFrame:
    """The rows :func:`waterfall` walks with ``opportunities``: each deal's state at the
    start (:func:`~salesops.data.history.deals_then`; ``during`` False), its history rows
    made during the period, then its state at the end by the same rule, in deal order."""
    start, end = bounds
    columns = ["opportunity_id", "stage", "amount", "close_date"]
    then = deals_then(opportunities, start, stages, history=history).deals[columns]
    now = deals_then(opportunities, end, stages, history=history).deals[columns]
    parts = [then.assign(during=False, order=0)]
    if history is None:  # a deal created in the period enters as it was exported
        made = in_window(opportunities["created_date"], bounds)
        rows = opportunities.loc[made.to_numpy(), columns]
        opened = rows["stage"].where(rows["stage"].isin(stages.open_names), stages.unknown_open)
        parts.append(rows.assign(stage=opened, during=True, order=1))
    else:
        h = changes_before(history, end)
        keep = (h["changed_at"] >= start).to_numpy()
        h = h[keep & isin(h["opportunity_id"], now["opportunity_id"]).to_numpy()]
        exported = opportunities.set_index("opportunity_id")
        rows = h[columns].copy()
        for column in ("stage", "amount", "close_date"):  # as deals_then fills them
            mine = exported[column].reindex(rows["opportunity_id"]).to_numpy()
            if column not in held_by(history):
                rows[column] = mine
            elif column == "close_date":
                rows[column] = rows[column].where(rows[column].notna(), mine)
        parts.append(rows.assign(during=True, order=1))
    parts.append(now.assign(during=True, order=2))
    walk = pd.concat(parts, ignore_index=True)
    walk["amount"] = walk["amount"].astype(float)
    walk["key"] = walk["opportunity_id"].astype(str)
    walk = walk.sort_values(["key", "order"], kind="stable")  # history rows stay in time order
    return walk.drop(columns=["key", "order"])


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
