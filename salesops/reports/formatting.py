"""Numbers for people: currency with thousands separators, percentages, days.

Pure: the currency is an argument. A report's sections carry the company's
(``currency`` of ``parameters/settings.yml``, read by the
:class:`~salesops.reports.context.ReportContext`) in ``frame.attrs["currency"]``
(:func:`salesops.reports.display.section`), which :func:`currency_of` reads; a frame
made by hand carries none and shows :data:`DEFAULT_CURRENCY`, the settings' default.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from salesops import markup

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
DEFAULT_CURRENCY = "USD"
Formatter = Callable[[Any], str]


def _missing(value: object) -> bool:
    """None, NaN or pd.NA (callers test ``value is None`` too, which the checker reads)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def money(value: float | None, compact: bool = False, *, currency: str = DEFAULT_CURRENCY) -> str:
    """``$1,234,567`` (or ``$1.2M`` when compact) in ``currency`` (``€``, ``CHF 1,234``);
    ``–`` when missing."""
    if value is None or _missing(value):
        return "–"
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    value = abs(value)
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            # from 999,950 on, a thousand thousands: $1.0M, not $1000.0k
            if value >= limit * 0.99995:
                return f"{sign}{symbol}{value / limit:.1f}{suffix}"
    shown = f"{value:,.0f}"
    return f"{sign if shown != '0' else ''}{symbol}{shown}"  # -0.4 shows as $0, not -$0


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


FORMATTERS: dict[str, Formatter] = {
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


def formatters(currency: str = DEFAULT_CURRENCY) -> dict[str, Formatter]:
    """The formatter of each kind (:data:`FORMATTERS`), money in ``currency``."""
    return {**FORMATTERS, "money": functools.partial(money, currency=currency)}


def currency_of(data: pd.DataFrame | pd.Series) -> str:
    """The currency a section's frame carries (``attrs["currency"]``), else the default."""
    return str(data.attrs.get("currency", DEFAULT_CURRENCY))


def in_currency(result: Any, currency: str) -> Any:
    """``result``, its frames (one, or a tuple of them) carrying the ``currency`` their
    money is in (``attrs["currency"]``, as ``attrs["view"]`` carries how they are shown)."""
    for part in result if isinstance(result, tuple) else (result,):
        if isinstance(part, pd.DataFrame | pd.Series):
            part.attrs["currency"] = currency
    return result


def _escaped_names(axis: pd.Index) -> pd.Index:
    return axis.set_names([None if n is None else markup.html(n) for n in axis.names])


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, str],
    caption: str | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> Any:
    """A styled table: columns formatted by kind (``money`` in ``currency``, ``pct``,
    ``days``, ...).

    Returns a pandas Styler with the house look; index shown, no row numbers. The
    caption is plain text (backticks are dropped). Every cell, label, index and column
    name and the caption is HTML-escaped: data is never markup (:mod:`salesops.markup`).
    """
    kinds = formatters(currency)
    by_column = {c: kinds[k] for c, k in formats.items() if c in frame}
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
