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

from dataclasses import KW_ONLY, dataclass

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
    distinct = text.dropna().drop_duplicates()  # each value read once
    parsed = {
        fmt: _parse(distinct, fmt).set_axis(distinct).reindex(text).set_axis(text.index)
        for fmt in [*NUMERIC, WRITTEN]
    }
    counts = {fmt: int(values.notna().sum()) for fmt, values in parsed.items()}
    best = max(counts, key=lambda fmt: counts[fmt])
    none = pd.Series(False, index=text.index)
    if known in parsed:  # the whole column's format: no guess to make on a part of it
        readable = pd.concat(list(parsed.values()), axis=1).notna().any(axis=1)
        values = parsed[known]
        return Dates(values, known, readable & values.isna(), none, text=text, read=counts[known])
    if not counts[best]:  # no value is a date in any format
        return Dates(parsed[best], None, none, none, text=text)
    readable = pd.concat(list(parsed.values()), axis=1).notna().any(axis=1)
    values = parsed[best]
    swapped = SWAPPED.get(best)
    if swapped and counts[swapped] == counts[best]:  # no value tells day from month
        ambiguous = values.notna() | parsed[swapped].notna()
        values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        return Dates(values, best, none, ambiguous, text=text, read=counts[best])
    return Dates(values, best, readable & values.isna(), none, text=text, read=counts[best])


def _parse(text: pd.Series, fmt: str) -> pd.Series:
    """The values of ``text`` read strictly in format ``fmt``; NaT where they are not."""
    if fmt == WRITTEN:  # the month as a word, and no format of numbers matching
        numbers = "|".join(f"(?:{p})" for p in NUMERIC.values())
        rows = text.str.contains(r"^(?=.*[A-Za-z])(?=.*\d{4})", regex=True)
        rows &= ~text.str.match(numbers)
        iso = text.where(rows.fillna(False).astype(bool))
        kwargs: dict = {"format": "mixed"}
    else:
        if not text.str.match(NUMERIC[fmt]).any():  # most formats match no value at all
            return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
        parts = text.str.extract(NUMERIC[fmt] + TIME)
        iso = parts["y"] + "-" + parts["m"].str.zfill(2) + "-" + parts["d"].str.zfill(2)
        iso = iso + parts["time"].fillna("")
        kwargs = {"format": "ISO8601"}
    values = pd.to_datetime(iso, errors="coerce", utc=True, **kwargs)
    return values.dt.tz_localize(None).astype("datetime64[ns]")


def _quoted(values: pd.Series) -> str:
    shown = values.drop_duplicates().head(SHOWN)
    return ", ".join(f'"{v}"' for v in shown)
