"""Attainment planning for next year: target, capacity, quota allocation, territory balance
and the cost of incentive pay. Pure functions; formulas in ``docs/planning.md``.

- :func:`top_down` — the target per quarter from the forecast × (1 + growth), the
  fallback when the plan states no target (:mod:`salesops.analytics.targets`).
- :func:`estimate`, :func:`bottom_up` — capacity: each seller's productivity × their ramp
  × the chance they are still here, plus planned hires. The ramp (:func:`ramp_curve`)
  and attrition (:func:`attrition_rate`) are measured from hire and end dates, and are
  settings, said to be assumed, where the data cannot measure them.
- :func:`hires_needed` — how many hires close the gap, hired by the start of each
  quarter; :func:`hiring_check` — whether that is a plan or a warning about the target.
- Quota allocation (by historical share, territory potential, or equal with a ramp
  adjustment, summing exactly to the target) and the fairness check:
  :mod:`salesops.analytics.allocation`.
- :func:`rebalance` — account moves that lower the Gini of open pipeline, never raise it.
- The cost of incentive pay: :mod:`salesops.analytics.payouts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

import numpy as np
import pandas as pd

from salesops.analytics import capacity as cap
from salesops.analytics import gaps, targets
from salesops.analytics.capacity import months_in_seat
from salesops.analytics.forecast import Forecast
from salesops.analytics.territory import gini
from salesops.data.activity import active_reps, sellers
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.words import plural


# -- top-down --------------------------------------------------------------------------------
def top_down(forecast: Forecast, year: Period, growth: float) -> pd.DataFrame:
    """The target per quarter of ``year`` from the forecast: forecast × (1 + growth).

    Per quarter: ``forecast`` (Σ of its months), ``lower_80`` / ``upper_80`` (the
    forecast ± 1.2816 σ_q with σ_q = Σ σ_h over its months: errors of a quarter's months
    are taken as fully correlated, the cautious choice) and ``target``; then the year.
    The plan's target starts from the forecast only when it states none
    (:func:`salesops.analytics.targets.plan_target`, which this is the fallback of).
    """
    return targets.plan_target(forecast, year, growth).frame.astype(float)


# -- bottom-up -------------------------------------------------------------------------------
def ramp_curve(productivity: pd.DataFrame, months: int = 12) -> pd.Series:
    """Share of full productivity by month in seat (1 … ``months``), from the history.

    full = mean monthly bookings of rep-months with over ``months`` months in seat;
    ramp(k) = mean bookings of rep-months in their k-th month / full, made non-decreasing
    and capped at 1; 1 from month ``months`` + 1 on. Months without data borrow from the
    next known one (0 before any).
    """
    p = productivity
    full = p.loc[p["tenure"] > months, "bookings"].mean()
    k = np.ceil(p["tenure"]).clip(lower=1).astype(int)
    means = p[k <= months].groupby(k[k <= months])["bookings"].mean()
    curve = (means / full).reindex(range(1, months + 1)) if full and full > 0 else None
    if curve is None:
        return pd.Series(1.0, index=range(1, months + 1), name="ramp")
    curve = curve.bfill().fillna(1.0).clip(upper=1.0)
    return pd.Series(np.maximum.accumulate(curve.to_numpy()), index=curve.index, name="ramp")


def linear_ramp(ramp_months: int) -> pd.Series:
    """The assumed ramp: ramp(k) = k / ``ramp_months`` in the k-th month in seat, at most 1
    (:func:`salesops.analytics.capacity.ramp_factor`); one month at 100% for 0."""
    months = max(int(ramp_months), 1)
    curve = [min(k / ramp_months, 1.0) if ramp_months > 0 else 1.0 for k in range(1, months + 1)]
    return pd.Series(curve, index=range(1, months + 1), name="ramp")


def ramp_observed(productivity: pd.DataFrame, months: int = 12) -> bool:
    """Whether rep-months can measure a ramp: some in the first ``months`` months in seat
    (reps hired within the data) and some past them with bookings (full productivity)."""
    p = productivity
    return bool((p["tenure"] <= months).any() and p.loc[p["tenure"] > months, "bookings"].sum() > 0)


def attrition_rate(reps: pd.DataFrame, as_of: pd.Timestamp, years: int = 3) -> float:
    """Monthly attrition: reps who left in the last ``years`` years / rep-months employed then."""
    reps = sellers(reps)
    start = as_of - pd.DateOffset(years=years)
    hired = reps["hire_date"].fillna(start).clip(lower=start)
    ended = reps["end_date"].fillna(as_of).clip(upper=as_of)
    exposure = ((ended - hired).dt.days.clip(lower=0) / 30.4375).sum()
    left = ((reps["end_date"] >= start) & (reps["end_date"] <= as_of)).sum()
    return float(left / exposure) if exposure > 0 else 0.0


@dataclass(frozen=True)
class Capacity:
    """The inputs of the bottom-up capacity model. ``ramp_assumed`` and
    ``attrition_assumed`` say why a setting stands in for a measurement (None: measured)."""

    productivity: float  # full monthly bookings of a ramped rep
    ramp: pd.Series  # share of full productivity by month in seat
    attrition: float  # monthly chance a rep leaves
    ramp_assumed: str | None = None
    _: KW_ONLY
    attrition_assumed: str | None = None

    def contribution(
        self, tenure_at_start: float, months: int, start_offset: int = 0
    ) -> np.ndarray:
        """Expected bookings per month of the plan year of one rep.

        Month t (0-based) of the year: productivity × ramp(tenure then) × (1 − attrition)^t,
        zero before ``start_offset`` (a hire starting later in the year).
        """
        out = np.zeros(months)
        for t in range(start_offset, months):
            tenure = tenure_at_start + (t - start_offset) + 1
            k = int(np.ceil(tenure))
            ramp = float(self.ramp.get(k, 1.0)) if k <= self.ramp.index.max() else 1.0
            out[t] = self.productivity * ramp * (1 - self.attrition) ** t
        return out


def estimate(
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    as_of: pd.Timestamp,
    *,
    stages: Stages,
    assumed: tuple[int, float],
    hire_dates: bool = True,
    end_dates: bool = True,
) -> Capacity:
    """The capacity model from the history, a setting where the data cannot measure it.

    ``assumed`` is (ramp months, monthly attrition), the settings; ``hire_dates`` and
    ``end_dates`` whether the source has the reps' dates.

    - history: :func:`salesops.analytics.capacity.rep_months` of the sellers who owned a
      deal (:func:`salesops.analytics.capacity.owners`), from the data's first close to
      ``as_of``;
    - ramp: :func:`ramp_curve` of that history when hire dates can measure it
      (:func:`ramp_observed`), else :func:`linear_ramp` over the ramp months;
    - productivity: the mean bookings of the last 12 months' rep-months past the ramp
      (all of that year's rep-months when none is past it),
      :func:`salesops.analytics.capacity.productivity`: unknown, with the reason, with
      fewer than :data:`~salesops.analytics.gaps.MIN_PRICED` months of priced bookings;
    - attrition: :func:`attrition_rate` of those sellers with end dates, else the setting.
    """
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    start = cap.data_start(opportunities, stages)
    since = start if pd.notna(start) else end
    history = cap.rep_months(
        opportunities, cap.owners(opportunities, reps, (since, end), stages), (since, end), stages
    )
    ramp_months, attrition = assumed
    why_ramp = None if hire_dates else "the source has no hire dates"
    if hire_dates and not ramp_observed(history):
        why_ramp = "no rep was hired within the data"
    curve = linear_ramp(ramp_months) if why_ramp else ramp_curve(history)
    year = (end - pd.DateOffset(months=12), end)
    recent = history[
        history["rep_id"].isin(cap.owners(opportunities, reps, year, stages)["rep_id"])
    ]
    recent = recent[recent["month"] >= year[0].to_period("M")]
    ramped = recent[recent["tenure"] > len(curve)]
    where = f" in the 12 months to {pd.Timestamp(as_of):%d %b %Y}"
    rated = ramped if len(ramped) else recent
    productivity = cap.productivity(rated, where, start, gaps.no_close(opportunities))
    if end_dates:
        window = (end - pd.DateOffset(years=3), end)
        attrition = attrition_rate(cap.owners(opportunities, reps, window, stages), as_of)
    why_attrition = None if end_dates else "the source has no end dates"
    return Capacity(productivity, curve, attrition, why_ramp, attrition_assumed=why_attrition)


def bottom_up(
    capacity: Capacity,
    reps: pd.DataFrame,
    year: Period,
    hires: Sequence[int] = (0, 0, 0, 0),
) -> pd.DataFrame:
    """Expected bookings per quarter of ``year`` from today's active reps and planned hires.

    ``reps``: the team (:func:`salesops.analytics.capacity.team`, not everyone on the reps
    file); ``hires[i]`` reps start on the first day of quarter i. Returns per quarter
    ``current_reps``, ``new_hires`` (the capacity of each, in money), ``capacity`` and a
    ``Year`` row (their sums). When the productivity is unknown
    (:func:`salesops.analytics.capacity.productivity`), every cell is, with its reason:
    a total of unknowns is unknown, not $0.
    """
    active = active_reps(reps)
    months = 12
    current = np.zeros(months)
    for hire in active["hire_date"]:
        current += capacity.contribution(months_in_seat(hire, year.start), months)
    new = np.zeros(months)
    for quarter, count in enumerate(hires):
        new += count * capacity.contribution(0.0, months, 3 * quarter)
    labels = quarter_labels(year)
    out = pd.DataFrame(
        {
            "current_reps": current.reshape(4, 3).sum(axis=1),
            "new_hires": new.reshape(4, 3).sum(axis=1),
        },
        index=pd.Index(labels, name="quarter"),
    )
    out["capacity"] = out["current_reps"] + out["new_hires"]
    out.loc["Year"] = out.sum()
    if gaps.why(capacity.productivity):  # of objects: each cell keeps the reason
        return pd.DataFrame(
            capacity.productivity, index=out.index, columns=out.columns, dtype=object
        )
    return out


def quarter_labels(year: Period) -> list[str]:
    """The quarters of ``year``, named: "2027-Q1" … "2027-Q4" (fiscal when it is)."""
    fiscal = year.fiscal_year_start_month
    return [
        Period(year.start + pd.DateOffset(months=3 * i), "quarter", fiscal).label for i in range(4)
    ]


def hires_needed(capacity: Capacity, gap: float, year: Period, months: int = 12) -> pd.DataFrame:
    """Hires that close a yearly ``gap`` if they start at the beginning of each quarter.

    One hire starting in quarter q brings Σ of :meth:`Capacity.contribution` over the rest
    of the year; hires = ⌈gap / that⌉ (0 when there is no gap). Rows are the quarters of
    ``year``, named ("2027-Q1" …). Never 0 hires next to a gap:

    - an unknown gap (:class:`~salesops.analytics.gaps.Unknown`: the target is unknown)
      gives unknown hires, with its reason;
    - a quarter whose hire books nothing before the year ends (the ramp gives a new
      seller nothing in their first months, or a seller books $0) gives unknown hires,
      with why (:func:`unreachable`): no number of such hires closes the gap.
    """
    labels = quarter_labels(year)
    each, need = [], []
    for quarter, label in enumerate(labels):
        each.append(float(capacity.contribution(0.0, months, 3 * quarter).sum()))
        if gap != gap:  # NaN
            need.append(gaps.known(gap, "the gap is unknown"))
        elif gap <= 0:
            need.append(0)
        elif each[-1] > 0:
            need.append(int(np.ceil(gap / each[-1])))
        else:
            need.append(gaps.Unknown(unreachable(capacity, label, year.label)))
    index = pd.Index(labels, name="start")
    hires_column = pd.Series(need, index=index, dtype=object)  # an Unknown keeps its reason
    if not any(gaps.why(h) for h in need):
        hires_column = hires_column.astype(int)
    return pd.DataFrame({"bookings_per_hire": pd.Series(each, index=index), "hires": hires_column})


def unreachable(capacity: Capacity, quarter: str, year: str) -> str:
    """Why a hire starting in ``quarter`` cannot close a gap of ``year``: they book
    nothing before it ends, because the ramp gives a new seller nothing in their first
    months, or because a ramped seller books $0 a month."""
    if not capacity.productivity > 0:
        return f"a hire starting in {quarter} books nothing: a ramped seller books $0 a month"
    idle = int((capacity.ramp.cumsum() <= 0).sum())  # the ramp's first months at 0
    return (
        f"a hire starting in {quarter} books nothing before {year} ends (the ramp gives a "
        f"new seller no bookings in their first {plural(idle, 'month')})"
    )


def hiring_check(plan: pd.DataFrame, need: pd.DataFrame, team: int, max_share: float) -> pd.Series:
    """What a hiring need rests on, and whether it is a plan.

    ``plan`` is :func:`bottom_up` with the ``target`` and ``gap`` columns, ``need`` is
    :func:`hires_needed` and ``team`` the number of sellers today. Returns the year's
    ``gap`` and ``target``, ``capacity`` of today's sellers, ``per_seller`` (that /
    team), ``per_hire`` (what a hire starting in Q1 books), ``sellers``, ``hires`` (the
    fewest of the starts that close the gap at all: a start whose hire books nothing
    before the year ends has unknown hires) and ``plan`` (None, and the gap and hires
    unknown with the target's reason, when the target is unknown; None, and the hires
    unknown with why, when no start can close the gap):

        plan = hires ≤ max_share × team

    Above it the gap says more about the target than about hiring (a team of 30 does not
    add 16 sellers in a year): the plan shows a warning with these inputs instead.
    """
    current = plan.at["Year", "current_reps"]
    current = current if gaps.why(current) else float(current)
    gap, target = plan.at["Year", "gap"], plan.at["Year", "target"]
    if pd.isna(gap):  # the target is unknown: so are the gap, the hires and the verdict
        hires: float = gap
        verdict: bool | None = None
    else:
        known = [float(h) for h in need["hires"] if not gaps.why(h)]
        if known:  # the fewest: hires that can close the gap at all
            hires = min(known)
            verdict = bool(hires <= max_share * team)
        else:  # no start books anything before the year ends
            hires = gaps.Unknown(gaps.why(need["hires"].iloc[0]) or "no hire closes the gap")
            verdict = None
    return pd.Series(
        {
            "gap": gap if gaps.why(gap) else float(gap),
            "target": target if gaps.why(target) else float(target),
            "capacity": current,
            "per_seller": current / team if team else np.nan,
            "per_hire": float(need["bookings_per_hire"].max()) if len(need) else np.nan,
            "sellers": float(team),
            "hires": hires,
            "plan": verdict,
        },
        dtype=object,
    )


# -- territory rebalancing ---------------------------------------------------------------------
def rebalance(accounts: pd.DataFrame, max_moves: int = 10) -> tuple[pd.DataFrame, float, float]:
    """Suggest account moves that lower the Gini of open pipeline across reps.

    ``accounts`` has one row per account: ``account_id``, ``owner_id`` and
    ``open_pipeline`` (0 for an account without an open deal, NaN for one whose open
    deals all lack an amount: unknown, not 0). Greedy: each step moves, from the rep
    with the most pipeline to the rep with the least, the single account that lowers the
    Gini most; it stops when no move lowers it or after ``max_moves`` (few moves keep
    ownership stable). The Gini never rises.

    Unknown is not zero, so nothing is ranked or moved on an invented $0: an account
    whose pipeline is unknown is never moved, and a rep's pipeline is the sum of their
    accounts' known pipelines, unknown when it is 0 and they hold an account whose
    pipeline is unknown (:func:`unknown_reps`): such a rep is left out of the balance
    (neither gives nor receives, nor counts in the Gini).

    Returns the moves (account, from, to, open_pipeline), the Gini before and after.
    """
    left_out = unknown_reps(accounts)
    accounts = accounts[~accounts["owner_id"].isin(left_out)]
    owner = accounts.set_index("account_id")["owner_id"].copy()
    value = accounts.set_index("account_id")["open_pipeline"]
    reps = sorted(owner.unique())
    totals = value.groupby(owner).sum().reindex(reps).fillna(0.0)  # the known amounts
    before = current = gini(totals.to_numpy())
    moves = []
    for _ in range(max_moves if len(totals) > 1 else 0):
        rich, poor = totals.idxmax(), totals.idxmin()
        candidates = value[(owner == rich) & (value > 0)]
        best = None
        for account, amount in candidates.items():
            trial = totals.copy()
            trial[rich] -= amount
            trial[poor] += amount
            g = gini(trial.to_numpy())
            if g < current - 1e-12 and (best is None or g < best[0]):
                best = (g, account, amount)
        if best is None:
            break
        current, account, amount = best
        totals[rich] -= amount
        totals[poor] += amount
        owner[account] = poor
        moves.append({"account_id": account, "from": rich, "to": poor, "open_pipeline": amount})
    return (
        pd.DataFrame(moves, columns=["account_id", "from", "to", "open_pipeline"]),
        before,
        current,
    )


def unknown_reps(accounts: pd.DataFrame) -> list[object]:
    """The reps of ``accounts`` (as :func:`rebalance` takes them) whose open pipeline is
    unknown: their accounts' known pipelines sum to 0 and one of their accounts has an
    unknown one (NaN: its open deals all lack an amount)."""
    value = accounts["open_pipeline"].astype(float)
    known = value.fillna(0.0).groupby(accounts["owner_id"]).sum()
    unknown = value.isna().groupby(accounts["owner_id"]).any()
    return sorted(known.index[(known == 0) & unknown.reindex(known.index)])
