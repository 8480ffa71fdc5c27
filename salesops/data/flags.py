"""True/false columns of an export that say something of its rows, for ``salesops map``
(:mod:`salesops.data.proposal`): which stages are won, lost or open (Salesforce's ``IsWon``
and ``IsClosed``), and which rows the CRM flags deleted (``IsDeleted``, Fivetran's
``_fivetran_deleted``, an ``Archived`` flag that is not the deals' outcome).

A source file has no row filter: the rows flagged deleted are loaded like the others, and
the proposal says how many there are, rather than dropping them silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from salesops.data.engines import DuckDBEngine
from salesops.data.sql import ident, quote
from salesops.data.synonyms import normalize, words

if TYPE_CHECKING:
    from salesops.data.profiles import FileProfile
    from salesops.data.proposal import Proposal, TableProposal

WON_FLAGS = ("iswon", "won", "isclosedwon", "closedwon")
CLOSED_FLAGS = ("isclosed", "closed")
# Words in a header that say a row was deleted (``is_deleted``, ``_fivetran_deleted``,
# ``Archived``).
DELETED_WORDS = frozenset({"deleted", "archived", "removed", "trashed"})


def stage_flags(engine: DuckDBEngine, proposal: Proposal, headers: list[str]) -> None:
    """Which stage values are won, lost or open, from the export's own true/false columns
    (Salesforce's ``IsWon`` and ``IsClosed``): a stage whose deals are all closed and won
    is won, all closed and none won is lost, none closed is open; a stage whose deals
    disagree is left to its name."""
    won = next((h for h in headers if normalize(h) in WON_FLAGS), None)
    closed = next((h for h in headers if normalize(h) in CLOSED_FLAGS), None)
    opps = proposal.table("opportunities")
    if won is None or closed is None or opps.source is None:
        return
    stage, w, c = (quote(opps.columns["stage"]), quote(won), quote(closed))
    try:
        rows = engine.query(
            f"SELECT CAST({stage} AS VARCHAR) AS v, bool_and(TRY_CAST({w} AS BOOLEAN)) AS all_won,"
            f" bool_or(TRY_CAST({w} AS BOOLEAN)) AS any_won,"
            f" bool_and(TRY_CAST({c} AS BOOLEAN)) AS all_closed,"
            f" bool_or(TRY_CAST({c} AS BOOLEAN)) AS any_closed"
            f' FROM "{opps.source}" WHERE {stage} IS NOT NULL GROUP BY 1',
            {},
        )
    except duckdb.Error:  # flags the engine cannot read as true/false: the names decide
        return
    for row in rows.itertuples():
        if row.all_closed and row.all_won:
            proposal.stage_flags[row.v] = "won"
        elif row.all_closed and row.any_won is False:
            proposal.stage_flags[row.v] = "lost"
        elif row.any_closed is False:
            proposal.stage_flags[row.v] = "open"
    if proposal.stage_flags:
        proposal.flag_columns = (won, closed)


def deleted(
    engine: DuckDBEngine, p: TableProposal, f: FileProfile, outcome: str | None = None
) -> None:
    """Note each column of ``f`` named for deleted rows (:data:`DELETED_WORDS`) whose values
    are all true or false, other than the deals' ``outcome`` column, with how many rows are
    flagged and how many not (in ``p.notes``). The rows are kept: a source file has no row
    filter. When every row is flagged, the note says so plainly: such an export is most
    likely a sandbox's or a seed, not a live CRM's, and dropping them would leave nothing."""
    for header in f.headers:
        if header == outcome or not set(words(header)) & DELETED_WORDS:
            continue
        value = f"TRY_CAST(CAST({quote(header)} AS VARCHAR) AS BOOLEAN)"
        row = engine.query(
            f"SELECT count(*) FILTER (WHERE {value}) AS t, "
            f"count(*) FILTER (WHERE NOT {value}) AS f, "
            f"count({quote(header)}) AS n FROM {ident(f.name)}",
            {},
        ).iloc[0]
        true, false, n = int(row["t"]), int(row["f"]), int(row["n"])
        if not n or true + false < n:  # not a true/false column
            continue
        if true == f.rows:
            p.notes.append(
                f"{header}: every one of its {true:,} rows is flagged deleted (true): most "
                "likely a sandbox or seed export, not a live CRM's; they are kept (a source "
                "file has no row filter), so check with whoever exported it"
            )
        elif true:
            p.notes.append(
                f"{header}: {true:,} of its {f.rows:,} rows are flagged deleted (true), "
                f"{false:,} are not (false): all are kept, as a source file has no row "
                "filter; leave the deleted ones out of the export if they should not count"
            )
        else:
            p.notes.append(f"{header}: no row is flagged deleted ({false:,} false)")
