"""The stage history in deal order: each deal's rows together, oldest first; and the deals
as they stood at a past period's end (:func:`deals_as_of`), from that history where a deal
has one, else from its close date (:func:`deals_then`: those that existed then, the one
rule for the deals at a moment).

Pipeline metrics rebuild past states from ``opportunity_history`` by taking each deal's
last row before a moment. They need the rows in deal order, which the loader makes once.
The order is checked on every call rather than remembered: a remembered frame that was
changed in place would be trusted and give wrong snapshots, and the check is linear (about
3 ms on the demo's 160,000 rows).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesops.data.lookups import positions

if TYPE_CHECKING:
    from salesops.data.stages import Stages


def by_deal(history: pd.DataFrame) -> pd.DataFrame:
    """Stage history ordered by deal, then time; returned as is when already in that order
    (a linear check in Arrow; the loader orders history once, so sorting is rare)."""
    if len(history) >= 2:
        ids = pa.array(history["opportunity_id"].astype("str"), from_pandas=True)
        times = history["changed_at"].to_numpy()
        id_up = pc.less_equal(ids[:-1], ids[1:]).to_numpy(zero_copy_only=False)
        same = pc.equal(ids[:-1], ids[1:]).to_numpy(zero_copy_only=False)
        if not (id_up.all() and (times[1:][same] >= times[:-1][same]).all()):
            keys = pa.table({"id": ids, "at": pa.array(times)})
            order = pc.sort_indices(keys, sort_keys=[("id", "ascending"), ("at", "ascending")])
            history = history.take(order.to_numpy())
    return history


def changes_before(history: pd.DataFrame, moment: pd.Timestamp) -> pd.DataFrame:
    """The history rows changed before ``moment``, in :func:`by_deal` order (the ordered
    frame itself when no row is later, which is the common case)."""
    h = by_deal(history)
    keep = h["changed_at"] < moment
    return h if keep.all() else h[keep]


def last_per_deal(history: pd.DataFrame, where: pd.Series | None = None) -> pd.Series:
    """Mask of each deal's last row in history ordered by :func:`by_deal`.

    With ``where``, a mask that holds on a leading run of each deal's rows (such as
    ``changed_at < t``), the mask of each deal's last row where it holds.
    """
    ids = history["opportunity_id"]
    last = ids.ne(ids.shift(-1))
    return last if where is None else where & (last | ~where.shift(-1, fill_value=False))


STATE = ("stage", "amount", "close_date", "forecast_category")  # what a history row holds


class AsOf(NamedTuple):
    """The deals as they stood at a moment (:func:`deals_as_of`)."""

    deals: pd.DataFrame
    reopened: frozenset[str]  # closed in the export, open at the moment
    stage_unknown: frozenset[str]  # of those, with no history row before it: stage unknown
    unrecorded: frozenset[str]  # no history row before it: from created and close dates


def deals_as_of(
    opportunities: pd.DataFrame,
    until: pd.Timestamp,
    stages: Stages,
    *,
    history: pd.DataFrame | None = None,
    held: Collection[str] = STATE,
) -> AsOf:
    """The deals as they stood at ``until`` (a period's end), from their stage history
    where they have one, else from their close dates; which were reopened, and which of
    those have a stage that is unknown.

    One rule for every source, deal by deal:

    - **a deal the export shows closed before** ``until``: as exported (its close, and the
      amount it closed at, are what was known at ``until``; a later correction stands);
    - **else, a history row before** ``until``: the deal takes the values of its last such row
      for the columns the history holds (``held``, of :data:`STATE`: stage, amount, close
      date, forecast category), a row holding the deal's values after the change. An
      empty amount is no amount then; an empty close date keeps the exported one (a deal
      always has one). A forecast category the history does not hold goes with the
      stage: where the stage differs from the exported one it is unset (its stage's
      default fills it).
    - **no history row before** ``until`` (an export without stage history, or a deal
      whose history starts later): a deal that closed on or after ``until`` was still
      open then. It takes ``stages.unknown_open`` (the first open stage, else "open
      (stage unknown)"; its stage then is unknown) and no forecast category; its close
      date (the day it did close) is its expected close and its amount is as exported.
      Any other deal is as exported.

    A deal created on or after ``until`` did not exist then; the load leaves it out
    before this. ``reopened`` are the deals closed in the export that were open at
    ``until``; ``stage_unknown`` those of them that the third rule reopened;
    ``unrecorded`` every deal without a history row before ``until`` (every deal,
    without a history): its state then comes from its close date, not from a history.

    Examples
    --------
    >>> from salesops.data.stages import Stages
    >>> stages = Stages.from_dict({"stages": [
    ...     {"name": "Open", "probability": 0.2}, {"name": "Deal", "probability": 0.6},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True}]})
    >>> deals = pd.DataFrame({"opportunity_id": ["a", "b", "c"],
    ...     "stage": ["Won", "Won", "Open"], "forecast_category": ["closed", "closed", None],
    ...     "close_date": pd.to_datetime(["2018-05-20", "2018-11-02", "2018-07-01"]),
    ...     "amount": [10.0, 20.0, 30.0]})
    >>> known = deals_as_of(deals, pd.Timestamp("2018-06-01"), stages)
    >>> list(known.deals["stage"]), sorted(known.reopened), sorted(known.stage_unknown)
    (['Won', 'Open', 'Open'], ['b'], ['b'])
    >>> sorted(known.unrecorded)
    ['a', 'b', 'c']
    >>> rows = pd.DataFrame({"opportunity_id": ["b", "b"],
    ...     "changed_at": pd.to_datetime(["2018-04-01", "2018-10-01"]),
    ...     "stage": ["Deal", "Won"], "amount": [15.0, 20.0],
    ...     "close_date": pd.to_datetime(["2018-09-30", "2018-11-02"]),
    ...     "forecast_category": ["commit", "closed"]})
    >>> known = deals_as_of(deals, pd.Timestamp("2018-06-01"), stages, history=rows)
    >>> print(known.deals.loc[1, ["stage", "amount", "forecast_category"]].to_dict())
    {'stage': 'Deal', 'amount': 15.0, 'forecast_category': 'commit'}
    >>> sorted(known.reopened), sorted(known.stage_unknown), sorted(known.unrecorded)
    (['b'], [], ['a', 'c'])
    """
    ids = opportunities["opportunity_id"]
    at = np.full(len(opportunities), -1)
    if history is not None:
        h = changes_before(history, until)
        last = h[last_per_deal(h)]
        at = positions(ids, last["opportunity_id"])
    closed = opportunities["stage"].isin(stages.closed_names).to_numpy()
    after = (opportunities["close_date"] >= until).to_numpy()
    later = closed & (at < 0) & after
    known = opportunities.copy()  # copied on write: only the columns changed are copied
    # a deal the export closed before until is as exported: its close is what was known
    rows = np.flatnonzero((at >= 0) & ~(closed & ~after))
    if len(rows):
        then = last.iloc[at[rows]]
        for column in [c for c in STATE if c in held and c in then and c in known]:
            now, was = known[column].to_numpy()[rows], then[column].to_numpy()
            if column == "close_date":
                was = np.where(pd.isna(was), now, was)
            moved = ~((now == was) | (pd.isna(now) & pd.isna(was)))
            if moved.any():
                known.iloc[rows[moved], known.columns.get_loc(column)] = was[moved]
        if "forecast_category" not in held and "forecast_category" in known:
            stage = opportunities["stage"].to_numpy()[rows]
            restaged = rows[known["stage"].to_numpy()[rows] != stage]
            known.iloc[restaged, known.columns.get_loc("forecast_category")] = None
    if later.any():
        known.loc[later, "stage"] = stages.unknown_open
        if "forecast_category" in known:
            known.loc[later, "forecast_category"] = None
    open_then = ~known["stage"].isin(stages.closed_names).to_numpy()
    return AsOf(
        known,
        frozenset(ids[closed & open_then].astype(str)),
        frozenset(ids[later].astype(str)),
        frozenset(ids[at < 0].astype(str)),
    )


def held_by(history: pd.DataFrame) -> tuple[str, ...]:
    """The columns of :data:`STATE` that ``history`` holds a value in: a column without a
    single value (one its source does not map) says nothing of a deal's past."""
    return tuple(c for c in STATE if c in history and history[c].notna().any())


def deals_then(
    opportunities: pd.DataFrame,
    moment: pd.Timestamp | str,
    stages: Stages,
    *,
    history: pd.DataFrame | None = None,
) -> AsOf:
    """The deals that existed at ``moment`` (created before it), as they stood then.

    The one rule for the deals at a past moment, behind the pipeline then
    (:func:`salesops.analytics.pipeline.pipeline_as_of`) and the quarter outlook
    (:mod:`salesops.analytics.outlook`): :func:`deals_as_of` of the deals created before
    ``moment``, from their last ``history`` row before it where they have one (for the
    columns the history holds a value in, :func:`held_by`), else from their close dates.
    A deal created on or after ``moment`` did not exist then and is left out.

    Examples
    --------
    >>> from salesops.data.stages import Stages
    >>> stages = Stages.from_dict({"stages": [
    ...     {"name": "Open", "probability": 0.2},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True}]})
    >>> deals = pd.DataFrame({"opportunity_id": ["a", "b", "c"],
    ...     "created_date": pd.to_datetime(["2018-01-10", "2018-02-01", "2018-07-01"]),
    ...     "stage": ["Won", "Open", "Open"], "forecast_category": None,
    ...     "close_date": pd.to_datetime(["2018-08-20", "2018-09-30", "2018-09-30"]),
    ...     "amount": [10.0, 20.0, 30.0]})
    >>> then = deals_then(deals, "2018-06-01", stages)
    >>> list(then.deals["opportunity_id"]), list(then.deals["stage"]), sorted(then.reopened)
    (['a', 'b'], ['Open', 'Open'], ['a'])
    """
    moment = pd.Timestamp(moment)
    existed = opportunities[(opportunities["created_date"] < moment).to_numpy()]
    held = STATE if history is None else held_by(history)
    return deals_as_of(existed, moment, stages, history=history, held=held)
