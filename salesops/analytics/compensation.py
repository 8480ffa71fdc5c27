"""Incentive pay: the commission plan, a rep's payout, and the statement that shows it.

A plan (``parameters/comp_plan.yml``) turns attainment bands into rates::

    band                       rate
    [0, threshold)             decelerator rate
    [threshold, 1)             base rate
    [a_1, a_2), [a_2, a_3) ... accelerator rates (a_1 = 1.0)
    above the cap              nothing

The bands are in attainment (bookings / quota); in dollars, band [lo, hi) holds the
bookings between lo × quota and hi × quota. Commission is Σ over bands of rate × the
bookings inside the band, like income-tax brackets: a rep's first dollars never earn
more because later ones crossed a tier.

Periods: commission is computed per ``statement_period`` (a month) on that month's
bookings and quota. At the end of each ``true_up`` period (a quarter or a year) it is
re-computed on the cumulative bookings and quota of that period; the true-up is that
amount minus what the months already paid, and may be negative (recovered).

Quotas: a month's quota is the rep's quota row for it; a month the rep worked without a
quota is an error, except the month they were hired in (often set no quota: then it is
not paid on). A rep who left is paid on the days they were employed: the leaving
month's quota is prorated by days employed, bookings after the end date do not count,
and later months are not paid on.

Unknown is not zero: a won deal without an amount cannot earn a known commission. A
month in which the rep won such a deal has an unknown commission (its tiers, and its
bookings when none of its won deals has an amount), and so has the true-up of a period
holding such a month, and the payable: each an :class:`~salesops.analytics.gaps.Unknown`
that says why, never the commission on the other deals as if that one were $0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from salesops.analytics import gaps
from salesops.config import checked, read_yaml, resolve
from salesops.data.periods import Period
from salesops.data.scopes import CLOSED_ASIDE
from salesops.errors import DataError, RuleFailure

COMP_PLAN = "parameters/comp_plan.yml"  # the default plan, relative to the project root


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    return float(value)


def _rate(value: Any) -> float:
    if _number(value) < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    return float(value)


Number = Annotated[float, BeforeValidator(_number)]
Rate = Annotated[float, BeforeValidator(_rate)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Decelerator(_Strict):
    """Below ``below`` attainment, bookings earn ``rate`` instead of the base rate."""

    below: Number
    rate: Rate

    @field_validator("below")
    @classmethod
    def _attainment(cls, value: float) -> float:
        if not 0 <= value < 1:
            raise ValueError(f"must be an attainment in [0, 1), got {value}")
        return value


class Accelerator(_Strict):
    """From ``from`` × quota on, bookings earn ``rate``."""

    from_: Number = Field(alias="from")
    rate: Rate


class PlanFile(_Strict):
    """``comp_plan.yml`` as written, checked value by value (see the module docstring)."""

    base_rate: Rate
    decelerator: Decelerator | None = None
    accelerators: list[Accelerator] = []
    cap: Number = np.inf
    statement_period: Literal["month"] = "month"
    true_up: Literal["quarter", "year", "none"] = "quarter"

    @model_validator(mode="after")
    def _bands(self) -> PlanFile:
        starts = [a.from_ for a in self.accelerators]
        if starts and starts[0] != 1.0:
            raise ValueError(
                f"the first accelerator must start at 1.0 (100% of quota); got {starts[0]}"
            )
        for a, b in itertools.pairwise(starts):
            if b <= a:
                raise ValueError(
                    f"accelerators overlap or are out of order: 'from' {b} follows {a}; "
                    "list them in ascending order"
                )
        last = starts[-1] if starts else 1.0
        if self.cap <= last:
            raise ValueError(f"cap {self.cap} must be above the last tier's start {last}")
        return self


@dataclass(frozen=True)
class Tier:
    """Bookings between ``lower`` and ``upper`` × quota earn ``rate`` per dollar."""

    lower: float
    upper: float
    rate: float
    name: str


@dataclass(frozen=True)
class CompPlan:
    """A checked commission plan (see the module docstring)."""

    tiers: tuple[Tier, ...]
    cap: float
    statement_period: str = "month"
    true_up: str = "quarter"

    @classmethod
    def read(cls, path: str | Path | None = None) -> CompPlan:
        """Read and check ``parameters/comp_plan.yml`` (or ``path``, relative to the
        project root)."""
        path = resolve(path or COMP_PLAN)
        return cls.from_dict(read_yaml(path), origin=str(path))

    @classmethod
    def from_dict(cls, data: Any, origin: str = "comp_plan") -> CompPlan:
        """Build a plan from parsed YAML; every mistake is a ConfigError naming the file."""
        plan = checked(PlanFile, data, origin)
        base = plan.base_rate
        decel = plan.decelerator or Decelerator(below=0.0, rate=base)
        tiers = [Tier(decel.below, 1.0, base, "base")]
        if decel.below > 0:
            tiers.insert(0, Tier(0.0, decel.below, decel.rate, "decelerator"))
        starts = [(a.from_, a.rate) for a in plan.accelerators]
        for i, (lower, rate) in enumerate(starts):
            upper = starts[i + 1][0] if i + 1 < len(starts) else plan.cap
            tiers.append(Tier(lower, min(upper, plan.cap), rate, f"accelerator {i + 1}"))
        return cls(tuple(tiers), plan.cap, plan.statement_period, plan.true_up)

    def payout(self, bookings: float, quota: float) -> float:
        """Commission on ``bookings`` against ``quota``: Σ rate × bookings in each band."""
        return float(self.breakdown(bookings, quota)["commission"].sum())

    def payouts(self, bookings: np.ndarray, quota: np.ndarray) -> np.ndarray:
        """:meth:`payout` element by element over arrays (broadcast), for simulations."""
        bookings, quota = np.asarray(bookings, float), np.asarray(quota, float)
        total = np.zeros(np.broadcast(bookings, quota).shape)
        for tier in self.tiers:
            low, high = tier.lower * quota, tier.upper * quota
            total += (np.clip(bookings, low, high) - low) * tier.rate
        return total

    def breakdown(self, bookings: float, quota: float) -> pd.DataFrame:
        """Per tier: its attainment band, rate, the bookings inside it and their commission.

        Raises ValueError when the quota is not positive: commission needs a quota.
        """
        if not quota or quota <= 0 or np.isnan(quota):
            raise ValueError("commission needs a positive quota")
        rows = []
        for tier in self.tiers:
            low, high = tier.lower * quota, tier.upper * quota
            inside = float(np.clip(bookings, low, high) - low)
            rows.append(
                {
                    "tier": tier.name,
                    "band": _band(tier),
                    "rate": tier.rate,
                    "bookings": inside,
                    "commission": inside * tier.rate,
                }
            )
        return pd.DataFrame(rows).set_index("tier")

    def true_up_period(self, month: Period) -> Period | None:
        """The true-up period that ends with ``month``, or None if none ends then."""
        if self.true_up == "none":
            return None
        whole = month.quarter() if self.true_up == "quarter" else month.year()
        return whole if whole.end == month.end else None


def _band(tier: Tier) -> str:
    upper = "" if np.isinf(tier.upper) else f"{tier.upper:.0%}"
    return f"{tier.lower:.0%}–{upper}"


# -- a rep's months -------------------------------------------------------------------------------
def monthly(
    rep: pd.Series,
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame | None,
    months: list[Period],
    *,
    won: str,
) -> pd.DataFrame:
    """Bookings and quota of one rep per month, with the leaving rules applied, and
    ``unpriced``: the month's won deals without an amount (left out of ``bookings``).

    ``rep`` is the rep's row of the reps table. Raises DataError when a month the rep
    worked has no quota.
    """
    end, start = rep.get("end_date"), rep.get("hire_date")
    left = pd.Timestamp(end) if pd.notna(end) else None
    hired = pd.Timestamp(start) if pd.notna(start) else None
    own = opportunities[
        (opportunities["owner_id"] == rep["rep_id"]) & (opportunities["stage"] == won)
    ]
    if left is not None:
        own = own[own["close_date"] <= left]
    q = quotas[quotas["rep_id"] == rep["rep_id"]] if quotas is not None else None
    rows, missing = [], []
    for month in months:
        if (left is not None and month.start > left) or (hired is not None and month.end <= hired):
            continue  # not employed that month: no quota, no bookings
        amounts = own.loc[month.contains(own["close_date"]), "amount"]
        booked = float(amounts.sum())
        amount = q.loc[month.contains(q["month"]), "amount"].sum() if q is not None else 0.0
        if amount <= 0:
            if hired is None or not month.start <= hired < month.end:
                missing.append(month.label)
            continue
        if left is not None and left < month.last_day:
            amount *= ((left - month.start).days + 1) / month.last_day.day
        rows.append(
            {
                "month": month.label,
                "bookings": booked,
                "quota": float(amount),
                "unpriced": int(amounts.isna().sum()),
                "won": len(amounts),
            }
        )
    if missing:
        raise DataError(
            [
                RuleFailure(
                    "quotas",
                    "amount",
                    f"rep {rep['rep_id']} needs a positive quota for every month paid on",
                    len(missing),
                    examples=tuple(missing),
                )
            ],
            "comp_plan",
        )
    columns = ["month", "bookings", "quota", "unpriced", "won"]
    return pd.DataFrame(rows, columns=columns).set_index("month")


@dataclass
class Statement:
    """A rep's commission statement for a month.

    Attributes
    ----------
    month
        The month paid.
    tiers
        The month's commission per tier (:meth:`CompPlan.breakdown`).
    months
        Each month of the true-up period so far: bookings, quota, attainment, commission.
    true_up
        The true-up paid with this month (0 when no true-up period ends with it;
        unknown, with the reason, when a month of the period won a deal without an
        amount).
    """

    month: Period
    tiers: pd.DataFrame
    months: pd.DataFrame
    true_up: float

    @property
    def commission(self) -> float:
        """The month's commission before any true-up (unknown, with the reason, when a
        deal won in the month has no amount)."""
        unknown = next((v for v in self.tiers["commission"] if gaps.why(v)), None)
        return unknown if unknown is not None else float(self.tiers["commission"].sum())

    @property
    def payable(self) -> float:
        """What the rep is paid with this statement: commission + true-up (unknown,
        with the reason, when either is)."""
        for part in (self.commission, self.true_up):
            if gaps.why(part):
                return part
        return self.commission + self.true_up


def _unpriced(month: str, lacking: int, won: int) -> gaps.Unknown:
    """The unknown commission of a month that won ``lacking`` of ``won`` deals without
    an amount."""
    if won == 1:
        said = f"the one deal won in {month} has no amount"
    elif lacking == won:
        said = f"none of the {won} deals won in {month} has an amount"
    else:
        said = (
            f"{lacking} of {won} deals won in {month} {'has' if lacking == 1 else 'have'} no amount"
        )
    return gaps.Unknown(f"{said}: a deal without an amount earns no known commission")


def statement(
    plan: CompPlan,
    rep: pd.Series,
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame | None,
    *,
    month: Period | str,
    won: str = "Closed Won",
) -> Statement:
    """The commission statement of ``rep`` for ``month`` under ``plan``."""
    month = Period.parse(month)
    whole = month.year() if plan.true_up == "year" else month.quarter()
    fiscal = month.fiscal_year_start_month
    months = [
        Period.parse(m, fiscal_year_start_month=fiscal) for m in whole.months if m <= month.label
    ]
    table = monthly(rep, opportunities, quotas, months, won=won)
    lacking, won_deals = table.pop("unpriced"), table.pop("won")
    unknown = {
        label: _unpriced(label, n, won_deals[label]) for label, n in lacking.items() if n > 0
    }
    if opportunities.attrs.get(CLOSED_ASIDE):  # no won deal kept: no month is known
        unknown = dict.fromkeys(table.index, gaps.Unknown(gaps.no_close(opportunities)))
    table["attainment"] = table["bookings"] / table["quota"]
    table["commission"] = [
        plan.payout(b, q) for b, q in zip(table["bookings"], table["quota"], strict=True)
    ]
    if unknown:  # of objects: each unknown keeps its reason
        table = table.astype({"commission": object})
        for label, why in unknown.items():
            table.at[label, "commission"] = why
            if lacking[label] == won_deals[label]:  # no amount, or no deal kept: bookings too
                table = table.astype({"bookings": object, "attainment": object})
                table.at[label, "bookings"] = table.at[label, "attainment"] = (
                    why
                    if won_deals[label] == 0
                    else gaps.Unknown(f"none of the deals won in {label} has an amount")
                )
    if month.label not in table.index:
        raise DataError(
            [
                RuleFailure(
                    "reps",
                    "end_date",
                    f"rep {rep['rep_id']} was not employed in {month.label}",
                    1,
                    examples=(str(rep["rep_id"]),),
                )
            ],
            "comp_plan",
        )
    row = table.loc[month.label]
    tiers = plan.breakdown(
        float(row["bookings"]) if month.label not in unknown else 0.0, row["quota"]
    )
    if month.label in unknown:  # the bookings in each band, and so their commission
        for column in ("bookings", "commission"):
            tiers[column] = pd.Series(unknown[month.label], tiers.index, dtype=object)
    true_up: float = 0.0
    period = plan.true_up_period(month)
    if period is not None and unknown:
        first = unknown[next(iter(unknown))]
        true_up = gaps.Unknown(f"the true-up of {period.label} is unknown: {first.reason}")
    elif period is not None:
        cumulative = plan.payout(table["bookings"].sum(), table["quota"].sum())
        true_up = cumulative - float(table["commission"].sum())
    return Statement(month, tiers, table, true_up)
