"""A region's monthly team review for its manager, reps named
(``notebooks/team_review.ipynb``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Image, Markdown

from salesops import compensation as comp
from salesops import coverage, plots, quarantine
from salesops import formatting as fmt
from salesops import performance as perf
from salesops.errors import DataError
from salesops.model import Tables, active_reps
from salesops.periods import Period
from salesops.reports.display import memoized, picture, plain
from salesops.scopes import Scope
from salesops.stages import Stages


@dataclass
class TeamReview:
    """A region's monthly team review for its manager (reps named).

    Parameters
    ----------
    tables
        The region's tables (``salesops.load(source, "region:<name>", period)``).
    period
        The month reviewed; ``latest`` works.
    scope
        ``region:<name>``.
    """

    tables: Tables
    period: Period | str
    scope: Scope | str
    stages: Stages | None = None  # None: the source's stages (tables.stages)
    plan: comp.CompPlan = field(default_factory=comp.CompPlan.read)

    def __post_init__(self) -> None:
        self.stages = self.stages or Stages.of(self.tables)
        self.period = Period.parse(self.period, as_of=self.tables.as_of)
        self.scope = Scope.parse(self.scope)
        if self.scope.level != "region":
            raise ValueError("the team review is for a region (region:<name>)")
        reps = self.tables.reps
        self.reps = reps[
            (reps["region"] == self.scope.value) & (reps["role"].fillna("rep") == "rep")
        ]
        self.as_of = min(self.tables.as_of or self.period.last_day, self.period.last_day)
        self.active = active_reps(self.reps, (self.period.start, self.period.end))

    @classmethod
    def load(
        cls,
        source: Any = None,
        period: str = "latest",
        scope: str = "region:",
        comp_plan: str | Path = comp.COMP_PLAN,
        on_invalid: str = "refuse",
    ) -> TeamReview:
        """Load the region's tables and build the review under the commission plan file
        ``comp_plan`` (relative to the project root); ``on_invalid`` as in
        :func:`salesops.load`."""
        from salesops.sources import load

        plan = comp.CompPlan.read(comp_plan)
        return cls(load(source, scope, period, on_invalid=on_invalid), period, scope, plan=plan)

    def title(self) -> Markdown:
        return quarantine.titled(
            self.tables,
            f"## {self.scope.value} team · {self.period.label} · data as of {self.as_of:%d %b %Y}",
        )

    @memoized
    def leaderboard(self) -> pd.DataFrame:
        """Per rep: QTD attainment and bookings, 3-month win rate, coverage, commission."""
        ids = list(self.active["rep_id"])
        qtd = (self.period.quarter().start, self.period.end)
        kpis = perf.rep_kpis(self.tables, qtd, ids, self.stages)
        recent = perf.rep_kpis(self.tables, self.period.window(3), ids, self.stages)
        payable = {}
        for _, rep in self.active.iterrows():
            try:
                payable[rep["rep_id"]] = comp.statement(
                    self.plan,
                    rep,
                    self.tables.opportunities,
                    self.tables.quotas,
                    self.period,
                    self.stages.won,
                ).payable
            except DataError:
                payable[rep["rep_id"]] = np.nan
        board = pd.DataFrame(
            {
                "rep": self.active.set_index("rep_id")["name"],
                "attainment_qtd": kpis["attainment"],
                "bookings_qtd": kpis["bookings"],
                "win_rate": recent["win_rate"],
                "coverage": kpis["coverage"],
                "commission": pd.Series(payable),
            }
        )
        return board.sort_values("attainment_qtd", ascending=False, na_position="last")

    def leaderboard_table(self):
        board = self.leaderboard().set_index("rep")
        if not self.tables.has("quotas"):  # attainment, coverage and commission need quotas
            board = board.drop(columns=["attainment_qtd", "coverage", "commission"])
            board = board.sort_values("bookings_qtd", ascending=False)
        return fmt.table(
            board,
            {
                "attainment_qtd": "pct",
                "bookings_qtd": "money",
                "win_rate": "pct",
                "coverage": "ratio",
                "commission": "money",
            },
            f"Leaderboard, {self.period.quarter().label} to date (win rate: last 3 months; "
            f"commission: payable for {self.period.label})",
        )

    def attainment_chart(self) -> Image:
        """The distribution of QTD attainment across the team."""
        note = coverage.lacking(self.tables, "Attainment across the team", "quotas")
        if note is not None:
            return note
        values = self.leaderboard()["attainment_qtd"].dropna().to_numpy()
        title = f"Quota attainment across the team, {self.period.quarter().label} to date"
        return picture(plots.distribution(values, None, title), title)

    def ramping(self):
        """Reps still ramping: hired less than the ramp time before the period's end."""
        note = coverage.lacking(self.tables, "Ramping reps", "reps.hire_date")
        if note is not None:
            return note
        rows = []
        for _, rep in self.active.iterrows():
            months = perf.months_in_seat(rep["hire_date"], self.period.end)
            factor = perf.ramp_factor(months)
            if factor < 1:
                rows.append(
                    {
                        "rep": rep["name"],
                        "hired": f"{rep['hire_date']:%Y-%m-%d}",
                        "months_in_seat": months,
                        "ramp": factor,
                    }
                )
        if not rows:
            return Markdown("*Nobody is ramping.*")
        return fmt.table(
            pd.DataFrame(rows).set_index("rep"),
            {"months_in_seat": "decimal", "ramp": "pct"},
            "Reps still ramping",
        )

    @memoized
    def capacity(self) -> pd.Series:
        """Next quarter's capacity against the region's quota for it."""
        quarter = Period.parse(f"{self.as_of + pd.Timedelta(days=1):%Y-%m}").quarter()
        if quarter.end <= self.period.end:
            quarter = quarter.shift(1)
        cap = perf.capacity(self.reps, self.tables.opportunities, quarter, self.as_of, self.stages)
        q = self.tables.quotas
        target = np.nan if q is None else q.loc[quarter.contains(q["month"]), "amount"].sum()
        cap["target"] = target if target and target > 0 else np.nan
        cap["gap"] = cap["capacity"] - cap["target"]
        return cap.rename(quarter.label)

    def capacity_table(self):
        cap = self.capacity()
        kinds = {
            "headcount": "number",
            "ramping": "number",
            "productivity": "money",
            "ramped_rep_months": "decimal",
            "capacity": "money",
            "target": "money",
            "gap": "money",
        }
        caption = f"Capacity for {cap.name}: productivity × ramped rep-months against quota"
        unknown = []
        if not self.tables.has("reps.hire_date"):
            kinds.pop("ramping")
            unknown.append("every rep counts as fully ramped: ramp needs `reps.hire_date`")
        if not self.tables.has("quotas"):
            kinds.pop("target")
            kinds.pop("gap")
            unknown.append("the target needs the `quotas` table")
        if unknown:
            caption += f" ({'; '.join(unknown)}, which this source does not have)"
        shown = pd.DataFrame(
            {cap.name: [fmt.FORMATTERS[kinds[k]](cap[k]) for k in kinds]}, index=list(kinds)
        )
        return fmt.table(shown, {}, caption)

    def territory(self):
        """Accounts and open pipeline per rep, with their Gini coefficients."""
        terr = perf.territory(self.tables.opportunities, self.active, self.stages)
        ineq = perf.inequality(terr)
        names = self.active.set_index("rep_id")["name"]
        terr.index = terr.index.map(names)
        caption = (
            f"Territory balance · Gini of accounts {fmt.decimal(ineq['accounts'])}, "
            f"of open pipeline {fmt.decimal(ineq['open_pipeline'])} (0 = perfectly even)"
        )
        if not self.tables.has("opportunities.account_id"):
            terr = terr.drop(columns="accounts")
            caption = (
                f"Territory balance · Gini of open pipeline {fmt.decimal(ineq['open_pipeline'])} "
                "(0 = perfectly even; accounts need `opportunities.account_id`, which this "
                "source does not have)"
            )
        return fmt.table(
            terr.rename_axis("rep"), {"accounts": "number", "open_pipeline": "money"}, caption
        )

    def summary(self) -> dict[str, Any]:
        board = self.leaderboard()
        return {
            "report": "team_review",
            "scope": str(self.scope),
            "period": self.period.label,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "reps": len(board),
            "attainment_qtd_median": plain(board["attainment_qtd"].median()),
            "commission_total": plain(board["commission"].sum()),
            "capacity": {k: plain(v) for k, v in self.capacity().items()},
        }
