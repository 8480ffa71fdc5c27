"""Next year's plan for the company or a region (``notebooks/planning.ipynb``): the
top-down target from the forecast, the bottom-up capacity with ramp and attrition, the
hires that close the gap, quotas by three methods with a fairness check, territory
balance with suggested account moves, and the cost of incentive pay under two plans.

Like the forecast report it reads the whole company even for a region: the region's
target starts from its reconciled forecast. The plan's parameters (growth, method,
hires, the commission plans, the simulations) are the context's options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from IPython.display import HTML

from salesops.analytics import capacity as sellers
from salesops.analytics import forecast as fc
from salesops.analytics import metrics as m
from salesops.analytics import payouts
from salesops.analytics import planning as pn
from salesops.analytics.compensation import COMP_PLAN, CompPlan
from salesops.config import resolve
from salesops.data.periods import Period
from salesops.reports import formatting as fmt
from salesops.reports import shared
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, heading, plain, section, viewed

METHODS = ("historical", "potential", "equal")
DEFAULTS = {
    "growth": 0.15,
    "method": "historical",
    "hires": (0, 0, 0, 0),
    "comp_plan": COMP_PLAN,
    "variant": "parameters/comp_plan_variant.yml",
    "simulations": 2000,
    "seed": 7,
}
TERRITORY_FORMATS = {"accounts": "number", "open_pipeline": "money", "bookings_12m": "money"}
PAYOUT_ROWS = {
    "expected payout": "expected_payout",
    "10th percentile": "p10",
    "90th percentile": "p90",
    "standard deviation": "std",
    "expected bookings": "expected_bookings",
    "cost of sales": "cost_of_sales",
}


def context(
    source: Any = None,
    scope: str = "company",
    period: str = "latest",
    growth: float = 0.15,
    method: str = "historical",
    hires: Sequence[int] = (0, 0, 0, 0),
    comp_plan: str = COMP_PLAN,
    variant: str | None = "parameters/comp_plan_variant.yml",
    simulations: int = 2000,
    seed: int = 7,
    on_invalid: str = "refuse",
) -> ReportContext:
    """The plan's context: the company's tables and the plan's parameters.

    Parameters
    ----------
    growth
        Growth on top of the forecast for the target (0.15: 15%).
    method
        Quota allocation: ``historical``, ``potential`` or ``equal``.
    hires
        Planned hires starting at the beginning of each quarter of the plan year.
    comp_plan, variant
        The commission plan file and a second one to compare it with (relative to the
        project root).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if len(hires) != 4 or any(h < 0 for h in hires):
        raise ValueError("hires: four non-negative numbers, one per quarter")
    options = {"growth": growth, "method": method, "hires": tuple(hires), "comp_plan": comp_plan}
    options |= {"variant": variant, "simulations": simulations, "seed": seed}
    ctx = ReportContext.load(source, scope, period, "company", on_invalid=on_invalid, **options)
    if ctx.scope.level == "rep":
        raise ValueError("plans are for the company or a region")
    return ctx


def option(ctx: ReportContext, name: str) -> Any:
    """One of the plan's parameters (its default where the context has none)."""
    return ctx.options.get(name, DEFAULTS[name])


def year(ctx: ReportContext) -> Period:
    """The plan year: the (fiscal) year after the period's."""
    return ctx.period.year().shift(1)


@per_context
def forecast(ctx: ReportContext) -> fc.Forecast:
    """The scope's bookings forecast to the end of the plan year (reconciled)."""
    end = year(ctx).end
    horizon = (end.year - ctx.period.end.year) * 12 + (end.month - ctx.period.end.month)
    company, regions = shared.forecasts(ctx.tables.opportunities, ctx.period, horizon, ctx.stages)
    return company if ctx.scope.level == "company" else regions[ctx.scope.value]


def deals(ctx: ReportContext) -> pd.DataFrame:
    """The scope's deals."""
    o = ctx.tables.opportunities
    return o if ctx.scope.level == "company" else o[o["region"] == ctx.scope.value]


def people(ctx: ReportContext) -> pd.DataFrame:
    """The scope's people: everyone, or those whose home region it is."""
    reps = ctx.tables.reps
    return reps if ctx.scope.level == "company" else reps[reps["region"] == ctx.scope.value]


@per_context
def team(ctx: ReportContext) -> pd.DataFrame:
    """The scope's sellers still employed who owned deals in the 12 months to the as-of
    day, or joined in them (:func:`salesops.analytics.capacity.team`): capacity and
    quotas are theirs, not everyone's on the reps file."""
    end = ctx.as_of + pd.Timedelta(days=1)
    return sellers.team(deals(ctx), people(ctx), (end - pd.DateOffset(months=12), end), ctx.stages)


def title(ctx: ReportContext) -> HTML:
    """The heading: scope, plan year, growth and the data's last month."""
    return heading(
        f"{ctx.who} · plan for {year(ctx).label} · growth {fmt.pct(option(ctx, 'growth'))} · "
        f"data to {ctx.period.label}",
        ctx.tables,
    )


@per_context
def target(ctx: ReportContext) -> pd.DataFrame:
    """Top-down target per quarter with the forecast's 80% interval."""
    f, growth = forecast(ctx), option(ctx, "growth")
    frame = pn.top_down(f, year(ctx), growth)
    formats = dict.fromkeys(["forecast", "lower_80", "upper_80", "target"], "money")
    caption = f"Top-down: forecast × (1 + {fmt.pct(growth)}); model {f.model}"
    return viewed(frame, View(formats, caption))


@per_context
def capacity_model(ctx: ReportContext) -> pn.Capacity:
    """Productivity, ramp curve and attrition from the scope's history, or the settings
    ``ramp_months`` and ``attrition_monthly`` where the data cannot measure them."""
    assumed = (ctx.settings.ramp_months, ctx.settings.attrition_monthly)
    dates = (ctx.tables.has("reps.hire_date"), ctx.tables.has("reps.end_date"))
    return pn.estimate(deals(ctx), people(ctx), ctx.as_of, ctx.stages, assumed, *dates)


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
    """Bottom-up capacity per quarter against the target, and the gap."""
    cap, hires, n = capacity_model(ctx), option(ctx, "hires"), len(team(ctx))
    out = pn.bottom_up(cap, team(ctx), year(ctx), hires)
    out["target"] = target(ctx)["target"]
    out["gap"] = out["target"] - out["capacity"]
    caption = (
        f"Bottom-up: {n} seller{'s' if n != 1 else ''} who owned deals in the last 12 "
        f"months (or joined in them), ramped productivity {fmt.money(cap.productivity)} a month "
        f"since the data's first close; {'; '.join(assumptions(ctx))}; "
        f"planned hires {', '.join(str(h) for h in hires)} by quarter"
    )
    formats = dict.fromkeys(["current_reps", "new_hires", "capacity", "target", "gap"], "money")
    return viewed(out, View(formats, caption))


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


WARNING_ROWS = {
    "gap": ("Gap", "money"),
    "target": ("Target", "money"),
    "capacity": ("Capacity of today's sellers", "money"),
    "per_seller": ("Capacity per seller", "money"),
    "per_hire": ("Bookings of a hire starting in Q1", "money"),
    "sellers": ("Sellers", "number"),
    "hires": ("Hires needed, starting in Q1", "number"),
}


@per_context
def need(ctx: ReportContext) -> pd.DataFrame:
    """The hires that close the year's gap, by the quarter they start in."""
    return pn.hires_needed(capacity_model(ctx), float(capacity(ctx).loc["Year", "gap"]))


@per_context
def hiring(ctx: ReportContext) -> pd.Series:
    """The hiring need's inputs, and whether it is a plan
    (:func:`salesops.analytics.planning.hiring_check`, ``max_hire_share``)."""
    share = ctx.settings.max_hire_share
    return pn.hiring_check(capacity(ctx), need(ctx), len(team(ctx)), share)


def hires(ctx: ReportContext) -> pd.DataFrame:
    """How many more hires the year's gap needs, by the quarter they start in; when even
    the earliest start needs more than ``max_hire_share`` of the team, a warning about the
    target with its inputs instead."""
    gap, check = float(capacity(ctx).loc["Year", "gap"]), hiring(ctx)
    if gap > 0 and not check["plan"]:
        frame = pd.DataFrame({"value": check[list(WARNING_ROWS)].astype(float)})
        frame.index = pd.Index([label for label, _ in WARNING_ROWS.values()])
        caption = (
            f"Warning about the target, not a hiring plan: closing the gap of "
            f"{fmt.money(gap)} would take at least {int(check['hires'])} hires for a team of "
            f"{int(check['sellers'])} sellers, more than {fmt.pct(ctx.settings.max_hire_share)} "
            f"of it (the maximum hiring share in parameters/settings.yml). Check the growth "
            f"({fmt.pct(option(ctx, 'growth'))}) and the forecast the target starts from"
        )
        return viewed(frame, View(caption=caption, rows=dict(WARNING_ROWS.values())))
    caption = f"Hires that close the gap of {fmt.money(gap)}, by when they start"
    if gap <= 0:
        caption = f"No gap: capacity exceeds the target by {fmt.money(-gap)}"
    return viewed(need(ctx), View({"bookings_per_hire": "money", "hires": "number"}, caption))


@per_context
def quotas(ctx: ReportContext) -> pd.DataFrame:
    """The year's target allocated to the active reps by each method (whole dollars)."""
    total = round(float(target(ctx).loc["Year", "target"]))
    curve = capacity_model(ctx).ramp
    out = {}
    for method in METHODS:
        w = pn.weights(method, deals(ctx), team(ctx), ctx.as_of, year(ctx), ctx.stages, curve)
        out[method] = pn.allocate(total, w)
    frame = pd.DataFrame(out)
    names = team(ctx).set_index("rep_id")
    frame.insert(0, "region", names["region"].reindex(frame.index))
    frame.insert(0, "rep", names["name"].reindex(frame.index))
    caption = f"{year(ctx).label} quota per rep; the plan uses '{option(ctx, 'method')}'"
    return viewed(frame, View(dict.fromkeys(METHODS, "money"), caption))


def quota_by_region(ctx: ReportContext) -> pd.DataFrame:
    """The quotas summed per region and method, with the total."""
    q = quotas(ctx).groupby("region")[list(METHODS)].sum()
    q.loc["Total"] = q.sum()
    caption = f"{year(ctx).label} quota by region and method (each sums to the target)"
    return viewed(q, View(dict.fromkeys(METHODS, "money"), caption))


def fairness(ctx: ReportContext) -> pd.DataFrame:
    """Each rep's share of quota against their share of potential."""
    q = quotas(ctx)
    share = pn.potential(deals(ctx), pd.Series(q.index), ctx.stages).set_axis(q.index)
    out = pn.fairness(q[option(ctx, "method")], share)
    out.insert(0, "rep", q["rep"])
    formats = {"quota": "money", "quota_share": "pct", "potential_share": "pct", "ratio": "decimal"}
    caption = (
        f"Fairness: quota share over potential share (1 = in line); spread (std) "
        f"{fmt.decimal(out['ratio'].std())}; {int((out['flag'] != '').sum())} reps outside ±25%"
    )
    return viewed(out, View(formats, caption))


@per_context
def territory(ctx: ReportContext) -> pd.DataFrame:
    """Accounts, open pipeline and last-12-month bookings per seller of :func:`team`."""
    active = team(ctx)
    o = deals(ctx)[deals(ctx)["owner_id"].isin(active["rep_id"])]
    ids = pd.Index(active["rep_id"], name="rep_id")
    open_ = o[o["stage"].isin(ctx.stages.open_names)]
    window = (ctx.as_of - pd.DateOffset(months=12), ctx.as_of + pd.Timedelta(days=1))
    booked = m.bookings(o, window, by="owner_id", stages=ctx.stages)
    return pd.DataFrame(
        {
            "rep": active.set_index("rep_id")["name"],
            "region": active.set_index("rep_id")["region"],
            "accounts": o.groupby("owner_id")["account_id"].nunique().reindex(ids).fillna(0),
            "open_pipeline": open_.groupby("owner_id")["amount"].sum().reindex(ids).fillna(0.0),
            "bookings_12m": booked.reindex(ids).fillna(0.0),
        }
    )


def territory_tables(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Territory per region, and per rep with the Gini coefficient of each measure."""
    t = territory(ctx)
    if not ctx.tables.has("opportunities.account_id"):
        t = t.drop(columns="accounts")
    measures = [c for c in ("accounts", "open_pipeline", "bookings_12m") if c in t]
    ineq = {c: pn.gini(t[c]) for c in measures}
    caption = "Per rep · Gini " + ", ".join(
        f"{c.replace('_', ' ')} {fmt.decimal(v)}" for c, v in ineq.items()
    )
    return (
        viewed(t.groupby("region")[measures].sum(), View(TERRITORY_FORMATS, "Per region")),
        viewed(t.set_index("rep"), View(TERRITORY_FORMATS, caption)),
    )


@section("Account rebalancing")
def rebalancing(ctx: ReportContext, max_moves: int = 5) -> pd.DataFrame:
    """Suggested account moves within each region, with the Gini before and after."""
    active = team(ctx)
    o = deals(ctx)[deals(ctx)["owner_id"].isin(active["rep_id"])]
    value = o[o["stage"].isin(ctx.stages.open_names)].groupby("account_id")["amount"].sum()
    names = active.set_index("rep_id")["name"]
    rows = []
    for region, reps in active.groupby("region"):
        owned = o[o["owner_id"].isin(reps["rep_id"])].groupby(["account_id", "owner_id"]).size()
        accounts = owned.reset_index()[["account_id", "owner_id"]].drop_duplicates("account_id")
        accounts["open_pipeline"] = accounts["account_id"].map(value).fillna(0.0)
        moves, before, after = pn.rebalance(accounts, max_moves)
        for move in moves.to_dict("records"):
            rows.append(
                {
                    "region": region,
                    "account": move["account_id"],
                    "from": names.get(move["from"], move["from"]),
                    "to": names.get(move["to"], move["to"]),
                    "open_pipeline": move["open_pipeline"],
                    "gini_before": before,
                    "gini_after": after,
                }
            )
    columns = ["region", "account", "from", "to", "open_pipeline", "gini_before", "gini_after"]
    frame = pd.DataFrame(rows, columns=columns).set_index(["region", "account"])
    formats = {"open_pipeline": "money", "gini_before": "decimal", "gini_after": "decimal"}
    caption = (
        f"Suggested moves (at most {max_moves} per region; each lowers the region's Gini of "
        "open pipeline)"
    )
    empty = "No account move would even out open pipeline."
    return viewed(frame, View(formats, caption, empty=empty))


def plans(ctx: ReportContext) -> dict[str, CompPlan]:
    """The commission plan and its variant, by file name."""
    main, variant = option(ctx, "comp_plan"), option(ctx, "variant")
    found = {resolve(main).name: CompPlan.read(main)}
    if variant:
        found[resolve(variant).name] = CompPlan.read(variant)
    return found


@section("The cost of incentive pay")
def compensation(ctx: ReportContext) -> pd.DataFrame:
    """Expected payout, spread and cost of sales of each plan, side by side, from
    simulated years of attainment."""
    q = quotas(ctx)[option(ctx, "method")]
    quarters = pd.DataFrame(
        [(rep, i, amount / 4) for rep, amount in q.items() for i in range(4)],
        columns=["rep_id", "quarter", "amount"],
    )
    history = payouts.attainment_history(deals(ctx), ctx.tables.quotas, ctx.as_of, ctx.stages)
    sampler = payouts.lognormal(history)
    runs, seed = option(ctx, "simulations"), option(ctx, "seed")
    out = {}
    for name, plan in plans(ctx).items():
        out[name] = payouts.payout_summary(
            payouts.simulate_payouts(plan, quarters, sampler, runs, seed)
        )
    frame = pd.DataFrame(out).loc[list(PAYOUT_ROWS.values())]
    frame.index = list(PAYOUT_ROWS)
    rows = dict.fromkeys(PAYOUT_ROWS, "money") | {"cost of sales": "pct1"}
    caption = (
        f"Commission for {year(ctx).label}: {runs:,} simulated years; attainment "
        "log-normal, fitted (median and MAD) to the last 8 quarters' rep attainment"
    )
    return viewed(frame, View(caption=caption, rows=rows))


def summary(ctx: ReportContext) -> dict[str, Any]:
    """Headline numbers as JSON-ready values."""
    goal, cap, model = target(ctx), capacity(ctx), capacity_model(ctx)
    return {
        "report": "planning",
        "scope": str(ctx.scope),
        "period": ctx.period.label,
        "year": year(ctx).label,
        "target": plain(goal.loc["Year", "target"]),
        "forecast": plain(goal.loc["Year", "forecast"]),
        "capacity": plain(cap.loc["Year", "capacity"]),
        "gap": plain(cap.loc["Year", "gap"]),
        "sellers": len(team(ctx)),
        "assumed": {"ramp": model.ramp_assumed, "attrition": model.attrition_assumed},
        "hiring": {k: plain(float(v)) for k, v in hiring(ctx).drop("plan").items()}
        | {"plan": bool(hiring(ctx)["plan"])},
        "hires_needed": {q: int(h) for q, h in need(ctx)["hires"].items()},
        "quota_total": {k: plain(v) for k, v in quotas(ctx)[list(METHODS)].sum().items()},
    }
