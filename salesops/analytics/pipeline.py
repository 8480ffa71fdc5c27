"""Pipeline metrics: value (now or as of any past date), stale deals, velocity and
coverage (how it moved, the waterfall, funnel and slippage: :mod:`salesops.analytics.movement`).

The state of the pipeline at a past moment is the deals as they stood then
(:func:`salesops.data.history.deals_then`, the one rule for a moment): each deal's values
after its last ``opportunity_history`` change before it, else (no such row) from its
created and close dates (:func:`unrecorded_open` counts those). :func:`snapshot` rebuilds
it from the history alone (the win model's training examples).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics.metrics import (
    Window,
    average_deal_size,
    in_window,
    sales_cycle,
    win_rate,
)
from salesops.data.history import by_deal, deals_then, last_per_deal
from salesops.data.lookups import isin, positions
from salesops.data.periods import By, Period, group_keys
from salesops.data.stages import Stages

ATTRIBUTES = ["owner_id", "region", "segment", "product", "lead_source", "created_date"]
COLUMNS = ["deals", "amount", "weighted", "unpriced"]  # what :func:`pipeline` returns


def snapshot(
    history: pd.DataFrame, as_of: pd.Timestamp | str, opportunities: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every deal's state at the moment ``as_of``, rebuilt from its history.

    A deal's state is its history row with the latest ``changed_at`` before ``as_of``;
    deals with no change before then did not exist yet and are left out. With
    ``opportunities``, the deal's attributes (owner, region, segment, ...) are joined on.
    """
    h = by_deal(history)
    state = h[last_per_deal(h, h["changed_at"] < pd.Timestamp(as_of))]
    if opportunities is not None:
        attrs = [c for c in ATTRIBUTES if c in opportunities]
        state = state.merge(
            opportunities[["opportunity_id", *attrs]], on="opportunity_id", how="left"
        )
    return state.reset_index(drop=True)


def pipeline(
    deals: pd.DataFrame,
    close_window: Window | None = None,
    by: By = None,
    *,
    stages: Stages,
) -> pd.Series | pd.DataFrame:
    """Open pipeline: the deals still open whose close date falls in ``close_window``.

    - amount = Σ amount of the open deals that have one;
    - weighted = Σ amount × default probability of the deal's stage (``stages.yml``);
    - deals = number of open deals;
    - unpriced = open deals without an amount, left out of amount and weighted.

    Unknown is not zero: where there are open deals and none has an amount, amount and
    weighted are unknown (:class:`~salesops.analytics.gaps.Unknown` with its reason;
    NaN in a frame ``by`` groups), not 0. Zero when there is no open deal.

    ``deals`` is the opportunities table (the pipeline now) or a :func:`snapshot` (the
    pipeline then). With no ``close_window`` every open deal counts.
    """
    keep = deals["stage"].isin(stages.open_names)
    if close_window is not None:
        keep &= in_window(deals["close_date"], close_window)
    used = {"stage", "amount", "close_date", *([by] if isinstance(by, str) else by or [])}
    open_ = deals[[c for c in deals.columns if c in used]][keep]  # take only what is used
    amount = open_["amount"].astype(float)
    frame = pd.DataFrame(
        {
            "deals": 1,
            "amount": amount,
            "weighted": amount * stages.probability_of(open_["stage"]),
            "unpriced": amount.isna().astype(int),
        },
        index=open_.index,
    )
    if not by:
        where = (
            ""
            if close_window is None or isinstance(close_window, tuple)
            else (f" due in {Period.parse(close_window).label}")
        )
        amount, weighted = (gaps.total(frame[c], where=where) for c in ("amount", "weighted"))
        if gaps.why(weighted) and not gaps.why(amount):  # amounts, but no stage probability
            weighted = gaps.Unknown(
                f"the stage of the open deals{where} is unknown, and so is their win probability"
            )
        return pd.Series(
            {
                "deals": len(frame),
                "amount": amount,
                "weighted": weighted,
                "unpriced": int(frame["unpriced"].sum()),
            },
            dtype=object,
        )
    grouped = frame.groupby(group_keys(open_, by, "close_date"), dropna=False)
    out = grouped[["deals", "unpriced"]].sum()
    sums = grouped[["amount", "weighted"]].sum(min_count=1)  # no amount at all: NaN, not 0
    return pd.concat([out[["deals"]], sums, out[["unpriced"]]], axis=1)


def by_stage(deals: pd.DataFrame, stages: Stages) -> pd.DataFrame:
    """:func:`pipeline` of ``deals`` by open stage, in stage order: ``deals`` and
    ``unpriced`` as counts (0 for a stage with no deal), ``amount`` and ``weighted`` 0
    for a stage with no open deal and NaN (unknown) where all its deals lack an amount."""
    pipe = pipeline(deals, by="stage", stages=stages).reindex(stages.open_names)
    counts = pipe[["deals", "unpriced"]].fillna(0).astype(int)
    sums = pipe[["amount", "weighted"]].mask(counts["deals"].eq(0), 0.0)  # no deal: a true 0
    return pd.concat([counts, sums], axis=1)[["deals", "amount", "weighted", "unpriced"]]


def pipeline_as_of(
    history: pd.DataFrame | None,
    as_of: pd.Timestamp | str,
    close_window: Window | None = None,
    *,
    by: By = None,
    opportunities: pd.DataFrame | None = None,
    stages: Stages,
) -> pd.Series | pd.DataFrame:
    """:func:`pipeline` as it stood at the moment ``as_of``.

    The deals then are :func:`salesops.data.history.deals_then` of ``opportunities`` (the
    one rule for the deals at a moment, which the quarter outlook uses too): each deal
    created before ``as_of`` from its last stage history row before it; a deal without
    such a row (a source without stage history, or a deal whose history starts later)
    from its created and close dates: one that closed later counts at its exported
    amount, due on the day it closed, in ``stages.unknown_open`` (its stage then is
    unknown, and so is its weight when no stage is open), and an open deal in its
    exported stage. ``by`` may name opportunity attributes (region, owner_id, ...).

    Without ``opportunities``, the history alone: the deals it records before ``as_of``
    (:func:`snapshot`), each in its last row's state.
    """
    moment = pd.Timestamp(as_of)
    if opportunities is None:
        if history is None:
            raise ValueError("without a stage history the pipeline is rebuilt from opportunities")
        return pipeline(snapshot(history, moment), close_window, by, stages=stages)
    then = deals_then(opportunities, moment, stages, history=history).deals
    return pipeline(then, close_window, by, stages=stages.with_unknown_open())


def invented_due(
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp | str,
    close_window: Window,
    invented: Collection[str],
    *,
    history: pd.DataFrame | None = None,
    stages: Stages,
) -> pd.DataFrame:
    """The open deals of :func:`pipeline_as_of` (due in ``close_window`` as they stood at
    ``as_of``) that are due there only by a close date a default invented: their id is
    in ``invented`` (``Tables.filled_ids``) and their close date then is the exported
    one, not a stage history row's own.

    Examples
    --------
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.5},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True}]})
    >>> deals = pd.DataFrame({"opportunity_id": ["a", "b", "c"], "stage": "Open",
    ...     "created_date": pd.to_datetime(["2026-08-01", "2026-08-20", "2026-09-01"]),
    ...     "close_date": pd.to_datetime(["2026-10-01", "2026-10-15", "2026-12-01"]),
    ...     "amount": [20.0, 30.0, 40.0], "forecast_category": None})
    >>> due = invented_due(deals, "2026-10-01", "2026-10", {"b", "c"}, stages=stages)
    >>> due["opportunity_id"].tolist(), float(due["amount"].sum())
    (['b'], 30.0)
    """
    then = deals_then(opportunities, pd.Timestamp(as_of), stages, history=history).deals
    keep = then["stage"].isin(stages.with_unknown_open().open_names)
    keep &= in_window(then["close_date"], close_window)
    return by_invented_dates(then[keep.to_numpy()], opportunities, invented)


def by_invented_dates(
    deals: pd.DataFrame, opportunities: pd.DataFrame, invented: Collection[str]
) -> pd.DataFrame:
    """Those of ``deals`` (as they stood at some moment) whose close date is one a default
    invented: their id is in ``invented`` and their close date is the one exported in
    ``opportunities`` (a stage history row's own close date is the CRM's)."""
    ids = deals["opportunity_id"].astype(str)
    keep = isin(ids, pd.Series(sorted(invented), dtype=object))
    exported = opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    keep &= deals["close_date"].eq(deals["opportunity_id"].map(exported["close_date"]))
    return deals[keep.to_numpy()]


def unrecorded_open(
    opportunities: pd.DataFrame,
    moment: pd.Timestamp | str,
    stages: Stages,
    *,
    history: pd.DataFrame | None = None,
) -> int:
    """How many deals open at ``moment`` (:func:`salesops.data.history.deals_then`) have
    no stage history row before it: their state then comes from their created and close
    dates, not from a history (every open deal, without a history).

    Examples
    --------
    >>> stages = Stages.from_dict({"stages": [{"name": "Open", "probability": 0.5},
    ...     {"name": "Won", "probability": 1, "closed": True, "won": True}]})
    >>> deals = pd.DataFrame({"opportunity_id": ["a", "b", "c"],
    ...     "created_date": pd.to_datetime(["2026-01-05", "2026-01-10", "2026-01-20"]),
    ...     "stage": ["Open", "Won", "Open"], "forecast_category": None,
    ...     "close_date": pd.to_datetime(["2026-03-31", "2026-02-10", "2026-03-31"]),
    ...     "amount": [10.0, 20.0, 30.0]})
    >>> rows = pd.DataFrame({"opportunity_id": ["a"], "changed_at": pd.to_datetime(
    ...     ["2026-01-05"]), "stage": ["Open"], "amount": [10.0],
    ...     "close_date": pd.to_datetime(["2026-03-31"])})
    >>> unrecorded_open(deals, "2026-02-01", stages, history=rows)  # b (won later) and c
    2
    """
    then = deals_then(opportunities, pd.Timestamp(moment), stages, history=history)
    is_open = then.deals["stage"].isin(stages.with_unknown_open().open_names).to_numpy()
    ids = then.deals["opportunity_id"].astype(str)[is_open]
    return int(ids.isin(then.unrecorded).sum())


def stale_deals(
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp | str,
    history: pd.DataFrame | None = None,
    *,
    stale_days: int,
    stages: Stages,
    filled: Collection[str] = (),
) -> pd.DataFrame:
    """Open deals that need cleaning up at ``as_of`` (a day; deals are judged at its end).

    A deal is flagged ``past_close`` when its close date is before ``as_of``, and
    ``no_change`` when its last history change is ``stale_days`` or more days before
    ``as_of`` (the reports pass ``stale_after_days`` of ``parameters/settings.yml``; needs
    history).

    ``filled`` names the deals whose close date a default of the source file filled
    (``tables.filled_ids["opportunities.close_date"]``): that date was invented, so it
    never flags a deal past its close date (``days_past_close`` 0); the count of open
    deals among them is ``attrs["filled_close_dates"]`` of the result.

    Returns the open deals flagged, with ``days_past_close``, ``days_since_change`` and
    ``reason`` (``past close date``, ``no change for N days`` or both).
    """
    day = pd.Timestamp(as_of).normalize()
    today = np.datetime64(day, "ns")
    is_open = opportunities["stage"].isin(stages.open_names).to_numpy()
    ids = opportunities["opportunity_id"][is_open]
    close = opportunities["close_date"].to_numpy()[is_open]
    past_close = (today - close) // np.timedelta64(1, "D")
    invented = (
        isin(ids, pd.Series(sorted(filled), dtype=object)).to_numpy()
        if filled
        else np.zeros(len(ids), dtype=bool)
    )
    past_close[invented] = 0
    if history is not None:
        h = by_deal(history)
        last = h.loc[last_per_deal(h), ["opportunity_id", "changed_at"]]
        at = np.append(last["changed_at"].to_numpy(), np.datetime64("NaT", "ns"))
        changed = pd.Series(at[positions(ids, last["opportunity_id"])])  # -1: no change: NaT
        changed = changed.fillna(pd.Series(opportunities["created_date"].to_numpy()[is_open]))
        since_change = (day - changed.dt.normalize()).dt.days.to_numpy()
        idle = since_change >= stale_days
    else:
        created = opportunities["created_date"].to_numpy()[is_open]
        since_change = (today - created) // np.timedelta64(1, "D")
        idle = np.zeros(len(ids), dtype=bool)
    past = past_close > 0
    flagged = past | idle
    out = opportunities.iloc[np.flatnonzero(is_open)[flagged]]
    out["days_past_close"] = np.clip(past_close[flagged], 0, None)
    out["days_since_change"] = since_change[flagged]
    idle_text = f"no change for {stale_days}+ days"
    out["reason"] = np.select(
        [past[flagged] & idle[flagged], past[flagged]],
        [f"past close date; {idle_text}", "past close date"],
        default=idle_text,
    )
    out = out.sort_values(["days_past_close", "opportunity_id"], ascending=[False, True])
    out.attrs["filled_close_dates"] = int(invented.sum())
    return out


def largest(deals: pd.DataFrame, n: int, by: str = "expected") -> pd.DataFrame:
    """The ``n`` deals of ``deals`` with the largest ``by``; those whose ``by`` is unknown
    (a deal without an amount) last. Ties, unknown ones too, go to the earlier close date,
    then the smaller deal id: the same deals, in the same order, on every run, whatever
    order the rows came in.

    >>> deals = pd.DataFrame({"opportunity_id": ["O3", "O1", "O2"], "expected": [None, 5.0,
    ...     None], "close_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01"])})
    >>> largest(deals, 3)["opportunity_id"].tolist()
    ['O1', 'O2', 'O3']
    """
    keys = [by, "close_date", "opportunity_id"]
    ordered = deals.sort_values(keys, ascending=[False, True, True], na_position="last")
    return ordered.head(n)


def sales_velocity(
    opportunities: pd.DataFrame,
    period: Period | str,
    lookback_months: int = 12,
    *,
    stages: Stages,
) -> pd.Series:
    """Revenue the qualified pipeline is expected to produce per day.

    velocity = (open qualified deals × win rate × average deal size) / average cycle days

    Open qualified deals are deals in a ``qualified`` stage now (the opportunities'
    current state); win rate, deal size and mean cycle length come from the
    ``lookback_months`` ending with ``period``. NaN when any input is missing or the
    cycle is 0. Returns the value and its four inputs.
    """
    p = Period.parse(period)
    window = (p.end - pd.DateOffset(months=lookback_months), p.end)
    n = int(opportunities["stage"].isin(stages.qualified_names).sum())
    wr = win_rate(opportunities, window, stages=stages)
    size = average_deal_size(opportunities, window, stages=stages)
    cycle = sales_cycle(opportunities, window, stages=stages)["mean_days"]
    value = n * wr * size / cycle if cycle and not np.isnan(cycle) else np.nan
    return pd.Series(
        {
            "velocity_per_day": value,
            "qualified_deals": n,
            "win_rate": wr,
            "average_deal_size": size,
            "cycle_days": cycle,
        }
    )


def pipeline_coverage(
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame,
    period: Period | str,
    stages: Stages,
) -> pd.Series:
    """Open pipeline for the next period against the quota still to be met in it.

    coverage = open pipeline closing in the next period / (quota of the next period −
    bookings already won in it). NaN when that remainder is 0 or less (quota met) or
    there is no quota. Returns coverage with its numerator and denominator.
    """
    from salesops.analytics.metrics import bookings

    nxt = Period.parse(period).shift(1)
    open_amount = pipeline(opportunities, nxt, stages=stages)["amount"]
    quota = quotas.loc[nxt.contains(quotas["month"]), "amount"].sum()
    remaining = quota - bookings(opportunities, nxt, stages=stages)
    coverage = open_amount / remaining if remaining > 0 else np.nan
    return pd.Series(
        {
            "coverage": coverage,
            "pipeline": open_amount,
            "quota_remaining": remaining,
            "next_period": nxt.label,
        }
    )
