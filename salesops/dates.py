"""Dates written as text: one format per column, inferred from all of its values.

A CRM export may write a column of dates as ``2026-08-15``, ``08/15/2026`` or
``15.08.2026``. Read value by value, ``09/07/2026`` in a column of day-first dates would
become the 7th of September: a deal moved, silently, perhaps into another quarter. So a
column is read with ONE format, the one most of its values are written in:

- ``YYYY-MM-DD`` (ISO 8601, with or without a time), ``YYYY/MM/DD``, ``DD.MM.YYYY``;
- ``MM/DD/YYYY`` or ``DD/MM/YYYY`` (and the same with ``-``): which one, the values say,
  from those whose first number is above 12 (day first) or whose second is (month first);
- anything else (``15 Aug 2026``) as the date parser reads it.

Values written in another format are not read (:attr:`Dates.mismatch`), and a column of
``NN/NN/YYYY`` dates where no value tells day from month is not read at all
(:attr:`Dates.ambiguous`): :mod:`salesops.validation` names both as broken rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

TIME = r"(?:[T ]\d.*)?$"  # an optional time after the date
YEAR = r"(?:\d{2}|\d{4})"
ISO = "YYYY-MM-DD"
PATTERNS = {  # family -> the pattern its values match (first match wins)
    ISO: rf"^\d{{4}}-\d{{1,2}}-\d{{1,2}}{TIME}",
    "YYYY/MM/DD": rf"^\d{{4}}/\d{{1,2}}/\d{{1,2}}{TIME}",
    "DD.MM.YYYY": rf"^\d{{1,2}}\.\d{{1,2}}\.{YEAR}{TIME}",
    "/": rf"^\d{{1,2}}/\d{{1,2}}/{YEAR}{TIME}",
    "-": rf"^\d{{1,2}}-\d{{1,2}}-{YEAR}{TIME}",
}
OTHER = "written out (15 Aug 2026)"
SHOWN = 3  # offending values a rule quotes


@dataclass(frozen=True)
class Dates:
    """A text column read as dates.

    ``values`` holds the dates (NaT where not read); ``format`` the column's format;
    ``mismatch`` marks the values written in another format (each would read as a date
    by itself), ``ambiguous`` those whose day and month cannot be told apart; ``text`` is
    the column as written.
    """

    values: pd.Series
    format: str
    mismatch: pd.Series
    ambiguous: pd.Series
    text: pd.Series

    def rules(self) -> list[tuple[str, pd.Series]]:
        """The broken rules, as (rule in plain words, rows that break it)."""
        out = []
        if self.mismatch.any():
            total = int(self.text.notna().sum())
            rule = (
                f"must be written in the column's one date format, {self.format} "
                f"(as {total - int(self.mismatch.sum()):,} of its {total:,} values are), "
                f"not as {_quoted(self.text[self.mismatch])}"
            )
            out.append((rule, self.mismatch))
        if self.ambiguous.any():
            rule = (
                "is ambiguous: no value tells whether the day or the month comes first "
                f"(e.g. {_quoted(self.text[self.ambiguous])}); write the dates as YYYY-MM-DD"
            )
            out.append((rule, self.ambiguous))
        return out


def read(text: pd.Series) -> Dates:
    """Read a column of dates written as text with one format (see the module).

    Returns naive timestamps (UTC where a value carries a zone), NaT for missing, unread
    and unreadable values.
    """
    text = text.astype("str").str.strip().where(text.notna())
    text = text.where(text != "")
    present = text.notna()
    family = pd.Series(None, index=text.index, dtype="object")
    for name, pattern in PATTERNS.items():
        found = present & family.isna() & text.str.match(pattern).fillna(False).astype(bool)
        family[found] = name
    family[present & family.isna()] = OTHER
    column = _order(text, family)
    counts = column[present].value_counts()
    main = str(counts.index[0]) if len(counts) else ISO
    mine = present & (column == main)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    unsure = main in ("/", "-")  # NN/NN/YYYY, and no value says which comes first
    if mine.any() and not unsure:
        values[mine] = _parse(text[mine], main)
    ambiguous = mine if unsure else pd.Series(False, index=text.index)
    others = present & ~mine
    mismatch = pd.Series(False, index=text.index)
    if others.any():  # a value in another format, which reads as a date in that format
        mismatch[others] = _readable(text[others], column[others])
    shown = f"NN{main}NN{main}YYYY" if unsure else main
    return Dates(values, shown, mismatch, ambiguous.astype(bool), text)


def _order(text: pd.Series, family: pd.Series) -> pd.Series:
    """For ``NN/NN/YYYY`` (or ``-``) values, their format where a number above 12 says it:
    ``DD/MM/YYYY`` or ``MM/DD/YYYY``; the separator alone where neither number does. A
    column whose values say both is read as most of them say."""
    out = family.copy()
    for sep in ("/", "-"):
        rows = family == sep
        if not rows.any():
            continue
        parts = text[rows].str.extract(rf"^(\d+){sep}(\d+){sep}").astype(int)
        day_first = parts[0] > 12
        month_first = parts[1] > 12
        dmy, mdy = f"DD{sep}MM{sep}YYYY", f"MM{sep}DD{sep}YYYY"
        out[rows[rows].index[day_first.to_numpy()]] = dmy
        out[rows[rows].index[month_first.to_numpy()]] = mdy
        either = rows & (out == sep)
        said = out[rows & (out != sep)].value_counts()
        if len(said):  # the column's order, told by the values that tell it
            out[either] = str(said.index[0])
    return out


def _parse(text: pd.Series, fmt: str) -> pd.Series:
    if fmt == ISO:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    else:  # NN/NN/YYYY: either way round, for whether it reads as a date at all
        day_first = fmt.startswith("DD")
        parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=day_first, utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _readable(text: pd.Series, column: pd.Series) -> pd.Series:
    """Whether each value reads as a date in its own format."""
    out = pd.Series(False, index=text.index)
    for fmt in column.unique():
        rows = column == fmt
        out[rows] = _parse(text[rows], str(fmt)).notna()
    return out


def _quoted(values: pd.Series) -> str:
    shown = values.drop_duplicates().head(SHOWN)
    return ", ".join(f'"{v}"' for v in shown)
