"""A rep's own monthly review (``notebooks/performance_review.ipynb``): attainment, the
bookings trend, KPIs against the region's peers, activity, the commission statement and
coaching flags; the rep's rows, their pipeline, the deals to clean up and their forecast
precision are in :mod:`salesops.reports.rep_deals`.

The review loads the rep's own rows, and compares them with the region's peers through
:class:`salesops.analytics.peers.Peers`: one distribution per number and the region's win model,
computed once per region, period and data and shared by every review of the region
(:func:`salesops.reports.shared.peers`). A review therefore costs the same in a region of
8 reps or of 300. No other rep's name or id can reach its output, nor the frames its
sections return: the peers hold no ids, and a test renders every demo rep's review and
searches it for every other rep.
"""

from __future__ import annotations

import dataclasses
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from salesops import markup
from salesops.analytics import bookings as booked
from salesops.analytics import compensation as comp
from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import performance as perf
from salesops.analytics import precision as pr
from salesops.analytics.peers import COHORT_MONTHS, KPI_MONTHS
from salesops.data import coverage
from salesops.errors import DataError
from salesops.reports import formatting as fmt
from salesops.reports import metrics, plots
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import (
    Tile,
    View,
    heading,
    plain,
    section,
    tiles_html,
    viewed,
)
from salesops.reports.rep_deals import (
    deals,
    member,
    own,
    peer_count,
    peers,
    rep,
    stale,
    submissions,
)
from salesops.reports.trend import trend as bookings_trend
from salesops.words import plural

PERIODS = {"Month": "month", "Quarter to date": "quarter", "Year to date": "year"}


def context(
    source: Any = None,
    scope: str | None = None,
    period: str = "latest",
    *,
    comp_plan: str = comp.COMP_PLAN,
    on_invalid: str = "refuse",
    data_fingerprint: dict[str, str] | None = None,
) -> ReportContext:
    """The review's context: the rep's own rows and the commission plan file. Without a
    scope, the source's first active rep, to try the notebook. ``data_fingerprint`` is
    the runner's fingerprint of the region (see :class:`ReportContext`)."""
    if scope is None:
        from salesops.data.sources import open_source

        with open_source(source) as src:
            scope = f"rep:{src.scopes('rep')[0]}"
    ctx = ReportContext.load(
        source,
        scope,
        period,
        comp_plan=comp_plan,
        on_invalid=on_invalid,
        data_fingerprint=data_fingerprint,
    )
    rep(ctx)  # a review is for a rep of the source
    return ctx


def title(ctx: ReportContext) -> HTML:
    """The heading: the rep's name, region and month."""
    me = rep(ctx)
    return heading(
        f"{me['name']} · {me['region']} · {ctx.period.label} · {ctx.data_as_of}",
        ctx.tables,
    )


@per_context
def bookings(ctx: ReportContext) -> pd.DataFrame:
    """Bookings, quota and attainment for the month, the quarter to date and the year to
    date (of objects: a number that cannot be known is an
    :class:`~salesops.analytics.gaps.Unknown` with its reason, not 0 or a bare NaN; so
    are the bookings of a rep none of whose deals has closed and whose hire date is not
    known, as their bookings trend says, not $0)."""
    quotas, p = own(ctx, "quotas"), ctx.period
    starts = {"month": p.start, "quarter": p.quarter().start, "year": p.year().start}
    never = _bookings_start(ctx)  # nothing closed and no hire date: unknown, not $0
    never_booked = never.unknown_for(p, "bookings") if never.month is None else None
    no_quotas = coverage.reason(ctx.tables, ["quotas"], "Attainment")
    columns: dict[str, list[float]] = {"bookings": [], "quota": [], "attainment": []}
    for name, grain in PERIODS.items():
        window = (starts[grain], p.end)
        won = m.won_in(deals(ctx), window, ctx.stages)
        booked = gaps.total(won["amount"], "deals", f" you won in the {name.lower()}")
        booked = booked if never_booked is None else never_booked
        inside = None if quotas is None else quotas["month"].between(*window, inclusive="left")
        quota = np.nan if quotas is None else float(quotas.loc[inside, "amount"].sum())
        attained: float = booked
        if not gaps.why(booked):
            attained = (
                booked / quota
                if quota and quota > 0
                else gaps.Unknown(no_quotas or f"you have no quota for the {name.lower()}")
            )
        columns["bookings"].append(booked)
        columns["quota"].append(quota)
        columns["attainment"].append(attained)
    index = pd.Index(list(PERIODS))
    return pd.DataFrame({k: pd.Series(v, index=index, dtype=object) for k, v in columns.items()})


@section("Attainment")
def attainment(ctx: ReportContext) -> pd.DataFrame:
    """:func:`bookings`, drawn as tiles: attainment where the source has quotas, else
    bookings."""
    view = View(caption="Attainment", draw=lambda f: _tiles(ctx, f))
    return viewed(bookings(ctx).copy(), view)


def _tiles(ctx: ReportContext, frame: pd.DataFrame) -> HTML:
    quotas = ctx.tables.has("quotas")
    tiles = []
    for name in frame.index:  # not iterrows, which loses an Unknown's reason
        row = frame.loc[name]
        value = fmt.pct(row["attainment"]) if quotas else ctx.money(row["bookings"])
        under = (
            f"{ctx.money(row['bookings'])} of {ctx.money(row['quota'])}"
            if quotas
            else "booked; attainment needs quotas"
        )
        reason = gaps.why(row["attainment"] if quotas else row["bookings"])
        if reason:  # "–", and why
            under = escape(reason)
        tiles.append(Tile(str(name), value, under))
    return HTML(tiles_html(tiles))


@section("The bookings trend")
def trend(ctx: ReportContext, months: int = 12) -> pd.DataFrame:
    """The rep's bookings, quota and attainment over the ``months`` months to the period
    (:func:`salesops.reports.trend.table`), from the month the data starts: the rep's
    first closed deal, or the month they were hired if that is earlier (a month without a
    win after joining is a true $0)."""
    start = _bookings_start(ctx)
    return bookings_trend(
        deals(ctx), own(ctx, "quotas"), ctx.period, months,
        start=start, has_quotas=ctx.tables.has("quotas"), stages=ctx.stages,
    )  # fmt: skip


def _bookings_start(ctx: ReportContext) -> gaps.Start:
    """Where the rep's bookings can speak from: their first closed deal, or the month they
    were hired if that is earlier; no month (and the reason) when neither is known."""
    start = gaps.bookings_start(deals(ctx), ctx.stages)
    hired = rep(ctx)["hire_date"]
    if pd.notna(hired) and (start.month is None or pd.Period(hired, "M") < start.month):
        start = gaps.Start(pd.Period(hired, "M"), "the month the rep was hired")
    return start


@per_context
def kpis(ctx: ReportContext, months_before: int = 0) -> pd.Series:
    """The rep's KPIs over the last 3 months (``months_before`` 3: the 3 months before)."""
    start, end = ctx.period.window(KPI_MONTHS)
    window = (
        start - pd.DateOffset(months=months_before),
        end - pd.DateOffset(months=months_before),
    )
    me = str(ctx.scope.value)
    kinds = ctx.settings.selling_activity_kinds
    kpis = perf.rep_kpis(
        ctx.tables,
        window,
        [me],
        ctx.stages,
        selling_kinds=kinds,
        fiscal_year_start_month=ctx.period.fiscal_year_start_month,
        start=peers(ctx).start,  # the region's: the review holds only the rep's rows
    )
    return kpis.loc[me]


@per_context
def peer_comparison(ctx: ReportContext) -> pd.DataFrame:
    """Per KPI: the rep over the last 3 months, the peers' median, the rep's 3 months
    before and their percentile among peers (no peer ids)."""
    return peers(ctx).comparison(kpis(ctx), kpis(ctx, KPI_MONTHS), member(ctx))


@section("Comparison")
def comparison(ctx: ReportContext) -> pd.DataFrame:
    """The comparison as shown, without the KPIs the source cannot support."""
    raw = peer_comparison(ctx)
    frame = pd.DataFrame(
        {
            "You": raw["rep"],
            "Peer median": raw["peer_median"],
            "You, 3 months before": raw["previous"],
            "Percentile among peers": raw["percentile"],
        }
    )
    frame = _own_gaps_said(frame)
    gone, said = coverage.not_shown(ctx.tables, {k.label: k.needs for k in perf.KPIS.values()})
    frame = frame.drop(index=[label for label in gone if label in frame.index])
    count, region = peer_count(ctx), rep(ctx)["region"]
    against = (
        f"The last 3 months against {plural(count, 'peer')} in {region}: the other sellers "
        "there who owned deals in those months (percentile 100 = best; peers are not named)"
    )
    if not count:  # "against 0 peers": no median, no percentile, and why
        against = (
            f"The last 3 months, with no peers in {region} to compare with: no other seller "
            "there owned deals in those months, so there is no peer median and no percentile"
        )
    parts = [
        against,
        said,
        *_unknowns(ctx, raw.loc[raw.index.isin(frame.index)]),
    ]
    caption = ". ".join(part.rstrip(".") for part in parts if part)  # one period each
    kinds = dict(zip(raw.index, raw["kind"], strict=True))
    rows = {kpi: kinds[kpi] for kpi in frame.index}
    return viewed(frame, View({"Percentile among peers": "number"}, caption, rows=rows))


@section("Attainment among peers")
def peer_spread(ctx: ReportContext) -> pd.DataFrame:
    """The region's attainment over the last 3 months, unlabelled, with the rep's marked
    (``you``), drawn as a distribution."""
    mine = kpis(ctx)["attainment"]
    region = peers(ctx)
    others = region.without(region.kpis["attainment"], mine, member(ctx)).to_numpy()
    frame = pd.DataFrame({"attainment": [mine, *others], "you": [True] + [False] * len(others)})
    caption = f"Quota attainment, last 3 months: you against {plural(len(others), 'peer')}"
    if not len(others):  # not "against 0 peers"
        caption = f"Quota attainment, last 3 months: yours, with {_no_peers(ctx, 'attainment')}"

    def draw(f: pd.DataFrame) -> Any:
        return plots.distribution(f.loc[~f["you"], "attainment"].to_numpy(), mine, caption)

    return viewed(frame, View(caption=caption, draw=draw))


@section("Activity")
def activity(ctx: ReportContext) -> pd.DataFrame:
    """The rep's activity mix in the last 3 months."""
    mix = m.activity_mix(own(ctx, "activities"), ctx.period.window(3))
    return viewed(mix, View({}, "Activity mix, last 3 months"))


@per_context
def statement(ctx: ReportContext) -> comp.Statement:
    """The commission statement for the month under the context's commission plan."""
    if ctx.comp_plan is None:
        raise ValueError("the statement needs a plan: ReportContext.load(..., comp_plan=...)")
    o, q = ctx.tables.opportunities, ctx.tables.quotas
    return comp.statement(ctx.comp_plan, rep(ctx), o, q, month=ctx.period, won=ctx.stages.won)


@section("The commission statement")
def statement_tables(ctx: ReportContext) -> tuple[Any, ...]:
    """The statement: commission per tier, and the true-up period's months with the total."""
    try:
        st = statement(ctx)
    except DataError as exc:
        rules = "\n".join(f"- {markup.markdown(failure)}" for failure in exc.failures)
        return (Markdown(f"No commission statement: the plan cannot be applied.\n\n{rules}"),)
    tiers = st.tiers.reset_index().set_index("band")[["tier", "rate", "bookings", "commission"]]
    caption = (
        f"Payable for {ctx.period.label}: {ctx.money(st.payable)} "
        f"= commission {ctx.money(st.commission)} + true-up {ctx.money(st.true_up)}"
    )
    return (
        viewed(
            tiers,
            View(
                {"rate": "pct"},
                f"Commission for {ctx.period.label} by tier",
            ),
        ),
        viewed(st.months.copy(), View({}, caption)),
    )


@section("Coaching")
def coaching(ctx: ReportContext) -> pd.DataFrame:
    """Coaching flags, each with the numbers that triggered it."""
    me = str(ctx.scope.value)
    cohort = (ctx.period.end - pd.DateOffset(months=COHORT_MONTHS), ctx.period.end)
    conversion = pd.DataFrame(columns=["rep", "peer_median"], dtype=float)
    if ctx.tables.has("opportunity_history"):  # how far a lost deal got needs history
        mine = perf.conversion_by_rep(ctx.tables, cohort, [me], ctx.stages)[me]
        medians = peers(ctx).conversion_medians(mine, member(ctx))
        # the first stage has no stage before it
        conversion = pd.DataFrame({"rep": mine, "peer_median": medians}).iloc[1:]
    prec = submissions(ctx)
    bias = float(pr.precision_summary(prec)["bias"]) if prec is not None and len(prec) else np.nan
    flags = perf.coaching_flags(peer_comparison(ctx), conversion, bias, len(stale(ctx)))
    view = View({}, "Coaching flags", empty="No coaching flags this month.")
    return viewed(flags.set_index("flag"), view)


def summary(ctx: ReportContext) -> dict[str, Any]:
    """The rep's headline numbers (no peer ids) as JSON-ready values: their name and
    region, the metrics report's KPIs on their own deals (for the portal's roll-up),
    attainment, bookings, commission and percentiles among peers. A number that cannot
    be known is null, and ``"unknown"`` names it with its reason."""
    att = bookings(ctx)
    try:
        payable = statement(ctx).payable
    except DataError as error:
        payable = gaps.Unknown(
            coverage.reason(ctx.tables, ["quotas"], "Commission") or error.reason()
        )
    me = rep(ctx)
    own = dataclasses.replace(ctx, tables=ctx.tables.for_scope(ctx.scope), cache={})
    return ctx.summary(
        "performance_review",
        name=str(me["name"]),
        region=str(me["region"]),
        kpis=metrics.summary(own)["kpis"],  # the rep's own, as the metrics report has them
        attainment={k: plain(v) for k, v in att["attainment"].items()},
        bookings={k: plain(v) for k, v in att["bookings"].items()},
        payable=plain(payable),
        peers=peer_count(ctx),
        percentiles={
            label: plain(row["percentile"], _unranked(ctx, label, row))
            for label, row in peer_comparison(ctx).iterrows()
        },
    )


def _unknowns(ctx: ReportContext, raw: pd.DataFrame) -> list[str]:
    """The comparison's notes on what it left out: the rep's won deals without an amount
    (left out of "You" and "You, 3 months before"), and per KPI the peers whose value is
    unknown (left out of the median and the percentile)."""
    me, (start, end) = [str(ctx.scope.value)], ctx.period.window(KPI_MONTHS)
    back = pd.DateOffset(months=KPI_MONTHS)
    o, notes = ctx.tables.opportunities, []
    for window in ((start, end), (start - back, end - back)):
        note = booked.left_out(o, window, me, stages=ctx.stages, start=peers(ctx).start)
        note = note.rstrip(".")
        if note:
            notes.append(note.replace(" won in", " you won in", 1))
    for label, row in raw.iterrows():
        n, known = int(row["unknown_peers"]), int(row["peers"])
        if n and known:
            have = "has an unknown value" if n == 1 else "have unknown values"
            notes.append(
                f"{label}: {n} of {n + known} peers {have}, left out of the median and the "
                "percentile"
            )
        elif n:  # nobody to compare with on this KPI: say so, and when a value is unknown
            kpi = next(k for k in perf.KPIS.values() if k.label == label)
            when = kpi.unknown_when.format(window="those 3 months")
            notes.append(
                f"{label}: no peer in {rep(ctx)['region']} has a known value (a seller's is "
                f"unknown when {when}), so there is no peer median and no percentile"
            )
    return notes


def _own_gaps_said(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison with the rep's own values that are missing without a reason (no
    deal closed, no lead answered) read as "–" with one, and their percentile too."""
    whens = {"You": "the last 3 months", "You, 3 months before": "the 3 months before"}
    frame = frame.astype(object)
    for label in frame.index:
        for column, when in whens.items():
            value = frame.at[label, column]
            if pd.isna(value) and not gaps.why(value):
                frame.at[label, column] = gaps.Unknown(f"you have no {label.lower()} for {when}")
        rank = frame.at[label, "Percentile among peers"]
        if pd.isna(rank) and not gaps.why(rank):  # no value of yours: no rank, and why
            frame.at[label, "Percentile among peers"] = frame.at[label, "You"]
    return frame


def _no_peers(ctx: ReportContext, what: str) -> str:
    """ "no peers in EMEA who owned deals in the last 3 months", or, when there are
    peers but none has a known ``what``, "no peer in EMEA with a known attainment"."""
    region = rep(ctx)["region"]
    if peer_count(ctx):
        return f"no peer in {region} with a known {what}"
    return f"no peers in {region} who owned deals in those months"


def _unranked(ctx: ReportContext, label: str, row: pd.Series) -> str:
    """Why the rep has no percentile for the KPI ``label``."""
    kpi = next(k for k in perf.KPIS.values() if k.label == label)
    lacking = coverage.reason(ctx.tables, kpi.needs, label)
    if lacking:
        return lacking
    if pd.isna(row["rep"]):
        return f"you have no {label.lower()} for the last 3 months"
    return f"no peer's {label.lower()} is known for the last 3 months: there is no rank"
