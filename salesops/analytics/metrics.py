"""Sales metrics over the canonical tables: pure functions, DataFrames in, numbers out.

Every function takes a time ``window`` (a :class:`~salesops.data.periods.Period`, a period
label, or a ``(start, end)`` pair, half-open) and an optional ``by``: one or more
columns to group by, where ``"month"`` means the month of the metric's own date
(the close date for closed-deal metrics, ``created_at`` for leads, ...).

With no ``by`` a metric returns one number; with ``by`` it returns a Series or a
DataFrame indexed by the groups. A metric without data returns NaN (or an empty
frame), never raises ZeroDivisionError. Formulas are in each docstring and in
``docs/metrics.md``. Pipeline metrics (value, waterfall, funnel, slippage) live in
``salesops.analytics.pipeline``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import overload

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics.gaps import Start
from salesops.data import coverage
from salesops.data.model import LOST_DEALS, Tables
from salesops.data.periods import By, Grouped, Period, group_keys
from salesops.data.stages import Stages

Window = Period | str | tuple[pd.Timestamp | str, pd.Timestamp | str]


def window_bounds(window: Window) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a window given as a Period, a period label or a pair."""
    if isinstance(window, tuple):
        return pd.Timestamp(window[0]), pd.Timestamp(window[1])
    period = Period.parse(window)
    return period.start, period.end


def window_label(window: Window) -> str:
    """A window for a sentence: "2026-10", or "1 Jul 2026 to 30 Sep 2026" for a pair."""
    if isinstance(window, tuple):
        start, end = window_bounds(window)
        return f"{start:%d %b %Y} to {end - pd.Timedelta(days=1):%d %b %Y}"
    return Period.parse(window).label if isinstance(window, str) else window.label


def in_window(dates: pd.Series, window: Window) -> pd.Series:
    """Boolean mask of ``dates`` inside ``window``."""
    start, end = window_bounds(window)
    return (dates >= start) & (dates < end)


def _aggregate(frame: pd.DataFrame, by: By, date_column: str, fn: Callable[[pd.DataFrame], object]):
    """``fn(frame)`` overall (by=None) or per group."""
    if not by:
        return fn(frame)
    if frame.empty:  # keep the result's shape: a Series of numbers or a frame of stats
        sample = fn(frame)
        return pd.DataFrame(columns=sample.index) if isinstance(sample, pd.Series) else pd.Series()
    keys = group_keys(frame, by, date_column)
    return frame.groupby(keys, dropna=False, observed=True).apply(fn, include_groups=False)


def closed_in(opportunities: pd.DataFrame, window: Window, stages: Stages) -> pd.DataFrame:
    """Deals closed (won or lost) with a close date inside ``window``."""
    opps = opportunities
    return opps[opps["stage"].isin(stages.closed_names) & in_window(opps["close_date"], window)]


def won_in(opportunities: pd.DataFrame, window: Window, stages: Stages) -> pd.DataFrame:
    """Deals won with a close date inside ``window``."""
    opps = opportunities
    return opps[(opps["stage"] == stages.won) & in_window(opps["close_date"], window)]


@overload
def win_rate(
    opportunities: pd.DataFrame, window: Window, by: None = None, *, stages: Stages
) -> float: ...
@overload
def win_rate(
    opportunities: pd.DataFrame, window: Window, by: Grouped, *, stages: Stages
) -> pd.Series: ...
def win_rate(
    opportunities: pd.DataFrame, window: Window, by: By = None, *, stages: Stages
) -> float | pd.Series:
    """Share of deals closed in the window that were won.

    win rate = won / (won + lost), over deals whose close date falls in the window.
    Open deals are excluded. Counts deals, not amounts.
    Returns NaN for a window or group with no closed deals.
    """
    closed = closed_in(opportunities, window, stages)
    result = _aggregate(
        closed, by, "close_date", lambda g: (g["stage"] == stages.won).mean() if len(g) else np.nan
    )
    return result.rename("win_rate") if isinstance(result, pd.Series) else float(result)


def win_rate_unknown(tables: Tables) -> gaps.Unknown | None:
    """Why no win rate of ``tables`` can be known, or None when it can: the one rule for
    every win rate a report shows (the headline KPI's, a rep's, a segment's).

    A win rate needs lost deals: a source whose stage list has no lost stage, or which
    holds no lost deal (an export of won deals only, such as Olist's), would win 100% by
    construction (:meth:`~salesops.data.model.Tables.has` of
    :data:`~salesops.data.model.LOST_DEALS`). The reason is the headline KPI's: "win rate
    needs lost deals, of which this source holds none".
    """
    lacking = coverage.reason(tables, (LOST_DEALS,), "win rate")
    return None if lacking is None else gaps.Unknown(lacking.replace("`", ""))


def sales_cycle(
    opportunities: pd.DataFrame, window: Window, by: By = None, *, stages: Stages
) -> pd.Series | pd.DataFrame:
    """Days from created_date to close_date of deals won in the window.

    cycle = close_date − created_date, in days, for won deals only.
    Returns ``mean_days``, ``median_days`` and ``deals`` (a Series when ``by`` is None,
    else a DataFrame); the days are NaN when no deal was won.
    """
    won = won_in(opportunities, window, stages)
    won = won.assign(days=(won["close_date"] - won["created_date"]).dt.days)

    def stats(g: pd.DataFrame) -> pd.Series:
        return pd.Series(
            {"mean_days": g["days"].mean(), "median_days": g["days"].median(), "deals": len(g)}
        )

    return _aggregate(won, by, "close_date", stats)


@overload
def average_deal_size(
    opportunities: pd.DataFrame, window: Window, by: None = None, *, stages: Stages
) -> float: ...
@overload
def average_deal_size(
    opportunities: pd.DataFrame, window: Window, by: Grouped, *, stages: Stages
) -> pd.Series: ...
def average_deal_size(
    opportunities: pd.DataFrame, window: Window, by: By = None, *, stages: Stages
) -> float | pd.Series:
    """Mean amount of deals won in the window.

    deal size = Σ amount / number of won deals with an amount. Won deals with no
    amount are left out. NaN when no deal was won.
    """
    won = won_in(opportunities, window, stages)
    result = _aggregate(won, by, "close_date", lambda g: g["amount"].mean())
    return result.rename("average_deal_size") if isinstance(result, pd.Series) else float(result)


@overload
def bookings(
    opportunities: pd.DataFrame, window: Window, by: None = None, *, stages: Stages
) -> float: ...
@overload
def bookings(
    opportunities: pd.DataFrame, window: Window, by: Grouped, *, stages: Stages
) -> pd.Series: ...
def bookings(
    opportunities: pd.DataFrame, window: Window, by: By = None, *, stages: Stages
) -> float | pd.Series:
    """Total amount of deals won in the window.

    bookings = Σ amount of won deals whose close date is in the window; 0 when none.
    Won deals without an amount are left out of the sum; when every deal won in the
    window lacks one, bookings are unknown, not 0: an
    :class:`~salesops.analytics.gaps.Unknown` with the reason (NaN per group with ``by``).
    """
    won = won_in(opportunities, window, stages)
    if not by:  # "none of the 3 deals won in 2026-09 has an amount"
        return gaps.total(won["amount"], "deals", f" won in {window_label(window)}")
    return (
        won.groupby(group_keys(won, by, "close_date"), dropna=False)["amount"]
        .sum(min_count=1)
        .rename("bookings")
    )


def quota_attainment(
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame,
    window: Window,
    *,
    by: str | None = None,
    reps: pd.DataFrame | None = None,
    stages: Stages,
) -> pd.DataFrame:
    """Bookings against quota for the window.

    attainment = bookings / quota, where quota = Σ monthly quota amounts of the months
    in the window. ``by`` is None, ``"owner_id"``, ``"month"`` or a reps column such as
    ``"region"`` (then ``reps`` is needed). Attainment is NaN where the quota is 0 or
    missing (a rep with no quota); bookings without a quota still count. Bookings are
    those of :func:`bookings`: 0 for a group that won nothing, NaN (and so attainment)
    for one whose won deals all lack an amount: unknown, not 0% of quota.

    Returns
    -------
    DataFrame with ``bookings``, ``quota`` and ``attainment`` (one row when ``by`` is None).
    """
    start, end = window_bounds(window)
    won = won_in(opportunities, window, stages).assign(rep_id=lambda f: f["owner_id"])
    q = quotas[(quotas["month"] >= start) & (quotas["month"] < end)]
    won = won.assign(month=won["close_date"].dt.to_period("M").astype(str))
    q = q.assign(month=q["month"].dt.to_period("M").astype(str))
    if by in (None, "owner_id", "month"):
        key = {"owner_id": "rep_id", None: None, "month": "month"}[by]
    else:
        if reps is None:
            raise ValueError(f"quota_attainment by {by!r} needs the reps table")
        lookup = reps.set_index("rep_id")[by]
        won = won.assign(**{by: won["rep_id"].map(lookup)})
        q = q.assign(**{by: q["rep_id"].map(lookup)})
        key = by
    if key is None:
        booked, quota = (
            pd.Series({"all": won["amount"].sum(min_count=1)}) if len(won) else pd.Series(),
            pd.Series({"all": q["amount"].sum()}),
        )
    else:
        booked = won.groupby(key)["amount"].sum(min_count=1)  # none priced: NaN, not 0
        quota = q.groupby(key)["amount"].sum()
    out = pd.DataFrame({"bookings": booked, "quota": quota}, dtype=float)
    won_nothing = ~out.index.isin(booked.index)
    out.loc[won_nothing, "bookings"] = 0.0  # a known zero
    out["attainment"] = out["bookings"] / out["quota"].where(out["quota"] > 0)
    if by == "owner_id":
        out.index.name = "owner_id"
    return out


@overload
def time_selling(
    activities: pd.DataFrame, window: Window, by: None = None, *, selling_kinds: Sequence[str]
) -> float: ...
@overload
def time_selling(
    activities: pd.DataFrame, window: Window, by: Grouped, *, selling_kinds: Sequence[str]
) -> pd.Series: ...
def time_selling(
    activities: pd.DataFrame,
    window: Window,
    by: By = None,
    *,
    selling_kinds: Sequence[str],
) -> float | pd.Series:
    """Share of logged minutes spent selling.

    time selling = Σ minutes of selling kinds / Σ all logged minutes, over activities
    started in the window. ``selling_kinds`` are the activity kinds that count as
    selling (the reports pass ``selling_activity_kinds`` of ``parameters/settings.yml``).
    NaN when no minutes were logged.
    """
    acts = activities[in_window(activities["started_at"], window)]
    acts = acts.assign(selling=acts["minutes"].where(acts["kind"].isin(list(selling_kinds)), 0.0))

    def share(g: pd.DataFrame) -> float:
        total = g["minutes"].sum()
        return g["selling"].sum() / total if total > 0 else np.nan

    result = _aggregate(acts, by, "started_at", share)
    return result.rename("time_selling") if isinstance(result, pd.Series) else float(result)


def activity_mix(activities: pd.DataFrame, window: Window, by: By = None) -> pd.DataFrame:
    """Minutes per activity kind, and each kind's share of all minutes, in the window.

    share = Σ minutes of the kind / Σ all minutes (per group when ``by`` is given).
    Empty when no activity was logged.
    """
    acts = activities[in_window(activities["started_at"], window)]
    keys = [*group_keys(acts, by, "started_at"), acts["kind"]]
    minutes = acts.groupby(keys)["minutes"].sum()
    total = (
        minutes.groupby(level=list(range(len(keys) - 1))).transform("sum") if by else minutes.sum()
    )
    return pd.DataFrame({"minutes": minutes, "share": minutes / total})


def lead_response(leads: pd.DataFrame, window: Window, by: By = None) -> pd.Series | pd.DataFrame:
    """How fast leads created in the window were answered.

    response time = first_response_at − created_at, in hours. Reports ``leads``, the
    ``median_hours`` and ``p90_hours`` of answered leads, the shares answered
    ``within_1h`` and ``within_24h`` and the share ``never`` answered (all over every
    lead, answered or not). NaN hours when no lead was answered; NaN shares when no lead.
    """
    chosen = leads[in_window(leads["created_at"], window)]
    hours = (chosen["first_response_at"] - chosen["created_at"]).dt.total_seconds() / 3600
    chosen = chosen.assign(hours=hours)

    def stats(g: pd.DataFrame) -> pd.Series:
        n = len(g)
        h = g["hours"]
        return pd.Series(
            {
                "leads": n,
                "median_hours": h.median(),
                "p90_hours": h.quantile(0.9) if h.notna().any() else np.nan,
                "within_1h": (h <= 1).sum() / n if n else np.nan,
                "within_24h": (h <= 24).sum() / n if n else np.nan,
                "never": h.isna().sum() / n if n else np.nan,
            }
        )

    return _aggregate(chosen, by, "created_at", stats)


def lead_conversion(leads: pd.DataFrame, window: Window, by: By = None) -> float | pd.Series:
    """Share of leads created in the window that became a deal.

    conversion = leads with converted_at / all leads created in the window; NaN when none.
    Leads loaded for a period hold what was known at its end: a conversion after the
    period's end is not counted (``salesops.data.sources.known_by``).
    """
    chosen = leads[in_window(leads["created_at"], window)]
    result = _aggregate(
        chosen, by, "created_at", lambda g: g["converted_at"].notna().mean() if len(g) else np.nan
    )
    return result.rename("lead_conversion") if isinstance(result, pd.Series) else float(result)


def growth(
    value: Callable[[Period], float],
    period: Period | str,
    start: Start | None = None,
    what: str = "data",
) -> pd.Series:
    """A metric for a period against the previous period and the same period last year.

    ``value`` computes the metric for a Period, e.g. ``lambda p: bookings(opps, p)``.
    Growth = current / earlier − 1; NaN when the earlier value is 0 or NaN.

    With ``start`` (:class:`~salesops.analytics.gaps.Start`, where the data can speak for
    ``what``), an earlier period that begins before the start is not computed: its value
    and the change against it are :class:`~salesops.analytics.gaps.Unknown` with the
    reason, never a comparison with zero (−100% or +∞). When the series has no start at
    all (the source holds no closed deal), the current value is unknown too.

    Returns
    -------
    Series (of objects, so that a reason travels) with ``current``, ``previous``,
    ``last_year``, ``vs_previous`` and ``vs_last_year``.
    """
    p = Period.parse(period)

    def at(q: Period) -> float:
        if start is not None and start.before(q):
            return start.unknown_for(q, what)
        return value(q)

    # no series at all (nothing has closed yet): the current value is unknown too, not 0
    empty = start is not None and start.month is None
    now = start.unknown_for(p, what) if empty and start is not None else value(p)
    prev, ly = at(p.previous()), at(p.same_period_last_year())

    def change(before: float) -> float:
        if gaps.why(before):
            return before
        if gaps.why(now):
            return now
        return now / before - 1 if before and not np.isnan(before) else np.nan

    return pd.Series(
        {
            "current": now,
            "previous": prev,
            "last_year": ly,
            "vs_previous": change(prev),
            "vs_last_year": change(ly),
        },
        dtype=object,
    )


def naive_win_probability(
    days_open: float | pd.Series, average_cycle_days: float
) -> float | pd.Series:
    """The naive elapsed-time estimate of a deal's chance to close: the seed baseline.

    probability = clip(days_open / average_cycle_days, 0, 1): with an average cycle of
    4 months, a deal worked for 1 month has a 25% chance. It knows nothing of stage or
    outcome history; the forecasting module calibrates a better one. NaN when the
    average cycle is not positive.
    """
    if not average_cycle_days or average_cycle_days <= 0 or np.isnan(average_cycle_days):
        return days_open * np.nan
    return np.clip(days_open / average_cycle_days, 0.0, 1.0)
