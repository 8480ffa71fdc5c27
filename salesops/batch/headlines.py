"""A report's title and its two or three headline numbers, read from its JSON summary.

Every report of a run writes a JSON summary next to its HTML and PDF (the notebook's
``summary_path`` parameter). The emails of :mod:`salesops.delivery.sending` quote these numbers
so that a reader sees the month at a glance before opening the attachment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from salesops.reports.formatting import DEFAULT_CURRENCY, formatters

TITLES = {
    "metrics": "Sales metrics",
    "forecast": "Bookings forecast",
    "team_review": "Team review",
    "performance_review": "Performance review",
    "planning": "Quota and capacity plan",
    "dashboard": "Dashboard",
}
FIRST = 0  # in a path: the summary's first key at that level (e.g. the next quarter)
MISSING = "not in the data"


@dataclass(frozen=True)
class Headline:
    """One number to quote: a label (``{}`` takes the key that ``FIRST`` found), where it
    is in the summary, and how to format it (a
    :data:`salesops.reports.formatting.FORMATTERS` key)."""

    label: str
    path: tuple[str | int, ...]
    format: str


H = Headline
HEADLINES: dict[str, tuple[Headline, ...]] = {
    "performance_review": (
        H("Bookings this month", ("bookings", "Month"), "money"),
        H("Quota attainment this month", ("attainment", "Month"), "pct"),
        H("Commission payable", ("payable",), "money"),
    ),
    "team_review": (
        H("Reps", ("reps",), "number"),
        H("Median quota attainment, quarter to date", ("attainment_qtd_median",), "pct"),
        H("Commission, all reps", ("commission_total",), "money"),
    ),
    "metrics": (
        H("Bookings", ("kpis", "Bookings", "current"), "money"),
        H("Quota attainment", ("kpis", "Quota attainment", "current"), "pct"),
        H("Win rate", ("kpis", "Win rate", "current"), "pct"),
    ),
    "forecast": (
        H("Expected bookings, {}", ("outlook", FIRST, "expected"), "money"),
        H("Expected quota attainment, {}", ("outlook", FIRST, "expected_attainment"), "pct"),
    ),
}
del H


def title(report: str) -> str:
    """The report's name for people: ``team_review`` is "Team review"."""
    return TITLES.get(report, report.replace("_", " ").capitalize())


def headlines(
    summary: Mapping[str, Any], currency: str = DEFAULT_CURRENCY
) -> list[tuple[str, str]]:
    """The summary's headline numbers as (label, formatted value) pairs.

    A number the summary does not hold reads "not in the data"; a number it holds as
    unknown (null, with its reason under ``"unknown"``) reads "– (the reason)"; a
    report without headlines gives an empty list. Money is in ``currency``.

    Examples
    --------
    >>> headlines({"report": "team_review", "reps": 7, "commission_total": 54180.0})[0]
    ('Reps', '7')
    """
    out = []
    shown = formatters(currency)
    for item in HEADLINES.get(str(summary.get("report")), ()):
        value, keys = find(summary, item.path)
        label = item.label.format(*keys)
        missing = value is None or (isinstance(value, float) and value != value)
        why = unknown(summary, item.path) if missing else None
        text = f"– ({why})" if why else MISSING if missing else shown[item.format](value)
        out.append((label, text))
    return out


def unknown(summary: Mapping[str, Any], path: Sequence[str | int]) -> str | None:
    """Why the summary holds the number at ``path`` as unknown (its ``"unknown"``
    entry, written by :func:`salesops.storage.json_text`), or None."""
    reasons = summary.get("unknown")
    if not isinstance(reasons, Mapping):
        return None
    value: Any = summary
    steps = []
    for step in path:
        if not isinstance(value, Mapping) or not value:
            return None
        if step == FIRST:
            step = next(iter(value))
        steps.append(str(step))
        value = value.get(step)
    reason = reasons.get(".".join(steps))
    return str(reason) if reason else None


def find(summary: Mapping[str, Any], path: Sequence[str | int]) -> tuple[Any, list[str]]:
    """The value at ``path`` (None when absent) and the keys that ``FIRST`` stood for."""
    value: Any = summary
    found: list[str] = []
    for step in path:
        if not isinstance(value, Mapping) or not value:
            return None, found or ["–"]
        if step == FIRST:
            step = next(iter(value))
            found.append(str(step))
        value = value.get(step)
    return value, found
