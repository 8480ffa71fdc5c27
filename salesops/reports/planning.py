"""The planning workbook: each section of ``notebooks/planning.ipynb`` as one call.

Like the forecast report, it reads the whole company even for a region: the region's
target starts from its reconciled forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from salesops import coverage, quarantine
from salesops import forecast as fc
from salesops import formatting as fmt
from salesops import metrics as m
from salesops import planning as pn
from salesops.compensation import COMP_PLAN, CompPlan
from salesops.model import Tables, active_reps
from salesops.periods import Period
from salesops.project import resolve
from salesops.reports.display import memoized, plain
from salesops.scopes import Scope
from salesops.stages import Stages

METHODS = ("historical", "potential", "equal")


@dataclass
class PlanningReport:
    """Next year's plan for the company or a region.

    Parameters
    ----------
    tables
        The company's tables.
    period
        The last complete month of data the plan starts from; ``latest`` works.
    scope
        ``company`` or ``region:<name>``.
    growth
        Growth on top of the forecast for the target (0.15: 15%).
    method
        Quota allocation: ``historical``, ``potential`` or ``equal``.
    hires
        Planned hires starting at the beginning of each quarter of the plan year.
    comp_plan
        The commission plan file (relative to the project root).
    variant
        A second commission plan file to compare with ``comp_plan``.
    """

    tables: Tables
    period: Period | str = "latest"
    scope: Scope | str = "company"
    growth: float = 0.15
    method: str = "historical"
    hires: Sequence[int] = (0, 0, 0, 0)
    comp_plan: str | Path = COMP_PLAN
    variant: str | Path | None = "parameters/comp_plan_variant.yml"
    simulations: int = 2000
    seed: int = 7
    stages: Stages | None = None  # None: the source's stages (tables.stages)

    def __post_init__(self) -> None:
        self.stages = self.stages or Stages.of(self.tables)
        self.period = Period.parse(self.period, as_of=self.tables.as_of)
        self.scope = Scope.parse(self.scope)
        if self.scope.level == "rep":
            raise ValueError("plans are for the company or a region")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}; got {self.method!r}")
        if len(self.hires) != 4 or any(h < 0 for h in self.hires):
            raise ValueError("hires: four non-negative numbers, one per quarter")
        self.as_of = min(self.tables.as_of or self.period.last_day, self.period.last_day)
        self.year = self.period.year().shift(1)
        horizon = (self.year.end.year - self.period.end.year) * 12 + (
            self.year.end.month - self.period.end.month
        )
        opps, reps = self.tables.opportunities, self.tables.reps
        company, regions = fc.company_and_regions(opps, self.period, horizon, self.stages)
        if self.scope.level == "region":
            self.forecast = regions[self.scope.value]
            self.opps = opps[opps["region"] == self.scope.value]
            self.reps = reps[reps["region"] == self.scope.value]
        else:
            self.forecast, self.opps, self.reps = company, opps, reps
        self.active = active_reps(self.reps)

    @classmethod
    def load(
        cls, source: Any = None, period: str = "latest", on_invalid: str = "refuse", **kwargs: Any
    ) -> PlanningReport:
        """Load the company's tables from ``source`` and build the plan (``on_invalid`` as
        in :func:`salesops.load`)."""
        from salesops.sources import load

        return cls(load(source, "company", period, on_invalid=on_invalid), period, **kwargs)

    @property
    def who(self) -> str:
        return "Company" if self.scope.level == "company" else f"{self.scope.value} region"

    def title(self) -> Markdown:
        return quarantine.titled(
            self.tables,
            f"## {self.who} · plan for {self.year.label} · growth {fmt.pct(self.growth)} · "
            f"data to {self.period.label}",
        )

    # -- target and capacity ------------------------------------------------------------------
    @memoized
    def target(self) -> pd.DataFrame:
        """Top-down target per quarter with the forecast's 80% interval."""
        return pn.top_down(self.forecast, self.year, self.growth)

    def target_table(self):
        return fmt.table(
            self.target(),
            dict.fromkeys(["forecast", "lower_80", "upper_80", "target"], "money"),
            f"Top-down: forecast × (1 + {fmt.pct(self.growth)}); model {self.forecast.model}",
        )

    @memoized
    def capacity_model(self) -> pn.Capacity:
        """Productivity, ramp curve and attrition estimated from the scope's history."""
        history = pn.monthly_productivity(self.opps, self.reps, self.stages)
        start = (self.period.end - pd.DateOffset(months=12)).to_period("M")
        recent = history[history["month"] >= start]
        ramped = recent.loc[recent["tenure"] > 12, "bookings"]
        productivity = float(ramped.mean()) if len(ramped) else float(recent["bookings"].mean())
        return pn.Capacity(
            productivity, pn.ramp_curve(history), pn.attrition_rate(self.reps, self.as_of)
        )

    @memoized
    def capacity(self) -> pd.DataFrame:
        """Bottom-up capacity per quarter against the target, and the gap."""
        out = pn.bottom_up(self.capacity_model(), self.reps, self.year, self.hires)
        out["target"] = self.target()["target"]
        out["gap"] = out["target"] - out["capacity"]
        return out

    def capacity_table(self):
        cap = self.capacity_model()
        caption = (
            f"Bottom-up: {len(self.active)} reps, ramped productivity "
            f"{fmt.money(cap.productivity)} a month, attrition {fmt.pct(cap.attrition, 1)} a "
            f"month, planned hires {', '.join(str(h) for h in self.hires)} by quarter"
        )
        return fmt.table(
            self.capacity(),
            dict.fromkeys(["current_reps", "new_hires", "capacity", "target", "gap"], "money"),
            caption,
        )

    def ramp_table(self):
        ramp = self.capacity_model().ramp.to_frame().T
        ramp.index = ["share of full productivity"]
        ramp.columns = [f"month {k}" for k in ramp.columns]
        return fmt.table(
            ramp, dict.fromkeys(ramp.columns, "pct"), "Ramp curve of new reps, from the history"
        )

    def hires_table(self):
        gap = float(self.capacity().loc["Year", "gap"])
        table = pn.hires_needed(self.capacity_model(), gap)
        if gap <= 0:
            caption = f"No gap: capacity exceeds the target by {fmt.money(-gap)}"
        else:
            caption = f"Hires that close the gap of {fmt.money(gap)}, by when they start"
        return fmt.table(table, {"bookings_per_hire": "money", "hires": "number"}, caption)

    # -- quotas -------------------------------------------------------------------------------
    @memoized
    def quotas(self) -> pd.DataFrame:
        """The year's target allocated to the active reps by each method (whole dollars)."""
        total = round(float(self.target().loc["Year", "target"]))
        curve = self.capacity_model().ramp
        out = {}
        for method in METHODS:
            w = pn.weights(method, self.opps, self.reps, self.as_of, self.year, self.stages, curve)
            out[method] = pn.allocate(total, w)
        frame = pd.DataFrame(out)
        names = self.active.set_index("rep_id")
        frame.insert(0, "region", names["region"].reindex(frame.index))
        frame.insert(0, "rep", names["name"].reindex(frame.index))
        return frame

    def quota_by_region(self):
        q = self.quotas().groupby("region")[list(METHODS)].sum()
        q.loc["Total"] = q.sum()
        return fmt.table(
            q,
            dict.fromkeys(METHODS, "money"),
            f"{self.year.label} quota by region and method (each sums to the target)",
        )

    def quota_table(self):
        q = self.quotas()
        return fmt.table(
            q.set_index("rep"),
            dict.fromkeys(METHODS, "money"),
            f"{self.year.label} quota per rep; the plan uses '{self.method}'",
        )

    def fairness(self) -> pd.DataFrame:
        q = self.quotas()
        share = pn.potential(self.opps, pd.Series(q.index), self.stages).set_axis(q.index)
        out = pn.fairness(q[self.method], share)
        out.insert(0, "rep", q["rep"])
        return out

    def fairness_table(self):
        f = self.fairness()
        spread = f["ratio"].std()
        flagged = int((f["flag"] != "").sum())
        return fmt.table(
            f.set_index("rep"),
            {"quota": "money", "quota_share": "pct", "potential_share": "pct", "ratio": "decimal"},
            f"Fairness: quota share over potential share (1 = in line); spread (std) "
            f"{fmt.decimal(spread)}; {flagged} reps outside ±25%",
        )

    # -- territory ----------------------------------------------------------------------------
    def territory(self) -> pd.DataFrame:
        """Accounts, open pipeline and last-12-month bookings per active rep."""
        o = self.opps[self.opps["owner_id"].isin(self.active["rep_id"])]
        ids = pd.Index(self.active["rep_id"], name="rep_id")
        open_ = o[o["stage"].isin(self.stages.open_names)]
        window = (self.as_of - pd.DateOffset(months=12), self.as_of + pd.Timedelta(days=1))
        out = pd.DataFrame(
            {
                "rep": self.active.set_index("rep_id")["name"],
                "region": self.active.set_index("rep_id")["region"],
                "accounts": o.groupby("owner_id")["account_id"].nunique().reindex(ids).fillna(0),
                "open_pipeline": open_.groupby("owner_id")["amount"].sum().reindex(ids).fillna(0.0),
                "bookings_12m": m.bookings(o, window, by="owner_id", stages=self.stages)
                .reindex(ids)
                .fillna(0.0),
            }
        )
        return out

    def territory_tables(self):
        t = self.territory()
        if not self.tables.has("opportunities.account_id"):
            t = t.drop(columns="accounts")
        measures = [c for c in ("accounts", "open_pipeline", "bookings_12m") if c in t]
        per_region = t.groupby("region")[measures].sum()
        ineq = {c: pn.gini(t[c]) for c in measures}
        caption = "Per rep · Gini " + ", ".join(
            f"{c.replace('_', ' ')} {fmt.decimal(v)}" for c, v in ineq.items()
        )
        formats = {"accounts": "number", "open_pipeline": "money", "bookings_12m": "money"}
        return (
            fmt.table(per_region, formats, "Per region"),
            fmt.table(t.set_index("rep"), formats, caption),
        )

    def rebalancing(self, max_moves: int = 5) -> pd.DataFrame:
        """Suggested account moves within each region, with the Gini before and after."""
        o = self.opps[self.opps["owner_id"].isin(self.active["rep_id"])]
        open_ = o[o["stage"].isin(self.stages.open_names)]
        rows = []
        names = self.active.set_index("rep_id")["name"]
        for region, reps in self.active.groupby("region"):
            accounts = (
                o[o["owner_id"].isin(reps["rep_id"])]
                .groupby(["account_id", "owner_id"])
                .size()
                .reset_index()[["account_id", "owner_id"]]
                .drop_duplicates("account_id")
            )
            value = open_.groupby("account_id")["amount"].sum()
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
        return pd.DataFrame(
            rows,
            columns=[
                "region",
                "account",
                "from",
                "to",
                "open_pipeline",
                "gini_before",
                "gini_after",
            ],
        )

    def rebalancing_table(self):
        note = coverage.lacking(self.tables, "Account rebalancing", "opportunities.account_id")
        if note is not None:
            return note
        moves = self.rebalancing()
        if moves.empty:
            return Markdown("*No account move would even out open pipeline.*")
        return fmt.table(
            moves.set_index(["region", "account"]),
            {"open_pipeline": "money", "gini_before": "decimal", "gini_after": "decimal"},
            "Suggested moves (at most 5 per region; each lowers the region's Gini of "
            "open pipeline)",
        )

    # -- compensation cost --------------------------------------------------------------------
    def plans(self) -> dict[str, CompPlan]:
        plans = {resolve(self.comp_plan).name: CompPlan.read(self.comp_plan)}
        if self.variant:
            plans[resolve(self.variant).name] = CompPlan.read(self.variant)
        return plans

    def compensation(self) -> pd.DataFrame:
        """Expected payout, spread and cost of sales of each plan, side by side."""
        q = self.quotas()[self.method]
        quarters = pd.DataFrame(
            [(rep, i, amount / 4) for rep, amount in q.items() for i in range(4)],
            columns=["rep_id", "quarter", "amount"],
        )
        history = pn.attainment_history(self.opps, self.tables.quotas, self.as_of, self.stages)
        sampler = pn.lognormal(history)
        out = {}
        for name, plan in self.plans().items():
            sims = pn.simulate_payouts(plan, quarters, sampler, self.simulations, self.seed)
            out[name] = pn.payout_summary(sims)
        return pd.DataFrame(out)

    def compensation_table(self):
        note = coverage.lacking(self.tables, "The cost of incentive pay", "quotas")
        if note is not None:
            return note
        frame = self.compensation()
        rows = {
            "expected payout": ("expected_payout", fmt.money),
            "10th percentile": ("p10", fmt.money),
            "90th percentile": ("p90", fmt.money),
            "standard deviation": ("std", fmt.money),
            "expected bookings": ("expected_bookings", fmt.money),
            "cost of sales": ("cost_of_sales", lambda v: fmt.pct(v, 1)),
        }
        shown = pd.DataFrame(
            {c: [show(frame.loc[k, c]) for k, show in rows.values()] for c in frame.columns},
            index=list(rows),
        )
        return fmt.table(
            shown,
            {},
            f"Commission for {self.year.label}: {self.simulations:,} simulated years; attainment "
            "log-normal, fitted (median and MAD) to the last 8 quarters' rep attainment",
        )

    def summary(self) -> dict[str, Any]:
        target = self.target()
        cap = self.capacity()
        return {
            "report": "planning",
            "scope": str(self.scope),
            "period": self.period.label,
            "year": self.year.label,
            "target": plain(target.loc["Year", "target"]),
            "forecast": plain(target.loc["Year", "forecast"]),
            "capacity": plain(cap.loc["Year", "capacity"]),
            "gap": plain(cap.loc["Year", "gap"]),
            "quota_total": {k: plain(v) for k, v in self.quotas()[list(METHODS)].sum().items()},
        }
