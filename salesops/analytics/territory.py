"""Territory balance: how evenly accounts and open pipeline are spread over a team's
active reps, by the Gini coefficient (the team review's territory section; the plan's
account rebalancing, :func:`salesops.analytics.planning.rebalance`, lowers it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.data.activity import active_reps
from salesops.data.stages import Stages


def gini(values: pd.Series | np.ndarray) -> float:
    """Gini coefficient: Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄); 0 = perfectly even, → 1 = one holds all.

    NaN for no values or a zero total.
    """
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if len(x) == 0 or x.sum() == 0:
        return np.nan
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean()))


def territory(opportunities: pd.DataFrame, reps: pd.DataFrame, stages: Stages) -> pd.DataFrame:
    """Per active rep: accounts owned (distinct accounts of their deals) and open pipeline.

    A rep with no open deal has 0 open pipeline; one whose open deals all lack an amount
    has NaN (unknown, not 0)."""
    active = active_reps(reps)["rep_id"]
    o = opportunities[opportunities["owner_id"].isin(active)]
    open_ = o[o["stage"].isin(stages.open_names)]
    pipeline = open_.groupby("owner_id")["amount"].sum(min_count=1)
    return pd.DataFrame(
        {
            "accounts": o.groupby("owner_id")["account_id"].nunique().reindex(active).fillna(0),
            "open_pipeline": pipeline.reindex(active, fill_value=0.0),
        }
    ).rename_axis("rep_id")


def inequality(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.Series:
    """The Gini coefficient of each column of ``frame``."""
    return pd.Series({c: gini(frame[c]) for c in (columns or frame.columns)})
