"""The filters a load pushes into the engine: a scope, and what windows from a day need.

Each is SQL text with bound parameters, written against the canonical ``SELECT`` of a
table (:mod:`salesops.data.queries`), so it runs inside the engine's scan and never reads a
whole source into pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from salesops.data.model import TABLES
from salesops.data.relations import DATE_COLUMNS, REP_TABLES
from salesops.data.scopes import Scope
from salesops.data.sql import quote

if TYPE_CHECKING:
    from salesops.data.sources import Source


def open_stages(src: Source, table: str, params: dict[str, Any]) -> str:
    """``(:s0, :s1, ...)``: the open stages, bound in ``params``."""
    values = src.stages.open_names
    for i, value in enumerate(values):
        params[f"s{i}"] = value
    bound = ", ".join(src.engine.param(f"s{i}") for i in range(len(values)))
    return f"({bound or 'NULL'})"  # no open stage: no deal is open


def since_filter(
    src: Source,
    table: str,
    sql: str,
    params: dict[str, Any],
    *,
    since: pd.Timestamp,
    deals: str | None = None,
) -> str:
    """Narrow ``sql`` (the table's scoped query) to what windows from ``since`` need.

    ``deals`` names an engine table of the opportunity ids loaded (else the deal
    condition is evaluated again in a subquery)."""
    p = src.engine.param
    column = DATE_COLUMNS.get(table)
    if column is None or not src.temporal(table, column):
        return sql  # untyped dates (a CSV with bad values): keep every row
    params["since"] = since.to_pydatetime()
    if table in ("opportunities", "opportunity_history"):
        condition = deals_since(src, {} if deals else params)  # bound only if used
        if condition is None:
            return sql
        if table == "opportunities":
            return f"SELECT * FROM ({sql}) AS w WHERE {condition}"
        # Changes from `since` on, plus the state just before it of every deal in the
        # opportunities slice: its last earlier row (a window over those deals only).
        if deals is None:
            opps = src.select("opportunities")
            assert opps is not None
            slice_ = f"SELECT opportunity_id FROM ({opps[0]}) AS d WHERE {condition}"
        else:
            slice_ = f"SELECT opportunity_id FROM {quote(deals)}"
        columns = ", ".join(TABLES[table].column_names)
        return (
            f"SELECT {columns} FROM ({sql}) AS w WHERE changed_at >= {p('since')} "
            f"UNION ALL SELECT {columns} FROM (SELECT w.*, row_number() OVER "
            "(PARTITION BY opportunity_id ORDER BY changed_at DESC) AS rn "
            f"FROM ({sql}) AS w WHERE changed_at < {p('since')} AND opportunity_id IN "
            f"({slice_})) AS o WHERE rn = 1"
        )
    return f"SELECT * FROM ({sql}) AS w WHERE {column} >= {p('since')}"


def deals_since(src: Source, params: dict[str, Any]) -> str | None:
    """The condition on opportunities that picks the deals windows from ``since`` need:
    open now, created or closed since, or changed since. None if dates are untyped."""
    p = src.engine.param
    if not (
        src.temporal("opportunities", "close_date")
        and src.temporal("opportunities", "created_date")
    ):
        return None
    condition = (
        f"(stage IN {open_stages(src, 'opportunities', params)} "
        f"OR close_date >= {p('since')} OR created_date >= {p('since')}"
    )
    history = src.select("opportunity_history")
    if history is not None and src.temporal("opportunity_history", "changed_at"):
        condition += (
            f" OR opportunity_id IN (SELECT opportunity_id FROM ({history[0]}) AS h "
            f"WHERE changed_at >= {p('since')})"
        )
    return condition + ")"


def scope_filter(src: Source, table: str, scope: Scope) -> str:
    s = src.engine.param("scope")
    opps = src.select("opportunities")
    assert opps is not None  # required table, checked by _select
    if scope.level == "rep":
        by_table = {
            "opportunities": f"owner_id = {s}",
            "reps": f"rep_id = {s}",
            "opportunity_history": "opportunity_id IN (SELECT opportunity_id "
            f"FROM ({opps[0]}) AS o WHERE owner_id = {s})",
        }
        return by_table.get(table) or f"{REP_TABLES[table]} = {s}"
    reps = src.select("reps")
    assert reps is not None
    region_reps = f"SELECT rep_id FROM ({reps[0]}) AS r WHERE region = {s}"
    by_table = {
        "opportunities": f"region = {s}",
        "reps": f"(region = {s} OR rep_id IN (SELECT owner_id FROM ({opps[0]}) AS o "
        f"WHERE region = {s}))",
        "opportunity_history": f"opportunity_id IN (SELECT opportunity_id FROM ({opps[0]}) "
        f"AS o WHERE region = {s})",
    }
    return by_table.get(table) or f"{REP_TABLES[table]} IN ({region_reps})"
