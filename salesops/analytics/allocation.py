"""Quota allocation: each seller's weight under a method, the target shared out in
proportion to the weights, and the fairness check against territory potential. Pure
functions; formulas in ``docs/planning.md`` ("Quota allocation").

======================  ===============================================================
historical              each seller's bookings over the 12 months to the as-of day
                        (:func:`salesops.analytics.bookings.per_group`)
potential               the mean of their share of open pipeline and of accounts
                        (:func:`potential`)
equal                   1 × their mean ramp factor over the plan year
======================  ===============================================================

A method the source cannot measure is not silently another one. Historical shares need
every seller's bookings: when one is unknown (their won deals lack amounts, or the window
is before the data's first close) the shares are unknown, and when nobody booked
anything there are none; potential needs open pipeline or accounts, and every open deal's
amount (an open deal without one is not $0 of pipeline, so no seller's share of it is
known). The weights are then
the ``equal`` method's, and :class:`Weights` says which method they are by and why
(:attr:`Weights.reason`), so that the plan names the method it actually used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import gaps
from salesops.analytics.capacity import months_in_seat
from salesops.data.activity import active_reps
from salesops.data.periods import Period
from salesops.data.stages import Stages

METHODS = ("historical", "potential", "equal")
HISTORY_MONTHS = 12  # the historical method's window, to the as-of day


@dataclass(frozen=True)
class Weights:
    """Each active seller's weight (``values``, by ``rep_id``), by the method ``used``.

    ``method`` is the method asked for; ``used`` is ``method`` unless the source cannot
    measure it, and then ``equal``, with ``reason`` saying why (None when ``method`` was
    used)."""

    values: pd.Series
    method: str
    used: str
    reason: str | None = None

    @property
    def unknown(self) -> gaps.Unknown | None:
        """The allocation by ``method`` as unknown, with the reason (None when used)."""
        return None if self.reason is None else gaps.Unknown(self.reason)

    def sentence(self) -> str:
        """What a caption says of the method: "'historical'", or "'equal', since
        'historical' cannot be measured on this source: ..."."""
        if self.reason is None:
            return f"'{self.used}'"
        return (
            f"'{self.used}', since '{self.method}' cannot be measured on this source: {self.reason}"
        )


def history_window(as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The historical method's window: the 12 months to ``as_of``, inclusive."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    return end - pd.DateOffset(months=HISTORY_MONTHS), end


def potential(opportunities: pd.DataFrame, reps: pd.Series, stages: Stages) -> pd.Series:
    """Territory potential per rep: the mean of their share of open pipeline and of
    accounts; equal shares when nobody has either. Measured only when
    :func:`unmeasured_potential` is None (:func:`weights` checks it, and says why)."""
    shares = _potential_shares(opportunities, reps, stages)
    if not shares:
        return pd.Series(1 / len(reps), index=reps)
    return sum(shares) / len(shares)


def _potential_shares(
    opportunities: pd.DataFrame, reps: pd.Series, stages: Stages
) -> list[pd.Series]:
    """The shares of open pipeline and of accounts per rep, those that are not all 0."""
    o = opportunities[opportunities["owner_id"].isin(reps)]
    open_ = o[o["stage"].isin(stages.open_names)]
    pipe = open_.groupby("owner_id")["amount"].sum().reindex(reps).fillna(0.0)
    accounts = o.groupby("owner_id")["account_id"].nunique().reindex(reps).fillna(0.0)
    return [s / s.sum() for s in (pipe, accounts) if s.sum() > 0]


def unmeasured_potential(
    opportunities: pd.DataFrame, reps: pd.Series, stages: Stages
) -> str | None:
    """Why the potential shares of ``reps`` cannot be measured (None when they can): an
    open deal of theirs has no amount (its pipeline is unknown, not $0, so no seller's
    share of open pipeline is known), or nobody has open pipeline or an account."""
    o = opportunities[opportunities["owner_id"].isin(reps)]
    open_ = o[o["stage"].isin(stages.open_names)]
    lacking = int(open_["amount"].isna().sum())
    if lacking:
        has = "has" if lacking == 1 else "have"
        return (
            f"{lacking:,} of {len(open_):,} open deals of the team {has} no amount, so no "
            "seller's share of open pipeline is known"
        )
    if not _potential_shares(opportunities, reps, stages):
        return "no seller of the team has open pipeline or an account"
    return None


def weights(
    method: str,
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    year: Period,
    stages: Stages,
    ramp: pd.Series | None = None,
) -> Weights:
    """Each active rep's weight under ``method`` (:data:`METHODS`; see the module), or,
    where the source cannot measure ``method``, under ``equal``, saying why.

    historical: :func:`salesops.analytics.bookings.per_group` over :func:`history_window`
    ($0 for a seller who won nothing); unknown when a seller's bookings are, or when
    they are all $0. potential: :func:`potential`; unknown when no seller has open
    pipeline or an account, or when an open deal has no amount
    (:func:`unmeasured_potential`). equal: 1 per rep × their mean ramp factor over ``year``
    (``ramp``: share of full productivity by month in seat; new reps carry less).

    Examples
    --------
    Two sellers whose won deals have no amount: their bookings are unknown, not $0, so
    the historical shares are unknown and the weights are equal, with the reason.
    """
    if method not in METHODS:
        raise ValueError(
            f"allocation method must be historical, potential or equal; got {method!r}"
        )
    active = active_reps(reps)
    ids = pd.Index(active["rep_id"], name="rep_id")
    reason = None
    if method == "historical":
        window = history_window(as_of)
        values = booked.per_group(opportunities, window, ids, stages=stages)
        reason = _unmeasured_history(values, window)
        if reason is None:
            return Weights(values.astype(float), method, method)
    elif method == "potential":
        reason = unmeasured_potential(opportunities, pd.Series(ids), stages)
        if reason is None:
            shares = potential(opportunities, pd.Series(ids), stages).set_axis(ids)
            return Weights(shares, method, method)
    return Weights(_equal(active, ids, year, ramp), method, "equal", reason)


def _unmeasured_history(
    bookings: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]
) -> str | None:
    """Why ``bookings`` (per seller, of objects) cannot give historical shares (None
    when they can): one is unknown, or they sum to $0."""
    unknown = [value for value in bookings if gaps.why(value)]
    label = f"the {HISTORY_MONTHS} months to {window[1] - pd.Timedelta(days=1):%d %b %Y}"
    if unknown:
        first = gaps.why(unknown[0])
        if len(unknown) == len(bookings) and len({gaps.why(v) for v in unknown}) == 1:
            return f"every seller's bookings over {label} are unknown: {first}"
        return (
            f"the bookings of {len(unknown)} of {len(bookings)} sellers over {label} are "
            f"unknown ({first}), so no seller's share is known"
        )
    if not bookings.astype(float).sum() > 0:
        return f"no seller booked anything in {label}"
    return None


def _equal(active: pd.DataFrame, ids: pd.Index, year: Period, ramp: pd.Series | None) -> pd.Series:
    """1 per rep × their mean ramp factor over ``year`` (1 each when that sums to 0)."""
    curve = ramp if ramp is not None else pd.Series(dtype=float)
    factors = []
    for hire in active["hire_date"]:
        start = months_in_seat(hire, year.start)
        values = [float(curve.get(int(np.ceil(start + t + 1)), 1.0)) for t in range(12)]
        factors.append(np.mean(values))
    w = pd.Series(factors, index=ids, dtype=float)
    return w if w.sum() > 0 else pd.Series(1.0, index=ids)


def allocate(total: float, weights: pd.Series, unit: float = 1.0) -> pd.Series:
    """Share ``total`` in proportion to ``weights``, in multiples of ``unit``, summing exactly.

    Largest remainder: each gets ⌊total × wᵢ/Σw / unit⌋ units; the units left over go to
    the largest fractional parts (ties to the first). ``total`` must be a multiple of
    ``unit``. An unknown ``total`` (NaN: no target) gives unknown shares.
    """
    if np.isnan(total):
        return pd.Series(np.nan, index=weights.index)
    units = round(total / unit)
    raw = weights / weights.sum() * units
    base = np.floor(raw).astype(int)
    left = units - int(base.sum())
    order = np.argsort(-(raw - base).to_numpy(), kind="stable")[:left]
    base.iloc[order] += 1
    return base.astype(float) * unit


def fairness(quota: pd.Series, potential_share: pd.Series, band: float = 0.25) -> pd.DataFrame:
    """Quota share against potential share per rep; ``flag`` when outside 1 ± ``band``."""
    share = quota / quota.sum()
    ratio = share / potential_share.reindex(share.index).where(lambda s: s > 0)
    out = pd.DataFrame(
        {
            "quota": quota,
            "quota_share": share,
            "potential_share": potential_share.reindex(share.index),
            "ratio": ratio,
        }
    )
    out["flag"] = np.where(
        ratio > 1 + band,
        "quota above potential",
        np.where(ratio < 1 - band, "quota below potential", ""),
    )
    return out
