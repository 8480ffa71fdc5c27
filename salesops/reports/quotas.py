"""The plan's quotas and what they cost (``notebooks/planning.ipynb``): the year's target
allocated to the sellers by three methods, summed by region, a fairness check against
territory potential, and the cost of incentive pay under two commission plans.

Quotas share out the target: when the target is unknown (an unknown forecast and no
stated target or quotas), each section says so in one line instead of sharing out a
number nobody knows. A method the source cannot measure (historical shares of bookings
that are unknown) reads – with the reason, and the plan uses ``equal`` instead, saying so
(:func:`method`).
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import allocation as alloc
from salesops.analytics import bookings as booked
from salesops.analytics import payouts
from salesops.analytics.compensation import CompPlan
from salesops.config import resolve
from salesops.reports import formatting as fmt
from salesops.reports import labels
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, section, viewed
from salesops.reports.headcount import capacity_model
from salesops.reports.plan import METHODS, deals, goal, plan_options, team, unknown_target, year

PAYOUT_ROWS = {
    "expected payout": "expected_payout",
    "10th percentile": "p10",
    "90th percentile": "p90",
    "standard deviation": "std",
    "expected bookings": "expected_bookings",
    "cost of sales": "cost_of_sales",
}


@per_context
def weights(ctx: ReportContext) -> dict[str, alloc.Weights]:
    """Each method's weights of the team (:func:`salesops.analytics.allocation.weights`):
    by the method, or by ``equal`` where the source cannot measure it."""
    curve = capacity_model(ctx).ramp
    return {
        name: alloc.weights(
            name, deals(ctx), team(ctx), ctx.as_of, year=year(ctx), stages=ctx.stages, ramp=curve
        )
        for name in METHODS
    }


def method(ctx: ReportContext) -> alloc.Weights:
    """The plan's allocation: the weights of the method it asks for, whose ``used`` is
    the method its quotas, fairness check and cost of pay are by."""
    return weights(ctx)[plan_options(ctx).method]


@per_context
def quotas(ctx: ReportContext) -> pd.DataFrame:
    """The year's target allocated to the active reps by each method (whole dollars); a
    method the source cannot measure is unknown (–) with the reason, and the caption
    names the method the plan uses; an empty frame that says why when the target is
    unknown."""
    said = unknown_target(ctx, "Quota allocation")
    if said:
        empty = pd.DataFrame(columns=["rep", "region", *METHODS]).rename_axis("rep_id")
        return viewed(empty, View(empty=said))
    total = round(float(goal(ctx).year))
    out = {}
    for name, w in weights(ctx).items():
        unknown = w.unknown  # of objects: each cell keeps the reason
        shares = alloc.allocate(total, w.values)
        out[name] = shares if unknown is None else pd.Series(unknown, shares.index, object)
    frame = pd.DataFrame(out)
    names = team(ctx).set_index("rep_id")
    frame.insert(0, "region", names["region"].reindex(frame.index))
    frame.insert(0, "rep", names["name"].reindex(frame.index))
    caption = f"{year(ctx).label} quota per rep; the plan uses {method(ctx).sentence()}"
    unpriced = booked.left_out(
        deals(ctx), alloc.history_window(ctx.as_of), frame.index, stages=ctx.stages
    )
    if unpriced and weights(ctx)["historical"].reason is None:  # historical shares without them
        caption += f". Historical shares: {unpriced[0].lower()}{unpriced[1:].rstrip('.')}"
    return viewed(frame, View(dict.fromkeys(METHODS, "money"), caption))


@section("Quota by region")
def quota_by_region(ctx: ReportContext) -> pd.DataFrame:
    """The quotas summed per region and method, with the total; a method the source
    cannot measure is unknown in every row, with the reason."""
    said = unknown_target(ctx, "Quota allocation")
    if said:
        return viewed(pd.DataFrame(columns=list(METHODS)), View(empty=said))
    q = quotas(ctx)
    known = [name for name in METHODS if weights(ctx)[name].reason is None]
    sums = q.groupby("region")[known].sum().astype(float)
    sums.loc[labels.total_row(sums.index, "Total")] = sums.sum()  # not a region's row
    by_region = pd.DataFrame(index=sums.index, columns=list(METHODS), dtype=object)
    for name in METHODS:
        unknown = weights(ctx)[name].unknown
        by_region[name] = sums[name] if unknown is None else pd.Series(unknown, sums.index, object)
    caption = (
        f"{year(ctx).label} quota by region and method (each sums to the target); the plan "
        f"uses {method(ctx).sentence()}"
    )
    return viewed(by_region, View(dict.fromkeys(METHODS, "money"), caption))


@section("Fairness")
def fairness(ctx: ReportContext) -> pd.DataFrame:
    """Each rep's share of quota against their share of potential."""
    said = unknown_target(ctx, "The fairness check")
    if said:
        empty = pd.DataFrame(columns=["rep", "quota", "quota_share", "potential_share"])
        return viewed(empty, View(empty=said))
    q = quotas(ctx)
    share = alloc.potential(deals(ctx), pd.Series(q.index), ctx.stages).set_axis(q.index)
    out = alloc.fairness(q[method(ctx).used].astype(float), share)
    unknown = weights(ctx)["potential"].unknown  # potential not measured: no share of it
    spread = fmt.decimal(out["ratio"].std()) if unknown is None else fmt.decimal(unknown)
    if unknown is not None:
        for column in ("potential_share", "ratio"):
            out[column] = pd.Series(unknown, out.index, object)
        out["flag"] = ""  # against an unknown potential, no quota is above or below it
    out.insert(0, "rep", q["rep"])
    formats = {"quota_share": "pct", "potential_share": "pct", "ratio": "decimal"}
    caption = (
        f"Fairness of the quotas by '{method(ctx).used}': quota share over potential share "
        f"(1 = in line); spread (std) {spread}; {int((out['flag'] != '').sum())} reps "
        "outside ±25%"
    )
    return viewed(out, View(formats, caption))


def plans(ctx: ReportContext) -> dict[str, CompPlan]:
    """The commission plan and its variant, by file name."""
    main, variant = plan_options(ctx).comp_plan, plan_options(ctx).variant
    found = {resolve(main).name: CompPlan.read(main)}
    if variant:
        found[resolve(variant).name] = CompPlan.read(variant)
    return found


@section("The cost of incentive pay")
def compensation(ctx: ReportContext) -> pd.DataFrame:
    """Expected payout, spread and cost of sales of each plan, side by side, from
    simulated years of attainment."""
    said = unknown_target(ctx, "The cost of incentive pay")
    if said:
        return viewed(pd.DataFrame(), View(empty=said))
    q = quotas(ctx)[method(ctx).used].astype(float)
    quarters = pd.DataFrame(
        [(rep, i, amount / 4) for rep, amount in q.items() for i in range(4)],
        columns=["rep_id", "quarter", "amount"],
    )
    history = payouts.attainment_history(
        deals(ctx),
        ctx.tables.quotas,
        ctx.as_of,
        stages=ctx.stages,
        fiscal_year_start_month=ctx.period.fiscal_year_start_month,
    )
    sampler = payouts.lognormal(history)
    runs, seed = plan_options(ctx).simulations, plan_options(ctx).seed
    out = {}
    for name, plan in plans(ctx).items():
        out[name] = payouts.payout_summary(
            payouts.simulate_payouts(plan, quarters, sampler, simulations=runs, seed=seed)
        )
    frame = pd.DataFrame(out).loc[list(PAYOUT_ROWS.values())]
    frame.index = list(PAYOUT_ROWS)
    rows = dict.fromkeys(PAYOUT_ROWS, "money") | {"cost of sales": "pct1"}
    caption = (
        f"Commission for {year(ctx).label} on the quotas by '{method(ctx).used}': "
        f"{runs:,} simulated years; attainment "
        "log-normal, fitted (median and MAD) to the last 8 quarters' rep attainment"
    )
    return viewed(frame, View(caption=caption, rows=rows))
