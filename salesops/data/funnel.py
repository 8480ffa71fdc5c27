"""The order of an export's stages, for ``salesops map`` (:mod:`salesops.data.proposal`):
from the stage history (the order deals pass through them), else the export's own sequence
column, else the stages' names (a funnel's steps), else the age of their deals; and the
export's own win probability of each stage.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from salesops.data.drafts import closed_values
from salesops.data.engines import DuckDBEngine
from salesops.data.profiles import FileProfile
from salesops.data.sql import ident, quote
from salesops.data.synonyms import normalize, words

if TYPE_CHECKING:
    from salesops.data.proposal import Proposal


def order_by_history(
    engine: DuckDBEngine, history: str, *, deal: str, stage: str, changed: str
) -> list[str]:
    """Stage values in the order deals pass through them: by the mean position of a
    stage's first entry among each deal's changes."""
    sql = (
        f"WITH c AS (SELECT {quote(deal)} AS d, CAST({quote(stage)} AS VARCHAR) AS s, "
        f"row_number() OVER (PARTITION BY {quote(deal)} ORDER BY {quote(changed)}) AS i "
        f"FROM {ident(history)} WHERE {quote(stage)} IS NOT NULL), "
        "f AS (SELECT d, s, min(i) AS i FROM c GROUP BY d, s) "
        "SELECT s, avg(i) AS p FROM f GROUP BY s ORDER BY p, s"
    )
    return list(engine.query(sql, {})["s"])


def order_by_age(engine: DuckDBEngine, deals: str, stage: str, created: str) -> list[str]:
    """Stage values ordered by the age of their deals, the youngest first: a deal further
    along has usually been open longer (by the median created date, latest first; a stage
    whose deals have no created date yet comes first)."""
    sql = (
        f"SELECT CAST({quote(stage)} AS VARCHAR) AS s, "
        f"median(TRY_CAST({quote(created)} AS TIMESTAMP)) AS m FROM {ident(deals)} "
        f"WHERE {quote(stage)} IS NOT NULL GROUP BY 1 ORDER BY m DESC NULLS FIRST, 1"
    )
    return list(engine.query(sql, {})["s"])


# Where a stage's name puts it in a sales funnel: the words of the usual stage names, by
# step, with the default stages of Salesforce (Prospecting, Qualification, Needs Analysis,
# Value Proposition, Id. Decision Makers, Perception Analysis, Proposal/Price Quote,
# Negotiation/Review), Zoho (the same), HubSpot (Appointment Scheduled, Qualified To Buy,
# Presentation Scheduled, Decision Maker Bought-In, Contract Sent), Pipedrive (Lead In,
# Contact Made, Demo Scheduled, Proposal Made, Negotiations Started) and Dynamics 365
# (Qualify, Develop, Propose) each a step of its own.
FUNNEL_STEPS: dict[str, int] = {
    **dict.fromkeys(("new", "lead", "prospect", "prospecting", "opened", "identified"), 1),
    **dict.fromkeys(("appointment",), 1),
    **dict.fromkeys(("qualify", "qualified", "qualification", "discovery", "contact"), 2),
    **dict.fromkeys(("contacted",), 2),
    **dict.fromkeys(("needs",), 3),
    **dict.fromkeys(("demo", "poc", "trial", "evaluation", "presentation", "develop"), 4),
    **dict.fromkeys(("value", "proposition"), 5),
    **dict.fromkeys(("decision", "makers", "maker"), 6),
    **dict.fromkeys(("perception",), 7),
    **dict.fromkeys(("proposal", "propose", "quote", "quoted", "pricing", "price"), 8),
    **dict.fromkeys(("negotiation", "negotiations", "negotiating", "review", "contract"), 9),
    **dict.fromkeys(("commit", "verbal"), 9),
}


def order_by_names(values: list[str]) -> list[str] | None:
    """The open stage ``values`` in funnel order by their names ("New", "Qualified",
    "PoC", "Proposal", "Negotiation"), when each of at least two names one step of
    :data:`FUNNEL_STEPS` and no two name the same step; else None.

    >>> order_by_names(["Negotiation", "New", "PoC", "Qualified"])
    ['New', 'Qualified', 'PoC', 'Negotiation']
    >>> order_by_names(["Negotiation/Review", "Needs Analysis", "Value Proposition",
    ...     "Prospecting", "Proposal/Price Quote", "Id. Decision Makers", "Qualification",
    ...     "Perception Analysis"])  # doctest: +NORMALIZE_WHITESPACE
    ['Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition',
     'Id. Decision Makers', 'Perception Analysis', 'Proposal/Price Quote', 'Negotiation/Review']
    >>> order_by_names(["Contract Sent", "Qualified To Buy", "Decision Maker Bought-In",
    ...     "Appointment Scheduled", "Presentation Scheduled"])  # doctest: +NORMALIZE_WHITESPACE
    ['Appointment Scheduled', 'Qualified To Buy', 'Presentation Scheduled',
     'Decision Maker Bought-In', 'Contract Sent']
    >>> order_by_names(["Proposal Made", "Lead In", "Negotiations Started", "Contact Made",
    ...     "Demo Scheduled"])
    ['Lead In', 'Contact Made', 'Demo Scheduled', 'Proposal Made', 'Negotiations Started']
    >>> order_by_names(["Initial contact", "Nurturing"]) is None
    True
    """
    steps: dict[str, int] = {}
    for value in values:
        named = re.findall(r"[a-z0-9]+", value.casefold())  # "PoC" is one word
        found = {FUNNEL_STEPS[w] for w in named if w in FUNNEL_STEPS}
        if len(found) != 1:
            return None
        steps[value] = found.pop()
    if len(steps) < 2 or len(set(steps.values())) < len(steps):
        return None
    return sorted(steps, key=steps.__getitem__)


# A column beside the stage that numbers it (Odoo's sequence, "Stage sequence", a sort order)
SEQUENCE_WORDS = frozenset({"sequence", "order", "sort", "position", "rank"})


def order_by_sequence(
    engine: DuckDBEngine, deals: FileProfile, stage: str
) -> tuple[str, list[str]] | None:
    """The export's own stage order: a number column named for the stage and a sequence
    (``Stage sequence``, ``stage_sort_order``) that gives each stage value one number of
    its own; with its header, the stage values by it. None when there is none."""
    named = set(words(stage))
    for header in deals.headers:
        said = set(words(header))
        if header == stage or not named < said or not said & SEQUENCE_WORDS:
            continue
        number = f"TRY_CAST({quote(header)} AS DOUBLE)"
        sql = (
            f"SELECT CAST({quote(stage)} AS VARCHAR) AS s, count(DISTINCT {number}) AS n, "
            f"count({number}) = count(*) AS whole, min({number}) AS k "
            f"FROM {ident(deals.name)} WHERE {quote(stage)} IS NOT NULL GROUP BY 1"
        )
        found = engine.query(sql, {})
        one = len(found) and (found["n"] == 1).all() and found["whole"].all()
        if one and found["k"].is_unique:  # one number per stage, each its own
            return header, list(found.sort_values("k")["s"])
    return None


PROBABILITY_COLUMNS = ("probability", "dealprobability", "winprobability", "probabilitypercent")


def stage_probabilities(engine: DuckDBEngine, f: FileProfile, stage: str) -> dict[str, float]:
    """The export's own win probability of each stage value (Salesforce's ``Probability``,
    in percent): the median of the deals' values in the stage, as a share (÷ 100 when the
    column is in percent, any value above 1); a stage with a value outside 0 to 100 has
    none (Salesforce's export has a won deal at 1000), nor does any without such a column."""
    header = next((h for h in f.headers if normalize(h) in PROBABILITY_COLUMNS), None)
    if header is None:
        return {}
    value = f"TRY_CAST({quote(header)} AS DOUBLE)"
    rows = engine.query(
        f"SELECT CAST({quote(stage)} AS VARCHAR) AS v, median({value}) AS p,"
        f" min({value}) AS low, max({value}) AS high FROM {ident(f.name)}"
        f" WHERE {quote(stage)} IS NOT NULL AND {value} IS NOT NULL GROUP BY 1",
        {},
    )
    rows = rows[(rows["low"] >= 0) & (rows["high"] <= 100)]  # a stage's own values only
    if rows.empty:
        return {}
    scale = 100.0 if rows["high"].max() > 1 else 1.0
    return {str(v): round(float(p) / scale, 2) for v, p in zip(rows["v"], rows["p"], strict=True)}


def stage_order(engine: DuckDBEngine, proposal: Proposal) -> None:
    """The stage values in pipeline order from the history (the order deals pass through
    them), else from the age of the open deals in each; or say why not."""
    opps, history = proposal.table("opportunities"), proposal.table("opportunity_history")
    found = list(proposal.stage_counts)
    need = ("opportunity_id", "stage", "changed_at")
    if history.source and all(c in history.columns for c in need):
        c = history.columns
        deal, stage, changed = (c[n] for n in need)
        order = order_by_history(engine, history.source, deal=deal, stage=stage, changed=changed)
        proposal.stage_order = [v for v in order if v in found] + [
            v for v in found if v not in order
        ]
        proposal.order_note = (
            f"open stages in the order deals pass through them in {history.source} (the mean "
            "position of a stage's first entry among a deal's changes)"
        )
    elif opps.source and "stage" in opps.columns and (sequence := _sequence(engine, proposal)):
        header, order = sequence
        proposal.stage_order = order + [v for v in found if v not in order]
        proposal.order_note = f"open stages in the export's own order ({header!r})"
    elif named := order_by_names(_open_values(proposal)):
        proposal.stage_order = named + [v for v in found if v not in named]
        proposal.order_note = (
            "open stages in funnel order by their names (New, Qualified, Demo, Proposal, "
            "Negotiation), before the age of their deals; check it"
        )
    elif opps.source and "created_date" in opps.columns and "stage" in opps.columns:
        c = opps.columns
        proposal.stage_order = order_by_age(engine, opps.source, c["stage"], c["created_date"])
        lacking = "no stage history" if history.source is None else "no change time in the history"
        proposal.order_note = (
            f"{lacking}: open stages ordered by the age of their deals (younger "
            "deals in earlier stages); check it"
        )
    else:
        proposal.stage_order = found
        proposal.order_note = (
            "could not order the stages (no stage history and no created date): they are "
            "listed by deal count; put the open ones in pipeline order"
        )


def _open_values(proposal: Proposal) -> list[str]:
    """The stage values found that are neither won nor lost (:func:`closed_values`)."""
    won, lost = closed_values(proposal.stage_counts, proposal.stage_flags)
    return [v for v in proposal.stage_counts if v not in won and v not in lost]


def _sequence(engine: DuckDBEngine, proposal: Proposal) -> tuple[str, list[str]] | None:
    """The deals file's own stage order (:func:`order_by_sequence`), if it has one."""
    opps = proposal.table("opportunities")
    deals = next(f for f in proposal.files if f.name == opps.source)
    return order_by_sequence(engine, deals, opps.columns["stage"])
