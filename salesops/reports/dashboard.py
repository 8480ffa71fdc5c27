"""The manager dashboard (``notebooks/dashboard.ipynb``, served by ``salesops serve``).

One :class:`Dashboard` holds the tables of its scope and a few things computed once
(calibrated win probabilities, the coherent forecasts, a pipeline snapshot per month).
Its ipywidgets views (KPI tiles, trend, pipeline, forecast, leaderboard, top deals)
are built once and updated in place when a selector changes: nothing re-runs the
notebook. Tiles update first; charts follow.

Scope lock: when the server is started with ``--scope region:<name>`` it sets
``SALESOPS_SCOPE`` for its kernels. The dashboard then loads that region's rows only,
so no selector value can reach another region's data, and :meth:`Dashboard.select`
refuses any other region. The dashboard never reads the page's query string.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from html import escape
from textwrap import fill
from typing import Any, Final

import numpy as np
import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import forecast as fc
from salesops.analytics import gaps, outlook, runrate
from salesops.analytics import metrics as m
from salesops.analytics import pipeline as pl
from salesops.config import Settings
from salesops.data.activity import ACTIVE_MONTHS, active_in, active_reps
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.scopes import Scope
from salesops.data.stages import Stages
from salesops.reports import formatting as fmt
from salesops.reports import labels, plots, shared, trend
from salesops.reports.context import invented_dates
from salesops.reports.display import Tile, png, tiles_html
from salesops.reports.leaderboard import leaderboard as leaderboard  # the widgets' views
from salesops.reports.leaderboard import rep_share, win_rate
from salesops.reports.leaderboard import top_deals as top_deals

LOCK_ENV = "SALESOPS_SCOPE"
TABLES_READ = ("opportunities", "reps", "opportunity_history", "quotas")  # no leads, activities


class Everyone(Enum):
    """The selection of everyone: all the regions (the company), or all of a region's
    reps. Not a string, so a region or a rep named "All" is never taken for it; it reads
    "All regions" or "All reps" (:data:`ALL_REGIONS`, :data:`ALL_REPS`)."""

    ALL = "all"


ALL: Final = Everyone.ALL  # the one marker: compare with `is`
ALL_REGIONS, ALL_REPS = "All regions", "All reps"  # what the selectors show for it
# The tiles, with their titles; their kinds are LABELS' (salesops.reports.labels).
TILES = {
    "bookings": "Bookings",
    "attainment": "Quota attainment",
    "win_rate": "Win rate",
    "pipeline": "Open pipeline",
    "coverage": "Coverage, next quarter",
    "quarter_forecast": "Quarter forecast",
}
TILE_KINDS = labels.kinds(TILES, {"pipeline": "money", "quarter_forecast": "money"})


@dataclass(frozen=True)
class Selection:
    """What the dashboard shows: a month, a region (or all) and a rep (or all)."""

    period: str
    region: str | Everyone = ALL
    rep: str | Everyone = ALL

    @property
    def label(self) -> str:
        """Who is selected, for the tiles' ``data-selection``: the rep, else the region,
        else "All regions"."""
        who = self.rep if self.rep is not ALL else self.region
        return ALL_REGIONS if who is ALL else str(who)


class Dashboard:
    """Sales KPIs, trend, pipeline, forecast, leaderboard and top deals for a selection.

    Parameters
    ----------
    tables
        The tables of the dashboard's scope (the company, or the locked region).
    period
        The month shown first; ``latest`` works.
    lock
        ``region:<name>`` to lock the dashboard to one region, or None.
    stages, settings
        The source's stages (those ``tables`` were loaded with, by default) and the
        company's settings (fiscal year, currency; the defaults of
        :class:`~salesops.config.Settings` when not given): :meth:`load` reads them.
    """

    def __init__(
        self,
        tables: Tables,
        period: Period | str = "latest",
        lock: Scope | str | None = None,
        stages: Stages | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        self.tables = tables
        self.settings = settings or Settings.from_dict({})  # the company's: load reads them
        self.stages = stages or Stages.of(tables)
        self.against = " against quota" if tables.has("quotas") else " (no quotas in this source)"
        self.lock = Scope.parse(lock) if lock else None
        if self.lock is not None and self.lock.level != "region":
            raise ValueError("a dashboard can be locked to a region (region:<name>) only")
        self.as_of = tables.as_of
        latest = self.period("latest")
        self.periods = [p.label for p in reversed(latest.trailing_months(12))]
        opps = tables.opportunities
        self.regions = [self.lock.value] if self.lock else self._active_regions(latest)
        history = tables.opportunity_history
        self.win_model = (
            shared.win_model(history, opps, self.as_of, stages=self.stages)
            if history is not None
            else None
        )
        self._forecasts = self._coherent_forecasts(latest)
        self._states: dict[str, pd.DataFrame] = {}
        self._shares: dict[tuple[object, ...], float] = {}
        first = self.period(period).label
        self.selection = Selection(first if first in self.periods else self.periods[0])
        self.on_change: Callable[[], None] | None = None  # the widgets' refresh, once shown

    @classmethod
    def load(
        cls, source: Any = None, period: str = "latest", scope: str | None = None
    ) -> Dashboard:
        """Load the dashboard's data. The server's lock (``SALESOPS_SCOPE``) wins over ``scope``."""
        from salesops.config import settings
        from salesops.data.sources import load

        lock = os.environ.get(LOCK_ENV) or scope
        lock = None if not lock or lock == "company" else lock
        source = source if source is not None else os.environ.get("SALESOPS_SOURCE")
        tables = load(source, lock or "company", tables=TABLES_READ)
        return cls(tables, period, lock, settings=settings())  # read here, at the edge

    def period(self, text: Period | str) -> Period:
        """A period label (``latest`` works) in the company's fiscal calendar."""
        return Period.parse(
            text, as_of=self.as_of, fiscal_year_start_month=self.settings.fiscal_year_start_month
        )

    # -- data for a selection -------------------------------------------------------------
    def _coherent_forecasts(self, latest: Period) -> dict[str | Everyone, fc.Forecast]:
        """The company's and each region's forecast, reconciled (a locked region: its own)."""
        opps = self.tables.opportunities
        if self.lock is not None:
            series = booked.monthly(opps, latest, stages=self.stages)
            return {self.lock.key: fc.forecast(series, 12)}
        company, regions = shared.forecasts(opps, latest, 12, self.stages)
        everyone: dict[str | Everyone, fc.Forecast] = {ALL: company}
        return everyone | dict(regions)

    def _active_regions(self, latest: Period) -> list[str]:
        """The regions with a deal active in the 12 months to the latest month
        (:data:`~salesops.data.activity.ACTIVE_MONTHS`, the rule of `salesops run`'s
        ``region:*``), sorted: a region whose deals are all older has nothing to pick."""
        window = latest.window(ACTIVE_MONTHS)
        opps, open_names = self.tables.opportunities, self.stages.open_names
        return sorted(active_in(opps, window, open_names, "region"))

    def reps(self, region: str | Everyone = ALL) -> pd.DataFrame:
        """Active reps of ``region`` (or of the dashboard's scope) who owned a deal active
        in the 12 months to the latest month (:data:`~salesops.data.activity.ACTIVE_MONTHS`,
        the rule of `salesops run`'s ``rep:*``), by name: a person without deals has
        nothing to pick."""
        o, window = self.tables.opportunities, self.period("latest").window(ACTIVE_MONTHS)
        reps = active_reps(self.tables.reps)
        reps = reps[reps["rep_id"].astype(str).isin(active_in(o, window, self.stages.open_names))]
        if region is not ALL:
            reps = reps[reps["region"] == region]
        return reps.sort_values("name")

    def select(
        self,
        period: str | None = None,
        region: str | Everyone | None = None,
        rep: str | Everyone | None = None,
    ) -> Selection:
        """Change the selection (checked) and update the views in place; :data:`ALL` for
        every region or rep, None to keep it.

        Raises PermissionError for a region outside a locked dashboard, ValueError for an
        unknown period, region or rep.
        """
        new = self.selection
        if period is not None:
            if period not in self.periods:
                raise ValueError(f"period {period!r} is not one of {self.periods}")
            new = replace(new, period=period)
        if region is not None and region != new.region:
            if self.lock is not None and region not in (ALL, self.lock.value):
                raise PermissionError(f"this dashboard is locked to {self.lock}")
            if region is not ALL and region not in self.regions:
                raise ValueError(f"region {region!r} is not one of {self.regions}")
            new = replace(new, region=region, rep=ALL)
        if rep is not None:
            if rep is not ALL and rep not in set(self.reps(new.region)["rep_id"]):
                raise ValueError(f"rep {rep!r} is not an active rep of {new.region}")
            new = replace(new, rep=rep)
        self.selection = new
        if self.on_change is not None:
            self.on_change()
        return new

    def mask(self, frame: pd.DataFrame, owner: str = "owner_id") -> pd.Series:
        """Rows of ``frame`` in the current selection (by region, then by rep)."""
        s = self.selection
        keep = pd.Series(True, index=frame.index)
        if s.rep is not ALL:
            return frame[owner] == s.rep
        if s.region is not ALL:
            if "region" in frame:
                keep &= frame["region"] == s.region
            else:
                keep &= frame[owner].isin(self.reps(s.region)["rep_id"])
        return keep

    def state(self, period: Period) -> pd.DataFrame:
        """Every deal open at the end of ``period``, as it stood then (the outlook's rule,
        :func:`salesops.analytics.outlook.open_at`), with its win probability."""
        if period.label not in self._states:
            opps, history = self.tables.opportunities, self.tables.opportunity_history
            state = outlook.open_at(opps, period.last_day, self.stages, history=history).copy()
            state["probability"] = (
                self.win_model.predict(state, period.last_day)
                if self.win_model is not None
                else self.stages.probability_of(state["stage"])
            )
            self._states[period.label] = state
        return self._states[period.label]

    def share(self, quarter: Period, day: pd.Timestamp) -> float:
        """The in-quarter share of the selection's own deals (as the forecast report of
        a region measures it on the region's deals)."""
        s = self.selection
        key = (quarter.label, day, s.region, s.rep)  # ALL is no name: never a region's
        if key not in self._shares:
            opps = self.tables.opportunities[self.mask(self.tables.opportunities)]
            history = self.tables.opportunity_history
            if history is not None:
                history = history[history["opportunity_id"].isin(opps["opportunity_id"])]
            self._shares[key] = outlook.in_quarter_share(
                history, opps, quarter, day, stages=self.stages
            )
        return self._shares[key]

    def quota(self, window: Period) -> float:
        q = self.tables.quotas
        if q is None:
            return np.nan
        rows = q[self.mask(q, "rep_id") & window.contains(q["month"])]
        return float(rows["amount"].sum()) if len(rows) else np.nan

    def forecast(self) -> fc.Forecast:
        """The selection's bookings forecast (as of the data's latest month).

        Company and regions: the reconciled forecasts. A rep: the region's forecast
        × the rep's share of the region's bookings over the last 12 months among its
        active reps (top-down by historical proportions, so reps add up to the region;
        :func:`salesops.reports.leaderboard.rep_share`). An unknown share (a seller's
        bookings unknown, or nobody booked) makes the rep's forecast unknown, its
        :attr:`~salesops.analytics.forecast.Forecast.unknown` saying why, never $0.
        """
        s = self.selection
        region = s.region if s.region is not ALL or self.lock is None else self.lock.key
        base = self._forecasts[region]
        if s.rep is ALL:
            return base
        latest = self.period(self.periods[0])
        window = (latest.end - pd.DateOffset(months=12), latest.end)
        team = pd.Index(self.reps(region)["rep_id"])
        part = rep_share(self.tables.opportunities, window, team, s.rep, stages=self.stages)
        if gaps.why(part):
            unknown = np.full(len(base.mean), np.nan)
            return replace(base.with_mean(unknown), notes=[str(gaps.why(part))])
        return base.shifted(base.mean.to_numpy() * (part - 1))


def kpis(dash: Dashboard) -> dict[str, float]:
    """The tiles' numbers for the current selection (see ``docs/dashboard.md``)."""
    period = dash.period(dash.selection.period)
    opps = dash.tables.opportunities[dash.mask(dash.tables.opportunities)]
    state = dash.state(period)
    state = state[dash.mask(state)]
    booked = m.bookings(opps, period, stages=dash.stages)
    quota = dash.quota(period)
    quarter = Period.holding(period.end, period.fiscal_year_start_month).quarter()
    due = outlook.due_in(state, quarter, period.last_day, dash.stages)
    next_quota = dash.quota(quarter)
    closed = outlook.closed_to_date(opps, quarter, period.last_day, stages=dash.stages)
    # sums over the deals with an amount; unknown (with why) when none has one, not $0
    due_in = f" due in {quarter.label}"
    weighted = outlook.weighted_pipeline(due, due["probability"], quarter, state)
    share = dash.share(quarter, period.last_day)
    run = runrate.run_rate(opps, quarter, period.last_day, stages=dash.stages)
    pipe_next = gaps.total(state.loc[quarter.contains(state["close_date"]), "amount"], where=due_in)
    coverage = np.nan if not (next_quota and next_quota > 0) else pipe_next / next_quota
    return {
        "bookings": booked,
        "quota": quota,
        "attainment": booked if gaps.why(booked) else booked / quota if quota > 0 else np.nan,
        "win_rate": win_rate(dash, opps, period),
        "pipeline": gaps.total(state["amount"]),
        "coverage": pipe_next if gaps.why(pipe_next) else coverage,
        "quarter_forecast": outlook.expected(closed, weighted, share, run),
    }


def invented(dash: Dashboard) -> dict[str, str]:
    """The notes of the tiles that rest on close dates a default invented, by the metrics
    report's rule (:func:`salesops.reports.context.invented_dates`): the open pipeline,
    of the deals open at the month's end only because such a date falls after it (they
    closed later, with no stage history row before it), and the coverage, of the deals
    due in the next quarter by such a date (:func:`~salesops.analytics.pipeline.by_invented_dates`:
    where a stage history row gives the date, it is the CRM's)."""
    ids, opps = dash.tables.filled_ids.get("opportunities.close_date"), dash.tables.opportunities
    if not ids:
        return {}
    period = dash.period(dash.selection.period)
    quarter = Period.holding(period.end, period.fiscal_year_start_month).quarter()
    state = dash.state(period)
    state = state[dash.mask(state)]
    closed = opps.loc[opps["stage"].isin(dash.stages.closed_names), "opportunity_id"]
    rest = {
        "pipeline": state[state["opportunity_id"].isin(closed)],
        "coverage": state[quarter.contains(state["close_date"])],
    }
    money = functools.partial(fmt.money, currency=dash.settings.currency)
    said = {
        k: invented_dates(dash.tables, pl.by_invented_dates(d, opps, ids), money)
        for k, d in rest.items()
    }
    return {key: note for key, note in said.items() if note}


def tiles(dash: Dashboard) -> str:
    """The KPI tiles; each carries ``data-kpi`` and ``data-value`` for machines, and the
    note of a figure resting on invented close dates (:func:`invented`)."""
    values, notes = kpis(dash), invented(dash)
    tiles = []
    currency = dash.settings.currency
    kinds = fmt.formatters(currency)
    for key, label in TILES.items():
        value = values[key]
        quota = fmt.money(values["quota"], currency=currency)
        extra = f"of {quota} quota" if key == "bookings" else ""
        extra = gaps.why(value) or extra  # "–", and why
        extra = f"{extra}; {notes[key]}" if extra and key in notes else notes.get(key, extra)
        raw = "" if pd.isna(value) else f"{value:.6f}"
        shown = kinds[TILE_KINDS[key]](value)
        tiles.append(Tile(label, shown, escape(extra), {"kpi": key, "value": raw}))
    s = dash.selection
    return tiles_html(tiles, {"selection": f"{s.label}|{s.period}"})


def pipeline_by_stage(dash: Dashboard) -> pd.DataFrame:
    """The selection's open pipeline by stage at the end of its month
    (:func:`salesops.analytics.pipeline.by_stage`): $0 for a stage without an open deal,
    unknown (NaN: no bar, "–", named in the chart's title) for one whose open deals all
    lack an amount, never a $0 bar."""
    state = dash.state(dash.period(dash.selection.period))
    return pl.by_stage(state[dash.mask(state)], dash.stages.with_unknown_open())


def charts(dash: Dashboard) -> dict[str, bytes]:
    """Trend, pipeline by stage and forecast for the selection, as PNG bytes."""
    period = dash.period(dash.selection.period)
    opps = dash.tables.opportunities[dash.mask(dash.tables.opportunities)]
    start = gaps.bookings_start(dash.tables.opportunities, dash.stages)
    quotas = dash.tables.quotas
    if quotas is not None:
        quotas = quotas[dash.mask(quotas, "rep_id")]
    trail = trend.months(period, 13, start)
    booked = trend.table(opps, quotas, trail, stages=dash.stages)
    pipe = pipeline_by_stage(dash)
    said = gaps.left_out(pipe["unpriced"].sum(), pipe["deals"].sum())  # "" when none
    heading = f"Open pipeline at the end of {period.label}" + (f". {said}" if said else "")
    forecast = dash.forecast()
    table = forecast.frame()
    title = "Bookings forecast, 12 months"
    if forecast.unknown:  # no line to draw: the title says why
        title = fill(f"{title}: unknown, {forecast.unknown}", 100)
    for frame in (booked, pipe, table):  # money in the company's currency
        fmt.in_currency(frame, dash.settings.currency)
    return {
        "trend": png(plots.bookings_trend(booked, f"Bookings{dash.against}, {len(trail)} months")),
        "pipeline": png(plots.pipeline_by_stage(pipe, heading)),
        "forecast": png(plots.forecast(forecast.history.iloc[-24:], table, title)),
    }
