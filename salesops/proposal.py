"""``salesops map``: a first source file proposed for a CRM export.

It reads an export folder (or one workbook) through the same engine as a load, matches
the export's tables and column headers against the names Salesforce, HubSpot, Pipedrive,
Zoho and hand-kept spreadsheets use, and lists the stage values it finds. The result is
a source file with every canonical column either mapped or marked missing, for the user
to edit rather than write from a blank page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from salesops.engines import DuckDBEngine, ident, quote
from salesops.mapping import SourceSpec
from salesops.model import TABLES
from salesops.stages import Stages

# Table names, normalized (lower case, letters and digits only).
TABLE_NAMES: dict[str, tuple[str, ...]] = {
    "opportunities": ("opportunity", "opportunities", "deals", "deal", "potentials", "pipeline"),
    "opportunity_history": ("opportunityhistory", "dealhistory", "stagehistory", "history"),
    "reps": ("user", "users", "owners", "owner", "team", "reps", "salespeople", "employees"),
    "quotas": ("forecastingquota", "quotas", "quota", "targets"),
    "leads": ("lead", "leads"),
    "activities": ("task", "tasks", "activities", "activity", "events", "calls"),
    "forecast_submissions": ("forecasts", "forecastsubmissions", "forecastsubmission"),
}
# Column headers, normalized, after a leading "deal", "opportunity", "lead" or "owner"
# word is also tried without it ("Deal - Value" is "dealvalue" and "value").
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "opportunity_id": ("opportunityid", "recordid", "dealid", "id", "deal"),
    "account_id": (
        "accountid",
        "associatedcompanyids",
        "companyid",
        "organization",
        "customer",
        "account",
        "accountname",
        "company",
    ),
    "owner_id": ("ownerid", "dealownerid", "owner", "dealowner", "rep", "salesrep", "leadownerid"),
    "region": ("region", "regionc", "territory", "division", "salesregionc", "team"),
    "segment": ("segment", "segmentc", "type"),
    "product": ("product", "productline", "productfamilyc", "productfamily"),
    "lead_source": ("leadsource", "source", "originalsource"),
    "created_date": (
        "createddate",
        "createdate",
        "created",
        "createdtime",
        "dealcreated",
        "opened",
        "createdat",
    ),
    "close_date": (
        "closedate",
        "closingdate",
        "expectedclosedate",
        "closeexpected",
        "closed",
        "closedon",
        "dealclosedon",
    ),
    "stage": ("stagename", "stage", "dealstage"),
    "amount": ("amount", "value", "dealvalue", "quotaamount", "quota"),
    "forecast_category": ("forecastcategoryname", "forecastcategory"),
    "changed_at": ("createddate", "changedat", "changed", "date"),
    "rep_id": ("id", "ownerid", "userid", "quotaownerid", "rep", "name"),
    "name": ("name", "ownername", "fullname", "firstandlastname"),
    "manager_id": ("managerid", "manager", "reportingtoid", "managerownerid"),
    "role": ("role", "userrole", "title"),
    "email": ("email", "emailaddress", "workemail", "useremail"),
    "hire_date": ("startdatec", "startdate", "hiredate", "hired"),
    "end_date": ("terminationdatec", "enddate", "left", "terminationdate"),
    "month": ("startdate", "month", "period"),
    "lead_id": ("recordid", "leadid", "id"),
    "created_at": ("createdtime", "createddate", "createdat", "created"),
    "source": ("leadsource", "source"),
    "first_response_at": ("firstresponseat", "firstresponse", "firstcontacted", "firsttouch"),
    "converted_at": ("convertedtime", "converteddate", "convertedat"),
    "activity_id": ("activityid", "id"),
    "started_at": ("startedat", "activitydate", "start", "date"),
    "kind": ("type", "kind", "activitytype", "tasksubtype"),
    "minutes": ("minutes", "durationinminutes", "duration"),
    "submitted_at": ("submittedat", "submitted"),
    "category": ("category", "forecastcategory"),
    "period": ("period", "forecastperiod"),
}
PREFIXES = ("deal", "opportunity", "lead", "user")


def normalize(name: str) -> str:
    """``"Deal - Owner.id"`` as ``"dealownerid"``; ``"Region__c"`` as ``"regionc"``."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())


@dataclass
class TableProposal:
    """What was matched for one canonical table."""

    table: str
    source: str | None
    columns: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str | None, str]]:
        """Each canonical column with its export header (None: missing) and whether the
        data model requires it."""
        spec = TABLES[self.table]
        return [
            (c.name, self.columns.get(c.name), "required" if c.required else "optional")
            for c in spec.columns
        ]


def _match_table(table: str, found: list[str], taken: set[str]) -> str | None:
    by_name = {normalize(f): f for f in found if f not in taken}
    return next((by_name[n] for n in TABLE_NAMES[table] if n in by_name), None)


def _match_columns(table: str, headers: list[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for header in headers:
        n = normalize(header)
        keys.setdefault(n, header)
        for prefix in PREFIXES:
            if n.startswith(prefix) and len(n) > len(prefix):
                keys.setdefault(n.removeprefix(prefix), header)
    out, used = {}, set()
    for column in TABLES[table].column_names:
        for synonym in COLUMN_NAMES.get(column, (normalize(column),)):
            header = keys.get(normalize(synonym))
            if header is not None and (header not in used or column == "name"):
                out[column] = header
                used.add(header)
                break
    return out


def _match_owner(engine: DuckDBEngine, opps: TableProposal, reps: TableProposal) -> None:
    """Take as ``reps.rep_id`` the reps column that holds the most of the deals' owners
    (Pipedrive names the owner, Salesforce gives the user id)."""
    assert opps.source and reps.source
    owners = (
        f"SELECT DISTINCT CAST({quote(opps.columns['owner_id'])} AS VARCHAR) AS v "
        f"FROM {ident(opps.source)}"
    )
    best, most = None, 0
    for header in engine.column_types(reps.source) or {}:
        n = engine.query(
            f"SELECT count(*) AS n FROM {ident(reps.source)} "
            f"WHERE CAST({quote(header)} AS VARCHAR) IN ({owners})",
            {},
        ).iloc[0, 0]
        if n > most:
            best, most = header, int(n)
    if best is not None:
        reps.columns["rep_id"] = best


def propose(
    export: str | Path, location: str | None = None
) -> tuple[str, list[TableProposal], dict[str, int]]:
    """A first source file for ``export`` (a folder of exports or one workbook), whose
    ``location`` is written as given (default: the export's own path).

    Returns the source file's text, the per-table proposals and the export's stage
    values with their row counts.
    """
    path = Path(export).resolve()
    engine = DuckDBEngine(SourceSpec("files", str(path)))
    try:
        found = [name.split(":")[-1].rsplit(".", 1)[0] for name in engine.names()]
        proposals, taken = [], set()
        for table in TABLES:
            source = _match_table(table, found, taken)
            if source is None:
                proposals.append(TableProposal(table, None))
                continue
            taken.add(source)
            headers = list(engine.column_types(source) or {})
            proposals.append(TableProposal(table, source, _match_columns(table, headers)))
        opps = proposals[0]
        reps = next(p for p in proposals if p.table == "reps")
        if opps.source and reps.source and "owner_id" in opps.columns:
            _match_owner(engine, opps, reps)
        stage_counts: dict[str, int] = {}
        status = None
        if opps.source and "stage" in opps.columns:
            stage = quote(opps.columns["stage"])
            rows = engine.query(
                f"SELECT CAST({stage} AS VARCHAR) AS v, count(*) AS n FROM "
                f"{ident(opps.source)} WHERE {stage} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
                {},
            )
            stage_counts = dict(zip(rows["v"], rows["n"].astype(int), strict=True))
            headers = engine.column_types(opps.source) or {}
            status = next((h for h in headers if normalize(h).endswith("status")), None)
    finally:
        engine.close()
    text = _render(path.name, location or str(path), proposals, stage_counts, status)
    return text, proposals, stage_counts


def _stages(values: dict[str, int]) -> tuple[list[dict], dict[str, str]]:
    """The export's own stage list (open ones in the order found, then won, then lost) and
    the values to fold onto it; stages of ``parameters/stages.yml`` are kept as they are."""
    configured = {s.name.casefold(): s.name for s in Stages.read().stages}
    if values and all(v.casefold() in configured for v in values):
        return [], {v: configured[v.casefold()] for v in values if configured[v.casefold()] != v}
    won = [v for v in values if "won" in v.casefold() or v.casefold() in ("win", "closed")]
    lost = [v for v in values if any(w in v.casefold() for w in ("lost", "dead", "disqualified"))]
    open_ = [v for v in values if v not in won and v not in lost]
    fold = {v: lost[0] for v in lost[1:]} | {v: won[0] for v in won[1:]}
    n = max(len(open_), 1)
    stages = [
        {"name": v, "probability": round(0.1 + 0.7 * i / max(n - 1, 1), 2)}
        for i, v in enumerate(open_)
    ]
    stages.append(
        {"name": won[0] if won else "Won", "probability": 1.0, "closed": True, "won": True}
    )
    stages.append({"name": lost[0] if lost else "Lost", "probability": 0.0, "closed": True})
    return stages, fold


def _render(
    name: str,
    location: str,
    proposals: list[TableProposal],
    stage_counts: dict[str, int],
    status: str | None,
) -> str:
    stages, fold = _stages(stage_counts)
    lines = [
        f"# A first source file for {name}, written by `salesops map`. Check every line:",
        "# columns marked missing are added empty (or say which sections cannot be shown);",
        "# see docs/sources.md for derive, defaults, stages and outcome.",
        f"name: {name}",
        "kind: files",
        f"location: {_scalar(location)}",
    ]
    if stages:
        lines.append("# The export's stages: put the open ones in pipeline order and set their")
        lines.append("# probabilities; found values and their deal counts are in the comments.")
        lines.append("stages:")
        for stage in stages:
            flow = yaml.safe_dump(stage, default_flow_style=True, sort_keys=False).strip()
            count = stage_counts.get(stage["name"])
            lines.append(f"  - {flow}" + (f"   # {count:,} deals" if count else ""))
    lines.append("tables:")
    reps = next(p for p in proposals if p.table == "reps")
    for p in proposals:
        if p.source is None:
            lines.append(f"  # {p.table}: no table found")
            continue
        lines += [f"  {p.table}:", f"    from: {_scalar(p.source)}", "    columns:"]
        for column, header, need in p.rows():
            if header is not None:
                lines.append(f"      {column}: {_scalar(header)}")
            else:
                lines.append(f"      # {column}: missing ({need})")
        if p.table == "opportunities":
            if fold:
                lines.append("    values:")
                pairs = ", ".join(f"{_scalar(a)}: {_scalar(b)}" for a, b in fold.items())
                lines.append(f"      stage: {{{pairs}}}")
            if status and "stage" in p.columns:
                lines.append(f"    # won and lost may be in {status!r}: see `outcome` in docs")
                lines.append(f"    # outcome: {{column: {_scalar(status)}, won: won, lost: lost}}")
            if "region" not in p.columns and "region" in reps.columns:
                lines.append("    derive:")
                lines.append("      region: {from: reps.region, on: owner_id}")
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar, quoted only when it must be."""
    return yaml.safe_dump(text, default_style=None).strip().removesuffix("...").strip()


def summary(proposals: list[TableProposal], stage_counts: dict[str, int]) -> list[str]:
    """The lines ``salesops map`` prints: each table and column mapped or missing, and the
    stage values to map."""
    out = []
    for p in proposals:
        if p.source is None:
            state = "required, not found" if TABLES[p.table].required else "not found"
            out.append(f"{p.table}: {state}")
            continue
        out.append(f"{p.table} <- {p.source}")
        for column, header, need in p.rows():
            shown = f"<- {header}" if header is not None else f"   missing ({need})"
            out.append(f"  {column:<18} {shown}")
    if stage_counts:
        out.append("stage values to map:")
        out += [f"  {value} ({count:,} deals)" for value, count in stage_counts.items()]
    return out
