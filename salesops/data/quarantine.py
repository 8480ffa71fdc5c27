"""Tolerant loading on request: rows that break a rule are set aside, never dropped silently.

The default is strict: bad data refuses the whole load with every broken rule named. With
``on_invalid="quarantine"`` (``--on-invalid quarantine`` on ``validate``, ``run`` and in
``salesops.load``) each row that breaks a row rule is set aside with its reasons, and the
rules are checked again on what is left, since setting a rep aside leaves that rep's
deals without an owner; this repeats until every rule passes. What was set aside is on
``Tables.set_aside`` (a frame per table, with a ``reason`` column), is written to
``reports/<period>/quarantine/<table>.csv`` by a run (formula-safe cells:
:func:`salesops.markup.csv_frame`), and each report shows a one-line banner with the
count. Rules about the source's shape (a missing table or column) still
refuse: no row can be set aside for those.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from salesops import markup
from salesops.data.model import Tables
from salesops.data.stages import Stages
from salesops.data.validation import validate
from salesops.errors import ConfigError, DataError, RuleFailure

OnInvalid = Literal["refuse", "quarantine"]
MODES = ("refuse", "quarantine")
ROUNDS = 10  # each round can only orphan rows of tables that refer to the last ones


def check_mode(on_invalid: str) -> OnInvalid:
    """``on_invalid`` if it is ``refuse`` or ``quarantine``; ConfigError otherwise."""
    if on_invalid not in MODES:
        raise ConfigError(f"on_invalid must be refuse or quarantine, got {on_invalid!r}")
    return on_invalid  # type: ignore[return-value]


def set_aside(
    raw: dict[str, pd.DataFrame],
    stages: Stages,
    source: str = "",
    prior: list[RuleFailure] | None = None,
) -> Tables:
    """Validate ``raw``, setting aside the rows that break a rule (see the module).

    Raises
    ------
    DataError
        When a rule about the source's shape fails (nothing to set aside for it).
    """
    raw = {table: frame.copy() for table, frame in raw.items()}
    aside: dict[str, list[pd.DataFrame]] = {}
    for _ in range(ROUNDS):
        try:
            tables = validate(raw, stages, source, prior or [])
        except DataError as exc:
            shape = [f for f in exc.failures if not f.rows]
            if shape:
                raise DataError(shape, source) from None
            reasons: dict[str, dict[object, list[str]]] = {}
            for failure in exc.failures:
                for row in failure.rows:
                    rule = f"{failure.column}: {failure.rule}"
                    if failure.value is not None:
                        rule = f'{failure.column} "{failure.value}" {failure.rule}'
                    reasons.setdefault(failure.table, {}).setdefault(row, []).append(rule)
            for table, rows in reasons.items():
                frame = raw[table]
                taken = frame.loc[list(rows)].assign(reason=["; ".join(r) for r in rows.values()])
                aside.setdefault(table, []).append(taken)
                raw[table] = frame.drop(index=list(rows))
            continue
        tables.set_aside = {t: pd.concat(parts) for t, parts in aside.items()}
        _refuse_if_no_deal_is_left(tables, source)
        return tables
    raise DataError([RuleFailure("-", "-", "rows kept breaking rules after set-asides", 0)])


def _refuse_if_no_deal_is_left(tables: Tables, source: str) -> None:
    """A quarantine that sets every deal aside leaves nothing to report on: that is an
    error naming the most frequent reasons, not a run of empty reports that exits 0."""
    deals = tables.set_aside.get("opportunities")
    if deals is None or len(tables.opportunities):
        return
    reasons = deals["reason"].str.split("; ").explode().value_counts()
    said = "; ".join(f"{rule} ({n:,} rows)" for rule, n in reasons.head(3).items())
    ids = tuple(deals["opportunity_id"].astype(str).head(5))
    rule = f"every deal breaks a rule and would be set aside, leaving nothing to report: {said}"
    raise DataError([RuleFailure("opportunities", "-", rule, len(deals), examples=ids)], source)


def banner(tables: Tables) -> str:
    """The one-line data-quality banner of a report (plain text, after "Data quality:"),
    or "" when nothing was set aside."""
    if not tables.set_aside:
        return ""
    counts = {t: len(f) for t, f in tables.set_aside.items()}
    total = sum(counts.values())
    listed = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    rows = "row breaks" if total == 1 else "rows break"
    return (
        f"{total:,} {rows} a data rule and "
        f"{'is' if total == 1 else 'are'} left out of every number here ({listed}); "
        "see quarantine/ in this period's folder for each row and its reason."
    )


def write(tables: Tables, folder: Path) -> list[Path]:
    """Write each table's set-aside rows, with their reasons, to ``folder/<table>.csv``;
    return the files written (old files of tables now clean are removed)."""
    from salesops.storage import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for old in folder.glob("*.csv"):
        if old.stem not in tables.set_aside:
            old.unlink()
    for table, frame in tables.set_aside.items():
        path = folder / f"{table}.csv"
        write_atomic(path, markup.csv_frame(frame).to_csv(index=False))
        written.append(path)
    return written
