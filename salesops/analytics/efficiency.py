"""Pipeline efficiency: how fast the pipeline turns into bookings (velocity), whether
there is enough of it (coverage) and how much of what enters it converts.

Every number holds for what was known at the end of the period: open deals are taken as
they stood then, by the one rule for a moment (:func:`salesops.data.history.deals_then`,
as the metrics report's pipeline and the quarter outlook take them: from the stage
history where a deal has a row before the end, else from its created and close dates),
and the lookback of win rate, deal size and cycle ends with the period.

============================  ============================================================
Sales velocity (per day)      qualified open deals × win rate × average deal size /
                              mean sales cycle in days (:func:`.pipeline.sales_velocity`)
Pipeline coverage             open pipeline due in the next period / that period's quota
Lead-to-deal conversion       leads created in the lookback that became a deal / leads
                              created in it (:func:`salesops.analytics.metrics.lead_conversion`)
Win rate                      won / closed deals, by close date in the lookback: the
                              deal-to-won conversion
============================  ============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import pipeline as pl
from salesops.data.history import deals_then
from salesops.data.model import LOST_DEALS, OPEN_DEALS, QUALIFIED_DEALS, Tables
from salesops.data.periods import Period
from salesops.data.stages import Stages

ROWS = {  # label: (kind, what it needs from the source)
    "Sales velocity (per day)": (
        "money",
        ("opportunities.amount", OPEN_DEALS, LOST_DEALS, QUALIFIED_DEALS),
    ),
    # none, not 0, in closed deals only, or when no stage is marked qualified
    "Qualified open deals": ("number", (OPEN_DEALS, QUALIFIED_DEALS)),
    "Win rate": ("pct", (LOST_DEALS,)),  # a won-only export wins 100% by construction
    "Average deal size": ("money", ("opportunities.amount",)),
    "Sales cycle (mean)": ("days", ()),
    "Open pipeline due next period": ("money", ("opportunities.amount", OPEN_DEALS)),
    "Quota of the next period": ("money", ("quotas",)),
    "Pipeline coverage": ("ratio", ("quotas", "opportunities.amount", OPEN_DEALS)),
    "Lead-to-deal conversion": ("pct", ("leads.converted_at",)),
}


def pipeline_efficiency(
    tables: Tables, period: Period, stages: Stages, lookback_months: int = 12
) -> pd.DataFrame:
    """Velocity with its four inputs, coverage with its two, and conversion, at the end
    of ``period`` (rows: :data:`ROWS`; columns ``value`` and ``kind``). The open
    pipeline, and the coverage from it, are unknown (with the reason) when no open deal
    due next period has an amount (:func:`salesops.analytics.pipeline.pipeline`).

    Examples
    --------
    Two qualified deals, a 50% win rate on $100 deals and a 20-day cycle book
    2 × 0.5 × 100 / 20 = $5 a day.
    """
    o, history = tables.opportunities, tables.opportunity_history
    at_end = deals_then(o, period.end, stages, history=history).deals
    velocity = pl.sales_velocity(at_end, period, lookback_months, stages=stages)
    nxt = period.shift(1)
    due = pl.pipeline(at_end, nxt, stages=stages.with_unknown_open())["amount"]
    quotas = tables.quotas
    quota = np.nan if quotas is None else quotas.loc[nxt.contains(quotas["month"]), "amount"].sum()
    window = (period.end - pd.DateOffset(months=lookback_months), period.end)
    leads = tables.leads
    converted = np.nan if leads is None else m.lead_conversion(leads, window)
    values = {
        "Sales velocity (per day)": velocity["velocity_per_day"],
        "Qualified open deals": velocity["qualified_deals"],
        "Win rate": velocity["win_rate"],
        "Average deal size": velocity["average_deal_size"],
        "Sales cycle (mean)": velocity["cycle_days"],
        "Open pipeline due next period": due,
        "Quota of the next period": quota,
        "Pipeline coverage": due if gaps.why(due) else due / quota if quota > 0 else np.nan,
        "Lead-to-deal conversion": converted,
    }
    return pd.DataFrame(
        {  # of objects: an unknown value (no open deal with an amount) keeps its reason
            "value": pd.Series(values, dtype=object),
            "kind": {k: v[0] for k, v in ROWS.items()},
        }
    )
