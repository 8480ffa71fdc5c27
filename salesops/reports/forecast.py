"""The forecast report: each section of ``notebooks/forecast.ipynb`` as one call.

The report reads the whole company's data even for a region: the region's forecast is
the reconciled one, so that the regions always add up to the company.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Image, Markdown

from salesops import forecast as fc
from salesops import formatting as fmt
from salesops import outlook, plots, probability, quarantine
from salesops.backtest import Backtest, backtest
from salesops.model import Tables
from salesops.periods import Period
from salesops.project import cached
from salesops.reports.display import memoized, picture, plain
from salesops.scopes import Scope
from salesops.stages import Stages

NO_HISTORY = Markdown(
    "*Win-probability calibration needs the stage history (`opportunity_history`), "
    "which this source does not have.*"
)
OUTLOOK_FORMATS = dict.fromkeys(
    [
        "closed",
        "weighted_pipeline",
        "run_rate",
        "expected",
        "time_series",
        "quota",
        "commit",
        "best_case",
        "pipeline",
        "submitted_commit",
        "submitted_best_case",
    ],
    "money",
) | {"expected_attainment": "pct", "open_deals": "number", "in_quarter_share": "pct"}


FAMILY_LABELS = {
    "forecast": "Forecast (mean of three)",
    "ets": "Exponential smoothing",
    "arima": "ARIMA",
    "theta": "Theta",
    "seasonal naive": "Seasonal naive",
}
MEMBER_LABELS = {"form": "Form", "sigma_1": "Standard error, one month ahead"}


@dataclass
class ForecastReport:
    """The bookings forecast of one scope, seen at the end of ``period``.

    Parameters
    ----------
    tables
        The company's tables (``salesops.load(source, "company", period)``).
    period
        The last complete month the forecast starts after; ``latest`` works.
    scope
        ``company`` or ``region:<name>``.
    horizon
        Months to forecast.
    """

    tables: Tables
    period: Period | str
    scope: Scope | str = "company"
    horizon: int = 12
    stages: Stages | None = None  # None: the source's stages (tables.stages)

    def __post_init__(self) -> None:
        self.stages = self.stages or Stages.of(self.tables)
        self.period = Period.parse(self.period, as_of=self.tables.as_of)
        self.scope = Scope.parse(self.scope)
        if self.scope.level == "rep":
            raise ValueError("the forecast report is for the company or a region")
        self.as_of = min(self.tables.as_of or self.period.last_day, self.period.last_day)
        opps = self.tables.opportunities
        self.company, self.regions = fc.company_and_regions(
            opps, self.period, self.horizon, self.stages
        )
        if self.scope.level == "region":
            if self.scope.value not in self.regions:
                raise ValueError(f"region {self.scope.value!r} has no bookings in this source")
            self.forecast = self.regions[self.scope.value]
            self.opps = opps[opps["region"] == self.scope.value]
            history = self.tables.opportunity_history
            self.history = (
                None
                if history is None
                else history[history["opportunity_id"].isin(self.opps["opportunity_id"])]
            )
            reps = self.tables.reps
            self.reps = reps[reps["region"] == self.scope.value]
        else:
            self.forecast, self.opps, self.reps = self.company, opps, self.tables.reps
            self.history = self.tables.opportunity_history
        self.win_model = probability.WinModel.fit(
            self.tables.opportunity_history, opps, self.as_of, stages=self.stages
        )

    @classmethod
    def load(
        cls,
        source: Any = None,
        period: str = "latest",
        scope: str = "company",
        horizon: int = 12,
        on_invalid: str = "refuse",
    ) -> ForecastReport:
        """Load the company's tables from ``source`` and build the report (``on_invalid``
        as in :func:`salesops.load`)."""
        from salesops.sources import load

        return cls(load(source, "company", period, on_invalid=on_invalid), period, scope, horizon)

    # -- sections -----------------------------------------------------------------------
    @property
    def who(self) -> str:
        return "Company" if self.scope.level == "company" else f"{self.scope.value} region"

    def title(self) -> Markdown:
        """The heading: scope, the month the forecast starts after, and the horizon."""
        return quarantine.titled(
            self.tables,
            f"## {self.who} · bookings forecast after {self.period.label} · "
            f"{self.horizon} months ahead",
        )

    def notes(self) -> Markdown | None:
        """The forecast's notes (short history, zeros, a model left out, no stage
        history), if any."""
        notes = list(self.forecast.notes)
        if self.tables.opportunity_history is None:
            notes.append(
                "This source has no stage history: open deals are as they stand in the export "
                f"(data as of {self.tables.as_of:%d %b %Y}), and their win probabilities are "
                "the stage defaults, not calibrated on past deals."
            )
        if not notes:
            return None
        return Markdown("\n".join(f"- *{note}*" for note in notes))

    def chart(self, months: int = 36) -> Image:
        """History and forecast with the 80% and 95% intervals."""
        title = f"{self.who}: monthly bookings and the {self.horizon}-month forecast"
        history = self.forecast.history.iloc[-months:]
        figure = plots.forecast(history, self.forecast.frame(), title)
        return picture(figure, f"{title}; model: {self.forecast.model}")

    def table(self):
        """The forecast per month with its intervals."""
        return fmt.table(
            self.forecast.frame(),
            dict.fromkeys(["forecast", "lower_80", "upper_80", "lower_95", "upper_95"], "money"),
            f"Model: {self.forecast.model}",
        )

    @memoized
    def evidence(self) -> Backtest:
        """The forecast rule replayed from past month-ends on this scope's own series
        (kept on disk under the series' content hash, like the forecast)."""
        history = self.forecast.history
        return cached("backtests", [history, self.horizon], lambda: backtest(history, self.horizon))

    def models(self) -> tuple:
        """The fitted model families, and how the rule did from past month-ends against
        each family alone and seasonal naive."""
        members = self.forecast.members
        if members.empty:
            return (Markdown(f"*No model was fitted: {self.forecast.model}.*"),)
        ahead = f"Next {self.horizon} months"
        fitted = fmt.table(
            members.rename(
                index=FAMILY_LABELS, columns=MEMBER_LABELS | {"total": ahead}
            ).rename_axis(None),
            {ahead: "money", MEMBER_LABELS["sigma_1"]: "money"},
            "The forecast is the mean of these models, each in the form its information "
            "criterion chose on the whole history",
        )
        evidence = self.evidence()
        if evidence.table.empty:
            return (fitted, Markdown("*Under three years of history: too short for a backtest.*"))
        coverage = evidence.coverage
        caption = (
            f"Backtest from {len(evidence.past['origin'].unique())} past month-ends "
            "(lower MASE and WAPE are better; bias > 0 over-forecasts). Share of actuals "
            f"inside the intervals: 80% → {fmt.pct(coverage.get(80))}, "
            f"95% → {fmt.pct(coverage.get(95))}"
        )
        scored = fmt.table(
            evidence.table.rename(index=FAMILY_LABELS, columns=str.upper).rename_axis(None),
            {"MASE": "decimal", "WAPE": "pct", "BIAS": "change"},
            caption,
        )
        return fitted, scored

    def quarters(self) -> list[Period]:
        """The current quarter (holding the day after ``period``) and the next one."""
        current = Period.parse(f"{self.as_of + pd.Timedelta(days=1):%Y-%m}").quarter()
        return [current, current.shift(1)]

    @memoized
    def outlook(self) -> pd.DataFrame:
        """Closed + weighted pipeline + run-rate per quarter, against quota, the
        time-series forecast, the category roll-up and the reps' submissions."""
        rows = {}
        subs = self.tables.forecast_submissions
        if subs is not None and self.scope.level == "region":
            subs = subs[subs["owner_id"].isin(self.reps["rep_id"])]
        quotas = self.tables.quotas
        if quotas is not None and self.scope.level == "region":
            quotas = quotas[quotas["rep_id"].isin(self.reps["rep_id"])]
        for q in self.quarters():
            row = outlook.pipeline_forecast(
                self.opps, q, self.as_of, self.win_model, self.stages, self.history
            )
            row["time_series"] = self._time_series(q)
            row["quota"] = outlook.quota(quotas, q)
            row["expected_attainment"] = (
                row["expected"] / row["quota"] if row["quota"] > 0 else np.nan
            )
            cats = outlook.categories(self.opps, q, self.as_of, self.stages, self.history)
            sent = outlook.submitted(subs, q)
            row["commit"], row["best_case"], row["pipeline"] = (
                cats["commit"],
                cats["best_case"],
                cats["pipeline"],
            )
            row["submitted_commit"], row["submitted_best_case"] = sent["commit"], sent["best_case"]
            rows[q.label] = row
        return pd.DataFrame(rows)

    def _time_series(self, quarter: Period) -> float:
        """Actual bookings of the quarter's past months plus the forecast of the rest."""
        history, future = self.forecast.history, self.forecast.mean
        return float(sum(history.get(m, future.get(m, np.nan)) for m in quarter.months))

    def outlook_table(self):
        """The outlook, formatted."""
        labels = {
            "closed": "Closed to date",
            "weighted_pipeline": "Open pipeline × win probability × in-quarter share",
            "in_quarter_share": "In-quarter share of wins (slippage)",
            "run_rate": "Run-rate from deals not created yet",
            "expected": "Pipeline forecast",
            "open_deals": "Open deals due",
            "time_series": "Time-series forecast",
            "quota": "Quota",
            "expected_attainment": "Expected attainment",
            "commit": "Commit roll-up (CRM categories)",
            "best_case": "Best-case roll-up",
            "pipeline": "Pipeline roll-up",
            "submitted_commit": "Submitted commit (reps)",
            "submitted_best_case": "Submitted best case (reps)",
        }
        frame = self.outlook()
        shown = pd.DataFrame(
            {
                q: [fmt.FORMATTERS[OUTLOOK_FORMATS[k]](frame.loc[k, q]) for k in labels]
                for q in frame.columns
            },
            index=list(labels.values()),
        )
        return fmt.table(shown, {}, "Quarter outlook")

    def top_deals(self, n: int = 15):
        """The largest open deals due this quarter and next, with their win probabilities."""
        qs = self.quarters()
        state = outlook.state_at(self.history, self.opps, self.as_of)
        due = pd.concat(
            [outlook.due_in(state, q, self.as_of, self.stages) for q in qs]
        ).drop_duplicates("opportunity_id")
        due = due.assign(
            stage_probability=self.stages.probability_of(due["stage"]),
            calibrated=self.win_model.predict(due, self.as_of),
        )
        due["expected"] = due["amount"].fillna(0) * due["calibrated"]
        top = due.sort_values("expected", ascending=False).head(n)
        top = top.assign(close_date=top["close_date"].dt.strftime("%Y-%m-%d"))
        columns = [
            "opportunity_id",
            "owner_id",
            "stage",
            "close_date",
            "amount",
            "stage_probability",
            "calibrated",
            "expected",
        ]
        return fmt.table(
            top[columns].set_index("opportunity_id"),
            {
                "amount": "money",
                "stage_probability": "pct",
                "calibrated": "pct",
                "expected": "money",
            },
            f"Top {n} open deals due by the end of {qs[-1].label}, by expected value",
        )

    def accuracy(self):
        """The forecast's past predictions against what was booked, per backtest origin."""
        evidence = self.evidence()
        past = evidence.past
        if past.empty:
            return Markdown("*Too little history to show past forecasts.*")
        grouped = past.groupby("origin").agg(
            months=("month", lambda m: f"{m.iloc[0]} – {m.iloc[-1]}"),
            forecast=("forecast", "sum"),
            actual=("actual", "sum"),
        )
        grouped["error"] = (grouped["forecast"] - grouped["actual"]) / grouped["actual"].where(
            grouped["actual"] > 0
        )
        chosen = evidence.table.loc["forecast"]
        caption = (
            "Forecasts made at past month-ends against actual bookings · "
            f"MASE {chosen['mase']:.2f}, WAPE {fmt.pct(chosen['wape'])}, "
            f"bias {fmt.change(chosen['bias'])}"
        )
        return fmt.table(
            grouped.rename_axis("made after"),
            {"forecast": "money", "actual": "money", "error": "change"},
            caption,
        )

    def calibration(self):
        """Brier scores of the three win-probability estimates, and the calibrated
        estimate's reliability table, out of time (a one-line note without stage history)."""
        if self.tables.opportunity_history is None:
            return (NO_HISTORY,)
        scores, tables = probability.calibration(
            self.tables.opportunity_history,
            self.tables.opportunities,
            self.as_of,
            stages=self.stages,
        )
        return (
            fmt.table(
                scores,
                {"brier": "decimal", "deals": "number"},
                "Win probability: Brier score on the last 12 months (lower is better)",
            ),
            fmt.table(
                tables["calibrated"],
                {"deals": "number", "predicted": "pct", "observed": "pct"},
                "Calibrated win probability: predicted against observed",
            ),
        )

    def breakdown(self):
        """Company scope: the coherent per-region forecast (regions add up to the company)."""
        if self.scope.level != "company":
            return None
        rows = {}
        for name, f in {**self.regions, "Company": self.company}.items():
            rows[name] = {
                "last_12_months": f.history.iloc[-12:].sum(),
                "next_quarter": f.mean.iloc[:3].sum(),
                f"next_{self.horizon}_months": f.mean.sum(),
                "growth": f.mean.iloc[:12].sum() / f.history.iloc[-12:].sum() - 1
                if f.history.iloc[-12:].sum() > 0
                else np.nan,
                "model": f.model,
            }
        frame = pd.DataFrame(rows).T.rename_axis("region")
        return fmt.table(
            frame,
            {
                "last_12_months": "money",
                "next_quarter": "money",
                f"next_{self.horizon}_months": "money",
                "growth": "change",
            },
            "Per-region forecast, reconciled so that the regions add up to the company",
        )

    def summary(self) -> dict[str, Any]:
        """Headline numbers as JSON-ready values."""
        frame = self.outlook()
        return {
            "report": "forecast",
            "scope": str(self.scope),
            "period": self.period.label,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "model": self.forecast.model,
            "forecast": {m: plain(v) for m, v in self.forecast.mean.items()},
            "outlook": {q: {k: plain(v) for k, v in frame[q].items()} for q in frame.columns},
        }
