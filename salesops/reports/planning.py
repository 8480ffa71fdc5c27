"""Next year's plan for the company or a region (``notebooks/planning.ipynb``): the
target (the plan's stated target or quotas, else the forecast × growth, and which), the
bottom-up capacity with ramp and attrition, the hires that close the gap, quotas by
three methods with a fairness check, territory balance with suggested account moves,
and the cost of incentive pay under two plans.

The notebook reads every section from here; they live in focused modules:
:mod:`~salesops.reports.plan` (the context, the forecast, the target),
:mod:`~salesops.reports.headcount` (capacity and hiring),
:mod:`~salesops.reports.quotas` (quotas, fairness, the cost of pay) and
:mod:`~salesops.reports.territories` (territory balance).
"""

from __future__ import annotations

from typing import Any

from IPython.display import HTML

from salesops.analytics import gaps
from salesops.reports import formatting as fmt
from salesops.reports.context import ReportContext
from salesops.reports.display import heading, plain
from salesops.reports.headcount import (
    WARNING_ROWS,
    assumptions,
    capacity,
    capacity_model,
    hires,
    hiring,
    need,
    ramp,
)
from salesops.reports.plan import (
    METHODS,
    PlanOptions,
    context,
    deals,
    forecast,
    goal,
    people,
    plan_options,
    target,
    team,
    year,
)
from salesops.reports.quotas import (
    PAYOUT_ROWS,
    compensation,
    fairness,
    method,
    plans,
    quota_by_region,
    quotas,
    weights,
)
from salesops.reports.territories import (
    TERRITORY_FORMATS,
    rebalancing,
    territory,
    territory_tables,
)

__all__ = [
    "METHODS",
    "PAYOUT_ROWS",
    "TERRITORY_FORMATS",
    "WARNING_ROWS",
    "PlanOptions",
    "assumptions",
    "capacity",
    "capacity_model",
    "compensation",
    "context",
    "deals",
    "fairness",
    "forecast",
    "goal",
    "hires",
    "hiring",
    "method",
    "need",
    "people",
    "plan_options",
    "plans",
    "quota_by_region",
    "quotas",
    "ramp",
    "rebalancing",
    "summary",
    "target",
    "team",
    "territory",
    "territory_tables",
    "title",
    "weights",
    "year",
]


def title(ctx: ReportContext) -> HTML:
    """The heading: scope, plan year, where the target comes from and the as-of day."""
    basis = {
        "stated": "stated target",
        "quotas": f"{year(ctx).label} quotas",
        "forecast": f"growth {fmt.pct(plan_options(ctx).growth)}",
    }[goal(ctx).basis]
    return heading(
        f"{ctx.who} · plan for {year(ctx).label} · {basis} · data to {ctx.period.label}, "
        f"{ctx.data_as_of}",
        ctx.tables,
    )


def summary(ctx: ReportContext) -> dict[str, Any]:
    """Headline numbers as JSON-ready values: a number that cannot be known is null, and
    ``"unknown"`` names it with its reason (the target's when the target is unknown);
    ``target_from`` says where the target comes from, and ``quota_method`` which
    allocation the plan asked for, which it used and, when they differ, why."""
    g, cap, model, check = goal(ctx), capacity(ctx), capacity_model(ctx), hiring(ctx)
    reason = gaps.why(g.year)
    # the capacity's, no hire closing the gap within the year, or the target's
    unplanned = gaps.why(check["gap"]) or gaps.why(check["hires"]) or str(reason)
    plan = check["plan"] if check["plan"] is not None else gaps.Unknown(unplanned)
    totals: dict[str, Any] = {m: gaps.Unknown(str(reason)) for m in METHODS}
    used = method(ctx)
    if not reason:  # a method the source cannot measure is unknown, with why, not $0
        by = quotas(ctx)
        totals = {
            m: plain(by[m].astype(float).sum()) if weights(ctx)[m].reason is None
            else weights(ctx)[m].unknown
            for m in METHODS
        }  # fmt: skip
    return ctx.summary(
        "planning",
        year=year(ctx).label,
        target=plain(g.year),
        target_basis=g.basis,
        target_from=g.sentence,
        forecast=plain(g.frame.at["Year", "forecast"]),
        capacity=plain(cap.at["Year", "capacity"]),
        gap=plain(cap.at["Year", "gap"]),
        sellers=len(team(ctx)),
        assumed={"ramp": model.ramp_assumed, "attrition": model.attrition_assumed},
        hiring={k: plain(v) for k, v in check.drop("plan").items()} | {"plan": plan},
        hires_needed={q: h if gaps.why(h) else int(h) for q, h in need(ctx)["hires"].items()},
        quota_total=totals,
        quota_method={"asked": used.method, "used": used.used}
        | ({"because": used.reason} if used.reason else {}),
    )
