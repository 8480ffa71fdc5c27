"""The plan's territory balance (``notebooks/planning.ipynb``): accounts, open pipeline
and last year's bookings per seller and region, their Gini coefficients, and account
moves within each region that even out open pipeline.
"""

from __future__ import annotations

import pandas as pd

from salesops.analytics import bookings as bk
from salesops.analytics import gaps
from salesops.analytics import planning as pn
from salesops.analytics import territory as balance
from salesops.reports import formatting as fmt
from salesops.reports.context import ReportContext, per_context
from salesops.reports.display import View, section, viewed
from salesops.reports.plan import deals, team
from salesops.words import plural

TERRITORY_FORMATS = {"bookings_12m": "money"}  # accounts: a number in LABELS


def last_year(ctx: ReportContext) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The 12 months to the as-of day that ``bookings_12m`` covers."""
    return (ctx.as_of - pd.DateOffset(months=12), ctx.as_of + pd.Timedelta(days=1))


@per_context
def territory(ctx: ReportContext) -> pd.DataFrame:
    """Accounts, open pipeline and last-12-month bookings per seller of
    :func:`salesops.reports.plan.team` (:func:`salesops.analytics.territory.territory`:
    a seller whose open deals all lack an amount has an unknown open pipeline, not $0)."""
    active = team(ctx)
    o = deals(ctx)[deals(ctx)["owner_id"].isin(active["rep_id"])]
    ids = pd.Index(active["rep_id"], name="rep_id")
    window = last_year(ctx)
    booked = bk.per_group(o, window, ids, stages=ctx.stages)
    held = balance.territory(o, active, ctx.stages).reindex(ids)
    return pd.DataFrame(
        {
            "rep": active.set_index("rep_id")["name"],
            "region": active.set_index("rep_id")["region"],
            "accounts": held["accounts"].fillna(0),
            "open_pipeline": held["open_pipeline"],
            "bookings_12m": booked,
        }
    )


@section("Territory tables")
def territory_tables(ctx: ReportContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Territory per region, and per rep with the Gini coefficient of each measure; open
    pipeline that no open deal's amount supports reads "–", and the caption says how many
    open deals were left out."""
    t = territory(ctx)
    if not ctx.tables.has("opportunities.account_id"):
        t = t.drop(columns="accounts")
    measures = [c for c in ("accounts", "open_pipeline", "bookings_12m") if c in t]
    ineq = {c: balance.gini(t[c]) for c in measures}
    caption = "Per rep · Gini " + ", ".join(
        f"{c.replace('_', ' ')} {fmt.decimal(v)}" for c, v in ineq.items()
    )
    o = deals(ctx)[deals(ctx)["owner_id"].isin(t.index)]
    open_ = o[o["stage"].isin(ctx.stages.open_names)]
    said = gaps.left_out(int(open_["amount"].isna().sum()), len(open_))
    caption += f". {said}" if said else ""
    window = last_year(ctx)
    won_note = bk.left_out(o, window, t.index, stages=ctx.stages).rstrip(".")
    caption += f". {won_note}" if won_note else ""
    regions = t.groupby("region")[measures].sum()
    region_of = open_["owner_id"].map(t["region"])  # a region's open pipeline: its deals'
    regions["open_pipeline"] = [
        gaps.total(open_.loc[region_of == r, "amount"]) for r in regions.index
    ]
    # a region's bookings: its sellers' deals won, unknown when none has an amount
    mine = o.assign(region=o["owner_id"].map(t["region"]))
    regions["bookings_12m"] = bk.per_group(
        mine, window, regions.index, by="region", stages=ctx.stages
    ).to_numpy()
    said = "; ".join(s for s in (said, won_note) if s)
    return (
        viewed(regions, View(TERRITORY_FORMATS, "Per region" + (f". {said}" if said else ""))),
        viewed(t.set_index("rep"), View(TERRITORY_FORMATS, caption)),
    )


@section("Account rebalancing")
def rebalancing(ctx: ReportContext, max_moves: int = 5) -> pd.DataFrame:
    """Suggested account moves within each region, with the Gini before and after.

    An account's open pipeline is the Σ of its open deals' amounts: $0 without an open
    deal, unknown when its open deals all lack an amount. Nothing moves or ranks on an
    invented $0 (:func:`salesops.analytics.planning.rebalance`): an unknown account
    stays where it is, a rep whose open pipeline is unknown is left out of the balance,
    and the caption says how many of each."""
    active = team(ctx)
    o = deals(ctx)[deals(ctx)["owner_id"].isin(active["rep_id"])]
    open_ = o[o["stage"].isin(ctx.stages.open_names)]
    value = open_.groupby("account_id")["amount"].sum(min_count=1)  # none priced: NaN
    names = active.set_index("rep_id")["name"]
    rows, unknown_accounts, unknown_reps = [], 0, 0
    for region, reps in active.groupby("region"):
        owned = o[o["owner_id"].isin(reps["rep_id"])].groupby(["account_id", "owner_id"]).size()
        accounts = owned.reset_index()[["account_id", "owner_id"]].drop_duplicates("account_id")
        has_open = accounts["account_id"].isin(value.index)
        accounts["open_pipeline"] = accounts["account_id"].map(value).where(has_open, 0.0)
        unknown_accounts += int(accounts["open_pipeline"].isna().sum())
        unknown_reps += len(pn.unknown_reps(accounts))
        moves, before, after = pn.rebalance(accounts, max_moves)
        for move in moves.to_dict("records"):
            rows.append(
                {
                    "region": region,
                    "account": move["account_id"],
                    "from": names.get(move["from"], move["from"]),
                    "to": names.get(move["to"], move["to"]),
                    "open_pipeline": move["open_pipeline"],
                    "gini_before": before,
                    "gini_after": after,
                }
            )
    columns = ["region", "account", "from", "to", "open_pipeline", "gini_before", "gini_after"]
    frame = pd.DataFrame(rows, columns=columns).set_index(["region", "account"])
    formats = {"gini_before": "decimal", "gini_after": "decimal"}
    caption = (
        f"Suggested moves (at most {max_moves} per region; each lowers the region's Gini of "
        "open pipeline)"
    )
    if unknown_accounts:
        caption += (
            f". {plural(unknown_accounts, 'account')} whose open deals all lack an amount "
            f"{'has' if unknown_accounts == 1 else 'have'} an unknown open pipeline: "
            "never moved"
        )
        if unknown_reps:
            caption += (
                f", and {plural(unknown_reps, 'rep')} whose open pipeline is unknown "
                f"{'is' if unknown_reps == 1 else 'are'} left out of the balance and the Gini"
            )
    empty = "No account move would even out open pipeline" + caption.partition(")")[2] + "."
    return viewed(frame, View(formats, caption, empty=empty))
