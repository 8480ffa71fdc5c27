"""Dates written as text: one format per column, inferred from all of its values.

A CRM export may write a column of dates as ``2026-08-15``, ``08/15/2026`` or
``15.08.2026``. Read value by value, ``09/07/2026`` in a column of day-first dates would
become the 7th of September: a deal moved, silently, perhaps into another quarter. So a
column is read with ONE format, the one that reads the most of its values as dates:

- ``YYYY-MM-DD`` (ISO 8601), ``YYYY/MM/DD``, ``DD.MM.YYYY``, ``DD/MM/YYYY``,
  ``MM/DD/YYYY``, ``DD-MM-YYYY``, ``MM-DD-YYYY``, each optionally followed by a time
  (``T10:00:00Z``, `` 10:00``);
- dates with the month written out (``15 Aug 2026``), as the date parser reads them.

A value is read strictly in the column's format (its day, month and year taken from
where the format puts them), never guessed: ``05.13.2026`` in a ``DD.MM.YYYY`` column
is not a date. Values that read as dates only in another format are marked
(:attr:`Dates.mismatch`), and a column whose values read in ``DD/MM/YYYY`` and in
``MM/DD/YYYY`` alike (no day above 12 tells) is not read at all (:attr:`Dates.ambiguous`):
:mod:`salesops.data.validation` names both as broken rules, with their rows and values.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass

import numpy as np
import pandas as pd

TIME = r"(?P<time>[T ]\d.*)?$"  # an optional time after the date
NUMERIC = {  # format -> the pattern of its values, with the day, month and year named
    "YYYY-MM-DD": r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    "YYYY/MM/DD": r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",
    "DD.MM.YYYY": r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})",
    "DD/MM/YYYY": r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})",
    "MM/DD/YYYY": r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})",
    "DD-MM-YYYY": r"^(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})",
    "MM-DD-YYYY": r"^(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d{4})",
}
WRITTEN = "DD Mon YYYY"  # the month as a word: no order to confuse
FORMATS = [*NUMERIC, WRITTEN]
# A whole value in a format: its date, then an optional time (ASCII digits only, as Arrow).
WHOLE = {fmt: re.compile(pattern + TIME, re.ASCII) for fmt, pattern in NUMERIC.items()}
NAT = np.datetime64("NaT", "ns")
# Any of them, read as pandas reads it (by Arrow: ASCII digits; no group names to repeat).
NUMBERS = re.compile("|".join(re.sub(r"\?P<\w+>", "", p) for p in NUMERIC.values()), re.ASCII)
WORDY = re.compile(r"^(?=.*[A-Za-z])(?=.*\d{4})")  # a letter and a year: a month's name?
SWAPPED = {"DD/MM/YYYY": "MM/DD/YYYY", "DD-MM-YYYY": "MM-DD-YYYY"}
SWAPPED |= {b: a for a, b in SWAPPED.items()}
SHOWN = 3  # offending values a rule quotes


@dataclass(frozen=True)
class Dates:
    """A text column read as dates.

    ``values`` holds the dates (NaT where not read); ``format`` the column's format (None
    when no value is a date); ``mismatch`` marks the values that are dates only in another
    format, ``ambiguous`` those read in day-first and month-first formats alike; ``text``
    is the column as written, ``read`` how many of its values ``format`` reads.
    """

    values: pd.Series
    format: str | None
    mismatch: pd.Series
    ambiguous: pd.Series
    _: KW_ONLY
    text: pd.Series
    read: int = 0

    def rules(self) -> list[tuple[str, pd.Series]]:
        """The broken rules, as (rule in plain words, rows that break it)."""
        out = []
        if self.mismatch.any():
            total = int(self.text.notna().sum())
            rule = (
                f"must be written in the column's one date format, {self.format} "
                f"(as {self.read:,} of its {total:,} values are), "
                f"not as {_quoted(self.text[self.mismatch])}"
            )
            out.append((rule, self.mismatch))
        if self.ambiguous.any():
            other = SWAPPED.get(str(self.format))
            rule = (
                f"is ambiguous: its dates read as {self.format} and as {other} alike "
                f"(e.g. {_quoted(self.text[self.ambiguous])}); write them as YYYY-MM-DD"
            )
            out.append((rule, self.ambiguous))
        return out


def read(text: pd.Series, known: str | None = None) -> Dates:
    """Read a column of dates written as text with one format (see the module).

    ``known`` is the format already read on the whole column, when ``text`` is a part of
    it (a region's or a rep's rows, which may hold only values such as ``12-01-2018``
    that do not tell the day from the month on their own).

    Returns naive timestamps (UTC where a value carries a zone), NaT for missing, unread
    and unreadable values.
    """
    text = text.astype("str").str.strip().where(text.notna())
    text = text.where(text != "")
    codes, distinct = pd.factorize(text)  # each value read once; -1 where missing
    none = pd.Series(False, index=text.index)
    if not len(distinct):  # nothing written: no format to read
        values = pd.Series(NAT, index=text.index, dtype="datetime64[ns]")
        return Dates(values, known if known in FORMATS else None, none, none, text=text)
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct))  # of each value
    written = [str(v) for v in distinct]
    # per format, the distinct values' dates (NaT last, for the missing)
    parsed = {fmt: np.append(_parse(written, fmt), NAT) for fmt in FORMATS}
    counts = {fmt: int(rows[~np.isnat(days[:-1])].sum()) for fmt, days in parsed.items()}
    best = max(counts, key=lambda fmt: counts[fmt])

    def by_row(days: np.ndarray) -> pd.Series:
        return pd.Series(days[codes], index=text.index)

    readable = by_row(np.logical_or.reduce([~np.isnat(d) for d in parsed.values()]))
    if known in parsed:  # the whole column's format: no guess to make on a part of it
        values = by_row(parsed[known])
        return Dates(values, known, readable & values.isna(), none, text=text, read=counts[known])
    if not counts[best]:  # no value is a date in any format
        return Dates(by_row(parsed[best]), None, none, none, text=text)
    values = by_row(parsed[best])
    swapped = SWAPPED.get(best)
    if swapped and counts[swapped] == counts[best]:  # no value tells day from month
        ambiguous = values.notna() | by_row(parsed[swapped]).notna()
        values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        return Dates(values, best, none, ambiguous, text=text, read=counts[best])
    return Dates(values, best, readable & values.isna(), none, text=text, read=counts[best])


def typed(
    raw: pd.Series, kind: str, known: str | None = None
) -> tuple[pd.Series, list[tuple[str, pd.Series]], str]:
    """``raw`` as dates (``kind`` "date": at midnight) or date-times; for text, the broken
    rules of its one format and that format (:func:`read`; ``known``: the format of the
    whole column)."""
    rules: list[tuple[str, pd.Series]] = []
    fmt = "YYYY-MM-DD"
    if pd.api.types.is_datetime64_any_dtype(raw):
        value = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
    else:
        found = read(raw, known)
        value, rules, fmt = found.values, found.rules(), found.format or fmt
    value = value.astype("datetime64[ns]")
    return (value.dt.normalize() if kind == "date" else value), rules, fmt


def _parse(values: list[str], fmt: str) -> np.ndarray:
    """The ``values`` read strictly in format ``fmt`` (datetime64[ns]); NaT where they are
    not. Which values are in the format is asked of Python's regular expressions value by
    value: most formats match no value at all, and most columns have no month written as
    a word, so most calls end there."""
    if fmt == WRITTEN:  # the month as a word, and no format of numbers matching
        iso = [v if WORDY.search(v) and not NUMBERS.match(v) else None for v in values]
        kwargs: dict = {"format": "mixed"}
    else:
        iso = [
            None if m is None else f"{m['y']}-{m['m']:0>2}-{m['d']:0>2}{m['time'] or ''}"
            for m in map(WHOLE[fmt].match, values)
        ]
        kwargs = {"format": "ISO8601"}
    if not any(iso):
        return np.full(len(values), NAT)
    read = pd.to_datetime(pd.Series(iso, dtype=object), errors="coerce", utc=True, **kwargs)
    return read.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _quoted(values: pd.Series) -> str:
    shown = values.drop_duplicates().head(SHOWN)
    return ", ".join(f'"{v}"' for v in shown)
