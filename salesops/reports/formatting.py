"""Numbers for people: currency with thousands separators, percentages, days."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from salesops import markup
from salesops.config import settings

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _missing(value: object) -> bool:
    """None, NaN or pd.NA (callers test ``value is None`` too, which the checker reads)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def money(value: float | None, compact: bool = False) -> str:
    """``$1,234,567`` (or ``$1.2M`` when compact); ``–`` when missing."""
    if value is None or _missing(value):
        return "–"
    symbol = SYMBOLS.get(settings().currency, settings().currency + " ")
    sign = "-" if value < 0 else ""
    value = abs(value)
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if value >= limit:
                return f"{sign}{symbol}{value / limit:.1f}{suffix}"
    return f"{sign}{symbol}{value:,.0f}"


def pct(value: float | None, digits: int = 0) -> str:
    """``42%``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value * 100:.{digits}f}%"


def pct1(value: float | None) -> str:
    """``4.2%``: a percentage to one decimal; ``–`` when missing."""
    return pct(value, 1)


def change(value: float | None) -> str:
    """A signed change: ``+12%`` / ``-3%``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value * 100:+.0f}%"


def points(value: float | None) -> str:
    """A change of a rate in percentage points: ``+25.6 pts`` for 52.9% → 78.5%."""
    return "–" if value is None or _missing(value) else f"{value * 100:+.1f} pts"


def days(value: float | None) -> str:
    """``45 days``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value:,.0f} days"


def hours(value: float | None) -> str:
    """``3.5 h``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value:,.1f} h"


def date(value: pd.Timestamp | None) -> str:
    """``2026-10-31``; ``–`` when missing."""
    return "–" if value is None or _missing(value) or value is pd.NaT else f"{value:%Y-%m-%d}"


def number(value: float | None) -> str:
    """``1,234``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value:,.0f}"


def decimal(value: float | None, digits: int = 2) -> str:
    """``0.93`` (``digits`` decimals); ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    """``1.8×``; ``–`` when missing."""
    return "–" if value is None or _missing(value) else f"{value:.1f}×"


FORMATTERS = {
    "money": money,
    "pct": pct,
    "pct1": pct1,
    "change": change,
    "points": points,
    "days": days,
    "hours": hours,
    "number": number,
    "decimal": decimal,
    "ratio": ratio,
}


def _escaped_names(axis: pd.Index) -> pd.Index:
    return axis.set_names([None if n is None else markup.html(n) for n in axis.names])


def table(frame: pd.DataFrame, formats: Mapping[str, str], caption: str | None = None):
    """A styled table: columns formatted by kind (``money``, ``pct``, ``days``, ...).

    Returns a pandas Styler with the house look; index shown, no row numbers. The
    caption is plain text (backticks are dropped). Every cell, label, index and column
    name and the caption is HTML-escaped: data is never markup (:mod:`salesops.markup`).
    """
    by_column = {c: FORMATTERS[k] for c, k in formats.items() if c in frame}
    for column in frame.columns[[pd.api.types.is_datetime64_any_dtype(d) for d in frame.dtypes]]:
        by_column.setdefault(column, date)
    # Styler escapes the cells and labels (escape="html"), not the names of the axes
    frame = frame.set_axis(_escaped_names(frame.index), axis=0)
    frame = frame.set_axis(_escaped_names(frame.columns), axis=1)
    # a missing value reads "–", not nan
    styler = frame.style.format(by_column, na_rep="–", escape="html")
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    styler = styler.set_table_attributes('class="salesops-table"')
    styler = styler.set_table_styles(
        [
            {
                "selector": "th",
                "props": "text-align: left; padding: 4px 10px; border-bottom: 1px solid #999;",
            },
            {"selector": "td", "props": "text-align: right; padding: 4px 10px;"},
            {
                "selector": "caption",
                "props": "caption-side: top; font-weight: bold; text-align: left;",
            },
        ]
    )
    # A caption is plain text: Markdown code marks (`leads.source`) would show as is.
    return styler.set_caption(markup.html(caption.replace("`", ""))) if caption else styler
