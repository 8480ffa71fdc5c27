"""A region's monthly team review for its manager, reps named
(``notebooks/team_review.ipynb``).

Each section is a function of a :class:`~salesops.reports.context.ReportContext` for a
region, returning a DataFrame that :func:`~salesops.reports.display.show` shows::

    ctx = so.ReportContext.load(source, "region:EMEA", "2026-10", comp_plan=plan_file)
    so.show(team_review.leaderboard(ctx))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from IPython.display import HTML

from salesops.analytics import bookings as booked
from salesops.analytics import compensation as comp
from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.analytics import performance as perf
from salesops.analytics import territory as balance
from salesops.analytics.capacity import months_in_seat, quarter_capacity, ramp_factor
from salesops.analytics.capacity import team as cap_team
from salesops.analytics.peers import KPI_MONTHS
from salesops.data import coverage
from salesops.data.activity import active_deals, active_reps
from salesops.data.activity import sellers as sellers_of
from salesops.data.periods import Period
from salesops.data.scopes import CLOSED_ASIDE
from salesops.errors import DataError
from salesops.reports import formatting as fmt
from salesops.reports import labels, plots
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, heading, plain, section, viewed
from salesops.words import plural

CAPACITY = ["headcount", "ramping", "productivity", "ramped_rep_months", "capacity"]
CAPACITY_ROWS = labels.kinds(  # the rows in order, each with LABELS' kind or its own
    [*CAPACITY, "booked_last_quarter", "target", "gap"],
    {"headcount": "number", "ramping": "number"}
    | {"productivity": "money", "booked_last_quarter": "money"},
)


def title(ctx: ReportContext) -> HTML:
    """The heading: region, month and the as-of day."""
    _region(ctx)
    return heading(
        f"{ctx.scope.value} team · {ctx.period.label} · {ctx.data_as_of}",
        ctx.tables,
    )


def sellers(ctx: ReportContext) -> pd.DataFrame:
    """Everyone who sells in the region (not its managers), leavers too."""
    reps = ctx.tables.reps
    return sellers_of(reps[reps["region"] == _region(ctx)])


def employed(ctx: ReportContext) -> pd.DataFrame:
    """The region's sellers employed at some point of the month."""
    return active_reps(sellers(ctx), (ctx.period.start, ctx.period.end))


@per_context
def team(ctx: ReportContext) -> pd.DataFrame:
    """The region's sellers employed in the month who owned a deal of the region active in
    the last 3 months (the peers' window, :data:`salesops.analytics.peers.KPI_MONTHS`),
    were hired in them (:func:`salesops.analytics.capacity.team`) or have a quota in
    them: someone on the reps file who owned no deal and was given no quota is not a
    seller with $0 (:func:`left_out` counts them)."""
    o, q, people = ctx.tables.opportunities, ctx.tables.quotas, employed(ctx)
    deals = o[o["region"] == _region(ctx)]
    window = ctx.period.window(KPI_MONTHS)
    ids = set(cap_team(deals, people, window, ctx.stages, leavers=True)["rep_id"])
    if q is not None:  # a quota in the window: expected to sell, so listed even at $0
        due = (q["month"] >= window[0]) & (q["month"] < window[1]) & (q["amount"] > 0)
        ids |= set(q.loc[due, "rep_id"])
    return people[people["rep_id"].isin(ids)]


def left_out(ctx: ReportContext) -> str:
    """One line on the region's sellers left out of the review because they owned no deal
    in the last 3 months (and were neither hired in them nor given a quota); "" when
    there are none."""
    n = len(employed(ctx)) - len(team(ctx))
    if not n:
        return ""
    start = ctx.period.window(KPI_MONTHS)[0]
    dated = ctx.tables.has("reps.hire_date") or ctx.tables.has("reps.end_date")
    # without hire or end dates the people file cannot say who was employed in the month
    who = "in the people file (no hire or end dates)"
    who = f"employed in {ctx.period.label}" if dated else who
    return (
        f"{n:,} of the region's {len(employed(ctx)):,} sellers {who} owned no deal active "
        f"since {start:%d %b %Y} and {'is' if n == 1 else 'are'} left out: a seller without "
        "deals is not a $0 seller"
    )


def elsewhere(ctx: ReportContext) -> str:
    """One line on the region's deals active in the last 3 months whose owners' home
    region is another (an export whose deals carry the customer's region, sold by a team
    of another): they are in no row of the review; "" when there are none."""
    o, reps, region = ctx.tables.opportunities, ctx.tables.reps, _region(ctx)
    window = ctx.period.window(KPI_MONTHS)
    deals = o[(o["region"] == region) & active_deals(o, window, ctx.stages.open_names)]
    n = int((~deals["owner_id"].isin(reps.loc[reps["region"] == region, "rep_id"])).sum())
    if not n:
        return ""
    return (
        f"{plural(n, 'deal')} of {region} active since {window[0]:%d %b %Y} "
        f"{'is' if n == 1 else 'are'} owned by sellers whose home region is another, and "
        f"{'is' if n == 1 else 'are'} in no row here (salesops validate says more)"
    )


@per_context
def scores(ctx: ReportContext) -> pd.DataFrame:
    """Per rep (by id): QTD attainment and bookings, 3-month win rate, next quarter's
    pipeline coverage and the month's commission payable, best attainment first."""
    members = team(ctx)
    ids = list(members["rep_id"])
    qtd = (ctx.period.quarter().start, ctx.period.end)
    kinds = ctx.settings.selling_activity_kinds
    fiscal = ctx.period.fiscal_year_start_month
    kpis = perf.rep_kpis(
        ctx.tables, qtd, ids, ctx.stages, selling_kinds=kinds, fiscal_year_start_month=fiscal
    )
    recent = perf.rep_kpis(
        ctx.tables,
        ctx.period.window(3),
        ids,
        ctx.stages,
        selling_kinds=kinds,
        fiscal_year_start_month=fiscal,
    )
    plan = _plan(ctx)
    payable = {}
    no_quotas = coverage.reason(ctx.tables, ["quotas"], "Commission")
    for _, rep in members.iterrows():
        try:
            payable[rep["rep_id"]] = comp.statement(
                plan,
                rep,
                ctx.tables.opportunities,
                ctx.tables.quotas,
                month=ctx.period,
                won=ctx.stages.won,
            ).payable
        except DataError as error:
            payable[rep["rep_id"]] = gaps.Unknown(no_quotas or error.reason())
    board = pd.DataFrame(
        {
            "rep": members.set_index("rep_id")["name"],
            "attainment_qtd": kpis["attainment"],
            "bookings_qtd": kpis["bookings"],
            "deals_won_qtd": _won(ctx, qtd, kpis["bookings"]),
            "win_rate": recent["win_rate"],
            "coverage": kpis["coverage"],
            "commission": pd.Series(payable, dtype=object),  # an Unknown keeps its reason
        }
    )
    return board.sort_values("attainment_qtd", ascending=False, na_position="last")


def _won(
    ctx: ReportContext, qtd: tuple[pd.Timestamp, pd.Timestamp], bookings: pd.Series
) -> pd.Series:
    """Deals won in ``qtd`` by each rep of ``bookings`` (by rep id): unknown, as their
    bookings are, when the quarantine set aside every closed deal (0 would say none was
    won)."""
    deals = ctx.tables.opportunities
    if deals.attrs.get(CLOSED_ASIDE):
        return bookings.astype(object)
    won = m.won_in(deals, qtd, ctx.stages)
    return won.groupby("owner_id").size().reindex(bookings.index, fill_value=0)


@section("Leaderboard")
def leaderboard(ctx: ReportContext) -> pd.DataFrame:
    """The leaderboard as shown, by rep name; without quotas, by bookings and without the
    columns that need quotas (attainment, coverage, commission)."""
    board = scores(ctx).set_index("rep")
    quota_columns = {"quota attainment": ["quotas"], "pipeline coverage": ["quotas"]}
    gone, said = coverage.not_shown(ctx.tables, quota_columns | {"commission": ["quotas"]})
    if gone:  # without quotas: by bookings, and the columns that need them said, not shown
        board = board.drop(columns=["attainment_qtd", "coverage", "commission"])
        board = board.sort_values("bookings_qtd", ascending=False)
    unpriced_reps = int(board["bookings_qtd"].map(gaps.why).notna().sum())
    if board["deals_won_qtd"].map(gaps.why).notna().any():  # none known: nothing to order by
        unpriced_reps = 0
    if unpriced_reps:  # unknown bookings rank neither below $0 nor above it: by deals won
        board = board.sort_values("deals_won_qtd", ascending=False, kind="stable")
    payable = "" if gone else f"; commission: payable for {ctx.period.label}"
    caption = (
        f"Leaderboard, {ctx.period.quarter().label} to date (win rate: last 3 months"
        f"{payable}): {len(board):,} "
        f"seller{'s' if len(board) != 1 else ''}, who owned deals in the last 3 months, "
        "joined in them or have a quota in them"
    )
    if unpriced_reps:
        caption += (
            f". Ordered by deals won: the bookings of {unpriced_reps:,} "
            f"seller{'s are' if unpriced_reps != 1 else ' is'} unknown"
        )
    for line in (left_out(ctx), elsewhere(ctx)):
        caption += f". {line}" if line else ""
    qtd = (ctx.period.quarter().start, ctx.period.end)
    ids = team(ctx)["rep_id"]
    unpriced = booked.left_out(ctx.tables.opportunities, qtd, ids, stages=ctx.stages)
    if unpriced:
        caption += f". {unpriced.rstrip('.')}"
    if said:
        caption += f". {said.replace('`', '').rstrip('.')}"
    return viewed(board, View({}, caption))


@section("Attainment across the team")
def attainment_spread(ctx: ReportContext) -> pd.DataFrame:
    """Each rep's QTD attainment, drawn as an unlabelled distribution."""
    values = scores(ctx)[["attainment_qtd"]].dropna().reset_index(drop=True)
    caption = f"Quota attainment across the team, {ctx.period.quarter().label} to date"

    def draw(frame: pd.DataFrame) -> Any:
        return plots.distribution(frame["attainment_qtd"].to_numpy(), None, caption)

    return viewed(values, View(caption=caption, draw=draw))


@section("Ramping reps")
def ramping(ctx: ReportContext) -> pd.DataFrame:
    """Reps still ramping: hired less than the ramp time before the period's end."""
    rows = []
    for _, rep in employed(ctx).iterrows():  # a new seller may own no deal yet
        months = months_in_seat(rep["hire_date"], ctx.period.end)
        factor = ramp_factor(months, ctx.settings.ramp_months)
        if factor < 1:
            rows.append(
                {
                    "rep": rep["name"],
                    "hired": f"{rep['hire_date']:%Y-%m-%d}",
                    "months_in_seat": months,
                    "ramp": factor,
                }
            )
    frame = pd.DataFrame(rows, columns=["rep", "hired", "months_in_seat", "ramp"])
    formats = {"months_in_seat": "decimal", "ramp": "pct"}
    view = View(formats, "Reps still ramping", empty="Nobody is ramping.")
    return viewed(frame.set_index("rep"), view)


def next_quarter(ctx: ReportContext) -> Period:
    """The quarter the capacity is for: the one holding the day after the as-of day, or
    the next one when the period ends it."""
    quarter = ctx.period_of(ctx.as_of + pd.Timedelta(days=1)).quarter()
    return quarter.shift(1) if quarter.end <= ctx.period.end else quarter


@per_context
def capacity(ctx: ReportContext) -> pd.Series:
    """Next quarter's capacity against the region's quota for it, next to what the region
    booked the quarter before (:func:`salesops.analytics.capacity.quarter_capacity`)."""
    quarter = next_quarter(ctx)
    ramp = ctx.settings.ramp_months
    o = ctx.tables.opportunities
    deals = o[o["region"] == _region(ctx)]
    cap = dict(  # not a Series enlarged in place, which drops an Unknown's reason
        quarter_capacity(
            sellers(ctx), deals, quarter, ctx.as_of, stages=ctx.stages, ramp_months=ramp
        ).items()
    )
    if not ctx.tables.has("reps.hire_date"):  # who is ramping cannot be known: not 0
        cap["ramping"] = np.nan
    q = ctx.tables.quotas
    target = np.nan if q is None else q.loc[quarter.contains(q["month"]), "amount"].sum()
    cap["target"] = target if target and target > 0 else np.nan
    capacity_ = cap["capacity"]
    cap["gap"] = capacity_ if gaps.why(capacity_) else capacity_ - cap["target"]
    return pd.Series(cap, name=quarter.label, dtype=object)


@section("Capacity table")
def capacity_table(ctx: ReportContext) -> pd.DataFrame:
    """Capacity as shown: one column for the quarter, without the rows the source cannot
    support (ramp without hire dates, target and gap without quotas)."""
    cap = capacity(ctx)
    rows = dict(CAPACITY_ROWS)
    quarter = next_quarter(ctx)
    before, n = quarter.shift(-1), int(cap["headcount"])
    until = "" if before.end <= ctx.as_of + pd.Timedelta(days=1) else f" to {ctx.as_of:%d %b %Y}"
    which = (  # the next quarter at a quarter's last month, else the one under way
        f"the next quarter: {ctx.period.label} ends {before.label}"
        if quarter.start >= ctx.period.end
        else "the quarter under way"
    )
    caption = (
        f"Capacity for {quarter.label} ({which}): {plural(n, 'seller')} who owned deals in "
        "the last 12 months (or joined in them), their mean monthly bookings × ramped "
        f"rep-months, against quota; booked in {before.label}{until}, the quarter before"
    )
    unknown = []
    if not ctx.tables.has("reps.hire_date"):
        rows.pop("ramping")
        unknown.append("every rep counts as fully ramped: ramp needs `reps.hire_date`")
    if not ctx.tables.has("quotas"):
        rows.pop("target")
        rows.pop("gap")
        unknown.append("the target needs the `quotas` table")
    if unknown:
        caption += f" ({'; '.join(unknown)}, which this source does not have)"
    end = ctx.as_of + pd.Timedelta(days=1)
    year = (end - pd.DateOffset(months=12), end)  # the window productivity is measured on
    o = ctx.tables.opportunities
    deals = o[o["region"] == _region(ctx)]
    unpriced = booked.left_out(deals, year, sellers(ctx)["rep_id"], stages=ctx.stages)
    if unpriced:
        caption += f". {unpriced.rstrip('.')}"
    named = quarter_rows(quarter, before)  # each row names its quarter
    shown = cap.loc[list(rows)].to_frame().rename(index=named)
    return viewed(shown, View(caption=caption, rows={named.get(k, k): v for k, v in rows.items()}))


def quarter_rows(quarter: Period, before: Period) -> dict[str, str]:
    """The capacity table's rows that are of a quarter, named with it: "Capacity,
    2019-Q1", "Booked, 2018-Q4" (the quarter is the next one at a quarter's last month, else
    the one under way: the label says which, never "next quarter")."""
    of = {"ramped_rep_months": "Ramped rep-months", "capacity": "Capacity"}
    of |= {"target": "Target", "gap": "Gap"}
    return {name: f"{text}, {quarter.label}" for name, text in of.items()} | {
        "booked_last_quarter": f"Booked, {before.label}"
    }


@section("Territory")
def territory(ctx: ReportContext) -> pd.DataFrame:
    """Accounts and open pipeline per rep, with their Gini coefficients in the caption."""
    members = team(ctx)
    terr = balance.territory(ctx.tables.opportunities, members, ctx.stages)
    ineq = balance.inequality(terr)
    terr.index = terr.index.map(members.set_index("rep_id")["name"])
    caption = (
        f"Territory balance · Gini of accounts {fmt.decimal(ineq['accounts'])}, "
        f"of open pipeline {fmt.decimal(ineq['open_pipeline'])} (0 = perfectly even)"
    )
    if not ctx.tables.has("opportunities.account_id"):
        terr = terr.drop(columns="accounts")
        caption = (
            f"Territory balance · Gini of open pipeline {fmt.decimal(ineq['open_pipeline'])} "
            "(0 = perfectly even; accounts need `opportunities.account_id`, which this "
            "source does not have)"
        )
    return viewed(terr.rename_axis("rep"), View({}, caption))


def summary(ctx: ReportContext) -> dict[str, Any]:
    """The headline numbers as plain JSON values, for the roll-up: a number that cannot
    be known is null, and ``"unknown"`` names it with its reason
    (:func:`~salesops.reports.display.plain`)."""
    board, cap = scores(ctx), capacity(ctx)
    no_quotas = coverage.reason(ctx.tables, ["quotas"], "Attainment")
    quarter = ctx.period.quarter().label
    return ctx.summary(
        "team_review",
        reps=len(board),
        reps_without_deals=len(employed(ctx)) - len(board),
        attainment_qtd_median=plain(
            board["attainment_qtd"].astype(float).median(),
            no_quotas or f"no rep of the team has a quota for {quarter} to date",
        ),
        commission_total=commission_total(board["commission"]),
        capacity={k: plain(v, _capacity_reason(ctx, k)) for k, v in cap.items()},
        capacity_quarter=str(cap.name),  # the quarter the capacity is for
    )


def commission_total(commission: pd.Series) -> float:
    """Σ the team's commission payable; unknown, with the first reason, when a rep's
    commission is (a total that left a rep out would read as the team's), and 0 for a
    team with nobody to pay."""
    unknown = [value for value in commission if gaps.why(value) or pd.isna(value)]
    if unknown:
        n, total = len(unknown), len(commission)
        why = gaps.why(unknown[0]) or "it could not be computed"
        if n == total and len({gaps.why(v) for v in unknown}) == 1:
            return gaps.Unknown(why)
        return gaps.Unknown(f"the commission of {n} of {total} reps is unknown: {why}")
    return float(commission.astype(float).sum())


def _capacity_reason(ctx: ReportContext, row: str) -> str:
    """Why a row of :func:`capacity` is unknown."""
    if row == "ramping":
        return coverage.reason(ctx.tables, ["reps.hire_date"], "Ramping") or "no hire dates"
    if row in ("target", "gap"):
        lacking = coverage.reason(ctx.tables, ["quotas"], f"The {row}")
        return lacking or f"the team has no quota for {next_quarter(ctx).label}"
    return f"no closed deal of the team's sellers to measure {row.replace('_', ' ')} on"


def _region(ctx: ReportContext) -> str:
    if ctx.scope.level != "region":
        raise ValueError("the team review is for a region (region:<name>)")
    return str(ctx.scope.value)


def _plan(ctx: ReportContext) -> comp.CompPlan:
    if ctx.comp_plan is None:
        raise ValueError(
            "commission needs a plan: ReportContext.load(..., comp_plan='parameters/comp_plan.yml')"
        )
    return ctx.comp_plan
