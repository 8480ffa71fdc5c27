"""Rep performance: KPIs per rep, peer comparison and coaching flags. Pure functions over
the canonical tables (a team's capacity and ramp: :mod:`salesops.analytics.capacity`;
territory balance: :mod:`salesops.analytics.territory`).

Rep KPIs are measured over a *window* (the review uses the three months to the period's
end, so a rep's month with three deals does not swing the numbers); ``previous`` is the
window before it. Peers are the other sellers of the same region who were employed and
owned a deal in the window (:func:`salesops.analytics.capacity.owners`); a rep is compared
with their **median**, and placed by **percentile rank**:

    percentile = (peers below + ½ · peers equal) / peers × 100

counted the other way round for KPIs where lower is better (cycle length, response time).
Peers are never named: only distributions leave this module's comparison functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

import numpy as np
import pandas as pd

from salesops.analytics import bookings as booked
from salesops.analytics import gaps, movement
from salesops.analytics import metrics as m
from salesops.data.history import deals_then
from salesops.data.lookups import isin
from salesops.data.model import LOST_DEALS, Tables
from salesops.data.periods import Period
from salesops.data.stages import Stages


@dataclass(frozen=True)
class Kpi:
    """A rep KPI: its label, how to format it, which direction is good, and when a rep's
    value is unknown (``unknown_when``, a clause; ``{window}``: the months it covers)."""

    label: str
    kind: str
    lower_is_better: bool = False
    _: KW_ONLY
    needs: tuple[str, ...] = ()  # tables or table.columns (see salesops.data.coverage)
    unknown_when: str = ""


MONEY = ("opportunities.amount",)
KPIS: dict[str, Kpi] = {
    "bookings": Kpi(
        "Bookings", "money", needs=MONEY,
        unknown_when="none of the deals they won in {window} has an amount",
    ),
    "attainment": Kpi(
        "Quota attainment", "pct", needs=(*MONEY, "quotas"),
        unknown_when="they have no quota for {window}, or their bookings are unknown",
    ),
    "win_rate": Kpi(  # won only: 100% by construction
        "Win rate", "pct", needs=(LOST_DEALS,), unknown_when="they closed no deal in {window}"
    ),
    "cycle_days": Kpi(
        "Sales cycle (median)", "days", lower_is_better=True,
        unknown_when="they won no deal in {window}",
    ),
    "deal_size": Kpi(
        "Average deal size", "money", needs=MONEY,
        unknown_when="they won no deal with an amount in {window}",
    ),
    "coverage": Kpi(
        "Pipeline coverage, next quarter", "ratio", needs=(*MONEY, "quotas"),
        unknown_when="they have no quota for the next quarter, or none of their open deals "
        "due then has an amount",
    ),
    "response_hours": Kpi(
        "Lead response (median)", "hours", lower_is_better=True,
        needs=("leads.first_response_at",), unknown_when="they answered no lead in {window}",
    ),
    "time_selling": Kpi(
        "Time selling", "pct", needs=("activities",),
        unknown_when="they logged no activity in {window}",
    ),
}  # fmt: skip


def rep_kpis(
    tables: Tables,
    window: tuple[pd.Timestamp, pd.Timestamp],
    reps: pd.Index | list[str],
    stages: Stages,
    *,
    selling_kinds: Sequence[str],
    fiscal_year_start_month: int = 1,
    start: gaps.Start | None = None,
) -> pd.DataFrame:
    """Every KPI of ``KPIS`` for each rep in ``reps`` over ``window`` (rows: rep ids);
    ``selling_kinds`` as in :func:`salesops.analytics.metrics.time_selling`.

    coverage = open pipeline due in the quarter after the window's end (as it stood at
    the end) / that quarter's quota; bookings are
    :func:`salesops.analytics.bookings.per_group` ($0 for a rep who won nothing, unknown
    for one whose won deals all lack an amount or for a window before the data's first
    close, ``start``, by default that of ``tables``: an object column, each unknown with
    its reason), and attainment is unknown where they are; win rates are
    :func:`win_rates`; the other KPIs are the ``salesops.analytics.metrics`` ones grouped
    by owner.
    """
    o, index = tables.opportunities, pd.Index(list(reps), name="rep_id")
    out = pd.DataFrame(index=index)
    out["bookings"] = booked.per_group(o, window, index, stages=stages, start=start)
    if tables.quotas is not None:
        att = m.quota_attainment(o, tables.quotas, window, by="owner_id", stages=stages)
        attained = att["attainment"].reindex(index).astype(object)
        unknown = out["bookings"].map(gaps.why).notna()  # bookings unknown: so is attainment
        attained[unknown] = out.loc[unknown, "bookings"]
        out["attainment"] = attained
    else:
        out["attainment"] = np.nan
    out["win_rate"] = win_rates(tables, window, index, stages)
    cycle = m.sales_cycle(o, window, by="owner_id", stages=stages)
    out["cycle_days"] = cycle["median_days"].reindex(index) if "median_days" in cycle else np.nan
    out["deal_size"] = m.average_deal_size(o, window, by="owner_id", stages=stages).reindex(index)
    out["coverage"] = coverage(
        tables, window[1], index, stages, fiscal_year_start_month=fiscal_year_start_month
    )
    leads = tables.leads
    if leads is not None and len(leads):
        response = m.lead_response(leads, window, by="owner_id")
        out["response_hours"] = (
            response["median_hours"].reindex(index) if "median_hours" in response else np.nan
        )
    else:
        out["response_hours"] = np.nan
    acts = tables.activities
    out["time_selling"] = (
        m.time_selling(acts, window, by="rep_id", selling_kinds=selling_kinds).reindex(index)
        if acts is not None
        else np.nan
    )
    return out


def win_rates(
    tables: Tables,
    window: tuple[pd.Timestamp, pd.Timestamp],
    reps: pd.Index,
    stages: Stages,
) -> pd.Series:
    """Each of ``reps``' win rate over ``window``: won / closed deals
    (:func:`salesops.analytics.metrics.win_rate` by owner), NaN for a rep with no closed
    deal; for every rep unknown, with the headline KPI's reason, when the tables cannot
    hold a lost deal (:func:`salesops.analytics.metrics.win_rate_unknown`: an export of
    won deals only would rank every rep at 100%). Unknown values drop out of the peers'
    medians and percentiles like any other (:func:`peer_comparison`).

    Examples
    --------
    A rep with 1 won and 1 lost deal in the window has 50%; the same won deal in an
    export without lost deals has "–", "win rate needs lost deals, of which this source
    holds none".
    """
    unknown = m.win_rate_unknown(tables)
    if unknown is not None:  # of objects: each cell keeps the reason
        return pd.Series(unknown, index=reps, dtype=object, name="win_rate")
    return m.win_rate(tables.opportunities, window, by="owner_id", stages=stages).reindex(reps)


def coverage(
    tables: Tables,
    moment: pd.Timestamp,
    reps: pd.Index,
    stages: Stages,
    *,
    fiscal_year_start_month: int = 1,
) -> pd.Series:
    """Open pipeline due next quarter (as it stood at ``moment``) / next quarter's quota;
    quarters of the fiscal year that starts in ``fiscal_year_start_month``. The deals at
    ``moment`` are those of the one rule for a moment
    (:func:`salesops.data.history.deals_then`, as the metrics report's pipeline takes
    them): from the stage history where a deal has a row before it, else from its created
    and close dates.

    A rep with no open deal due then has 0 of pipeline; one whose open deals due then
    all lack an amount has an unknown pipeline, and so an unknown coverage
    (:func:`salesops.analytics.gaps.total`: an object Series, each unknown with its
    reason), not 0× (nor a thin-pipeline flag)."""
    quarter = Period.holding(moment, fiscal_year_start_month).quarter()
    history = tables.opportunity_history
    deals = deals_then(tables.opportunities, moment, stages, history=history).deals
    is_open = deals["stage"].isin(stages.with_unknown_open().open_names)
    deals = deals[is_open & quarter.contains(deals["close_date"])]
    due = f" due in {quarter.label}"
    amounts = deals.groupby("owner_id")["amount"]
    pipe = pd.Series(
        [
            gaps.total(
                amounts.get_group(r) if r in amounts.groups else pd.Series(dtype=float), where=due
            )
            for r in reps
        ],
        index=reps,
        dtype=object,
    )
    if tables.quotas is None:
        return pd.Series(np.nan, index=reps)
    q = tables.quotas
    quota = q[quarter.contains(q["month"])].groupby("rep_id")["amount"].sum().reindex(reps)
    ratio = pipe.astype(float) / quota.where(quota > 0)
    return ratio.astype(object).where(pipe.map(gaps.why).isna(), pipe)


def percentile_rank(value: float, peers: pd.Series, lower_is_better: bool = False) -> float:
    """Where ``value`` stands among ``peers`` (0–100; see the module); NaN without peers."""
    peers = peers.dropna()
    if pd.isna(value) or peers.empty:
        return np.nan
    below = (peers > value).sum() if lower_is_better else (peers < value).sum()
    return float((below + 0.5 * (peers == value).sum()) / len(peers) * 100)


def peer_comparison(
    rep: pd.Series,
    previous: pd.Series,
    peers: pd.DataFrame,
    unknown: pd.Series | None = None,
) -> pd.DataFrame:
    """The rep's KPIs against the peer median, their previous window and their rank.

    ``rep`` and ``previous`` are the rep's row of :func:`rep_kpis` for the window and the
    window before; ``peers`` holds the peers' KPIs, one column per KPI, in rows that need
    name nobody (see :class:`salesops.analytics.peers.Peers`); ``unknown`` counts, per
    KPI, the peers whose value is unknown (left out of ``peers``). The result has one row
    per KPI label and no other rep's id: ``rep``, ``peer_median``, ``previous``,
    ``percentile``, ``peers`` (how many peers had a known value) and ``unknown_peers``.

    The median and the percentile use known values only: a rep whose value is unknown
    has an unknown percentile (with the value's reason), and a median over peers whose
    values are all unknown is unknown, never a rank or a median of zeros.
    """
    rows = {}
    for key, kpi in KPIS.items():
        value = rep.get(key, np.nan)
        column = (peers[key] if key in peers else pd.Series(dtype=float)).dropna()
        missing = int(unknown.get(key, 0)) if unknown is not None else 0
        median: float = column.median()
        rank = percentile_rank(value, column, kpi.lower_is_better)
        if column.empty:  # no median, and no rank of a value the rep has: say why
            median = gaps.Unknown(_no_peer(kpi.label.lower(), missing))
            rank = median if pd.notna(value) else rank
        rows[kpi.label] = {
            "rep": value,
            "peer_median": median,
            "previous": previous.get(key, np.nan),
            "percentile": value if gaps.why(value) else rank,
            "peers": len(column),
            "unknown_peers": missing,
            "kind": kpi.kind,
        }
    return pd.DataFrame(rows, dtype=object).T.rename_axis("kpi")


def _no_peer(label: str, unknown: int) -> str:
    """Why a KPI (``label``) has no peer median and no rank: no peer, or ``unknown`` peers
    whose values are all unknown.

    >>> _no_peer("bookings", 0)
    'no peer to compare with'
    >>> _no_peer("bookings", 1)
    "the one peer's value of bookings is unknown"
    >>> _no_peer("bookings", 3)
    "none of the 3 peers' values of bookings is known"
    """
    if unknown == 0:
        return "no peer to compare with"
    if unknown == 1:
        return f"the one peer's value of {label} is unknown"
    return f"none of the {unknown} peers' values of {label} is known"


# -- coaching -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """Thresholds of the coaching rules (see :func:`coaching_flags`)."""

    conversion_gap: float = 0.10  # stage conversion this far below the peer median
    response_ratio: float = 1.5  # median lead response this many times the peers'
    response_floor_hours: float = 4.0  # ... and slower than this
    selling_gap: float = 0.10  # time selling this far below the peer median
    _: KW_ONLY
    min_coverage: float = 2.0  # pipeline coverage for next quarter below this
    max_bias: float = 0.25  # |commit bias| above this
    max_stale: int = 5  # more stale deals than this


def coaching_flags(
    comparison: pd.DataFrame,
    conversion: pd.DataFrame,
    bias: float,
    stale: int,
    *,
    rules: Rules | None = None,
) -> pd.DataFrame:
    """The coaching rules that fire for a rep, each with the numbers behind it.

    Rules (thresholds in :class:`Rules`):

    1. *Stage conversion below peers*: at a stage, the rep's conversion from the stage
       before is more than ``conversion_gap`` below the peer median.
    2. *Slow lead response*: median response over ``response_ratio`` × the peer median
       and over ``response_floor_hours``.
    3. *Low time selling*: more than ``selling_gap`` below the peer median.
    4. *Thin pipeline*: next quarter's coverage under ``min_coverage``.
    5. *Forecast bias*: |commit bias| over ``max_bias`` (over-forecasting or sandbagging).
    6. *Stale deals*: more than ``max_stale`` open deals need cleaning up.

    ``conversion`` has the rep's and the peer median's conversion per stage
    (columns ``rep`` and ``peer_median``). Returns columns ``flag`` and ``evidence``.
    """
    r = rules or Rules()
    flags: list[tuple[str, str]] = []
    for stage, row in conversion.iterrows():
        gap = row["peer_median"] - row["rep"]
        if pd.notna(gap) and gap > r.conversion_gap:
            flags.append(
                (
                    f"Stage conversion below peers at {stage}",
                    f"{row['rep']:.0%} of deals reached {stage} from the stage before, "
                    f"against a peer median of {row['peer_median']:.0%}",
                )
            )
    response = comparison.loc[KPIS["response_hours"].label]
    if (
        pd.notna(response["rep"])
        and pd.notna(response["peer_median"])
        and response["rep"] > r.response_ratio * response["peer_median"]
        and response["rep"] > r.response_floor_hours
    ):
        flags.append(
            (
                "Slow lead response",
                f"median {response['rep']:.1f} h against a peer median of "
                f"{response['peer_median']:.1f} h",
            )
        )
    selling = comparison.loc[KPIS["time_selling"].label]
    if (
        pd.notna(selling["rep"])
        and pd.notna(selling["peer_median"])
        and selling["rep"] < selling["peer_median"] - r.selling_gap
    ):
        flags.append(
            (
                "Low time selling",
                f"{selling['rep']:.0%} of logged time against a peer median of "
                f"{selling['peer_median']:.0%}",
            )
        )
    cover = comparison.loc[KPIS["coverage"].label, "rep"]
    if pd.notna(cover) and cover < r.min_coverage:
        flags.append(
            (
                "Thin pipeline",
                f"coverage of next quarter's quota is {cover:.1f}× (< {r.min_coverage:.1f}×)",
            )
        )
    if pd.notna(bias) and abs(bias) > r.max_bias:
        kind = "Over-forecasting" if bias > 0 else "Sandbagging"
        flags.append(
            (
                f"Forecast bias: {kind.lower()}",
                f"commit forecasts were {bias:+.0%} off actual bookings over the last 6 months",
            )
        )
    if stale > r.max_stale:
        flags.append(("Stale deals", f"{stale} open deals are past their close date or untouched"))
    return pd.DataFrame(flags, columns=["flag", "evidence"])


def conversion_by_rep(
    tables: Tables, cohort: tuple[pd.Timestamp, pd.Timestamp], reps: list[str], stages: Stages
) -> pd.DataFrame:
    """Stage-to-stage conversion per rep (columns) for the deals created in ``cohort``:
    :func:`salesops.analytics.movement.funnel` of each rep's own deals. The deals and their history
    are split by owner once, so the cost grows with the rows, not with rows × reps."""
    o, h = tables.opportunities, tables.opportunity_history
    o = o[o["owner_id"].isin(reps) & m.in_window(o["created_date"], cohort)]
    deals = dict(tuple(o.groupby("owner_id")))
    histories = {}
    if h is not None:
        h = h[isin(h["opportunity_id"], o["opportunity_id"])]
        owner = h["opportunity_id"].map(o.set_index("opportunity_id")["owner_id"])
        histories = dict(tuple(h.groupby(owner)))
    out = {}
    for rep in reps:
        hist = None if h is None else histories.get(rep, h.iloc[:0])
        out[rep] = movement.funnel(hist, deals.get(rep, o.iloc[:0]), cohort, stages)["conversion"]
    return pd.DataFrame(out)
