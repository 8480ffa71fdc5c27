"""What ``salesops map`` writes and prints (:mod:`salesops.data.proposal` finds it): the draft
source file, with a comment for every column it could not place and for how it ordered
the stages, and the summary of the files, headers, tables and stage values it saw."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import yaml

from salesops.data.model import TABLES
from salesops.data.stages import Stages
from salesops.data.synonyms import TABLE_NAMES, words
from salesops.words import plural

if TYPE_CHECKING:
    from salesops.data.proposal import Proposal

SHOWN_HEADERS = 15  # headers listed per file; the rest are counted


# The values of a status column that says whether a deal is open, won or lost (Pipedrive's).
STATUS_WORDS = frozenset({"open", "won", "lost", "deleted"})


def closed_values(values: Iterable[str], flags: dict[str, str]) -> tuple[list[str], list[str]]:
    """The won and the lost stage values: from ``flags`` (a value's ``won``, ``lost`` or
    ``open``, from the export's own won/closed columns) where it has one, else from the
    value's name ("Closed Won", "Lost", "Disqualified")."""

    def named(v: str, words: tuple[str, ...], exact: tuple[str, ...] = ()) -> bool:
        return v not in flags and (any(w in v.casefold() for w in words) or v.casefold() in exact)

    won = [v for v in values if flags.get(v) == "won" or named(v, ("won",), ("win", "closed"))]
    lost = [
        v for v in values if flags.get(v) == "lost" or named(v, ("lost", "dead", "disqualified"))
    ]
    return won, lost


def stage_list(
    values: dict[str, int],
    order: list[str],
    flags: dict[str, str] | None = None,
    probabilities: dict[str, float] | None = None,
) -> tuple[list[dict], dict[str, str]]:
    """The export's own stage list (open ones in ``order``, then won, then lost) and the
    values to fold onto it; stages of ``parameters/stages.yml`` are kept as they are.

    Won and lost stages come from ``flags`` (a stage value's ``won``, ``lost`` or
    ``open``, read from the export's own won/closed columns) where it has one, else from
    the stage's name ("Closed Won", "Lost", "Disqualified"). An open stage's probability
    is the export's own (``probabilities``: the median of its deals') where it has one,
    else spread from 0.1 to 0.8 in pipeline order."""
    configured = {s.name.casefold(): s.name for s in Stages.read().stages}
    if values and all(v.casefold() in configured for v in values):
        return [], {v: configured[v.casefold()] for v in values if configured[v.casefold()] != v}
    won, lost = closed_values(values, flags or {})
    ranked = [v for v in order if v in values] + [v for v in values if v not in order]
    open_ = [v for v in ranked if v not in won and v not in lost]
    fold = {v: lost[0] for v in lost[1:]} | {v: won[0] for v in won[1:]}
    n = max(len(open_), 1)
    start = qualifying(open_)
    stages = [
        {
            "name": v,
            "probability": (probabilities or {}).get(v, round(0.1 + 0.7 * i / max(n - 1, 1), 2)),
        }
        | ({"qualified": True} if start is not None and i >= open_.index(start) else {})
        for i, v in enumerate(open_)
    ]
    stages.append(
        {"name": won[0] if won else "Won", "probability": 1.0, "closed": True, "won": True}
    )
    stages.append({"name": lost[0] if lost else "Lost", "probability": 0.0, "closed": True})
    return stages, fold


# Words before a qualification word that say the deal is not qualified yet ("Not
# Qualified", "Pre-Qualification"); "Disqualified" and "Unqualified" are words of their own.
NOT_YET = frozenset({"not", "non", "pre", "un", "dis", "before"})


def qualifying(open_stages: list[str]) -> str | None:
    """The open stage that qualified pipeline starts at, in pipeline order: the first stage
    named as qualified (a word that begins with ``qualified``: "Qualified", HubSpot's
    "qualifiedtobuy"), or the stage after the first one named for the act of qualifying
    ("Qualification", "Qualify": a deal there is being qualified, not yet qualified),
    whichever comes first; a word that says not yet ("Not Qualified", "Pre-Qualification")
    names neither. None when no open stage is so named (or qualifying is the last one).

    Examples
    --------
    >>> qualifying(["New", "Pre-Qualification", "Qualified", "Proposition"])
    'Qualified'
    >>> qualifying(["Prospecting", "Qualification", "Needs Analysis", "Proposal"])
    'Needs Analysis'
    >>> qualifying(["New", "Demo"]) is None
    True
    """
    for i, stage in enumerate(open_stages):
        said = words(stage)
        if set(said) & NOT_YET:
            continue
        if any(w.startswith("qualified") for w in said):
            return stage
        if any(w.startswith("qualif") for w in said):
            return open_stages[i + 1] if i + 1 < len(open_stages) else None
    return None


def _files(proposal: Proposal) -> list[str]:
    """One line per file seen: rows and headers; one per file that could not be read."""
    out = []
    for f in proposal.files:
        shown = ", ".join(f.headers[:SHOWN_HEADERS])
        more = len(f.headers) - SHOWN_HEADERS
        shown += f", ... ({more} more)" if more > 0 else ""
        out.append(f"{f.name} ({f.rows:,} rows): {shown}")
    out += [f"{problem} (not read)" for problem in proposal.broken.values()]
    return out


def render(name: str, location: str, proposal: Proposal) -> str:
    """The draft source file."""
    stages, fold = stage_list(
        proposal.stage_counts, proposal.stage_order, proposal.stage_flags, proposal.probabilities
    )
    lines = [
        f"# A first source file for {name}, written by `salesops map`. Check every line:",
        "# columns marked missing are added empty (or say which sections cannot be shown);",
        "# see docs/sources.md for derive, defaults, stages and outcome.",
        "# Files seen:",
        *(f"#   {line}" for line in _files(proposal)),
        f"name: {_scalar(name)}",
        "kind: files",
        f"location: {_scalar(location)}",
    ]
    if stages:
        lines.append("# The export's stages: check the open ones' order and set their")
        lines.append("# probabilities; found values and their deal counts are in the comments.")
        lines.append(f"# Stage order: {proposal.order_note}.")
        start = next((s["name"] for s in stages if s.get("qualified")), None)
        if start is not None:
            lines.append(
                f"# Qualified pipeline: open deals from {start} on (the first stage named as"
            )
            lines.append("# qualified, or the one after qualifying): check where it starts.")
        if proposal.probabilities:
            lines.append("# Open stages' probabilities: the median of the export's own, per stage.")
        if proposal.flag_columns:
            won, closed = proposal.flag_columns
            lines.append(f"# Won, lost and open stages: from the export's {won} and {closed}.")
        lines.append("stages:")
        for stage in stages:
            flow = yaml.safe_dump(stage, default_flow_style=True, sort_keys=False).strip()
            count = proposal.stage_counts.get(stage["name"])
            lines.append(f"  - {flow}" + (f"   # {plural(count, 'deal')}" if count else ""))
    lines.append("tables:")
    reps = proposal.table("reps")
    for p in proposal.tables:
        if p.source is None:
            lines.append(f"  # {p.table}: no table found")
            continue
        lines.append(f"  {p.table}:   # found {p.how}")
        lines += [f"    from: {_scalar(p.source)}", "    columns:"]
        for column, header, need in p.rows():
            if header is not None:
                note = f"   # {p.warnings[column]}" if column in p.warnings else ""
                lines.append(f"      {column}: {_scalar(header)}{note}")
            else:
                lines.append(f"      # {column}: missing ({need}): {p.reasons.get(column, '')}")
        lines += [f"    # {note}" for note in p.notes]
        if p.table == "opportunities":
            if fold:
                lines.append("    values:")
                pairs = ", ".join(f"{_scalar(a)}: {_scalar(b)}" for a, b in fold.items())
                lines.append(f"      stage: {{{pairs}}}")
            if proposal.status and "stage" in p.columns:
                lines += _status_lines(proposal)
            if proposal.archive and "stage" in p.columns:
                lines += _archive_lines(proposal)
            if "region" not in p.columns and "region" in reps.columns:
                lines.append("    derive:")
                lines.append("      region: {from: reps.region, on: owner_id}")
        if p.defaults:
            lines.append("    defaults:")
            lines += [f"      {column}: {rules}" for column, rules in p.defaults.items()]
    return "\n".join(lines) + "\n"


def _status_lines(proposal: Proposal) -> list[str]:
    """The ``outcome`` line for a status column (Pipedrive's ``Deal - Status``: open, won,
    lost; a won or lost deal keeps its last pipeline stage): written when every value of
    the column is one of :data:`STATUS_WORDS`, one of them won or lost, and no stage value
    names a won or a lost stage; else commented."""
    assert proposal.status is not None
    status = proposal.status
    spelt = {v.strip().casefold(): v for v in proposal.status_values}
    won, lost = closed_values(proposal.stage_counts, proposal.stage_flags)
    outcome = [f"column: {_scalar(status)}"]
    outcome += [f"{w}: {_scalar(spelt[w])}" for w in ("won", "lost") if w in spelt]
    if set(spelt) <= STATUS_WORDS and {"won", "lost"} & set(spelt) and not won and not lost:
        counts = ", ".join(f"{v} {n:,}" for v, n in proposal.status_values.items())
        return [
            f"    # won and lost are in {status!r} ({counts}), not in the stage, which",
            "    # keeps a closed deal's last pipeline stage. Without this line every deal",
            "    # would count as open.",
            f"    outcome: {{{', '.join(outcome)}}}",
        ]
    return [
        f"    # won and lost may be in {status!r}: see `outcome` in docs",
        f"    # outcome: {{column: {_scalar(status)}, won: won, lost: lost}}",
    ]


def _archive_lines(proposal: Proposal) -> list[str]:
    """The ``outcome`` line for an archive flag (Odoo's ``Active``: a lost deal is archived
    in its last stage): written, with a note, when the export names no lost stage, has no
    status column and none of its archived deals is in a won stage, so that an archived
    deal can only be a lost one; else commented, with what stands in the way."""
    assert proposal.archive is not None
    flag, false = (_scalar(v) for v in proposal.archive)
    won, lost = closed_values(proposal.stage_counts, proposal.stage_flags)
    archived = sum(proposal.archived.values())
    in_won = sum(n for v, n in proposal.archived.items() if v in won)
    deals = f"{archived:,} deal{'s' if archived != 1 else ''}"
    outcome = f"outcome: {{column: {flag}, lost: {false}}}"
    if not lost and not in_won and proposal.status is None:
        return [
            f"    # lost deals are the archived ones ({flag}: {false}; {deals}, none in a won",
            "    # stage): the export names no lost stage, and Odoo archives a lost deal in",
            "    # its last stage. Without this line they would count as open.",
            f"    {outcome}",
        ]
    why = f"{in_won:,} of them in a won stage"
    if not in_won:
        why = "a lost stage too" if lost else f"a status column {proposal.status!r} too"
    return [
        f"    # lost deals may be the archived ones ({flag}: {false}, as in Odoo; {deals};",
        f"    # {why}), in their last stage: see `outcome` in docs",
        f"    # {outcome}",
    ]


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar, quoted only when it must be."""
    return yaml.safe_dump(text, default_style=None).strip().removesuffix("...").strip()


def summary(proposal: Proposal) -> list[str]:
    """The lines ``salesops map`` prints: the files and headers seen, each table and column
    mapped or missing (with why), the stage order and the stage values to map."""
    out = [f"files seen in {proposal.export}:"]
    out += [f"  {line}" for line in _files(proposal)] or ["  none"]
    for p in proposal.tables:
        if p.source is None:
            state = "required, not found" if TABLES[p.table].required else "not found"
            why = f"no file named like {', '.join(TABLE_NAMES[p.table][:4])}"
            why += {
                "opportunities": ", and none of dated rows with stage-like values",
                "reps": ", and none whose rows are the deals' owners",
            }.get(p.table, "")
            out.append(f"{p.table}: {state}: {why}")
            continue
        out.append(f"{p.table} <- {p.source} ({p.how})")
        for column, header, need in p.rows():
            if header is not None:
                note = p.warnings.get(column)
                out.append(f"  {column:<18} <- {header}" + (f"  ({note})" if note else ""))
            else:
                out.append(f"  {column:<18}    missing ({need}): {p.reasons.get(column, '')}")
        out += [f"  note: {note}" for note in p.notes]
    if proposal.stage_counts:
        out.append(f"stage order: {proposal.order_note}")
        out.append("stage values to map:")
        counts = proposal.stage_counts
        ordered = [v for v in proposal.stage_order if v in counts]
        ordered += [v for v in counts if v not in ordered]
        out += [f"  {value} ({plural(counts[value], 'deal')})" for value in ordered]
    return out
