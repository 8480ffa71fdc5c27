"""The dashboard's reps and deals: its leaderboard, and a rep's share of the forecast, both
on bookings by the one rule of :func:`salesops.analytics.bookings.per_group`; and its top
open deals (:func:`top_deals`).

A rep whose won deals all lack an amount has unknown bookings ("–", with the reason), a
rep who won nothing $0: the leaderboard shows each as it is, and a rep's share of their
team's bookings is unknown when any seller's bookings are (the shares of the others
would be inflated by a seller taken as $0) or when nobody booked anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from salesops.analytics import bookings as bk
from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import pipeline as pl
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.reports import formatting as fmt
from salesops.reports import labels
from salesops.reports.display import styled, with_reasons

if TYPE_CHECKING:
    from salesops.reports.dashboard import Dashboard


def win_rate(dash: Dashboard, deals: pd.DataFrame, period: Period, by: str | None = None) -> Any:
    """The win rate of ``deals`` in ``period`` (per ``by`` value): unknown, with the
    reason, where the source holds no lost deal (:func:`.metrics.win_rate_unknown`)."""
    rates = m.win_rate(deals, period, by=by, stages=dash.stages)
    unknown = m.win_rate_unknown(dash.tables)
    if unknown is None:
        return rates
    if isinstance(rates, pd.Series):  # of objects: each cell keeps the reason
        return pd.Series(unknown, index=rates.index, dtype=object)
    return unknown


def leaderboard(dash: Dashboard) -> str:
    """Reps of the selection with the month's bookings, attainment and win rate.

    bookings: :func:`salesops.analytics.bookings.per_group` ($0 for a rep who won
    nothing, unknown with the reason for one whose won deals all lack an amount);
    attainment is unknown where bookings are. The caption says how many won deals were
    left out of the sums.
    """
    period = dash.period(dash.selection.period)
    reps = dash.reps(dash.selection.region)
    o = dash.tables.opportunities
    ids = pd.Index(reps["rep_id"], name="rep_id")
    booked = bk.per_group(o, period, ids, stages=dash.stages)
    board = pd.DataFrame(
        {
            "rep": reps["name"].to_numpy(),
            "region": reps["region"].to_numpy(),
            "bookings": booked.to_numpy(),
            "win_rate": win_rate(dash, o, period, by="owner_id").reindex(ids).to_numpy(),
        }
    )
    quotas = dash.tables.quotas
    if quotas is not None:
        q = quotas[period.contains(quotas["month"])].groupby("rep_id")["amount"].sum()
        quota = q.reindex(ids).to_numpy()
        known = board["bookings"].astype(float) / np.where(quota > 0, quota, np.nan)
        unknown = booked.map(gaps.why).notna().to_numpy()  # bookings unknown: so is attainment
        board["attainment"] = known.astype(object).where(~unknown, board["bookings"])
    board = board.sort_values("bookings", ascending=False, key=lambda s: s.astype(float))
    board = fmt.in_currency(board.set_index("rep"), dash.settings.currency)
    caption = f"Leaderboard, {period.label}"
    note = bk.left_out(o, period, ids, stages=dash.stages)
    caption += f". {note.rstrip('.')}" if note else ""
    return styled(board, {}, with_reasons(caption, board)).to_html()


def rep_share(
    opportunities: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    team: pd.Index,
    rep: str,
    *,
    stages: Stages,
) -> float:
    """``rep``'s share of ``team``'s bookings over ``window``: bookings(rep) / Σ
    bookings(team), by :func:`salesops.analytics.bookings.per_group` (0 for a rep who
    won nothing).

    Unknown, with the reason, when a seller's bookings are unknown (taken as $0 they
    would raise the others' shares) or when the team booked nothing (0 / 0).
    """
    booked = bk.per_group(opportunities, window, team, stages=stages)
    unknown = [value for value in booked if gaps.why(value)]
    label = m.window_label(window)
    if unknown:
        return gaps.Unknown(
            f"the bookings of {len(unknown)} of {len(booked)} sellers over {label} are "
            f"unknown ({gaps.why(unknown[0])}), so no rep's share of them is known"
        )
    values = booked.astype(float)
    if not values.sum() > 0:
        return gaps.Unknown(f"no seller booked anything in {label}, so no rep has a share")
    return float(values.get(rep, 0.0) / values.sum())


def top_deals(dash: Dashboard, top: int = 10) -> str:
    """The selection's largest open deals by expected value at the month's end; a deal
    without an amount has an unknown one (–, with the reason), not $0, and comes last."""
    period = dash.period(dash.selection.period)
    state = dash.state(period)
    state = state[dash.mask(state)].copy()
    state["expected"] = state["amount"] * state["probability"]
    deals = pl.largest(state, top)
    unpriced = gaps.Unknown("the deal has no amount")  # its expected value neither
    shown = pd.DataFrame(
        {
            "owner": labels.rep_names(dash.tables.reps, deals["owner_id"]).to_numpy(),
            "stage": deals["stage"].to_numpy(),
            "close date": deals["close_date"].dt.strftime("%Y-%m-%d").to_numpy(),
            "amount": np.array([unpriced if pd.isna(a) else a for a in deals["amount"]], object),
            "win probability": deals["probability"].to_numpy(),
            "expected": np.array(
                [unpriced if pd.isna(e) else e for e in deals["expected"]], object
            ),
        },
        index=pd.Index(deals["opportunity_id"], name="deal"),
    )
    formats = {"win probability": "pct"}
    shown = fmt.in_currency(shown, dash.settings.currency)
    caption = with_reasons(f"Top {top} open deals at the end of {period.label}", shown)
    return styled(shown, formats, caption).to_html()
