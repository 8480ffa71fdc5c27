"""A rep's own monthly review (``notebooks/performance_review.ipynb``).

:class:`PerformanceReview` reads the rep's whole region (peers are needed for the
comparison) but shows the rep's own rows only; everything about peers leaves it as a
distribution (median, percentile, an unlabelled chart). No other rep's name or id can
reach its output: every section selects the rep's rows by id before formatting, and a
test renders every demo rep's review and searches it for every other rep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Image, Markdown

from salesops import compensation as comp
from salesops import coverage, plots, quarantine
from salesops import formatting as fmt
from salesops import metrics as m
from salesops import performance as perf
from salesops import pipeline as pl
from salesops.errors import DataError
from salesops.model import Tables, active_reps
from salesops.periods import Period
from salesops.probability import WinModel
from salesops.reports.display import Tile, memoized, picture, plain, tiles_html
from salesops.scopes import Scope
from salesops.stages import Stages


def _trend(
    opps: pd.DataFrame, quotas: pd.DataFrame | None, period: Period, stages: Stages
) -> pd.DataFrame:
    """Bookings, quota and attainment of each of the 12 months to ``period``."""
    months = period.trailing_months(12)
    labels = [p.label for p in months]
    window = (months[0].start, months[-1].end)
    if quotas is None:
        booked = m.bookings(opps, window, by="month", stages=stages)
        out = pd.DataFrame({"bookings": booked, "quota": np.nan})
    else:
        out = m.quota_attainment(opps, quotas, window, by="month", stages=stages)
    out = out.reindex(labels).rename_axis("month")
    out["bookings"] = out["bookings"].fillna(0.0)
    out["attainment"] = out["bookings"] / out["quota"].where(out["quota"] > 0)
    return out


@dataclass
class PerformanceReview:
    """One rep's monthly review.

    Parameters
    ----------
    tables
        The rep's region (``salesops.load(source, "region:<their region>", period)``).
    period
        The month reviewed; ``latest`` works.
    rep_id
        The rep.
    """

    tables: Tables
    period: Period | str
    rep_id: str
    stages: Stages | None = None  # None: the source's stages (tables.stages)
    plan: comp.CompPlan = field(default_factory=comp.CompPlan.read)

    def __post_init__(self) -> None:
        self.stages = self.stages or Stages.of(self.tables)
        self.period = Period.parse(self.period, as_of=self.tables.as_of)
        reps = self.tables.reps
        if self.rep_id not in set(reps["rep_id"]):
            raise ValueError(f"rep {self.rep_id!r} is not in this source")
        self.rep = reps[reps["rep_id"] == self.rep_id].iloc[0]
        self.scope = Scope("rep", self.rep_id)
        self.region = str(self.rep["region"])
        o = self.tables.opportunities
        self.opps = o[o["owner_id"] == self.rep_id]
        self.as_of = min(self.tables.as_of or self.period.last_day, self.period.last_day)
        self.window = self.period.window(3)
        peers = active_reps(reps[reps["region"] == self.region], self.window)
        self._team = sorted({*peers["rep_id"], self.rep_id})
        self.previous_window = (self.window[0] - pd.DateOffset(months=3), self.window[0])

    @classmethod
    def load(
        cls,
        source: Any = None,
        period: str = "latest",
        scope: str | None = None,
        comp_plan: str | Path = comp.COMP_PLAN,
        on_invalid: str = "refuse",
    ) -> PerformanceReview:
        """Load the region of the rep in ``scope`` (``rep:<id>``) and build the review.

        Without a scope, the first active rep of the source (to try the notebook).
        ``comp_plan`` is the commission plan file (relative to the project root);
        ``on_invalid`` is ``refuse`` or ``quarantine`` (see :func:`salesops.load`).
        """
        from salesops.sources import open_source

        with open_source(source) as src:
            parsed = Scope.parse(scope or f"rep:{src.scopes('rep')[0]}")
            if parsed.level != "rep":
                raise ValueError(f"the performance review is for one rep (rep:<id>), not {scope!r}")
            region = src.rep_regions().get(str(parsed.value))
            if region is None:
                raise ValueError(f"rep {parsed.value!r} is not in this source")
            tables = src.load(f"region:{region}", period, on_invalid=on_invalid)
        return cls(tables, period, parsed.value, plan=comp.CompPlan.read(comp_plan))

    # -- what only the rep's rows make -------------------------------------------------------
    def _own(self, table: str, column: str) -> pd.DataFrame | None:
        frame = getattr(self.tables, table)
        return None if frame is None else frame[frame[column] == self.rep_id]

    def title(self) -> Markdown:
        """The heading: the rep's name, region and month."""
        return quarantine.titled(
            self.tables,
            f"## {self.rep['name']} · {self.region} · {self.period.label}"
            f" · data as of {self.as_of:%d %b %Y}",
        )

    def attainment(self) -> pd.DataFrame:
        """Bookings, quota and attainment for the month, quarter to date and year to date."""
        quotas = self._own("quotas", "rep_id")
        rows = {}
        windows = {
            "Month": (self.period.start, self.period.end),
            "Quarter to date": (self.period.quarter().start, self.period.end),
            "Year to date": (self.period.year().start, self.period.end),
        }
        for name, window in windows.items():
            booked = m.bookings(self.opps, window, stages=self.stages)
            quota = (
                np.nan
                if quotas is None
                else quotas.loc[
                    (quotas["month"] >= window[0]) & (quotas["month"] < window[1]), "amount"
                ].sum()
            )
            rows[name] = {
                "bookings": booked,
                "quota": quota,
                "attainment": booked / quota if quota and quota > 0 else np.nan,
            }
        return pd.DataFrame(rows).T

    def attainment_tiles(self) -> HTML | Markdown:
        """Attainment for the month, QTD and YTD as tiles."""
        note = coverage.lacking(self.tables, "Attainment", "opportunities.amount")
        if note is not None:
            return note
        tiles = []
        quotas = self.tables.has("quotas")
        for name, row in self.attainment().iterrows():
            value = fmt.pct(row["attainment"]) if quotas else fmt.money(row["bookings"])
            under = (
                f"{fmt.money(row['bookings'])} of {fmt.money(row['quota'])}"
                if quotas
                else "booked; attainment needs quotas"
            )
            tiles.append(Tile(str(name), value, under))
        return HTML(tiles_html(tiles))

    def trend_chart(self) -> Image | Markdown:
        """The rep's bookings against quota over 12 months."""
        trend = _trend(self.opps, self._own("quotas", "rep_id"), self.period, self.stages)
        note = coverage.lacking(self.tables, "The bookings trend", "opportunities.amount")
        if note is not None:
            return note
        against = " against quota" if self.tables.has("quotas") else " (no quotas in this source)"
        title = f"Bookings{against}, 12 months to {self.period.label}"
        return picture(plots.bookings_trend(trend, title), title)

    @memoized
    def _team_kpis(self) -> pd.DataFrame:
        """The KPIs of the rep and their peers over the last 3 months (never shown as is)."""
        return perf.rep_kpis(self.tables, self.window, self._team, self.stages)

    @memoized
    def comparison(self) -> pd.DataFrame:
        """KPIs over the last 3 months against the peer median, the 3 months before, and rank."""
        before = perf.rep_kpis(self.tables, self.previous_window, self._team, self.stages)
        return perf.peer_comparison(self.rep_id, self._team_kpis(), before)

    def comparison_table(self):
        """The comparison, formatted per KPI."""
        frame = self.comparison()
        shown = pd.DataFrame(
            {
                "You": [
                    fmt.FORMATTERS[k](v) for k, v in zip(frame["kind"], frame["rep"], strict=True)
                ],
                "Peer median": [
                    fmt.FORMATTERS[k](v)
                    for k, v in zip(frame["kind"], frame["peer_median"], strict=True)
                ],
                "You, 3 months before": [
                    fmt.FORMATTERS[k](v)
                    for k, v in zip(frame["kind"], frame["previous"], strict=True)
                ],
                "Percentile among peers": [fmt.number(v) for v in frame["percentile"]],
            },
            index=frame.index,
        )
        peers = int(frame["peers"].max()) if len(frame) else 0
        gone, said = coverage.not_shown(self.tables, {k.label: k.needs for k in perf.KPIS.values()})
        shown = shown.drop(index=[label for label in gone if label in shown.index])
        caption = (
            f"The last 3 months against {peers} peers in {self.region} "
            "(percentile 100 = best; peers are not named)" + (f". {said}" if said else "")
        )
        return fmt.table(shown, {}, caption)

    def peer_chart(self) -> Image | Markdown:
        """Where the rep's attainment sits in the region's distribution (peers unlabelled)."""
        note = coverage.lacking(self.tables, "Attainment among peers", "quotas")
        if note is not None:
            return note
        now = self._team_kpis()["attainment"]
        mine = now.get(self.rep_id, np.nan)
        peers = now.drop(index=self.rep_id, errors="ignore").dropna().to_numpy()
        title = f"Quota attainment, last 3 months: you against {len(peers)} peers"
        return picture(plots.distribution(peers, mine, title), title)

    def activity(self):
        """The rep's activity mix in the last 3 months."""
        acts = self._own("activities", "rep_id")
        if acts is None:
            return coverage.lacking(self.tables, "Activity", "activities")
        mix = m.activity_mix(acts, self.window)
        return fmt.table(mix, {"minutes": "number", "share": "pct"}, "Activity mix, last 3 months")

    def pipeline(self, top: int = 10):
        """The rep's open pipeline by stage and the top deals with their win probability."""
        history = self._own_history()
        model = (
            WinModel.fit(
                self.tables.opportunity_history,
                self.tables.opportunities,
                self.as_of,
                stages=self.stages,
            )
            if self.tables.opportunity_history is not None
            else None
        )
        state = (
            self.opps
            if history is None
            else pl.snapshot(history, self.as_of + pd.Timedelta(days=1), self.opps)
        )
        open_ = state[state["stage"].isin(self.stages.open_names)].copy()
        if model is not None:
            open_["win_probability"] = model.predict(open_, self.as_of)
            label = "calibrated win probability"
        else:
            open_["win_probability"] = self.stages.probability_of(open_["stage"])
            label = "stage probability"
        open_["expected"] = open_["amount"].fillna(0) * open_["win_probability"]
        by_stage = pl.pipeline(open_, by="stage", stages=self.stages).reindex(
            self.stages.open_names
        )
        deals = open_.sort_values("expected", ascending=False).head(top)
        deals = deals.assign(close_date=deals["close_date"].dt.strftime("%Y-%m-%d"))
        columns = ["opportunity_id", "stage", "close_date", "amount", "win_probability", "expected"]
        return (
            fmt.table(
                by_stage.fillna(0),
                {"deals": "number", "amount": "money", "weighted": "money"},
                "Open pipeline by stage",
            ),
            fmt.table(
                deals[columns].set_index("opportunity_id"),
                {"amount": "money", "win_probability": "pct", "expected": "money"},
                f"Top {top} open deals by expected value ({label})",
            ),
        )

    def _own_history(self) -> pd.DataFrame | None:
        h = self.tables.opportunity_history
        return None if h is None else h[h["opportunity_id"].isin(self.opps["opportunity_id"])]

    def cleanup(self, top: int = 10):
        """The rep's slipped deals this month and stale deals to clean up."""
        history = self._own_history()
        stale = (
            self._stale()
            .head(top)
            .assign(close_date=lambda f: f["close_date"].dt.strftime("%Y-%m-%d"))
        )
        columns = [
            "opportunity_id",
            "stage",
            "amount",
            "close_date",
            "days_past_close",
            "days_since_change",
        ]
        shown = stale[columns].set_index("opportunity_id")
        shown.columns = ["stage", "amount", "close date", "days overdue", "days idle"]
        caption = f"Stale deals to clean up ({len(stale)} shown)"
        if history is None:  # idleness needs the stage history; age is not idleness
            shown = shown.drop(columns="days idle")
            caption = (
                f"Open deals past their close date ({len(stale)} shown; idle deals need "
                "the `opportunity_history` table, which this source does not have)"
            )
        tables: list[Any] = [
            fmt.table(
                shown, {"amount": "money", "days overdue": "number", "days idle": "number"}, caption
            )
        ]
        if stale.empty:
            said = "*No open deal is past its close date or idle.*"
            if history is None:
                idle = coverage.sentence("Finding idle deals", ["opportunity_history"])
                said = f"*No open deal is past its close date. {idle}*"
            tables = [Markdown(said)]
        if history is not None:
            slipped = pl.slippage(history, self.period, self.stages)
            if len(slipped):
                tables.append(
                    fmt.table(
                        slipped.head(top),
                        {"pushes": "number", "days_pushed": "number", "amount": "money"},
                        f"Deals whose close date was pushed in {self.period.label}",
                    )
                )
        return tuple(tables)

    @memoized
    def _stale(self) -> pd.DataFrame:
        """The rep's open deals that need cleaning up at the end of the month."""
        return pl.stale_deals(
            self.opps, self.period.last_day, self._own_history(), stages=self.stages
        )

    @memoized
    def _precision(self) -> pd.DataFrame | None:
        """The rep's commit forecasts of the last 6 months against bookings (None: none)."""
        subs = self._own("forecast_submissions", "owner_id")
        if subs is None or subs.empty:
            return None
        labels = {p.label for p in self.period.trailing_months(6)}
        return m.forecast_precision(
            subs[subs["period"].isin(labels)], self.opps, stages=self.stages
        )

    def forecast_precision(self):
        """The precision of the rep's own commit submissions over the last 6 months."""
        note = coverage.lacking(self.tables, "Forecast precision", "forecast_submissions")
        if note is not None:
            return note
        prec = self._precision()
        if prec is None:
            return Markdown("*You submitted no forecast in the last 6 months.*")
        table = prec.set_index("period")[["forecast", "actual", "error", "accuracy"]].sort_index()
        summary = m.precision_summary(prec)
        return fmt.table(
            table,
            {"forecast": "money", "actual": "money", "error": "money", "accuracy": "pct"},
            f"Your commit forecasts · WAPE {fmt.pct(summary['wape'])}, "
            f"bias {fmt.change(summary['bias'])} (> 0: over-forecast)",
        )

    def _bias(self) -> float:
        prec = self._precision()
        return (
            float(m.precision_summary(prec)["bias"]) if prec is not None and len(prec) else np.nan
        )

    @memoized
    def statement(self) -> comp.Statement:
        """The commission statement for the month under ``parameters/comp_plan.yml``."""
        return comp.statement(
            self.plan,
            self.rep,
            self.tables.opportunities,
            self.tables.quotas,
            self.period,
            self.stages.won,
        )

    def statement_tables(self):
        """The statement: commission per tier, the true-up period's months, and the total."""
        note = coverage.lacking(
            self.tables, "The commission statement", "quotas", "opportunities.amount"
        )
        if note is not None:
            return (note,)
        try:
            st = self.statement()
        except DataError as exc:
            rules = "\n".join(f"- {failure}" for failure in exc.failures)
            return (Markdown(f"No commission statement: the plan cannot be applied.\n\n{rules}"),)
        tiers = st.tiers.reset_index().set_index("band")
        months = st.months.copy()
        caption = (
            f"Payable for {self.period.label}: {fmt.money(st.payable)} "
            f"= commission {fmt.money(st.commission)} + true-up {fmt.money(st.true_up)}"
        )
        return (
            fmt.table(
                tiers[["tier", "rate", "bookings", "commission"]],
                {"rate": "pct", "bookings": "money", "commission": "money"},
                f"Commission for {self.period.label} by tier",
            ),
            fmt.table(
                months,
                {"bookings": "money", "quota": "money", "attainment": "pct", "commission": "money"},
                caption,
            ),
        )

    def coaching(self):
        """Coaching flags, each with the numbers that triggered it."""
        cohort = (self.period.end - pd.DateOffset(months=12), self.period.end)
        conversion = pd.DataFrame(columns=["rep", "peer_median"], dtype=float)
        if self.tables.has("opportunity_history"):  # how far a lost deal got needs history
            conv = perf.conversion_by_rep(self.tables, cohort, self._team, self.stages)
            conversion = pd.DataFrame(
                {
                    "rep": conv.get(self.rep_id, np.nan),
                    "peer_median": conv.drop(columns=[self.rep_id], errors="ignore").median(axis=1),
                }
            ).iloc[1:]  # the first stage has no stage before it
        flags = perf.coaching_flags(self.comparison(), conversion, self._bias(), len(self._stale()))
        if flags.empty:
            return Markdown("*No coaching flags this month.*")
        return fmt.table(flags.set_index("flag"), {}, "Coaching flags")

    def summary(self) -> dict[str, Any]:
        """The rep's headline numbers (no peer ids) as JSON-ready values."""
        att = self.attainment()
        try:
            payable = self.statement().payable
        except DataError:
            payable = np.nan
        return {
            "report": "performance_review",
            "scope": str(self.scope),
            "period": self.period.label,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "attainment": {k: plain(v) for k, v in att["attainment"].items()},
            "bookings": {k: plain(v) for k, v in att["bookings"].items()},
            "payable": plain(payable),
            "percentiles": {k: plain(v) for k, v in self.comparison()["percentile"].items()},
        }
