"""How an open source writes its text columns of dates and numbers, each read once on the
whole export column.

A part of a column (a region's or a rep's rows) may hold only values that do not tell the
format on their own: ``12-01-2018`` (the 12th of January, or the 1st of December?),
``1,234`` (a thousand and more, or one and a bit?), or only the dollars of a column of
dollars and euros. So :class:`~salesops.data.sources.Source` reads each such column's
format on all of the export's values (:func:`salesops.data.dates.read`,
:func:`salesops.data.numbers.column_format`) and hands it to validation in the frame's
``attrs``, which reads the part with it.
"""

from __future__ import annotations

import pandas as pd

from salesops.data import dates, numbers
from salesops.data.catalog import Catalog
from salesops.data.model import TABLES
from salesops.data.numbers import NUMBER_FORMATS
from salesops.data.sql import quote
from salesops.data.validation import DATE_FORMATS


class ColumnFormats:
    """The formats of ``catalog``'s text columns of dates and numbers, each read once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.dates: dict[tuple[str, str], str | None] = {}  # None: ambiguous
        self.numbers: dict[tuple[str, str], numbers.Format] = {}

    def attach(self, raw: dict[str, pd.DataFrame]) -> None:
        """Set, on each frame of ``raw`` (parts of the canonical tables it is keyed by), the
        formats of its text columns, which validation reads them with."""
        for table, frame in raw.items():
            frame.attrs[DATE_FORMATS] = self.date_formats(table, frame)
            frame.attrs[NUMBER_FORMATS] = self.number_formats(table, frame)

    def date_formats(self, table: str, frame: pd.DataFrame) -> dict[str, str]:
        """The one format of each date column that ``frame`` (a part of ``table``) holds
        as text, read on the whole export column: a region's or a rep's rows may hold
        only values that do not tell the day from the month (``12-01-2018``) on their
        own. A column whose whole reading is ambiguous gets none (validation says so)."""
        out = {}
        for name in self._text(table, frame, ("date", "timestamp")):
            key = (table, name)
            if key not in self.dates:
                read = dates.read(self._whole(table, name)["v"])
                clear = read.format is not None and not read.ambiguous.any()
                self.dates[key] = read.format if clear else None
            known = self.dates[key]
            if known is not None:
                out[name] = known
        return out

    def number_formats(self, table: str, frame: pd.DataFrame) -> dict[str, numbers.Format]:
        """The :class:`~salesops.data.numbers.Format` of each number column that ``frame``
        (a part of ``table``) holds as text, read on the whole export column: its decimal
        mark (a region's rows may hold only ``1,234``) and its currencies (a region's may
        hold one of the column's two)."""
        out = {}
        for name in self._text(table, frame, ("money", "count")):
            if (table, name) not in self.numbers:
                whole = self._whole(table, name)
                self.numbers[table, name] = numbers.column_format(whole["v"], whole["n"])
            out[name] = self.numbers[table, name]
        return out

    def notes(self) -> list[str]:
        """What ``salesops validate`` says of the number columns written as text that were
        read: ``opportunities.amount is written as money ("$10,000.00"): read as numbers
        with a decimal point, $ dropped (no conversion)``."""
        said = (f.note(f"{t}.{c}") for (t, c), f in self.numbers.items())
        return [note for note in said if note is not None]

    def _text(self, table: str, frame: pd.DataFrame, kinds: tuple[str, ...]) -> list[str]:
        """The columns of ``table`` of ``kinds`` that ``frame`` holds values of as text."""
        return [
            c.name
            for c in TABLES[table].columns
            if c.kind in kinds
            and c.name in frame
            and frame[c.name].notna().any()
            and not pd.api.types.is_datetime64_any_dtype(frame[c.name])
            and not pd.api.types.is_numeric_dtype(frame[c.name])
        ]

    def _whole(self, table: str, name: str) -> pd.DataFrame:
        """The distinct values ``v`` of the whole export column ``table.name`` as text, with
        the rows ``n`` of each."""
        selected = self.catalog.select(table)
        assert selected is not None  # a part of the table was read
        column = quote(name)
        return self.catalog.engine.query(
            f"SELECT CAST({column} AS VARCHAR) AS v, count(*) AS n FROM ({selected[0]}) AS s "
            f"WHERE {column} IS NOT NULL GROUP BY 1",
            {},
        )
