"""The plan's bottom-up capacity and hiring (``notebooks/planning.ipynb``): what today's
sellers and the planned hires can book with ramp and attrition, measured or assumed and
said so, against the target; the hires that close the gap, or a warning about the target
when they would be more than ``max_hire_share`` of the team.
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import gaps
from salesops.analytics import planning as pn
from salesops.reports import formatting as fmt
from salesops.reports import labels
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, section, viewed
from salesops.reports.plan import deals, goal, people, plan_options, team, unknown_target, year

WARNING_ROWS = {
    "gap": "Gap",
    "target": "Target",
    "capacity": "Capacity of today's sellers",
    "per_seller": "Capacity per seller",
    "per_hire": "Bookings of a hire starting in Q1",
    "sellers": "Sellers",
    "hires": "Hires needed, starting in Q1",
}
# each row's kind: LABELS' for gap, target and capacity
WARNING_KINDS = labels.kinds(
    WARNING_ROWS,
    {"per_seller": "money", "per_hire": "money", "sellers": "number", "hires": "number"},
)


@per_context
def capacity_model(ctx: ReportContext) -> pn.Capacity:
    """Productivity, ramp curve and attrition from the scope's history, or the settings
    ``ramp_months`` and ``attrition_monthly`` where the data cannot measure them."""
    assumed = (ctx.settings.ramp_months, ctx.settings.attrition_monthly)
    return pn.estimate(
        deals(ctx),
        people(ctx),
        ctx.as_of,
        stages=ctx.stages,
        assumed=assumed,
        hire_dates=ctx.tables.has("reps.hire_date"),
        end_dates=ctx.tables.has("reps.end_date"),
    )


def assumptions(ctx: ReportContext) -> tuple[str, str]:
    """How the ramp and the attrition were obtained: measured from hire and end dates, or
    assumed (the settings ``ramp_months`` and ``attrition_monthly``) and why."""
    cap, rate = capacity_model(ctx), fmt.pct(capacity_model(ctx).attrition, 1)
    ramp = "ramp measured from the hire dates of reps hired within the data"
    if cap.ramp_assumed:
        ramp = (
            f"ramp assumed: linear to full productivity over {ctx.settings.ramp_months} "
            f"months (setting `ramp_months`), because {cap.ramp_assumed}"
        )
        if not ctx.tables.has("reps.hire_date"):
            ramp += "; today's sellers count as fully ramped"
    attrition = f"attrition {rate} a month, measured from end dates over the last 3 years"
    if cap.attrition_assumed:
        attrition = (
            f"attrition {rate} a month assumed (setting `attrition_monthly`), because "
            f"{cap.attrition_assumed}"
        )
    return ramp, attrition


@per_context
def capacity(ctx: ReportContext) -> pd.DataFrame:
    """Bottom-up capacity per quarter against the target, and the gap (unknown, with the
    target's reason, when the target is)."""
    cap, hires, n = capacity_model(ctx), plan_options(ctx).hires, len(team(ctx))
    out = pn.bottom_up(cap, team(ctx), year(ctx), hires)
    targets = goal(ctx).frame["target"]
    out["target"] = pd.Series([targets[q] for q in out.index], out.index, dtype=object)
    out["gap"] = pd.Series(
        [gap_of(t, c) for t, c in zip(out["target"], out["capacity"], strict=True)],
        out.index,
        dtype=object,
    )
    rate = "unknown" if gaps.why(cap.productivity) else f"{ctx.money(cap.productivity)} a month"
    caption = (
        f"Bottom-up: {n} seller{'s' if n != 1 else ''} who owned deals in the last 12 "
        f"months (or joined in them), ramped productivity {rate} "
        f"since the data's first close; {'; '.join(assumptions(ctx))}; "
        f"planned hires {', '.join(str(h) for h in hires)} by quarter"
    )
    end = ctx.as_of + pd.Timedelta(days=1)
    year_ = (end - pd.DateOffset(months=12), end)  # the window productivity is measured on
    unpriced = booked.left_out(deals(ctx), year_, team(ctx)["rep_id"], stages=ctx.stages)
    if unpriced:
        caption += f". {unpriced.rstrip('.')}"
    return viewed(out, View({}, caption))  # the kinds: LABELS'


def gap_of(target: float, capacity: float) -> float:
    """target − capacity; unknown, with the reason, when either is."""
    for value in (target, capacity):
        if gaps.why(value):
            return value
    return target - capacity


@section("Ramp")
def ramp(ctx: ReportContext) -> pd.DataFrame:
    """The ramp curve of new reps: share of full productivity by month, measured or assumed."""
    frame = capacity_model(ctx).ramp.to_frame().T
    frame.index = ["Productivity"]
    frame.columns = pd.Index([str(k) for k in frame.columns], name="Month")
    caption = (
        "Ramp curve of new reps: share of full productivity by month of tenure; "
        f"{assumptions(ctx)[0]}"
    )
    return viewed(frame, View(dict.fromkeys(frame.columns, "pct"), caption))


def gap(ctx: ReportContext) -> float:
    """The year's gap: target − capacity (unknown, with its reason, when the target is)."""
    return capacity(ctx).at["Year", "gap"]


@per_context
def need(ctx: ReportContext) -> pd.DataFrame:
    """The hires that close the year's gap, by the quarter they start in."""
    return pn.hires_needed(capacity_model(ctx), gap(ctx), year(ctx))


@per_context
def hiring(ctx: ReportContext) -> pd.Series:
    """The hiring need's inputs, and whether it is a plan
    (:func:`salesops.analytics.planning.hiring_check`, ``max_hire_share``)."""
    share = ctx.settings.max_hire_share
    return pn.hiring_check(capacity(ctx), need(ctx), len(team(ctx)), share)


@section("Hires")
def hires(ctx: ReportContext) -> pd.DataFrame:
    """How many more hires the year's gap needs, by the quarter they start in; when even
    the earliest start needs more than ``max_hire_share`` of the team, a warning about the
    target with its inputs instead; when the target is unknown, one line saying why."""
    said = unknown_target(ctx, "Counting the hires that close the gap")
    if said:
        return viewed(pd.DataFrame(), View(empty=said))
    if gaps.why(gap(ctx)):  # the capacity is unknown: so is the gap, and the hires
        return viewed(
            pd.DataFrame(), View(empty=f"The hires cannot be counted: {gaps.why(gap(ctx))}.")
        )
    shortfall, check = float(gap(ctx)), hiring(ctx)
    if shortfall > 0 and check["plan"] is False:
        named = warning_rows(ctx)  # each row names its year or quarter
        frame = pd.DataFrame({"value": check[list(WARNING_ROWS)].astype(float)})
        frame.index = pd.Index(list(named.values()))
        caption = (
            f"Warning about the target, not a hiring plan: closing the gap of "
            f"{ctx.money(shortfall)} would take at least {int(check['hires'])} hires for a "
            f"team of {int(check['sellers'])} sellers, more than "
            f"{fmt.pct(ctx.settings.max_hire_share)} of it (the maximum hiring share in "
            f"parameters/settings.yml). Check the target: {goal(ctx).sentence}"
        )
        rows = {named[name]: kind for name, kind in WARNING_KINDS.items()}
        return viewed(frame, View(caption=caption, rows=rows))
    caption = f"Hires that close the gap of {ctx.money(shortfall)}, by when they start"
    if shortfall <= 0:
        caption = f"No gap: capacity exceeds the target by {ctx.money(-shortfall)}"
    elif check["plan"] is None:  # whenever they start, a hire books nothing this year
        caption = (
            f"No hire closes the gap of {ctx.money(shortfall)} before {year(ctx).label} "
            "ends, whenever they start"
        )
    return viewed(need(ctx), View({"bookings_per_hire": "money", "hires": "number"}, caption))


def quarters(ctx: ReportContext) -> list[str]:
    """The plan year's quarters, named: "2027-Q1" … "2027-Q4" (the capacity's rows)."""
    return [str(q) for q in capacity(ctx).index if q != "Year"]


def warning_rows(ctx: ReportContext) -> dict[str, str]:
    """:data:`WARNING_ROWS` naming the plan year and its first quarter: "Capacity of
    today's sellers, 2027", "Hires needed, starting in 2027-Q1"."""
    plan_year, first = year(ctx).label, quarters(ctx)[0]
    return WARNING_ROWS | {
        "gap": f"Gap, {plan_year}",
        "target": f"Target, {plan_year}",
        "capacity": f"Capacity of today's sellers, {plan_year}",
        "per_seller": f"Capacity per seller, {plan_year}",
        "per_hire": f"Bookings of a hire starting in {first}",
        "hires": f"Hires needed, starting in {first}",
    }
