"""The metrics report: each section of ``notebooks/metrics.ipynb`` as one call.

A :class:`MetricsReport` holds the loaded tables, the period and the scope, and turns
the metric functions into what a reader sees: KPI tiles, styled tables and charts.
It computes; it neither reads nor writes (``write_summary`` writes the JSON summary).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Image, Markdown

from salesops import coverage, plots, quarantine
from salesops import formatting as fmt
from salesops import metrics as m
from salesops import pipeline as pl
from salesops.model import Tables
from salesops.periods import Period
from salesops.project import settings
from salesops.reports.display import Tile, formatted, memoized, picture, plain, tiles_html, tone
from salesops.scopes import Scope
from salesops.stages import Stages

LOWER_IS_BETTER = {"Sales cycle (median)", "Lead response (median)"}  # a fall is good news
# What each headline KPI needs beyond deals (see salesops.coverage).
KPI_NEEDS = {
    "Bookings": ("opportunities.amount",),
    "Quota attainment": ("quotas", "opportunities.amount"),
    "Average deal size": ("opportunities.amount",),
    "Open pipeline, next period": ("opportunities.amount",),
    "Pipeline coverage": ("quotas", "opportunities.amount"),
    "Lead response (median)": ("leads.first_response_at",),
}
RESPONSE_COLUMNS = ["median_hours", "p90_hours", "within_1h", "within_24h", "never"]
BREAKDOWN_FORMATS = {
    "bookings": "money",
    "won": "number",
    "win_rate": "pct",
    "average_deal_size": "money",
    "cycle_days": "days",
    "open_pipeline": "money",
}


@dataclass
class MetricsReport:
    """The metrics of one scope for one period.

    Parameters
    ----------
    tables
        Tables loaded for the scope (``salesops.load``).
    period
        The period label or Period; ``latest`` is resolved with ``tables.as_of``.
    scope
        ``company`` or ``region:<name>``.
    """

    tables: Tables
    period: Period | str
    scope: Scope | str = "company"
    stages: Stages | None = None  # None: the source's stages (tables.stages)

    def __post_init__(self) -> None:
        self.stages = self.stages or Stages.of(self.tables)
        self.period = Period.parse(self.period, as_of=self.tables.as_of)
        self.scope = Scope.parse(self.scope)
        self.opps = self.tables.opportunities

    # -- helpers ------------------------------------------------------------------------
    def title(self) -> Markdown:
        """The report heading: scope, period and the data's as-of date."""
        who = "Company" if self.scope.level == "company" else f"{self.scope.value} region"
        as_of = (
            f" · data as of {self.tables.as_of:%d %b %Y}" if self.tables.as_of is not None else ""
        )
        return quarantine.titled(self.tables, f"## {who} · {self.period.label}{as_of}")

    def missing(self, section: str, *needs: str) -> Markdown | None:
        """The one line ``section`` shows when the source lacks what it ``needs``, else None
        (see :mod:`salesops.coverage`)."""
        return coverage.lacking(self.tables, section, *needs)

    def _pipeline_at(self, moment: pd.Timestamp, window: Period) -> float:
        history = self.tables.opportunity_history
        if history is None:
            return (
                pl.pipeline(self.opps, window, stages=self.stages)["amount"]
                if (moment >= self.period.end)
                else np.nan
            )
        return pl.pipeline_as_of(history, moment, window, stages=self.stages)["amount"]

    # -- KPIs ---------------------------------------------------------------------------
    @memoized
    def kpis(self) -> pd.DataFrame:
        """Headline KPIs with their change against the previous period and last year."""
        o, st, q = self.opps, self.stages, self.tables.quotas

        def attainment(p: Period) -> float:
            return (
                np.nan
                if q is None
                else m.quota_attainment(o, q, p, stages=st)["attainment"].iloc[0]
            )

        def pipeline_coverage(p: Period) -> float:
            if q is None:
                return np.nan
            nxt = p.shift(1)
            quota = q.loc[nxt.contains(q["month"]), "amount"].sum()
            return self._pipeline_at(p.end, nxt) / quota if quota > 0 else np.nan

        def response(p: Period) -> float:
            leads = self.tables.leads
            return np.nan if leads is None else m.lead_response(leads, p)["median_hours"]

        rows = {
            "Bookings": (lambda p: m.bookings(o, p, stages=st), "money"),
            "Quota attainment": (attainment, "pct"),
            "Win rate": (lambda p: m.win_rate(o, p, stages=st), "pct"),
            "Average deal size": (lambda p: m.average_deal_size(o, p, stages=st), "money"),
            "Sales cycle (median)": (
                lambda p: m.sales_cycle(o, p, stages=st)["median_days"],
                "days",
            ),
            "Open pipeline, next period": (lambda p: self._pipeline_at(p.end, p.shift(1)), "money"),
            "Pipeline coverage": (pipeline_coverage, "ratio"),
            "Lead response (median)": (response, "hours"),
        }
        out = []
        for name, (value, kind) in rows.items():
            g = m.growth(value, self.period)
            out.append({"kpi": name, "kind": kind, **g.to_dict()})
        return pd.DataFrame(out).set_index("kpi")

    def kpi_tiles(self) -> HTML:
        """The KPIs as tiles, each with its changes."""
        kpis = self.kpis()
        gone, said = coverage.not_shown(self.tables, {k: KPI_NEEDS.get(k, ()) for k in kpis.index})
        tiles = []
        for name, row in kpis.drop(index=gone).iterrows():
            changes = " · ".join(
                f"<span class='{tone(row[c], name in LOWER_IS_BETTER)}'>"
                f"{fmt.change(row[c])}</span> {label}"
                for c, label in (("vs_previous", "vs prev."), ("vs_last_year", "vs last yr"))
            )
            tiles.append(Tile(name, formatted(row["current"], row["kind"]), changes))
        note = f"<p><em>{escape(said.replace('`', ''))}</em></p>" if said else ""
        return HTML(tiles_html(tiles) + note)

    def summary(self) -> dict[str, Any]:
        """Headline numbers as plain JSON-ready values, for tests and roll-ups."""
        kpis = self.kpis()
        return {
            "report": "metrics",
            "scope": str(self.scope),
            "period": self.period.label,
            "as_of": None if self.tables.as_of is None else f"{self.tables.as_of:%Y-%m-%d}",
            "kpis": {
                name: {k: plain(row[k]) for k in ("current", "previous", "last_year")}
                for name, row in kpis.iterrows()
            },
            "deals": len(self.opps),
        }

    # -- sections -----------------------------------------------------------------------
    def trend(self, months: int = 13) -> pd.DataFrame:
        """Bookings and quota for each of the last ``months`` months."""
        trail = self.period.trailing_months(months)
        window = (trail[0].start, trail[-1].end)
        booked = m.bookings(self.opps, window, by="month", stages=self.stages)
        labels = [p.label for p in trail]
        out = pd.DataFrame(index=pd.Index(labels, name="month"))
        out["bookings"] = booked.reindex(labels).fillna(0.0)
        q = self.tables.quotas
        if q is not None:
            inside = (q["month"] >= window[0]) & (q["month"] < window[1])
            quota = q[inside].groupby(q["month"].dt.strftime("%Y-%m"))["amount"].sum()
            out["quota"] = quota.reindex(labels)
        else:
            out["quota"] = np.nan
        out["attainment"] = out["bookings"] / out["quota"].where(out["quota"] > 0)
        return out

    def trend_chart(self) -> Image | Markdown:
        """The 13-month bookings trend, against quota where the source has quotas."""
        note = self.missing("The bookings trend", "opportunities.amount")
        if note is not None:
            return note
        against = " against quota" if self.tables.has("quotas") else " (no quotas in this source)"
        title = f"Bookings{against}, 13 months to {self.period.label}"
        return picture(plots.bookings_trend(self.trend(), title), title)

    def pipeline_by_stage(self) -> pd.DataFrame:
        """Open pipeline by stage at the end of the period, raw and weighted."""
        history = self.tables.opportunity_history
        deals = self.opps if history is None else pl.snapshot(history, self.period.end)
        pipe = pl.pipeline(deals, by="stage", stages=self.stages)
        return pipe.reindex(self.stages.open_names).fillna(0).astype({"deals": int})

    def pipeline_chart(self) -> Image | Markdown:
        """Raw and weighted pipeline per stage (as exported when there is no history to go
        back to the period's end with)."""
        note = self.missing("Open pipeline by stage", "opportunities.amount")
        if note is not None:
            return note
        title = f"Open pipeline by stage at the end of {self.period.label}"
        if not self.tables.has("opportunity_history"):
            title = f"Open pipeline by stage as exported (data as of {self.tables.as_of:%d %b %Y})"
        return picture(plots.pipeline_by_stage(self.pipeline_by_stage(), title), title)

    def waterfall_window(self) -> Period:
        """The close-date window the waterfall follows: the period's quarter."""
        return self.period.quarter() if self.period.grain == "month" else self.period

    def waterfall(self) -> pd.DataFrame | None:
        """The pipeline waterfall for the period (None without history)."""
        history = self.tables.opportunity_history
        if history is None:
            return None
        return pl.waterfall(history, self.period, self.waterfall_window(), self.stages)

    def waterfall_chart(self) -> Image | Markdown:
        """The waterfall as a chart, or a note when there is no history."""
        w = self.waterfall()
        if w is None:
            return self.missing("The pipeline waterfall", "opportunity_history")
        window = self.waterfall_window().label
        return plots.waterfall(
            w["amount"], f"Pipeline closing in {window}: how it moved in {self.period.label}"
        )

    def funnel(self, months: int = 12) -> pd.DataFrame:
        """Stage conversion of the deals created in the ``months`` up to the period's end."""
        cohort = (self.period.end - pd.DateOffset(months=months), self.period.end)
        return pl.funnel(self.tables.opportunity_history, self.opps, cohort, self.stages)

    def funnel_chart(self) -> Image | Markdown:
        """The conversion funnel as a chart (it needs the stage history: a lost deal's
        current stage does not say how far it got)."""
        note = self.missing("Stage conversion", "opportunity_history")
        if note is not None:
            return note
        title = f"Stage conversion of deals created in the 12 months to {self.period.label}"
        return picture(plots.funnel(self.funnel(), title), title)

    def breakdown(self, by: str):
        """Bookings, win rate, deal size, cycle and open pipeline per ``by`` value."""
        note = self.missing(f"The breakdown by {by.replace('_', ' ')}", f"opportunities.{by}")
        if note is not None:
            return note
        p, st, o = self.period, self.stages, self.opps
        cycle = m.sales_cycle(o, p, by=by, stages=st)
        frame = pd.DataFrame(
            {
                "bookings": m.bookings(o, p, by=by, stages=st),
                "won": cycle["deals"] if "deals" in cycle else pd.Series(dtype=float),
                "win_rate": m.win_rate(o, p, by=by, stages=st),
                "average_deal_size": m.average_deal_size(o, p, by=by, stages=st),
                "cycle_days": cycle["median_days"]
                if "median_days" in cycle
                else pd.Series(dtype=float),
                "open_pipeline": pl.pipeline(o, by=by, stages=st)["amount"]
                if len(o)
                else pd.Series(dtype=float),
            }
        )
        frame = frame.sort_values("bookings", ascending=False).rename_axis(by.replace("_", " "))
        caption = None
        if not self.tables.has("opportunities.amount"):
            frame = frame.drop(columns=["bookings", "average_deal_size", "open_pipeline"])
            caption = coverage.sentence("Money columns", ["opportunities.amount"])
        return fmt.table(frame, BREAKDOWN_FORMATS, caption)

    def leads(self):
        """Lead response and conversion by lead source for the period."""
        leads = self.tables.leads
        note = self.missing("Lead response and conversion", "leads")
        if note is not None:
            return note
        stats = m.lead_response(leads, self.period, by="source")
        stats["conversion"] = m.lead_conversion(leads, self.period, by="source")
        overall = m.lead_response(leads, self.period)
        overall["conversion"] = m.lead_conversion(leads, self.period)
        stats.loc["All sources"] = overall
        said = []
        if not self.tables.has("leads.first_response_at"):
            stats = stats.drop(columns=RESPONSE_COLUMNS)
            said.append("response times need `leads.first_response_at`")
        if not self.tables.has("leads.converted_at"):
            stats = stats.drop(columns=["conversion"])
            said.append("conversion needs `leads.converted_at`")
        caption = None
        if said:
            caption = f"Leads by source ({'; '.join(said)}, which this source does not have)"
        return fmt.table(
            stats,
            {
                "leads": "number",
                "median_hours": "hours",
                "p90_hours": "hours",
                "within_1h": "pct",
                "within_24h": "pct",
                "never": "pct",
                "conversion": "pct",
            },
            caption,
        )

    def activity(self):
        """Time selling and minutes per activity kind in the period."""
        acts = self.tables.activities
        if acts is None:
            return self.missing("Activity", "activities")
        mix = m.activity_mix(acts, self.period)
        kinds = settings().selling_activity_kinds
        mix["selling"] = ["yes" if k in kinds else "" for k in mix.index]
        share = m.time_selling(acts, self.period)
        caption = (
            f"Time selling: {fmt.pct(share)} of {fmt.number(mix['minutes'].sum())} logged minutes"
        )
        return fmt.table(mix, {"minutes": "number", "share": "pct"}, caption)

    def forecast_precision(self, months: int = 6):
        """Commit forecasts against bookings per rep over the last ``months`` months."""
        subs = self.tables.forecast_submissions
        if subs is None:
            return self.missing("Forecast precision", "forecast_submissions")
        labels = {p.label for p in self.period.trailing_months(months)}
        prec = m.forecast_precision(
            subs[subs["period"].isin(labels)], self.opps, stages=self.stages
        )
        by_period = m.precision_summary(prec, by="period")
        by_period.loc["All"] = m.precision_summary(prec)
        return fmt.table(
            by_period,
            {
                "forecasts": "number",
                "accuracy": "pct",
                "mape": "pct",
                "wape": "pct",
                "bias": "change",
            },
            "Commit forecast precision (bias > 0: over-forecast, < 0: sandbagged)",
        )

    def data_quality(self, top: int = 10):
        """Stale deals and missing amounts at the end of the period."""
        as_of = self.period.last_day
        stale = pl.stale_deals(
            self.opps, as_of, self.tables.opportunity_history, stages=self.stages
        )
        open_ = self.opps[self.opps["stage"].isin(self.stages.open_names)]
        rows = {"Open deals past their close date": int((stale["days_past_close"] > 0).sum())}
        if self.tables.has("opportunity_history"):  # idleness needs the stage history
            rows = {"Stale open deals": len(stale), **rows}
        if self.tables.has("opportunities.amount"):
            rows["Open deals without an amount"] = int(open_["amount"].isna().sum())
        for column, (count, rule) in self.tables.filled.items():
            rows[f"Filled {column} ({rule})"] = count
        for table, frame in self.tables.set_aside.items():
            rows[f"Rows of {table} set aside (see quarantine/{table}.csv)"] = len(frame)
        counts = pd.DataFrame({"rows": list(rows.values())}, index=list(rows))
        caption = "Data quality"
        if not self.tables.has("opportunity_history"):
            caption += " (" + coverage.sentence("Counting idle deals", ["opportunity_history"])
            caption = caption.rstrip(".") + ")"
        columns = [
            "opportunity_id",
            "owner_id",
            "stage",
            "amount",
            "close_date",
            "days_past_close",
            "days_since_change",
            "reason",
        ]
        if not self.tables.has("opportunity_history"):
            columns.remove("days_since_change")  # without history it would be the deal's age
        worst = stale[columns].head(top).set_index("opportunity_id")
        worst["close_date"] = worst["close_date"].dt.strftime("%Y-%m-%d")
        return (
            fmt.table(counts, {"rows": "number"}, caption),
            fmt.table(
                worst,
                {"amount": "money", "days_past_close": "number", "days_since_change": "number"},
                f"The {top} most overdue open deals",
            ),
        )
