"""Bookings per group (rep, region) and of a whole window (:func:`total`, the quarter
outlook's closed to date) where unknown is not zero, and the note on the won deals a sum
left out. Formulas in ``docs/metrics.md`` ("Unknown is not zero").

:func:`salesops.analytics.metrics.bookings` with ``by`` gives only the groups that won a
deal, NaN where none of a group's won deals has an amount. A report that lists every rep
needs the others too, and each with what it is:

- a group that won deals, some with an amount: Σ of the amounts it has (the deals
  without one are left out, and :func:`left_out` says how many);
- a group that won deals, none with an amount: unknown, with the reason;
- a group that won no deal: $0, a known zero;
- every group, when the window ends before the data's first close
  (:func:`salesops.analytics.gaps.bookings_start`): unknown, with the reason (the data
  holds no outcome then, so no month there is a month of $0).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.words import listed, plural


def before_start(
    opportunities: pd.DataFrame,
    window: m.Window,
    stages: Stages,
    start: gaps.Start | None = None,
) -> gaps.Unknown | None:
    """The :class:`~salesops.analytics.gaps.Unknown` bookings of a ``window`` that ends
    before the data's first close (or of any window, when no deal has closed), else None.

    ``start`` is where the data's bookings start; without it, the first close of
    ``opportunities`` (:func:`~salesops.analytics.gaps.bookings_start`): a rep's review,
    which loads the rep's own rows, passes its region's.
    """
    start = start or gaps.bookings_start(opportunities, stages)
    if not start.ends_before(m.window_bounds(window)[1]):
        return None
    if start.month is None:
        return gaps.Unknown(f"no bookings: {start.reason}")
    return gaps.Unknown(
        f"{m.window_label(window)} is before {start.month:%b %Y}, {start.reason}: "
        "the data holds no bookings then"
    )


def total(
    opportunities: pd.DataFrame,
    window: m.Window,
    *,
    stages: Stages,
    start: gaps.Start | None = None,
) -> float:
    """Bookings of the whole ``window``, by the rule of :func:`per_group` for one group.

    bookings = Σ amount of the deals won in the window that have one; 0 when none was
    won; unknown (:class:`~salesops.analytics.gaps.Unknown`, with the reason) when deals
    were won and none has an amount, and when the window ends before the data's first
    close (``start``: see :func:`before_start`), as when no deal has closed at all.
    """
    early = before_start(opportunities, window, stages, start)
    if early is not None:
        return early
    return m.bookings(opportunities, window, stages=stages)


def per_group(
    opportunities: pd.DataFrame,
    window: m.Window,
    groups: Iterable[object],
    *,
    by: str = "owner_id",
    stages: Stages,
    start: gaps.Start | None = None,
) -> pd.Series:
    """Bookings of each of ``groups`` (values of the column ``by``) over ``window``.

    bookings(g) = Σ amount of g's deals won in the window that have one; 0 when g won
    none; unknown when g won deals and none has an amount, and for every group when the
    window ends before the data's first close (``start``: see :func:`before_start`).

    Returns a Series of objects indexed by ``groups`` (an unknown value is an
    :class:`~salesops.analytics.gaps.Unknown` that keeps its reason).
    """
    index = pd.Index(list(groups), name=by)
    early = before_start(opportunities, window, stages, start)
    if early is not None:
        return pd.Series([early] * len(index), index=index, dtype=object, name="bookings")
    won = m.won_in(opportunities, window, stages)
    booked = won.groupby(by)["amount"].sum(min_count=1)
    none_priced = gaps.Unknown(f"none of the deals won in {m.window_label(window)} has an amount")
    values = [
        (none_priced if pd.isna(booked[g]) else float(booked[g])) if g in booked.index else 0.0
        for g in index
    ]
    return pd.Series(values, index=index, dtype=object, name="bookings")


def unpriced(
    opportunities: pd.DataFrame,
    window: m.Window,
    groups: Iterable[object],
    *,
    by: str = "owner_id",
    stages: Stages,
) -> tuple[int, int]:
    """(won deals without an amount, won deals) of ``groups`` in ``window``."""
    won = m.won_in(opportunities, window, stages)
    won = won[won[by].isin(list(groups))]
    return int(won["amount"].isna().sum()), len(won)


def left_out(
    opportunities: pd.DataFrame,
    window: m.Window,
    groups: Iterable[object],
    *,
    by: str = "owner_id",
    stages: Stages,
    start: gaps.Start | None = None,
) -> str:
    """The note beside bookings that left won deals out: "3 of 4 deals won in 2026-Q4
    have no amount and are left out of the sums." ("" when none was, or when the window
    is before the data's first close: its bookings are unknown, and say so)."""
    if before_start(opportunities, window, stages, start) is not None:
        return ""
    lacking, won = unpriced(opportunities, window, groups, by=by, stages=stages)
    return gaps.left_out(lacking, won, f"deals won in {m.window_label(window)}")


def won_by_month(
    opportunities: pd.DataFrame, end: Period | str, *, stages: Stages, by: str | None = None
) -> pd.DataFrame:
    """The deals won per close month up to ``end``'s end (per month and ``by`` group with
    ``by``), with ``won`` (how many) and ``unpriced`` (of them, without an amount): what
    each month's bookings, the known sum of :func:`total`, leave out."""
    last = Period.parse(end).end
    opps = opportunities
    won = opps[(opps["stage"] == stages.won) & (opps["close_date"] < last)]
    keys = [won["close_date"].dt.strftime("%Y-%m").rename("month")]
    keys += [won[by]] if by else []
    return won["amount"].isna().groupby(keys).agg(won="size", unpriced="sum")


def months_left_out(counts: pd.DataFrame, months: int) -> str:
    """The forecast's note on the months of a series of ``months`` whose bookings left out
    won deals without an amount (``counts`` of :func:`won_by_month` for one series), or
    "" when none did. A month whose won deals all lack one is unknown, not a known sum,
    and is not counted here (the forecast's own note names it): "in 2 of the 36 months
    (2025-12, 2026-03), 3 of the 40 deals won have no amount: those months' bookings are
    the known sums, which leave them out"."""
    partly = counts[(counts["unpriced"] > 0) & (counts["unpriced"] < counts["won"])]
    if partly.empty:
        return ""
    labels = [str(m) for m in partly.index]
    shown = listed(labels)
    lacking, won = int(partly["unpriced"].sum()), int(partly["won"].sum())
    has = "has" if lacking == 1 else "have"
    them = "it" if lacking == 1 else "them"
    sums = (
        "that month's bookings are the known sum, which leaves"
        if len(labels) == 1
        else ("those months' bookings are the known sums, which leave")
    )
    return (
        f"in {len(labels)} of the {plural(months, 'month')} ({shown}), {lacking:,} of the "
        f"{plural(won, 'deal')} won then {has} no amount: {sums} {them} out"
    )


def monthly(
    opportunities: pd.DataFrame,
    end: Period | str,
    by: str | None = None,
    start: pd.Timestamp | None = None,
    *,
    stages: Stages,
) -> pd.Series | pd.DataFrame:
    """Won amount per close month, zero-filled, for every month before ``end``'s end; NaN
    for a month whose won deals all lack an amount (unknown, not $0).

    The series starts at ``start``, by default where the data can speak for bookings:
    the month of the first closed deal (:func:`salesops.analytics.gaps.bookings_start`).
    The months before it are absent, not zeros: a CRM whose deals were created months
    before the first one closed has no bookings history there. Empty when no deal has
    closed. With ``by`` it is a frame with one column per group.
    """
    last = Period.parse(end).end
    opps = opportunities
    first = start if start is not None else gaps.bookings_start(opps, stages).day
    if first is None or pd.isna(first):
        first = last  # nothing closed yet: no month to show
    months = pd.period_range(pd.Timestamp(first), last - pd.Timedelta(days=1), freq="M")
    labels = pd.Index(months.strftime("%Y-%m"), name="month")
    won = opps[(opps["stage"] == stages.won) & (opps["close_date"] < last)]
    month = won["close_date"].dt.strftime("%Y-%m").rename("month")
    # a month whose won deals all lack an amount is unknown (NaN), not $0; a month
    # without a won deal books 0
    if by is None:
        return won.groupby(month)["amount"].sum(min_count=1).reindex(labels, fill_value=0.0)
    booked = won.groupby([month, won[by]])["amount"].sum(min_count=1)
    table = booked.unstack(by, fill_value=0.0)
    return table.reindex(labels, fill_value=0.0).rename_axis(columns=by)
