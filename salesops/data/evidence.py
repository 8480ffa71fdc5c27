"""What the content of an export's columns says, for ``salesops map``
(:mod:`salesops.data.proposal` matches names first; these rules place what names did not,
and overrule a name where the content is decisive). Each rule reads values, not headers:

- the owner is the deals' column whose values are the rows of a people file, even when
  another column is named like an owner (Olist's ``seller_id`` is the customer won; its
  sales rep ``sr_id`` is the one found in the people file), and that file's column is
  the reps' id;
- a column with a different value on every one of many deals is not their owner (a person
  owns many deals: it is the customer, or the deal);
- a column that is 0 on nearly every row (:data:`ZERO_SHARE`) is not the deals' amount;
- a connector's bookkeeping column (:func:`salesops.data.synonyms.synced`) is never a
  date of the CRM, and a table whose rows are a connector's versions of a record has no
  change time but the sync's;
- then dates, amounts, ids, a people-to-office column and segments by what they hold.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from salesops.data.engines import DuckDBEngine
from salesops.data.profiles import FEW, ColumnProfile, FileProfile, not_a_segment, overlap, zeros
from salesops.data.sql import ident, literal, quote
from salesops.data.synonyms import (
    BEGIN_WORDS,
    CLOSE_WORDS,
    COLUMN_NAMES,
    OWNER_WORDS,
    PREFIXES,
    VERSION_WORDS,
    normalize,
    synced,
    words,
)

if TYPE_CHECKING:
    from salesops.data.proposal import TableProposal

PERSON = re.compile(r"[A-Z][\w'.-]+( [A-Z][\w'.-]+)+")  # "Ann Lee", "Mary-Jo O'Neil"
# The share of a people file's ids a column's values must be for it to be their owner.
OWNED = 0.8
# A column with a different value on each of at least this many deals is not their owner.
MANY = 20
# A column that is 0 in at least this share of the rows with a value is not an amount
# (Olist's ``declared_monthly_revenue``: 0 in 797 of 842 deals).
ZERO_SHARE = 0.9


def named(column: str, header: str) -> bool:
    """Whether ``header`` is one of the known names of ``column`` (``OwnerId``,
    ``Deal - Owner``), not merely a header with a telling word in it (``seller_id``)."""
    n = normalize(header)
    keys = {n} | {n.removeprefix(p) for p in PREFIXES if n.startswith(p) and n != p}
    return bool(keys & set(COLUMN_NAMES.get(column, (normalize(column),))))


def one_per_deal(c: ColumnProfile) -> bool:
    """A different value on each of many rows: an id of the row or of its customer."""
    return c.is_unique and c.rows >= MANY


def owners(
    engine: DuckDBEngine,
    deals: TableProposal,
    f: FileProfile,
    candidates: list[FileProfile],
) -> tuple[str, FileProfile, str] | None:
    """The deals' owner column, the people file and its id column: the pair where the
    most of the column's values are ids of the people file (:data:`OWNED` of them at
    least). A column known by name (``OwnerId``) is preferred among those that pass, one
    with an owner's word in its name (``sales_agent``) a little; content decides over a
    name that does not pass. A named owner with a different value on every deal is left
    out first (:func:`one_per_deal`), with the reason."""
    named_owner = deals.columns.get("owner_id")
    if named_owner is not None and one_per_deal(f.columns[named_owner]):
        del deals.columns["owner_id"]
        deals.reasons["owner_id"] = (
            f"{named_owner!r} has a different value on each of its {f.rows:,} rows: the "
            "customer or the deal, not its owner (a person owns many deals)"
        )
        named_owner = None
    taken = set(deals.columns.values())
    columns = [named_owner] if named_owner is not None else []
    columns += [
        c.header
        for c in f.columns.values()
        if c.header not in taken
        and not c.is_date
        and not c.is_unique
        and c.distinct >= 2
        and not (c.is_number and c.type == "DOUBLE")
    ]
    best, most = None, 0.0
    for people in candidates:
        for key in people.columns.values():
            if key.is_date or key.distinct < 0.9 * max(key.filled, 1):
                continue
            for owner in columns:
                share = overlap(engine, f.name, owner, other=people.name, key=key.header)
                score = share + 0.25 * named("owner_id", owner)
                score += 0.1 * bool(set(words(owner)) & set(OWNER_WORDS))
                if share >= OWNED and score > most:
                    best, most = (owner, people, key.header), score
    if best is not None and named_owner is not None and best[0] != named_owner:
        share = overlap(engine, f.name, named_owner, other=best[1].name, key=best[2])
        deals.warnings["owner_id"] = (
            f"by content: its values are rows of {best[1].name}.{best[2]}; {named_owner!r}, "
            f"named like an owner, is not ({share:.0%} of its values are)"
        )
    return best


def _closed_at(p: TableProposal, f: FileProfile, expected: str) -> None:
    """Where the close date taken is an expected one and the deals have the times they were
    won and lost (Pipedrive's ``Won time`` and ``Lost time``): a closed deal's close date is
    the time it was won, else lost, and an open deal's its expected one (``p.defaults``)."""
    timed = [h for h in f.headers if set(words(h)) & {"time", "date", "at", "on"}]
    won = next((h for h in timed if "won" in words(h)), None)
    lost = next((h for h in timed if "lost" in words(h)), None)
    if won is None or lost is None:
        return
    p.columns["close_date"] = won
    p.defaults["close_date"] = f"[{{column: {lost}}}, {{column: {expected}, when: open}}]"
    p.notes.append(
        f"close_date: a won deal's is {won!r}, a lost one's {lost!r}, an open one's "
        f"{expected!r} (its plan): see defaults below"
    )


def check_close(p: TableProposal, f: FileProfile) -> None:
    """Name an expected close date beside the deals' actual one (``Actual close date``
    and ``Expected close date``): the actual is the close date, and the expected one is
    an open deal's plan, which a ``defaults:`` rule can take (in ``p.notes``)."""
    taken = p.columns.get("close_date")
    if taken is not None and "expected" in normalize(taken):
        _closed_at(p, f, taken)
        return
    if taken is None:
        return
    for header in f.headers:
        n = normalize(header)
        if header != taken and "expected" in n and n in COLUMN_NAMES["close_date"]:
            rule = f"{{column: {header}, when: open}}"
            p.notes.append(
                f"close_date: {taken!r} is when deals closed; {header!r} is when open deals "
                f"are expected to: for them, `defaults: close_date: {rule}`"
            )
            return


def check_amount(engine: DuckDBEngine, p: TableProposal, f: FileProfile) -> None:
    """Leave out an amount that is 0 on nearly every row (:data:`ZERO_SHARE`; a seller's
    declared revenue, a flag): a deal's value is rarely 0, and bookings summed over it
    would be 0 where they are unknown. Says why; no other column is proposed instead."""
    header = p.columns.get("amount")
    if header is None:
        return
    n, zeroed = zeros(engine, f.name, f.columns[header])
    if n and zeroed >= ZERO_SHARE * n:
        del p.columns["amount"]
        p.reasons["amount"] = (
            f"{header!r} is 0 on {zeroed:,} of its {n:,} rows with a value ({zeroed / n:.0%}): "
            "not the value of a deal; map an amount yourself, or write `amount: null`"
        )


def check_versions(p: TableProposal, f: FileProfile) -> None:
    """A stage history whose rows are a connector's versions of each deal (Fivetran's
    history mode: ``_fivetran_start`` and ``_fivetran_end``) carries the deal's own dates
    (its ``created_date`` is when the deal was created, on every version) and the time the
    connector saw each version: no column says when the deal changed. Leave
    ``changed_at`` out, saying so, unless it is a time the CRM wrote for each change
    (HubSpot's ``date_entered``: when the deal entered the row's stage)."""
    versions = [
        c.header
        for c in f.columns.values()
        if synced(c.header) and c.is_date and set(words(c.header)) & VERSION_WORDS
    ]
    if p.table != "opportunity_history" or not versions:
        return
    header = p.columns.get("changed_at")
    if header is not None and normalize(header) not in COLUMN_NAMES["created_date"]:
        return  # a time the CRM wrote per change (HubSpot's date_entered) stands
    begun = [h for h in versions if set(words(h)) & BEGIN_WORDS] or versions
    p.columns.pop("changed_at", None)
    p.reasons["changed_at"] = (
        f"the rows are versions the connector recorded ({', '.join(versions)}): when it "
        "synced each, not when the deal changed; the CRM's dates here are the deal's own. "
        f"Map changed_at to {begun[0]} yourself to rebuild the pipeline at past moments: "
        "a change then shows when the connector next synced, not when it was made"
    )


# A stage history's deal column, by name (never a bare ``Id``: in a history, the row's own).
DEAL_KEYS = frozenset({"opportunityid", "dealid", "opportunity", "deal"})
# Words in a file's name that say its rows are changes of stage (``deal_stage_data``).
HISTORY_WORDS = frozenset({"stage", "stages", "history", "histories", "change", "changes"})


def few_text(c: ColumnProfile) -> bool:
    """Text of a few repeated values that are not true/false (a stage, a status)."""
    folded = {str(v).casefold() for v in c.values}
    return c.is_few and c.type == "VARCHAR" and bool(folded) and not folded <= {"true", "false"}


def history_file(free: list[FileProfile]) -> FileProfile | None:
    """The stage history among files no table took: rows with a deal id (a column named
    like one: ``deal_id``, ``OpportunityId``), a change date (not a connector's) and a stage
    (a column named like one, or, in a file named like stage changes, ``deal_stage_data``,
    its column of a few repeated values: HubSpot's ``value``). A deal named on one row each
    is a history only when the file's name says so (else it is another deals file). The
    file with the most rows, or None."""
    found = []
    for f in free:
        deals = [c for c in f.columns.values() if normalize(c.header) in DEAL_KEYS]
        dated = any(c.is_date and not synced(c.header) for c in f.columns.values())
        told = bool(set(words(f.name)) & HISTORY_WORDS)
        staged = any(named("stage", h) for h in f.headers)
        staged = staged or (told and any(few_text(c) for c in f.columns.values()))
        repeated = any(not c.is_unique for c in deals)
        if deals and dated and staged and (told or repeated):
            found.append(f)
    return max(found, key=lambda f: f.rows, default=None)


def history_content(p: TableProposal, f: FileProfile, used: set[str]) -> None:
    """A stage history's columns that names did not place: the deal (a column named like a
    deal's id), the stage (its one column of a few repeated values) and when the deal
    entered it (its one date column, a connector's aside)."""
    free = [c for c in f.columns.values() if c.header not in used]
    if "opportunity_id" not in p.columns:
        deals = [c.header for c in free if normalize(c.header) in DEAL_KEYS]
        if deals:
            p.columns["opportunity_id"] = deals[0]
    if "stage" not in p.columns:
        stages = [c for c in free if few_text(c) and c.header not in p.columns.values()]
        if len(stages) == 1:
            p.columns["stage"] = stages[0].header
    dates = [c for c in dates_of(f, used) if c.header not in p.columns.values()]
    if "changed_at" not in p.columns and len(dates) == 1:
        p.columns["changed_at"] = dates[0].header
    for header in p.columns.values():
        used.add(header)


def check_history(engine: DuckDBEngine, history: TableProposal, deals: TableProposal) -> None:
    """Warn when the history's deals are mostly not the deals' ids (a connector's seed of
    another sample; a hashed id): validation refuses a history row whose deal is not among
    the deals, and a past moment cannot be rebuilt for a deal without one."""
    deal, key = history.columns.get("opportunity_id"), deals.columns.get("opportunity_id")
    if deal is None or key is None or history.source is None or deals.source is None:
        return
    share = overlap(engine, history.source, deal, other=deals.source, key=key)
    if share < OWNED:
        history.warnings["opportunity_id"] = (
            f"check: {share:.0%} of its deals are rows of {deals.source}.{key}; validation "
            "refuses a history row whose deal is not among the deals"
        )


ARCHIVE_FLAGS = ("active", "isactive")  # Odoo's archive flag: false on a lost deal


def archive(
    engine: DuckDBEngine, f: FileProfile, stage: str
) -> tuple[str, str, dict[str, int]] | None:
    """Odoo's archive flag on the deals (``Active``, true or false; a lost deal is archived
    and keeps its last stage): the column, its false value as the export writes it, and
    the archived deals per stage value; None without such a column, or with no deal
    archived."""
    for header in f.headers:
        values = f.columns[header].values or {}
        false = [v for v in values if str(v).casefold() == "false"]
        folded = {str(v).casefold() for v in values}
        if normalize(header) in ARCHIVE_FLAGS and false and folded <= {"true", "false"}:
            rows = engine.query(
                f"SELECT CAST({quote(stage)} AS VARCHAR) AS v, count(*) AS n FROM {ident(f.name)}"
                f" WHERE CAST({quote(header)} AS VARCHAR) = {literal(str(false[0]))}"
                f" AND {quote(stage)} IS NOT NULL GROUP BY 1",
                {},
            )
            return header, str(false[0]), dict(zip(rows["v"], rows["n"].astype(int), strict=True))
    return None


def dates_of(f: FileProfile, used: set[str]) -> list[ColumnProfile]:
    """The date columns of ``f`` not yet used, earliest first, without a connector's."""
    free = [c for c in f.columns.values() if c.header not in used and not synced(c.header)]
    return sorted((c for c in free if c.is_date), key=lambda c: c.minimum or "")


def deal_content(p: TableProposal, f: FileProfile, used: set[str]) -> None:
    """Deals' columns that names did not place, placed by what they hold."""
    free = [c for c in f.columns.values() if c.header not in used]
    if "opportunity_id" not in p.columns:
        ids = [c for c in free if c.is_unique and not c.is_date]
        if ids:
            p.columns["opportunity_id"] = ids[0].header
    if "stage" not in p.columns:
        stages = sorted((c for c in free if c.stage_like), key=lambda c: -c.stage_like)
        if stages:
            p.columns["stage"] = stages[0].header
    dates = dates_of(f, used)
    if len(dates) == 1 and set(words(dates[0].header)) & CLOSE_WORDS:
        p.columns.setdefault("close_date", dates.pop().header)  # won_date: when deals closed
    if "created_date" not in p.columns and dates:
        p.columns["created_date"] = dates.pop(0).header  # the earliest: deals start first
    if "close_date" not in p.columns and dates:
        p.columns["close_date"] = dates[-1].header
    if "amount" not in p.columns and "amount" not in p.reasons:
        money = [c for c in free if c.is_money and c.header not in p.columns.values()]
        if len(money) == 1:
            p.columns["amount"] = money[0].header


def lead_content(p: TableProposal, f: FileProfile, used: set[str]) -> None:
    """Leads' id and arrival that names did not place: the one column of unique values,
    and the earliest date column."""
    free = [c for c in f.columns.values() if c.header not in used]
    if "lead_id" not in p.columns:
        ids = [c for c in free if c.is_unique and not c.is_date]
        if ids:
            p.columns["lead_id"] = ids[0].header
    dates = dates_of(f, used)
    if "created_at" not in p.columns and dates:
        p.columns["created_at"] = dates[0].header


def people_columns(p: TableProposal, f: FileProfile) -> None:
    """The reps' name (their id when it holds names) and region (a column of a few
    repeated values: the office of each person)."""
    rep_id = p.columns.get("rep_id")
    if "name" not in p.columns and rep_id is not None:
        values = f.columns[rep_id]
        if not values.is_number and values.type == "VARCHAR":
            p.columns["name"] = rep_id  # people named, not numbered
    if "region" not in p.columns:
        taken = set(p.columns.values())
        few = [
            c
            for c in f.columns.values()
            if c.header not in taken
            and c.type == "VARCHAR"
            and 2 <= c.distinct <= min(FEW, c.filled - 1)  # repeated: people share an office
        ]
        if len(few) > 1:  # a manager's name repeats too: an office is not a person's name
            few = [c for c in few if not all(PERSON.fullmatch(v) for v in c.values)]
        if len(few) == 1:
            p.columns["region"] = few[0].header


def check_segment(p: TableProposal, f: FileProfile) -> None:
    """Leave out a segment candidate that is not a segment
    (:func:`salesops.data.profiles.not_a_segment`), saying why."""
    header = p.columns.get("segment")
    why = None if header is None else not_a_segment(f.columns[header])
    if header is not None and why is not None:
        del p.columns["segment"]
        p.reasons["segment"] = f"{header!r} is not a segment: {why}"


def check_owners(engine: DuckDBEngine, deals: TableProposal, reps: TableProposal) -> None:
    """Warn when the deals' owners are mostly not rows of the people file (an export
    that hashes one id and not the other): validation would refuse every such deal."""
    owner, key = deals.columns.get("owner_id"), reps.columns.get("rep_id")
    if owner is None or key is None or reps.source is None or deals.source is None:
        return
    share = overlap(engine, deals.source, owner, other=reps.source, key=key)
    if share < OWNED:
        deals.warnings["owner_id"] = (
            f"check: {share:.0%} of its values are rows of {reps.source}.{key}; the rest "
            "would fail validation (hashed, or another id?)"
        )


def check_managers(engine: DuckDBEngine, reps: TableProposal) -> None:
    """Leave out a manager column whose values are not the people's ids (managers named
    in a column of their own but not listed as people): validation would refuse them."""
    manager, key = reps.columns.get("manager_id"), reps.columns.get("rep_id")
    if manager is None or key is None or reps.source is None:
        return
    share = overlap(engine, reps.source, manager, other=reps.source, key=key)
    if share < OWNED:
        del reps.columns["manager_id"]
        reps.reasons["manager_id"] = (
            f"{manager!r} holds managers who are not people of {reps.source} "
            f"({share:.0%} of them are): add them as rows to map it"
        )
