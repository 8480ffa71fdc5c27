"""The row rules of each canonical table: a pandera schema that names the rows breaking
them, and a quick check that spares pandera on a table that keeps them all.

A value must not be empty where its column is not nullable; money and counts must be
finite and >= 0; ids, text, categories and emails must hold no control character and be
at most :data:`TEXT_LIMIT` characters (:data:`NAME_LIMIT` for a person's name); an email
must be one address. Missing values pass every rule but the first.

Most tables keep every rule, and pandera costs about a millisecond a column whatever the
table's size (half of loading a small export). So :func:`salesops.data.validation.check_table`
asks :func:`passes` first, one Arrow or NumPy pass a column, and runs :func:`schema` only
when it says a rule may be broken, to name the rows, the rule and the values.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from salesops.data.model import TABLES, Column

EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"  # one address, no display name
EMAIL_RULE = "must be an email address (name@example.com)"
# EMAIL as Arrow's regular expressions (RE2) read it no more loosely than Python's do:
# RE2's \s is ASCII whitespace, Python's any Unicode one (every separator, and control
# characters such as U+0085), and Python's $ also matches before a final line break.
ARROW_EMAIL = EMAIL.replace(r"\s", r"\s\p{Z}\p{Cc}")
# A line break, tab or other control character (C0, DEL, C1, the Unicode line and
# paragraph separators, and the text-direction embeddings, overrides and isolates, which
# reverse the text after them in a sentence or a mail subject) in a value that reaches a
# heading, a folder or a mail header.
CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
CONTROL_RULE = "must not hold a line break, tab or other control character"
NAME_LIMIT = 200  # characters of a person's name (reps.name)
TEXT_LIMIT = 1000  # characters of any other text value
FINITE_RULE = "must be a finite number (not inf)"
NUMBERS = ("money", "count")
TEXTS = ("id", "text", "email", "category")
DATES = ("date", "timestamp")


def limit(table: str, column: str) -> int:
    """The most characters a value of ``table.column`` may have."""
    return NAME_LIMIT if (table, column) == ("reps", "name") else TEXT_LIMIT


@cache
def schema(table: str) -> pandera.DataFrameSchema:
    """The pandera schema of ``table``'s row rules (see the module), built once."""
    columns = {}
    for col in TABLES[table].columns:
        checks = []
        if col.kind in NUMBERS:
            checks.append(pandera.Check.ge(0, error="must be >= 0"))
            checks.append(pandera.Check(lambda s: ~np.isinf(s), error=FINITE_RULE))
        if col.kind in TEXTS:
            checks.append(pandera.Check(plain_text, error=CONTROL_RULE))
            most = limit(table, col.name)
            rule = f"must be at most {most:,} characters"
            checks.append(pandera.Check.str_length(max_value=most, error=rule))
        if col.kind == "email":
            checks.append(pandera.Check.str_matches(EMAIL, error=EMAIL_RULE))
        columns[col.name] = pandera.Column(
            None, checks=checks, nullable=col.nullable, required=False
        )
    return pandera.DataFrameSchema(columns, name=table)


def plain_text(values: pd.Series) -> pd.Series:
    """Whether each value is free of control characters (missing values are)."""
    return ~values.astype("str").str.contains(CONTROL, regex=True).fillna(False)


def passes(table: str, frame: pd.DataFrame) -> bool:
    """Whether every row of ``frame``, a coerced ``table``, keeps every rule of
    :func:`schema`, checked in one Arrow or NumPy pass a column.

    It may say False of a frame that keeps them (a column of a type it does not read
    quickly; an address that ends in a line break, which breaks a rule anyway), never True
    of one that breaks one: the schema then names the rows.
    """
    return all(
        _column_passes(table, col, frame[col.name])
        for col in TABLES[table].columns
        if col.name in frame
    )


def _column_passes(table: str, col: Column, values: pd.Series) -> bool:
    data = values.array
    if col.kind in TEXTS and isinstance(data, pd.arrays.ArrowStringArray):
        text = pa.array(data)
        if text.null_count and not col.nullable:
            return False
        if pc.any(pc.match_substring_regex(text, CONTROL)).as_py():
            return False
        longest = pc.max(pc.utf8_length(text)).as_py()
        if longest is not None and longest > limit(table, col.name):
            return False
        if col.kind != "email":
            return True
        return pc.all(pc.match_substring_regex(text, ARROW_EMAIL), min_count=0).as_py()
    if col.kind in NUMBERS and values.dtype == np.float64:
        number = values.to_numpy()
        if not col.nullable and np.isnan(number).any():
            return False
        return not ((number < 0).any() or np.isinf(number).any())
    if col.kind in DATES and values.dtype == "datetime64[ns]":
        return col.nullable or not np.isnat(values.to_numpy()).any()
    return False  # a type read here only slowly: the schema decides
