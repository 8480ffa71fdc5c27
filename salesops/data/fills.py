"""What a source file's defaults filled: how many values, with their rules; the rows a
default invented (a constant, or a date moved by ``plus``), which a stale-deal flag never
counts, with the rule that invented each (a figure resting on those values says so);
and the forecast categories open deals take from their stage.

:class:`salesops.data.sources.Source` calls these on every load, with the fill markers
its query returns (:func:`salesops.data.queries.markers`).
"""

from __future__ import annotations

import pandas as pd

from salesops.data.mapping import Default, SourceSpec
from salesops.data.model import TABLES, Tables
from salesops.data.stages import Stages


def filled(
    spec: SourceSpec, marks: dict[str, pd.DataFrame], kept: dict[str, pd.Index]
) -> dict[str, tuple[int, str]]:
    """How many values of the ``kept`` rows (by the labels they were read with) the
    source file's defaults filled (``marks``: per row, which), with the rules."""
    out = {}
    for table, marked in marks.items():
        if table not in kept:
            continue
        for column, count in marked.reindex(kept[table]).gt(0).sum().items():
            if count:
                rules = spec.table(table).defaults[column]
                out[f"{table}.{column}"] = (int(count), "; then ".join(map(str, rules)))
    return out


def filled_ids(
    spec: SourceSpec, marks: dict[str, pd.DataFrame], kept: dict[str, pd.Index], tables: Tables
) -> dict[str, frozenset[str]]:
    """Per ``table.column``, the ids (the table's id column) of the ``kept`` rows whose
    value a default invented (:func:`invented`, whatever the rule); ``tables`` are the
    kept rows, in ``kept``'s order."""
    found = invented(spec, marks, kept, tables)
    return {column: frozenset().union(*rules.values()) for column, rules in found.items()}


def invented(
    spec: SourceSpec, marks: dict[str, pd.DataFrame], kept: dict[str, pd.Index], tables: Tables
) -> dict[str, dict[str, frozenset[str]]]:
    """Per ``table.column``, per rule that invented values (:func:`invention`, what it
    did), the ids of the ``kept`` rows it filled; ``tables`` are the kept rows, in
    ``kept``'s order.

    A rule invents when it is a constant (``value``) or moves a date (``plus``); rules that
    copy another of the export's columns, or a related row's (``first``, ``last``), fill
    with the export's own values: Odoo's close date taken from its Expected Closing is a
    real date, and can be overdue; one 30 days after creation is not."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for table, marked in marks.items():
        frame = getattr(tables, table, None)
        if table not in kept or frame is None or frame.empty:
            continue
        ids = frame[TABLES[table].id_column].astype(str).to_numpy()
        rules = spec.table(table).defaults
        for column, flags in marked.reindex(kept[table]).fillna(0).items():
            for number, rule in enumerate(rules[str(column)], 1):  # the rules' numbers
                hit = flags.eq(number).to_numpy()
                if (rule.kind == "value" or rule.plus) and hit.any():
                    by = out.setdefault(f"{table}.{column}", {})
                    by[invention(rule)] = by.get(invention(rule), frozenset()) | set(ids[hit])
    return out


def invention(rule: Default) -> str:
    """What an inventing rule does, for a reader: "created date + 30 days", "set to 'x'".

    >>> invention(Default("column", "created_date", "30 days", "open"))
    'created date + 30 days'
    """
    if rule.kind == "value":
        return f"set to {rule.argument!r}"
    return f"{rule.argument.replace('_', ' ')} + {rule.plus}"


def default_categories(tables: Tables, stages: Stages) -> None:
    """An open deal without a forecast category takes its stage's default one (from
    the stages), counted as filled."""
    defaults = {s.name: s.forecast_category for s in stages.stages}
    for name in ("opportunities", "opportunity_history"):
        frame = getattr(tables, name)
        if frame is None:
            continue
        empty = frame["forecast_category"].isna()
        fill = frame.loc[empty, "stage"].map(defaults)
        if fill.notna().any():
            frame.loc[empty, "forecast_category"] = fill
            count = int(fill.notna().sum())
            tables.filled[f"{name}.forecast_category"] = (count, "the stage's default")
            tables.absent = tables.absent - {f"{name}.forecast_category"}
