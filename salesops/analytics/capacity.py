"""Who sells and what they can book: the sellers active in a window, their bookings per
month in seat, their ramp, and a team's capacity for a quarter. Pure functions; formulas in
``docs/performance.md`` (the team review) and ``docs/planning.md`` (the plan).

Two rules keep a real export from understating a team:

- **A seller owned a deal.** A person of the reps table who owned no deal active in the
  window (created before its end, and open or closed on or after its start) is not a
  seller with $0: not a peer, not a head of capacity (:func:`owners`).
- **The window starts where the data does.** Months before the first closed deal
  (:func:`data_start`) are unknown, not months of $0 bookings (:func:`rep_months`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.data.activity import active_deals, active_reps
from salesops.data.periods import Period
from salesops.data.stages import Stages

Window = tuple[pd.Timestamp, pd.Timestamp]


def data_start(opportunities: pd.DataFrame, stages: Stages) -> pd.Timestamp:
    """The first day of the first month with a closed deal (won or lost): bookings before
    it are unknown, not zero (an export that starts with deals still being worked). NaT
    without a closed deal."""
    closed = opportunities.loc[opportunities["stage"].isin(stages.closed_names), "close_date"]
    first = closed.min()
    return first.to_period("M").start_time if pd.notna(first) else pd.NaT


def owners(
    opportunities: pd.DataFrame, reps: pd.DataFrame, window: Window, stages: Stages
) -> pd.DataFrame:
    """The sellers of ``reps`` employed during ``window`` ``[start, end)`` who owned a deal
    active in it: created before its end (or on an unknown day), and still open or
    closed on or after its start."""
    active = active_deals(opportunities, window, stages.open_names)
    employed = active_reps(reps, window)
    return employed[employed["rep_id"].isin(opportunities.loc[active, "owner_id"])]


def team(
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    window: Window,
    stages: Stages,
    *,
    leavers: bool = False,
) -> pd.DataFrame:
    """The sellers still employed (no end date) who owned a deal active in ``window``
    (:func:`owners`), and those hired in it, who may not own one yet. With ``leavers``,
    those who left during the window count as employed (a month's review lists everyone
    who sold in it); a person who owned no deal and was not hired in the window is not a
    seller with $0."""
    employed = active_reps(reps, window) if leavers else active_reps(reps)
    hired = employed["hire_date"].notna() & (employed["hire_date"] >= window[0])
    ids = set(owners(opportunities, employed, window, stages)["rep_id"])
    return employed[employed["rep_id"].isin(ids) | hired]


def productivity(
    history: pd.DataFrame,
    where: str = "",
    first_close: pd.Timestamp | None = None,
    no_close: str = "the source holds no closed deal",
) -> float:
    """Mean monthly bookings of the rep-months of ``history`` (:func:`rep_months` rows):
    :func:`known_mean` of their bookings.

    Unknown, with the reason, without a rep-month, and when fewer than
    :data:`~salesops.analytics.gaps.MIN_PRICED` (3) of their months have priced bookings
    (won deals whose amounts sum above zero): the floor of the time-series forecast and of
    the run-rate, so that capacity is never extrapolated from a month or two (one priced
    deal is not a rate). ``where`` words the reason (" in the 12 months to 31 Dec 2026");
    ``first_close`` is :func:`data_start` (NaT: no deal has closed, which the reason says
    with ``no_close``: :func:`salesops.analytics.gaps.no_close` of the deals).
    """
    if first_close is not None and pd.isna(first_close):
        return gaps.Unknown(f"{no_close}: there are no bookings to measure it on")
    if history.empty:
        return gaps.Unknown(f"no month in seat of a ramped seller{where} to measure it on")
    by_month = history.groupby("month")["bookings"].sum()
    few = gaps.too_few_priced(int((by_month > 0).sum()), "productivity", where)
    return few if few is not None else known_mean(history["bookings"])


def known_mean(bookings: pd.Series) -> float:
    """The mean of monthly ``bookings`` over the months whose bookings are known; NaN
    when some are unknown (won deals without an amount) and none known has a booking:
    an export whose won deals have no amounts books an unknown amount, not $0."""
    if bookings.isna().any() and not (bookings.fillna(0.0) > 0).any():
        return np.nan
    return float(bookings.mean())


def rep_months(
    opportunities: pd.DataFrame, reps: pd.DataFrame, window: Window, stages: Stages
) -> pd.DataFrame:
    """Each rep's bookings in each whole month of ``window`` they were in seat, with their
    months in seat at the month's start: ``rep_id``, ``month``, ``tenure``, ``bookings``.

    A rep's months run from the month after their hire (the first full one) to the month
    before they left; without dates, the whole window. Months before :func:`data_start`
    are left out: the data cannot say what was booked then.
    """
    first_close = data_start(opportunities, stages)
    start = pd.Timestamp(window[0])
    if pd.isna(first_close):  # no closed deal: no month is known
        start = pd.Timestamp(window[1])
    elif first_close > start:
        start = first_close
    first = start.to_period("M")
    last = (pd.Timestamp(window[1]) - pd.Timedelta(days=1)).to_period("M")
    won = opportunities[opportunities["stage"] == stages.won]
    months = won["close_date"].dt.to_period("M")
    # a rep-month whose won deals all lack an amount: its bookings are unknown, not $0
    booked = won.groupby([won["owner_id"], months])["amount"].sum(min_count=1)
    rows = []
    for rep in reps.itertuples():
        begin = first if pd.isna(rep.hire_date) else max(first, rep.hire_date.to_period("M") + 1)
        end = last if pd.isna(rep.end_date) else min(last, rep.end_date.to_period("M") - 1)
        for month in pd.period_range(begin, end, freq="M") if begin <= end else []:
            rows.append(
                {
                    "rep_id": rep.rep_id,
                    "month": month,
                    "tenure": months_in_seat(rep.hire_date, month.start_time),
                    "bookings": float(booked.get((rep.rep_id, month), 0.0)),
                }
            )
    return pd.DataFrame(rows, columns=["rep_id", "month", "tenure", "bookings"])


def quarter_capacity(
    reps: pd.DataFrame,
    opportunities: pd.DataFrame,
    quarter: Period,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    ramp_months: int,
    months: int = 12,
) -> pd.Series:
    """Bookings capacity of a team for ``quarter``, from its sellers' recent productivity.

    window = the ``months`` months to ``as_of``; the team is :func:`team` of that window;

        productivity = Σ bookings / Σ rep-months, over the team's fully ramped rep-months
                       of the window (:func:`rep_months`, so from the data's first close
                       on; ramped: ``ramp_months`` or more in seat, or no hire date)
        capacity     = productivity × Σ over the team and the quarter's months of the
                       ramp factor (months in seat then / ramp months, at most 1)

    A mean over rep-months, not a median over reps: capacity is a sum over the team, and
    a median rep books less than the mean when a few sell most. ``booked_last_quarter`` is
    what ``opportunities`` booked in the quarter before ``quarter`` (to ``as_of``), to
    compare (unknown before the data's first close,
    :func:`salesops.analytics.bookings.before_start`). Productivity is
    :func:`productivity`: unknown, with its reason, without a ramped rep-month or with
    fewer than :data:`~salesops.analytics.gaps.MIN_PRICED` priced months, and so is the
    capacity then (a Series of objects keeps the reason).
    """
    ramp = ramp_months
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    window = (end - pd.DateOffset(months=months), end)
    sellers = team(opportunities, reps, window, stages)
    history = rep_months(opportunities, sellers, window, stages)
    ramped = history[history["tenure"] >= ramp]
    where = f" in the {months} months to {pd.Timestamp(as_of):%d %b %Y}"
    first = data_start(opportunities, stages)
    rate = productivity(ramped, where, first, gaps.no_close(opportunities))
    quarter_months = pd.date_range(quarter.start, quarter.end, freq="MS", inclusive="left")
    factors = [
        ramp_factor(months_in_seat(hire, month), ramp)
        for hire in sellers["hire_date"]
        for month in quarter_months
    ]
    starts = [ramp_factor(months_in_seat(h, quarter.start), ramp) for h in sellers["hire_date"]]
    before = quarter.shift(-1)
    last = (before.start, min(before.end, end))
    early = booked.before_start(opportunities, last, stages)
    return pd.Series(
        {
            "headcount": float(len(sellers)),
            "ramping": float(sum(f < 1 for f in starts)),
            "productivity": rate,
            "ramped_rep_months": float(sum(factors)),
            "capacity": rate if gaps.why(rate) else rate * float(sum(factors)),
            "booked_last_quarter": early or m.bookings(opportunities, last, stages=stages),
        },
        dtype=object,  # an Unknown keeps its reason
    )


def ramp_factor(months_in_seat: float, ramp_months: int) -> float:
    """Share of full productivity after ``months_in_seat``: linear to 1 over
    ``ramp_months`` (1 at once for 0)."""
    if ramp_months <= 0:
        return 1.0
    return float(np.clip(months_in_seat / ramp_months, 0.0, 1.0))


def months_in_seat(hire_date: pd.Timestamp | None, day: pd.Timestamp) -> float:
    """Whole months from ``hire_date`` to ``day`` (a long time when unknown)."""
    if hire_date is None or pd.isna(hire_date):
        return 120.0
    return max(0.0, (day - hire_date).days / 30.4375)
