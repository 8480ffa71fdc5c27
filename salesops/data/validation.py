"""Table contracts: type coercion, per-table rules (`salesops.data.contracts`), cross-table rules.

Every rule is checked on every table before anything is raised, so one run reports
all that is wrong: the table, the column, the rule in plain words, how many rows
break it and up to five example ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from pandera.errors import SchemaErrors

from salesops.data import contracts, dates, numbers
from salesops.data.lookups import duplicated, isin
from salesops.data.model import (
    FORECAST_CATEGORIES,
    REQUIRED,
    ROLES,
    SUBMISSION_CATEGORIES,
    TABLES,
    Tables,
)
from salesops.data.relations import REFERENCES
from salesops.data.stages import Stages
from salesops.errors import MAX_EXAMPLES, DataError, RuleFailure

PLAIN = {"not_nullable": "must not be empty", "field_uniqueness": "must be unique"}
# Columns that must name a rep (reps.manager_id is not checked: a manager may sit outside
# the loaded scope).
REP_REFERENCES = [(t, column) for (t, other), column in REFERENCES.items() if other == "reps"]


# ``frame.attrs`` key: the format of each text date column, read on the whole export column
# by the source (a scope's slice may hold only day-month-ambiguous values).
DATE_FORMATS = "salesops_date_formats"


def coerce(table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[RuleFailure]]:
    """Cast the columns of ``frame`` to their canonical types.

    Values that do not parse become missing, and each column with such values is
    reported as a failure ("must be a date", "must be a number").

    Returns
    -------
    (frame, failures)
        The coerced frame, with the canonical columns in canonical order, and the
        parse failures.
    """
    spec = TABLES[table]
    out = {}
    failures = []
    known = frame.attrs.get(DATE_FORMATS, {})  # text date formats read on whole columns
    written = frame.attrs.get(numbers.NUMBER_FORMATS, {})  # and text number formats
    for col in spec.columns:
        raw = frame[col.name] if col.name in frame else pd.Series(pd.NA, index=frame.index)
        formats: list[tuple[str, pd.Series]] = []  # a text column's format rules
        if col.kind in ("date", "timestamp"):
            value, formats, fmt = dates.typed(raw, col.kind, known.get(col.name))
            rule = f"must be a date ({fmt})" if col.kind == "date" else "must be a date-time"
        elif col.kind in ("money", "count"):
            value, formats = numbers.typed(raw, written.get(col.name))
            rule = "must be a number"
        else:
            value = _to_text(raw)
            rule = ""
        typed = pd.api.types.is_datetime64_any_dtype(raw) or pd.api.types.is_numeric_dtype(raw)
        if rule and not typed:  # values already typed by the engine cannot fail to parse
            bad = raw.notna() & value.isna() & (raw.astype("str").str.strip() != "")
            for text, rows in formats:  # in another format, ambiguous...: said so instead
                failures.append(_failure(table, col.name, text, mask=rows, ids=_ids(table, frame)))
                bad &= ~rows
            if bad.any():
                ids = _ids(table, frame)
                failures.append(_failure(table, col.name, rule, mask=bad, ids=ids, values=raw))
        out[col.name] = value
    return pd.DataFrame(out, index=frame.index), failures


def _to_text(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(raw) and not pd.api.types.is_object_dtype(raw):
        return raw
    if pd.api.types.is_float_dtype(raw) and (raw.dropna() % 1 == 0).all():
        raw = raw.astype("Int64")  # ids exported as 123.0 mean "123"
    return raw.astype("str").where(raw.notna())


def _ids(table: str, frame: pd.DataFrame) -> pd.Series:
    id_col = TABLES[table].id_column
    if id_col in frame:
        return frame[id_col].astype("str").where(frame[id_col].notna(), "(no id)")
    return pd.Series([f"row {i + 1}" for i in range(len(frame))], index=frame.index)


def _failure(
    table: str,
    column: str,
    rule: str,
    *,
    mask: pd.Series,
    ids: pd.Series,
    values: pd.Series | None = None,
) -> RuleFailure:
    """The failure of the rows ``mask`` selects, named by their ids and, with ``values``
    (the column as written), by a few of the values that break the rule."""
    examples = ids[mask].drop_duplicates().head(MAX_EXAMPLES)
    rows = tuple(ids.index[np.asarray(mask, dtype=bool)])
    shown: tuple[str, ...] = ()
    if values is not None:
        bad = values[np.asarray(mask, dtype=bool)].dropna().astype(str).drop_duplicates()
        shown = tuple(_short(_named(v)) for v in bad.head(MAX_EXAMPLES) if v != "")
    return RuleFailure(
        table,
        column,
        rule,
        int(mask.sum()),
        examples=tuple(examples.astype(str)),
        rows=rows,
        values=shown,
    )


def _short(text: str, most: int = 40) -> str:
    """``text`` cut to ``most`` characters, with an ellipsis when cut."""
    return text if len(text) <= most else text[: most - 1] + "…"


def allowed_values(stages: Stages) -> dict[tuple[str, str], tuple[list[str], str]]:
    """The fixed value sets of category columns: ``(table, column)`` to (values, what)."""
    return {
        ("opportunities", "stage"): (stages.names, "a configured stage"),
        ("opportunity_history", "stage"): (stages.names, "a configured stage"),
        ("opportunities", "forecast_category"): (list(FORECAST_CATEGORIES), "one of"),
        ("opportunity_history", "forecast_category"): (list(FORECAST_CATEGORIES), "one of"),
        ("forecast_submissions", "category"): (list(SUBMISSION_CATEGORIES), "one of"),
        ("reps", "role"): (list(ROLES), "one of"),
    }


def duplicate_failures(table: str, frame: pd.DataFrame) -> list[RuleFailure]:
    """The unique columns of ``table`` (its id) with a value on more than one row (checked
    here rather than by pandera, whose check hashes every id as Python text; see
    :func:`salesops.data.lookups.duplicated`)."""
    failures = []
    for col in TABLES[table].columns:
        if col.unique and col.name in frame:
            repeated = duplicated(frame[col.name])
            if repeated.any():
                rule = PLAIN["field_uniqueness"]
                failures.append(
                    _failure(table, col.name, rule, mask=repeated, ids=_ids(table, frame))
                )
    return failures


def category_failures(table: str, frame: pd.DataFrame, stages: Stages) -> list[RuleFailure]:
    """One failure per value outside its column's set, naming the value and its rows:
    ``stage "Engaging" (1,589 rows) is not a configured stage (...): map it in values.stage``."""
    failures = []
    ids = _ids(table, frame)
    for (name, column), (values, what) in allowed_values(stages).items():
        if name != table or column not in frame:
            continue
        bad = frame[column].notna() & ~frame[column].isin(values)
        if not bad.any():
            continue
        counts = frame.loc[bad, column].value_counts(sort=True)
        rule = f"is not {what} ({', '.join(values)}): map it in values.{column}"
        for value, count in counts.items():
            found = _failure(table, column, rule, mask=bad & (frame[column] == value), ids=ids)
            failures.append(
                RuleFailure(
                    table,
                    column,
                    rule,
                    int(count),
                    examples=found.examples,
                    value=str(value),
                    rows=found.rows,
                )
            )
    return failures


def check_table(table: str, frame: pd.DataFrame, stages: Stages) -> list[RuleFailure]:
    """Run the contract of one coerced table; return its failures (never raises)."""
    failures = []
    try:
        if not contracts.passes(table, frame):  # pandera only to name the broken rows
            contracts.schema(table).validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        ids = _ids(table, frame)
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            mask = frame.index.isin(group["index"].to_numpy())
            rule, values = PLAIN.get(check, check), frame.get(str(column))
            shown = None if rule in PLAIN.values() else values  # an empty value, or an id
            failures.append(_failure(table, str(column), rule, mask=mask, ids=ids, values=shown))
    return failures + duplicate_failures(table, frame) + category_failures(table, frame, stages)


def cross_table_failures(tables: Tables, stages: Stages) -> list[RuleFailure]:
    """Rules that span tables, or rows: references, date order, one quota per month."""
    rep_ids = tables.reps["rep_id"].dropna()
    opp_ids = tables.opportunities["opportunity_id"]

    def refers_to_rep(column: str) -> Callable[[pd.DataFrame], pd.Series]:
        return lambda f: f[column].notna() & ~isin(f[column], rep_ids)

    rules: list[tuple[str, str, str, Callable[[pd.DataFrame], pd.Series]]] = [
        *[
            (table, column, "must refer to a rep in reps", refers_to_rep(column))
            for table, column in REP_REFERENCES
        ],
        (
            "opportunities",
            "close_date",
            "must not be before created_date for closed deals",
            lambda f: f["stage"].isin(stages.closed_names) & (f["close_date"] < f["created_date"]),
        ),
        (
            "opportunity_history",
            "opportunity_id",
            "must refer to a deal in opportunities",
            lambda f: ~isin(f["opportunity_id"], opp_ids),
        ),
        (
            "leads",
            "first_response_at",
            "must not be before created_at",
            lambda f: f["first_response_at"] < f["created_at"],
        ),
        (
            "quotas",
            "month",
            "must hold one quota per rep and month",
            lambda f: f.duplicated(["rep_id", "month"], keep=False),
        ),
    ]
    present = tables.present()
    failures = []
    for table, column, rule, broken in rules:
        frame = present.get(table)
        if frame is None or frame.empty:
            continue
        mask = broken(frame)
        if mask.any():
            values = frame[column] if rule.startswith("must refer to") else None
            ids = _ids(table, frame)
            failures.append(_failure(table, column, rule, mask=mask, ids=ids, values=values))
    return failures


def validate(
    raw: dict[str, pd.DataFrame],
    stages: Stages,
    source: str = "",
    prior: Sequence[RuleFailure] = (),
) -> Tables:
    """Coerce and check raw canonical tables; return them as :class:`Tables`.

    Parameters
    ----------
    raw
        Frames with canonical column names, keyed by canonical table name; absent
        optional tables are simply missing from the mapping.
    stages
        The stage configuration that ``stage`` columns are checked against.
    source
        Name of the source, for the error message.
    prior
        Failures already found in the source's shape (a missing table or column); they
        are raised together with everything found here, so one run shows all.

    Raises
    ------
    DataError
        With every failed rule, when any rule fails.
    """
    failures: list[RuleFailure] = list(prior)
    coerced: dict[str, pd.DataFrame] = {}
    for table, frame in raw.items():
        frame, parse_failures = coerce(table, frame)
        failures += parse_failures
        bad_cells = {(f.column) for f in parse_failures}
        failures += [
            f
            for f in check_table(table, frame, stages)
            if not (f.column in bad_cells and f.rule == PLAIN["not_nullable"])
        ]
        coerced[table] = frame
    named = {f.table for f in prior}
    missing = [t for t in REQUIRED if t not in coerced]
    failures += [
        RuleFailure(t, "-", "required table is missing", 0) for t in missing if t not in named
    ]
    if missing:
        raise DataError(failures, source)
    tables = Tables(**coerced)
    failures += cross_table_failures(tables, stages)
    if failures:
        raise DataError(failures, source)
    return tables


def variant_warnings(counts: Mapping[tuple[str, str], pd.DataFrame]) -> list[str]:
    """Warnings about values of the columns that name a region or a rep that differ only
    in surrounding spaces (trimmed at load, so one region) or in case (two regions, two
    reports), each with its row counts.

    ``counts`` holds, per ``(table, column)``, the rows of each value as written and as
    read (:meth:`salesops.data.catalog.Catalog.variants`).

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"written": ["East", "East ", "east"],
    ...                        "value": ["East", "East", "east"], "n": [2, 1, 1]})
    >>> for line in variant_warnings({("reps", "region"): counts}):
    ...     print(line)
    reps.region: 1 row had surrounding spaces, trimmed at load: "East " as "East" (1)
    reps.region: "East" (3 rows) and "east" (1 row) differ only in case: read as different regions

    Values that a reader cannot tell apart (a no-break or zero-width space, full-width
    letters: the same after Unicode's NFKC form, without format characters, with every
    run of white space as one space, case aside) are said too, their unseen characters
    named:

    >>> counts = pd.DataFrame({"written": ["EMEA", "EMEA\u00a0"],
    ...                        "value": ["EMEA", "EMEA\u00a0"], "n": [5, 2]})
    >>> print(*variant_warnings({("opportunities", "region"): counts}))
    ... # doctest: +NORMALIZE_WHITESPACE
    opportunities.region: "EMEA" (5 rows) and "EMEA<U+00A0>" (2 rows) look the same but
    differ in unseen or look-alike characters: read as different regions
    """
    out = []
    for (table, column), frame in counts.items():  # a row per value as written: in Python
        where = f"{table}.{column}"
        written, read = _texts(frame["written"]), _texts(frame["value"])
        spaced = [
            (w, v, int(n))
            for w, v, n in zip(written, read, frame["n"], strict=True)
            if w is not None and v is not None and w != v and w.strip() == v
        ]  # not a mapped value
        if spaced:
            shown = ", ".join(f'"{w}" as "{v}" ({n:,})' for w, v, n in spaced[:MAX_EXAMPLES])
            total = _rows(sum(n for *_, n in spaced))
            out.append(f"{where}: {total} had surrounding spaces, trimmed at load: {shown}")
        rows: dict[str, int] = {}
        for v, n in zip(read, frame["n"], strict=True):
            if v is not None:
                rows[v] = rows.get(v, 0) + int(n)
        folded: dict[str, list[str]] = {}
        for v in sorted(rows):
            folded.setdefault(_seen(v), []).append(v)
        for key in sorted(folded):
            if len(same := folded[key]) > 1:
                named = " and ".join(f'"{_named(v)}" ({_rows(rows[v])})' for v in same)
                how = "differ only in case"
                if len({v.casefold() for v in same}) > 1:
                    how = "look the same but differ in unseen or look-alike characters"
                out.append(f"{where}: {named} {how}: read as different {column}s")
    return out


def _seen(value: str) -> str:
    """``value`` as a reader sees it: NFKC (full-width letters, a no-break space as
    plain ones), without format characters (a zero-width space), every run of white
    space as one space, trimmed, case aside."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(text.split()).casefold()


def _named(value: str) -> str:
    """``value`` with each character a reader cannot see (but a plain space) named:
    ``EMEA<U+00A0>``."""
    return "".join(
        c
        if c == " " or (c.isprintable() and not c.isspace() and unicodedata.category(c) != "Cf")
        else f"<U+{ord(c):04X}>"
        for c in value
    )


def _texts(values: pd.Series) -> list[str | None]:
    """Each value as text; None where it is missing."""
    return [None if pd.isna(v) else str(v) for v in values]


def _rows(count: int) -> str:
    return f"{count:,} {'row' if count == 1 else 'rows'}"


def missing_columns(table: str, available: Iterable[str]) -> list[RuleFailure]:
    """Failures for required columns of ``table`` that ``available`` lacks."""
    have = list(available)
    return [
        RuleFailure(table, col.name, "required column is missing", 0, examples=tuple(have))
        for col in TABLES[table].columns
        if col.required and col.name not in have
    ]
