"""Win probability of open deals: calibrated from history, and how well it is calibrated.

Three estimates of the chance that an open deal is eventually won:

- **stage default**: the ``probability`` of its stage in ``parameters/stages.yml``;
- **naive elapsed time** (:func:`salesops.analytics.metrics.naive_win_probability`): days open /
  average won cycle, capped at 1 (4-month cycle, 1 month in: 25%);
- **calibrated** (:class:`WinModel`): the share of past open deals in the same stage and
  the same age band that were won. Age is measured against the typical cycle (the
  median days from creation to a win), in the bands of ``AGE_BANDS``. Each cell's rate
  is shrunk towards its stage's rate with ``PRIOR`` pseudo-deals, so a thin cell
  borrows strength from its stage:

  p(stage, band) = (won + PRIOR · p_stage) / (deals + PRIOR),
  p_stage = (won_stage + PRIOR · p_default) / (deals_stage + PRIOR).

The training examples are monthly snapshots of the pipeline (rebuilt from
``opportunity_history``), each open deal labelled 1 if it was won within a year
(``WITHIN_DAYS``) and 0 if it was lost or still not won a year later, so deals left to
stall count against their stage and age. Deals whose year has not passed and that have
no outcome yet are left out.

:func:`calibration` checks the estimates out of time: the model is fitted on what was
known a year before the data's end and scored on the snapshots after that, by the Brier
score (mean of (p − outcome)², lower is better) and a reliability table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesops.analytics.metrics import naive_win_probability
from salesops.analytics.pipeline import ATTRIBUTES
from salesops.data.history import by_deal, last_per_deal
from salesops.data.stages import Stages

AGE_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, np.inf)  # deal age / typical cycle
BAND_LABELS = [
    f"≥ {lo:g}× cycle" if np.isinf(hi) else f"{lo:g}–{hi:g}× cycle"
    for lo, hi in itertools.pairwise(AGE_BANDS)
]
PRIOR = 20.0
WITHIN_DAYS = 365  # a deal counts as won when it is won within a year of the snapshot


def examples(
    history: pd.DataFrame,
    opportunities: pd.DataFrame,
    dates: list[pd.Timestamp] | pd.DatetimeIndex,
    known_at: pd.Timestamp,
    *,
    stages: Stages,
    within_days: int = WITHIN_DAYS,
) -> pd.DataFrame:
    """Open deals at each snapshot date, labelled with their outcome as of ``known_at``.

    A deal is labelled 1 when it was won within ``within_days`` of the snapshot, and 0
    when it was lost, or still open (or won later) ``within_days`` after it: a deal
    left to stall counts against its stage. A deal with no outcome yet whose window
    has not ended by ``known_at`` is left out (right-censored).

    Returns one row per labelled (date, open deal): ``opportunity_id``, ``date``,
    ``stage``, ``amount``, ``age_days`` and ``won``.
    """
    final = _outcomes(history, known_at, stages)
    window = pd.Timedelta(days=within_days)
    # Each history row is a deal's state at every snapshot date d with changed_at < d <=
    # the deal's next change (its last row, from changed_at on): one pass for all dates.
    h = by_deal(history)
    at = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in dates))
    moments = at.to_numpy().astype("datetime64[ns]")
    changed = h["changed_at"].to_numpy().astype("datetime64[ns]")
    last = last_per_deal(h).to_numpy()
    first = np.searchsorted(moments, changed, side="right")
    end = np.where(last, len(at), np.searchsorted(moments, np.roll(changed, -1), side="right"))
    open_ = h["stage"].isin(stages.open_names).to_numpy()
    spans = np.where(open_, np.maximum(end - first, 0), 0)
    rows = np.repeat(np.arange(len(h)), spans)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(spans) - spans, spans)
    which = np.repeat(first, spans) + step
    order = np.lexsort((rows, which))
    state = h.iloc[rows[order]].reset_index(drop=True).assign(date=at[which[order]])
    attrs = [c for c in ATTRIBUTES if c in opportunities]
    state = state.merge(opportunities[["opportunity_id", *attrs]], on="opportunity_id", how="left")
    state = state.merge(final, on="opportunity_id", how="left")
    resolved = state["closed_at"].notna() & (state["closed_at"] <= state["date"] + window)
    labelled = resolved | (state["date"] + window <= known_at)
    out = state[labelled].assign(won=(resolved & (state["won"] == 1)).astype(int))
    out["age_days"] = (out["date"] - out["created_date"]).dt.days.clip(lower=0)
    columns = ["opportunity_id", "date", "stage", "amount", "age_days", "won"]
    return out[columns].reset_index(drop=True)


def _outcomes(history: pd.DataFrame, known_at: pd.Timestamp, stages: Stages) -> pd.DataFrame:
    """When each deal first closed before ``known_at`` (``closed_at``) and whether it was won."""
    before = history[history["changed_at"] < known_at]
    closed = before[before["stage"].isin(stages.closed_names)].sort_values("changed_at")
    first = closed.drop_duplicates("opportunity_id")
    return pd.DataFrame(
        {
            "opportunity_id": first["opportunity_id"].to_numpy(),
            "closed_at": first["changed_at"].to_numpy(),
            "won": (first["stage"] == stages.won).astype(int).to_numpy(),
        }
    )


def typical_cycle(
    opportunities: pd.DataFrame, before: pd.Timestamp, stages: Stages, statistic: str = "median"
) -> float:
    """Median (or mean) days from creation to close of the deals won before ``before``."""
    won = opportunities[
        (opportunities["stage"] == stages.won) & (opportunities["close_date"] < before)
    ]
    days = (won["close_date"] - won["created_date"]).dt.days
    return float(days.agg(statistic)) if len(days) else np.nan


def band(age_days: pd.Series, cycle_days: float) -> pd.Series:
    """The age band of each deal: its age over the typical cycle, cut at ``AGE_BANDS``."""
    ratio = age_days / cycle_days if cycle_days and cycle_days > 0 else age_days * np.nan
    return pd.cut(ratio, AGE_BANDS, right=False, labels=BAND_LABELS).astype(str)


@dataclass
class WinModel:
    """Calibrated win probability by stage and age band.

    Attributes
    ----------
    cells
        One row per (stage, band): ``deals``, ``won`` and the shrunk ``probability``.
    stage_rates
        The shrunk win rate per stage, used for bands with no examples.
    cycle_days
        The typical cycle the age bands are measured against.
    """

    cells: pd.DataFrame
    stage_rates: pd.Series
    cycle_days: float

    @classmethod
    def from_examples(cls, data: pd.DataFrame, cycle_days: float, stages: Stages) -> WinModel:
        """Fit on labelled examples (``stage``, ``age_days``, ``won``; see :func:`examples`)."""
        defaults = pd.Series(stages.probabilities).reindex(stages.open_names)
        by_stage = data.groupby("stage")["won"].agg(["sum", "count"]).reindex(stages.open_names)
        by_stage = by_stage.fillna(0)
        stage_rates = (by_stage["sum"] + PRIOR * defaults) / (by_stage["count"] + PRIOR)
        keyed = data.assign(band=band(data["age_days"], cycle_days))
        cells = keyed.groupby(["stage", "band"])["won"].agg(won="sum", deals="count")
        prior = stage_rates.reindex(cells.index.get_level_values("stage")).to_numpy()
        cells["probability"] = (cells["won"] + PRIOR * prior) / (cells["deals"] + PRIOR)
        return cls(cells, stage_rates.rename("probability"), cycle_days)

    @classmethod
    def stage_defaults(cls, stages: Stages) -> WinModel:
        """The model without history to learn from: every deal gets its stage's default
        probability (``parameters/stages.yml``), whatever its age."""
        rates = pd.Series(stages.probabilities).reindex(stages.open_names).rename("probability")
        cells = pd.DataFrame(
            {"won": [], "deals": [], "probability": []},
            index=pd.MultiIndex.from_arrays([[], []], names=["stage", "band"]),
        )
        return cls(cells, rates, np.nan)

    @classmethod
    def fit(
        cls,
        history: pd.DataFrame | None,
        opportunities: pd.DataFrame,
        as_of: pd.Timestamp,
        months: int = 24,
        *,
        stages: Stages,
    ) -> WinModel:
        """Fit on monthly snapshots of the ``months`` before ``as_of``, outcomes as of then.

        Without stage history (``history`` None) there is nothing to calibrate on: the
        model is :meth:`stage_defaults`. The reports of a run share a fitted model through
        :func:`salesops.reports.shared.win_model`, which fits it once.
        """
        if history is None:
            return cls.stage_defaults(stages)
        as_of = pd.Timestamp(as_of)
        dates = pd.date_range(end=as_of, periods=months, freq="MS")
        data = examples(history, opportunities, dates, as_of, stages=stages)
        return cls.from_examples(data, typical_cycle(opportunities, as_of, stages), stages)

    @property
    def learnt_from(self) -> int:
        """How many labelled past open deals (snapshot examples) the model was fitted on:
        0 for :meth:`stage_defaults`, or for a stage history with no open deal in the
        snapshots it reads (a connector's history that starts after the deals closed):
        then every probability is its stage's default, not calibrated."""
        return int(self.cells["deals"].sum()) if len(self.cells) else 0

    def predict(self, deals: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
        """The calibrated probability of each open deal (``stage``, ``created_date``) at ``at``."""
        age = (pd.Timestamp(at) - deals["created_date"]).dt.days.clip(lower=0)
        return self.cell_probability(deals["stage"], band(age, self.cycle_days))

    def cell_probability(self, stage: pd.Series, bands: pd.Series) -> pd.Series:
        """The win probability of each deal's (stage, age band) cell; the stage's own rate
        where the cell was never seen."""
        keys = pd.MultiIndex.from_arrays([stage, bands])
        found = self.cells["probability"].reindex(keys).to_numpy()
        fallback = self.stage_rates.reindex(stage).to_numpy()
        return pd.Series(np.where(np.isnan(found), fallback, found), index=stage.index)

    def table(self) -> pd.DataFrame:
        """Probability per stage (rows) and age band (columns), for people."""
        wide = self.cells["probability"].unstack("band")
        columns = [c for c in BAND_LABELS if c in wide]
        return wide.reindex(index=self.stage_rates.index, columns=columns)


def brier(probability: pd.Series | np.ndarray, outcome: pd.Series | np.ndarray) -> float:
    """Brier score: mean of (p − outcome)²; 0 is perfect, 0.25 is a coin toss at 50%."""
    p, y = np.asarray(probability, float), np.asarray(outcome, float)
    return float(np.mean((p - y) ** 2)) if len(p) else np.nan


def reliability(
    probability: pd.Series | np.ndarray, outcome: pd.Series | np.ndarray, bins: int = 10
) -> pd.DataFrame:
    """Deals, mean predicted probability and observed win rate per probability bin."""
    frame = pd.DataFrame({"p": np.asarray(probability, float), "y": np.asarray(outcome, float)})
    edges = np.linspace(0, 1, bins + 1)
    labels = [f"{lo:.0%}–{hi:.0%}" for lo, hi in itertools.pairwise(edges)]
    frame["bin"] = pd.cut(frame["p"], edges, include_lowest=True, labels=labels)
    out = frame.groupby("bin", observed=True).agg(
        deals=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    return out.rename_axis("predicted probability")


def calibration(
    history: pd.DataFrame,
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp,
    holdout_months: int = 12,
    *,
    stages: Stages,
    fit: Callable[..., WinModel] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Score the three estimates out of time.

    The model is fitted with what was known ``holdout_months`` before ``as_of`` (by
    ``fit``, :meth:`WinModel.fit` unless given: a report passes the shared one); the test
    examples are the open deals at each month start after that, labelled with their
    outcome as of ``as_of``.

    Returns
    -------
    scores
        Brier score and test deals per estimate (calibrated, stage default, naive).
    tables
        The reliability table of each estimate.
    """
    as_of = pd.Timestamp(as_of)
    cutoff = (as_of - pd.DateOffset(months=holdout_months)).normalize()
    model = (fit or WinModel.fit)(history, opportunities, cutoff, stages=stages)
    dates = pd.date_range(cutoff, as_of, freq="MS", inclusive="right")
    test = examples(history, opportunities, dates, as_of, stages=stages)
    estimates = {
        "calibrated": model.cell_probability(
            test["stage"], band(test["age_days"], model.cycle_days)
        ),
        "stage default": stages.probability_of(test["stage"]),
        "naive elapsed time": naive_win_probability(
            test["age_days"].astype(float), typical_cycle(opportunities, cutoff, stages, "mean")
        ),
    }
    scores = pd.DataFrame(
        {
            "brier": {name: brier(p, test["won"]) for name, p in estimates.items()},
            "deals": {name: len(test) for name in estimates},
        }
    ).rename_axis("estimate")
    return scores, {name: reliability(p, test["won"]) for name, p in estimates.items()}
