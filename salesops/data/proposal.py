"""``salesops map``: a first source file proposed for a CRM export it has never seen.

It reads an export folder (or one workbook) through the same engine as a load. Tables and
columns are recognised by name (the names Salesforce, HubSpot, Pipedrive, Zoho and
hand-kept spreadsheets use) and, where names say nothing, by content
(:mod:`salesops.data.evidence`, over :mod:`salesops.data.profiles`): the deals are the file
of dated rows with a column of a few stage-like values; the owner is the deals' column whose
values are the people of another file, which is then the reps, even where another column is
named like an owner (without a people file, the column of a few id-like values each on many
deals, named like a rep: :mod:`salesops.data.tokens`); hashed values are no category, and
rows flagged deleted are counted (:mod:`salesops.data.flags`); dates, amounts and a
people-to-office column fill the rest, and content overrules a name that cannot be right
(an owner different on every deal, an amount that is nearly always 0, a connector's sync
time as a date).
It lists every file and header it saw, every canonical column mapped or with the reason it
is not, the stage values, and a stage order taken from the data where it can be.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from salesops.data import evidence, flags, tokens
from salesops.data.drafts import render, summary
from salesops.data.engines import DuckDBEngine
from salesops.data.funnel import stage_order, stage_probabilities
from salesops.data.mapping import SourceSpec
from salesops.data.model import TABLES
from salesops.data.profiles import FileProfile, profile
from salesops.data.sql import quote
from salesops.data.synonyms import (
    COLUMN_NAMES,
    MONEY_WORDS,
    OWNER_WORDS,
    PREFERRED,
    PREFIXES,
    REGION_WORDS,
    TABLE_NAMES,
    normalize,
    synced,
    words,
)

__all__ = ["Proposal", "TableProposal", "normalize", "propose"]


@dataclass
class TableProposal:
    """What was matched for one canonical table, how, and why columns were not."""

    table: str
    source: str | None
    columns: dict[str, str] = field(default_factory=dict)
    how: str = ""  # how the table was found
    _: KW_ONLY
    reasons: dict[str, str] = field(default_factory=dict)  # canonical column: why missing
    warnings: dict[str, str] = field(default_factory=dict)  # mapped column: what to check
    notes: list[str] = field(default_factory=list)  # what else its rows say (deleted flags)
    defaults: dict[str, str] = field(default_factory=dict)  # canonical column: its rules

    def rows(self) -> list[tuple[str, str | None, str]]:
        """Each canonical column with its export header (None: missing) and whether the
        data model requires it."""
        spec = TABLES[self.table]
        return [
            (c.name, self.columns.get(c.name), "required" if c.required else "optional")
            for c in spec.columns
        ]


@dataclass
class Proposal:
    """Everything ``salesops map`` found in an export, and the source file it proposes."""

    export: str
    files: list[FileProfile]
    broken: dict[str, str]
    tables: list[TableProposal]
    _: KW_ONLY
    stage_counts: dict[str, int]
    stage_order: list[str]  # the stage values in the proposed order
    order_note: str  # how that order was found, or why it could not be
    status: str | None = None  # a won/lost column apart from the stage (Pipedrive)
    status_values: dict[str, int] = field(default_factory=dict)  # its values, with their rows
    # a true/false column whose false rows are archived deals (Odoo archives a lost deal,
    # which keeps its last stage)
    # (the column, its written false value)
    archive: tuple[str, str] | None = None
    archived: dict[str, int] = field(default_factory=dict)  # archived deals per stage value
    # won, lost or open per stage value, from the export's own flag columns (Salesforce's
    # IsWon and IsClosed), and those columns
    stage_flags: dict[str, str] = field(default_factory=dict)
    flag_columns: tuple[str, str] | None = None
    # the export's own win probability per stage value (its probability column), as a share
    probabilities: dict[str, float] = field(default_factory=dict)
    text: str = ""

    def table(self, name: str) -> TableProposal:
        return next(p for p in self.tables if p.table == name)

    def summary(self) -> list[str]:
        """The lines ``salesops map`` prints."""
        return summary(self)


def _name_score(table: str, name: str) -> float:
    """10 for a file named as the table is (``Opportunity``, ``deals``); between 5 and 6 for
    one whose name holds such a word (``sales_pipeline``, ``sf_opportunity_data``), the more
    of the name it is the higher (``deal_data`` is deals, ``deal_pipeline_stage_data`` is
    not); else 0."""
    n = normalize(name)
    if n in TABLE_NAMES[table]:
        return 10
    held = [len(s) for s in TABLE_NAMES[table] if len(s) >= 4 and s in n]
    return 5 + max(held) / len(n) if held else 0


def _deal_score(f: FileProfile) -> int:
    """How much a file looks like deals: stage-like values, dates, amounts, an id."""
    cols = f.columns.values()
    dates = sum(c.is_date for c in cols)
    score = 3 * any(c.stage_like for c in cols) + any(c.is_few for c in cols)
    score += 2 * (dates >= 1) + (dates >= 2) + any(c.is_money for c in cols)
    return score + any(c.is_unique for c in cols)


def _match_tables(files: list[FileProfile]) -> dict[str, tuple[FileProfile, str]]:
    """Each canonical table's file, and how it was found."""
    pairs = sorted(
        ((_name_score(t, f.name), t, f) for t in TABLES for f in files),
        key=lambda p: -p[0],
    )
    out: dict[str, tuple[FileProfile, str]] = {}
    taken: set[str] = set()
    for score, table, f in pairs:
        if score and table not in out and f.name not in taken:
            out[table] = (f, "by its name")
            taken.add(f.name)
    if "opportunities" not in out:
        free = [f for f in files if f.name not in taken]
        best = max(free, key=lambda f: (_deal_score(f), f.rows), default=None)
        if best is not None and _deal_score(best) >= 5:
            out["opportunities"] = (best, "by its content: dated rows with stage-like values")
    if "opportunity_history" not in out and "opportunities" in out:
        held = {f.name for f, _ in out.values()}
        history = evidence.history_file([f for f in files if f.name not in held])
        if history is not None:
            out["opportunity_history"] = (history, "by its content: a deal, a stage and a date")
    return out


def _by_name(table: str, f: FileProfile, used: set[str]) -> dict[str, str]:
    """Columns whose header is a known name (``CloseDate``, ``Deal - Value``), then those
    with a known word in it (``close_value``: value), of a type that fits."""
    keys: dict[str, str] = {}
    for header in f.headers:
        n = normalize(header)
        keys.setdefault(n, header)
        for prefix in PREFIXES:
            if n.startswith(prefix) and len(n) > len(prefix):
                keys.setdefault(n.removeprefix(prefix), header)
    out: dict[str, str] = {}
    for column in TABLES[table].column_names:
        for synonym in (
            *PREFERRED.get(column, ()),
            *COLUMN_NAMES.get(column, (normalize(column),)),
        ):
            known = keys.get(synonym)
            if known is not None and _fits(table, column, known, f=f, used=used, placed=out):
                out[column] = known
                used.add(known)
                break
    hints: dict[str, tuple[str, ...]] = {"amount": MONEY_WORDS, "region": REGION_WORDS}
    if table in ("opportunities", "leads"):  # a lead's Salesperson, as a deal's
        hints["owner_id"] = OWNER_WORDS
    for column, hint in hints.items():
        if column in out or column not in TABLES[table].column_names:
            continue
        for header in f.headers:
            flag = words(header)[:1] in (["is"], ["has"])  # is_excluded_from_territory
            if flag or not f.columns[header].filled:
                continue
            hinted = set(words(header)) & set(hint)
            if hinted and _fits(table, column, header, f=f, used=used, placed=out):
                out[column] = header
                used.add(header)
                break
    return out


def _fits(table: str, column: str, header: str, *, f: FileProfile, used: set, placed: dict) -> bool:
    """Whether ``header`` of ``f`` can serve ``column``: not yet ``used`` (a rep's name may
    be the id ``placed`` already), a date (not a connector's) for a date, a number (or
    text) for an amount."""
    if header in used and not (column == "name" and placed.get("rep_id") == header):
        return False
    kind, profile_ = TABLES[table].column(column).kind, f.columns[header]
    if kind in ("date", "timestamp"):  # never a connector's sync time (_fivetran_synced)
        return not profile_.is_number and not synced(header)
    if kind in ("money", "count"):  # never text of a few values that are not numbers
        text = profile_.type == "VARCHAR" and any(not _numeric(v) for v in profile_.values)
        return not profile_.is_date and not text
    return True


def _numeric(text: str) -> bool:
    """Whether ``text`` is a number as exports write one (``1,200.50``, ``$ 900``)."""
    return (
        re.fullmatch(r"[^\d\s]{0,3}\s?-?[\d.,\s]*\d[\d.,\s]*\s?[^\d\s]{0,3}", text.strip())
        is not None
    )


def _empty_columns(p: TableProposal, f: FileProfile) -> None:
    """Warn of each mapped column that is empty in every row of ``f`` (HubSpot's seed
    has a stage, an amount and a close date column with no value): mapped as it is, it
    holds nothing, and the reports need a default or say what is missing."""
    for column, header in p.columns.items():
        if header in f.columns and not f.columns[header].filled and column not in p.warnings:
            p.warnings[column] = (
                f"empty in every one of its {f.columns[header].rows:,} rows: give it a "
                "default (docs/sources.md) or leave it out"
            )


def _reason(table: str, column: str, p: TableProposal, proposal: Proposal) -> str:
    """Why ``column`` was not placed, in a few words."""
    names = ", ".join(COLUMN_NAMES.get(column, (column,))[:4])
    kind = TABLES[table].column(column).kind
    looked = f"no header like {names}"
    if table == "opportunities" and column == "region":
        if "region" in proposal.table("reps").columns:
            return f"{looked}; derived below from the owner's region (reps.region)"
        return f"{looked}, and no region on the reps either"
    if (table, column) == ("opportunities", "owner_id") and proposal.table("reps").source is None:
        return (
            f"{looked}, no people file, and no column of id-like values, a few of them each "
            "on many deals"
        )
    if (table, column) == ("opportunities", "opportunity_id"):  # unique, but placed
        f = next(f for f in proposal.files if f.name == p.source)
        taken = {h: c for c, h in p.columns.items()}
        unique = [h for h in f.headers if h in taken and f.columns[h].is_unique]
        if unique:
            return (
                f"{looked}; {unique[0]!r} ({taken[unique[0]]}) has a different value on every "
                f"row: if each row is a deal, it is its id too (`opportunity_id: {unique[0]}`)"
            )
    if column in ("owner_id", "rep_id"):
        return f"{looked}, and no column whose values are the people of another file"
    if column == "stage":
        return f"{looked}, and no column of a few repeated stage-like values"
    if kind in ("date", "timestamp"):
        return f"{looked}, and no date column left"
    if kind == "money":
        return f"{looked}, and not exactly one column of amounts (numbers >= 0) left"
    return looked


def propose(export: str | Path, location: str | None = None) -> Proposal:
    """A first source file for ``export`` (a folder of exports or one workbook), whose
    ``location`` is written as given (default: the export's own path).

    Returns the :class:`Proposal`: the files seen, the per-table matches with reasons, the
    stage values with their counts and order, and the source file's text (``.text``).
    """
    path = Path(export).resolve()
    engine = DuckDBEngine(SourceSpec("files", str(path)), strict=False)
    try:
        names = [n.split(":")[-1].rsplit(".", 1)[0] for n in engine.names()]
        files = [profile(engine, n) for n in names if n not in engine.broken]
        proposal = Proposal(
            str(path),
            files,
            dict(engine.broken),
            [],
            stage_counts={},
            stage_order=[],
            order_note="",
        )
        matched = _match_tables(files)
        used: dict[str, set[str]] = {}
        for table in TABLES:
            f, how = matched.get(table, (None, ""))
            p = TableProposal(table, None if f is None else f.name, how=how)
            if f is not None:
                used[table] = set()
                p.columns = _by_name(table, f, used[table])
            proposal.tables.append(p)
        opps, reps = proposal.table("opportunities"), proposal.table("reps")
        if opps.source is not None:
            deals = matched["opportunities"][0]
            people_files = [matched["reps"][0]] if "reps" in matched else []
            people_files = people_files or [f for f in files if f.name != deals.name]
            found = evidence.owners(engine, opps, deals, people_files)
            if found is not None:
                owner, people, key = found
                opps.columns["owner_id"] = owner
                used["opportunities"].add(owner)
                if reps.source is None:
                    reps.source, reps.how = people.name, f"by its content: the people of {owner}"
                    reps.columns = _by_name("reps", people, used.setdefault("reps", set()))
                reps.columns["rep_id"] = key
            if found is None and reps.source is None:  # no people file: by content alone
                tokens.lone_owner(engine, opps, deals)
                used["opportunities"].update(opps.columns.values())
            evidence.deal_content(opps, deals, used["opportunities"])
            evidence.check_amount(engine, opps, deals)
            evidence.check_close(opps, deals)
            evidence.check_segment(opps, deals)
            evidence.check_owners(engine, opps, reps)
        history = proposal.table("opportunity_history")
        if history.source is not None:
            changes = matched["opportunity_history"][0]
            evidence.history_content(history, changes, used["opportunity_history"])
            evidence.check_versions(history, changes)
            evidence.check_history(engine, history, opps)
        leads = proposal.table("leads")
        if leads.source is not None:
            evidence.lead_content(leads, matched["leads"][0], used["leads"])
        if reps.source is not None:
            evidence.people_columns(reps, next(f for f in files if f.name == reps.source))
            evidence.check_managers(engine, reps)
        if opps.source and "stage" in opps.columns:
            stage = quote(opps.columns["stage"])
            rows = engine.query(
                f"SELECT CAST({stage} AS VARCHAR) AS v, count(*) AS n FROM "
                f'"{opps.source}" WHERE {stage} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1',
                {},
            )
            proposal.stage_counts = dict(zip(rows["v"], rows["n"].astype(int), strict=True))
            deals = next(f for f in files if f.name == opps.source)
            headers = deals.headers
            proposal.status = next((h for h in headers if normalize(h).endswith("status")), None)
            if proposal.status is not None:
                status = quote(proposal.status)
                rows = engine.query(
                    f"SELECT CAST({status} AS VARCHAR) AS v, count(*) AS n FROM "
                    f'"{opps.source}" WHERE {status} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1',
                    {},
                )
                proposal.status_values = dict(zip(rows["v"], rows["n"].astype(int), strict=True))
            archived = evidence.archive(engine, deals, opps.columns["stage"])
            if archived is not None:
                proposal.archive, proposal.archived = archived[:2], archived[2]
            flags.stage_flags(engine, proposal, headers)
            proposal.probabilities = stage_probabilities(engine, deals, opps.columns["stage"])
        stage_order(engine, proposal)
        for p in (p for p in proposal.tables if p.source is not None):
            f = next(f for f in files if f.name == p.source)
            tokens.check_categories(engine, p, f)
            flags.deleted(engine, p, f, (proposal.archive or (None,))[0])
    finally:
        engine.close()
    for p in proposal.tables:
        if p.source is not None:
            _empty_columns(p, next(f for f in files if f.name == p.source))
            p.reasons = {
                c: p.reasons.get(c) or _reason(p.table, c, p, proposal)
                for c in TABLES[p.table].column_names
                if c not in p.columns
            }
    proposal.text = render(path.name, location or str(path), proposal)
    return proposal
