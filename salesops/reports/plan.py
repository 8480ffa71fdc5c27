"""The plan's context and its target (``notebooks/planning.ipynb``): the plan
year, the scope's deals, people and sellers, the forecast to the end of the plan year,
and the target, which starts from what the plan states (a target, the plan year's
quotas) and falls back to the forecast, saying so (:mod:`salesops.analytics.targets`).

Like the forecast report it reads the whole company even for a region: the region's
forecast is reconciled with the company's. The plan's parameters (growth, target,
method, hires, the commission plans, the simulations) are its :class:`PlanOptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from salesops.analytics import capacity as sellers
from salesops.analytics import forecast as fc
from salesops.analytics import gaps, reconciliation
from salesops.analytics.allocation import METHODS
from salesops.analytics.compensation import COMP_PLAN
from salesops.analytics.targets import SUM_TOLERANCE, Target, plan_target, unsummed
from salesops.data.periods import Period
from salesops.data.scopes import Scope, scope_deals
from salesops.reports import formatting as fmt
from salesops.reports import shared
from salesops.reports.context import ReportContext, make_options, options_of, per_context
from salesops.reports.display import View, viewed


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """The plan's options: what a planner states (``notebooks/planning.ipynb``'s
    parameters cell says the same, ``tests/integration/test_notebooks.py``).

    Parameters
    ----------
    growth
        Growth on top of the forecast (0.15: 15%), for a target that falls back to the
        forecast.
    method
        Quota allocation: ``historical``, ``potential`` or ``equal``; where the source
        cannot measure it, the plan uses ``equal`` and says why
        (:mod:`salesops.analytics.allocation`).
    hires
        Planned hires starting at the beginning of each quarter of the plan year, as the
        user states them; none unless stated (a plan does not invent hires).
    comp_plan, variant
        The commission plan file and a second one to compare it with (relative to the
        project root).
    simulations, seed
        The payout simulation's runs and its random seed.
    target
        The plan's stated target for the year and the scope, an amount; or one amount
        per scope, ``{company: 12000000, "region:EMEA": 3500000}`` (a plan that runs for
        several scopes), whose entry for this scope is taken (a scope it does not name
        has no stated target). None: the plan year's quotas in the source, else the
        forecast × (1 + growth).
    """

    growth: float = 0.15
    method: str = "historical"
    hires: tuple[int, ...] = (0, 0, 0, 0)
    comp_plan: str = COMP_PLAN
    variant: str | None = "parameters/comp_plan_variant.yml"
    simulations: int = 2000
    seed: int = 7
    target: float | Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        hires = tuple(self.hires)
        if len(hires) != 4 or any(h < 0 for h in hires):
            raise ValueError("hires: four non-negative numbers, one per quarter")
        object.__setattr__(self, "hires", hires)
        target = self.target
        amounts = target.values() if isinstance(target, Mapping) else [target]
        if any(v is not None and not (isinstance(v, int | float) and v >= 0) for v in amounts):
            raise ValueError(
                "target: a non-negative amount for the year, one per scope "
                f"({{company: ..., region:<name>: ...}}), or None; got {target!r}"
            )


def context(
    source: Any = None,
    scope: str = "company",
    period: str = "latest",
    *,
    on_invalid: str = "refuse",
    **options: Any,
) -> ReportContext:
    """The plan's context: the company's tables and the plan's ``options``, the
    keywords of :class:`PlanOptions` (growth, method, hires, comp_plan, variant,
    simulations, seed, target)."""
    plan = make_options(PlanOptions, options)
    ctx = ReportContext.load(
        source, scope, period, reads="company", on_invalid=on_invalid, options=plan
    )
    if ctx.scope.level == "rep":
        raise ValueError("plans are for the company or a region")
    if isinstance(plan.target, Mapping):  # one amount per scope: checked now, taken by goal
        scope_target(plan.target, ctx)
    return ctx


def plan_options(ctx: ReportContext) -> PlanOptions:
    """The plan's options (their defaults where the context has none)."""
    return options_of(ctx, PlanOptions)


def scope_target(targets: Mapping[str, float | None], ctx: ReportContext) -> float | None:
    """The amount that ``targets`` (one per scope: ``company``, ``region:<name>``) states
    for the context's scope; None when it names none. A key that is not a scope, or
    names a region the source does not have, is a ValueError naming it (a misspelt region
    would silently leave its plan without the stated target)."""
    regions = set(ctx.tables.opportunities["region"].dropna().astype(str))
    found = None
    for key, amount in targets.items():
        scope = Scope.parse(str(key))
        if scope.level == "rep" or (scope.level == "region" and scope.value not in regions):
            raise ValueError(
                f"target: {key!r} is not the company or a region of the source "
                f"(the regions are: {', '.join(sorted(regions))})"
            )
        if scope == ctx.scope:
            found = amount
    return None if found is None else float(found)


def year(ctx: ReportContext) -> Period:
    """The plan year: the (fiscal) year after the period's."""
    return ctx.period.year().shift(1)


@per_context
def forecast(ctx: ReportContext) -> fc.Forecast:
    """The scope's bookings forecast to the end of the plan year (reconciled); unknown,
    with the reason, for a region none of whose deals was won."""
    end = year(ctx).end
    horizon = (end.year - ctx.period.end.year) * 12 + (end.month - ctx.period.end.month)
    company, regions = shared.forecasts(ctx.tables.opportunities, ctx.period, horizon, ctx.stages)
    if ctx.scope.level == "company":
        return company
    return reconciliation.of_region(regions, str(ctx.scope.value), ctx.period, horizon)


def deals(ctx: ReportContext) -> pd.DataFrame:
    """The scope's deals."""
    return scope_deals(ctx.tables.opportunities, ctx.scope, ctx.stages)


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


def quotas_of(ctx: ReportContext) -> pd.DataFrame | None:
    """The scope's quota rows (None when the source has no quotas)."""
    q = ctx.tables.quotas
    if q is None or ctx.scope.level == "company":
        return q
    return q[q["rep_id"].isin(people(ctx)["rep_id"])]


@per_context
def goal(ctx: ReportContext) -> Target:
    """The plan's :class:`~salesops.analytics.targets.Target`: the stated target, else
    the plan year's quotas, else the forecast × (1 + growth)."""
    stated = plan_options(ctx).target
    if isinstance(stated, Mapping):  # a context built without plan.context
        stated = scope_target(stated, ctx)
    return plan_target(
        forecast(ctx),
        year(ctx),
        plan_options(ctx).growth,
        stated=None if stated is None else float(stated),
        quotas=quotas_of(ctx),
    )


def unknown_target(ctx: ReportContext, what: str) -> str | None:
    """The line a section that shares out the target shows when the target is unknown:
    "``what`` needs a target, and the target is unknown: …" (None when it is known)."""
    reason = gaps.why(goal(ctx).year)
    return None if reason is None else f"{what} needs a target, and {reason}."


@per_context
def target(ctx: ReportContext) -> pd.DataFrame:
    """The target per quarter and for the year, with the forecast and its 80% interval;
    the caption says where the target comes from."""
    g, f = goal(ctx), forecast(ctx)
    caption = f"Target: {g.sentence}. Forecast: model {f.model}"
    if f.unknown:
        caption = f"Target: {g.sentence}. The forecast is unknown: {f.unknown}"
    elif g.basis == "forecast":
        caption = f"Top-down target: {g.sentence}; model {f.model}"
    if g.basis != "forecast" and not f.unknown and g.frame.at["Year", "forecast"] > 0:
        against = g.year / g.frame.at["Year", "forecast"] - 1
        caption += f"; the target is {fmt.change(against)} on the forecast"
    warning = unsummed_targets(ctx)
    caption = f"{warning} {caption}" if warning else caption
    return viewed(g.frame.copy(), View({}, caption))


def unsummed_targets(ctx: ReportContext) -> str | None:
    """The warning when the plan states a company target and regional targets that do not
    add up to it within 0.5% (:func:`salesops.analytics.targets.unsummed`), naming them,
    their sum and the company's figure; None when they add up or are not both stated."""
    stated = plan_options(ctx).target
    if not isinstance(stated, Mapping):
        return None
    regions = ctx.tables.opportunities["region"].dropna().astype(str).unique()
    miss = unsummed(stated, regions)
    if miss is None:
        return None
    parts = " + ".join(f"{name} {ctx.money(amount)}" for name, amount in miss.regions.items())
    said = (
        f"Warning: the stated regional targets do not add up to the company's: {parts} = "
        f"{ctx.money(miss.total)}, against the company target of {ctx.money(miss.company)} "
        f"({fmt.change(miss.off)}, more than {SUM_TOLERANCE:.1%} apart)"
    )
    if miss.missing:
        said += f"; {', '.join(miss.missing)} {'has' if len(miss.missing) == 1 else 'have'} "
        said += "no stated target"
    return said + "."
