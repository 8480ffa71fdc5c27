"""The period's portal: ``reports/<period>/index.html``, the page a manager opens first,
and ``rollup.csv`` / ``rollup.parquet``, the same numbers for analysts.

One row per scope, company first, then each region followed by its reps (by name). Each
row holds the scope's headline numbers, read from its reports' JSON summaries:

============================  ==================================================
bookings, attainment,          the metrics report's KPIs (a rep: the review's, the
win rate, pipeline coverage    same definitions on the rep's own deals)
forecast against quota         the forecast's expected attainment, this quarter
============================  ==================================================

Each number has a trend mark against the previous period: the value the summary holds
for the previous period (the metrics KPIs carry it), else the same number in the
previous period's summary of that scope when that period was run. Then the status of
each report, its links and, for a failure, the cell and message.

The page filters and sorts in the browser with a few lines of inline script: no CDN,
nothing fetched, usable offline at thousands of rows. Every value on the page is
escaped by Jinja's autoescape; ``rollup.csv`` holds formula-safe cells
(:func:`salesops.markup.csv_frame`: a name starting with ``=`` opens as text in a
spreadsheet), ``rollup.parquet`` the values as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from salesops import markup
from salesops.batch.headlines import find, title, unknown
from salesops.config import settings
from salesops.data.periods import Period
from salesops.data.scopes import Scope
from salesops.errors import ConfigError
from salesops.reports.formatting import DEFAULT_CURRENCY, formatters
from salesops.storage import version, write_atomic

TEMPLATE = Path(__file__).parents[1] / "templates" / "portal.html.j2"


@dataclass(frozen=True)
class Number:
    """A headline column: where each report's summary holds it, and its kind."""

    column: str
    label: str
    kind: str
    paths: Mapping[str, tuple[str | int, ...]]  # report: path to {current, previous} or value


def kpi(column: str, name: str, kind: str) -> Number:
    """A KPI of the metrics report, which a rep's review computes the same way on the
    rep's own deals."""
    path = ("kpis", name)
    return Number(column, name, kind, {"metrics": path, "performance_review": path})


NUMBERS = (
    kpi("bookings", "Bookings", "money"),
    kpi("attainment", "Quota attainment", "pct"),
    kpi("win_rate", "Win rate", "pct"),
    kpi("pipeline_coverage", "Pipeline coverage", "ratio"),
    Number(
        "forecast_attainment",
        "Forecast against quota",
        "pct",
        {"forecast": ("outlook", 0, "expected_attainment")},
    ),
)


def rollup(entries: Sequence[Mapping[str, Any]], folder: Path) -> pd.DataFrame:
    """One row per scope of the manifest ``entries``: level, region, name, each headline
    number with its previous value, and how many of the scope's reports failed."""
    previous = folder.parent / _previous_label(folder.name)
    scopes: dict[str, dict[str, Any]] = {}
    for entry in entries:
        scope = Scope.parse(entry["scope"])
        row = scopes.setdefault(
            entry["scope"],
            {
                "level": scope.level,
                "scope": str(scope),
                "region": scope.value if scope.level == "region" else None,
                "name": _default_name(scope),
                "reports": 0,
                "failed": 0,
            },
        )
        row["reports"] += 1
        row["failed"] += entry.get("status") == "failed"
        summary = _summary(folder, entry)
        if summary.get("name"):
            row["name"] = summary["name"]
        if summary.get("region") and scope.level == "rep":
            row["region"] = summary["region"]
        before = _summary(previous, entry) if previous.is_dir() else {}
        for number in NUMBERS:
            path = number.paths.get(entry["report"])
            if path is not None:
                row[number.column], row[f"{number.column}_previous"] = _now_and_before(
                    summary, before, path
                )
                row[f"{number.column}_unknown"] = _why(summary, path)
    numbers = [c for n in NUMBERS for c in (n.column, f"{n.column}_previous")]
    reasons = [f"{n.column}_unknown" for n in NUMBERS]  # why a number is blank, if known
    columns = ["level", "scope", "region", "name", *numbers, *reasons, "reports", "failed"]
    frame = pd.DataFrame(list(scopes.values()), columns=columns)  # a number absent: NaN
    if frame.empty:
        return frame
    for column in numbers:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    order = frame["level"].map({"company": 0, "region": 1, "rep": 2})
    frame = frame.assign(_o=order, _r=frame["region"].fillna("~"))
    frame = frame.sort_values(["_r", "_o", "name"]).drop(columns=["_o", "_r"])
    company = frame["level"] == "company"
    return pd.concat([frame[company], frame[~company]], ignore_index=True)


def write(folder: Path, period: str, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write ``index.html``, ``rollup.csv`` and ``rollup.parquet`` for the period."""
    frame = rollup(entries, folder)
    write_atomic(folder / "rollup.csv", markup.csv_frame(frame).to_csv(index=False))
    write_atomic(folder / "rollup.parquet", frame.to_parquet(index=False))
    currency = settings().currency  # the company's, as the reports show it
    write_atomic(folder / "index.html", page(period, frame, entries, folder, currency=currency))


def page(
    period: str,
    frame: pd.DataFrame,
    entries: Sequence[Mapping[str, Any]],
    folder: Path,
    *,
    currency: str = DEFAULT_CURRENCY,
) -> str:
    """The portal's HTML: the roll-up as rows (money in ``currency``), with links,
    status and failures."""
    reports: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        outputs = entry.get("outputs", {})
        error = entry.get("error") or {}
        reports.setdefault(entry["scope"], []).append(
            {
                "title": title(entry["report"]),
                "status": entry.get("status", ""),
                "links": [
                    (kind, path)
                    for kind, path in sorted(outputs.items())
                    if kind in ("html", "pdf", "ipynb") and (folder / path).exists()
                ],
                "error": f"cell {error.get('cell')}: {error.get('message')}" if error else "",
            }
        )
    rows = [
        {
            "level": row["level"],
            "scope": row["scope"],
            "name": row["name"],
            "region": "" if pd.isna(row["region"]) else row["region"],
            "numbers": [_cell(row, number, currency) for number in NUMBERS],
            "reports": reports.get(row["scope"], []),
            "failed": int(row["failed"]),
        }
        for row in frame.to_dict("records")
    ]
    failed = sum(e.get("status") == "failed" for e in entries)
    return _template().render(
        period=period,
        rows=rows,
        numbers=NUMBERS,
        count=len(entries),
        failed=failed,
        reps=int((frame["level"] == "rep").sum()),
    )


def _cell(row: Mapping[str, Any], number: Number, currency: str) -> dict[str, str]:
    """A number as shown, its trend mark (▲ ▼ or ■ level) and the previous value."""
    shown = formatters(currency)[number.kind]
    now, before = row.get(number.column), row.get(f"{number.column}_previous")
    if now is None or pd.isna(now):
        why = row.get(f"{number.column}_unknown")
        title = why if isinstance(why, str) and why else "not in the data"
        return {"text": "–", "sort": "", "mark": "", "tone": "", "title": title}
    text = shown(now)
    if before is None or pd.isna(before):
        return {"text": text, "sort": f"{now:.6g}", "mark": "", "tone": "", "title": ""}
    move = now - before
    mark, tone = ("▲", "up") if move > 0 else ("▼", "down") if move < 0 else ("■", "flat")
    was = f"previous period: {shown(before)}"
    return {"text": text, "sort": f"{now:.6g}", "mark": mark, "tone": tone, "title": was}


def _now_and_before(
    summary: Mapping[str, Any], before: Mapping[str, Any], path: tuple[str | int, ...]
) -> tuple[Any, Any]:
    value, _ = find(summary, path)
    if isinstance(value, Mapping):  # {current, previous, last_year}
        return value.get("current"), value.get("previous")
    earlier, _ = find(before, path)
    return value, earlier


def _why(summary: Mapping[str, Any], path: tuple[str | int, ...]) -> str | None:
    """The reason the summary gives for the current value at ``path`` being unknown."""
    value, _ = find(summary, path)
    return unknown(summary, (*path, "current") if isinstance(value, Mapping) else path)


def _summary(folder: Path, entry: Mapping[str, Any]) -> dict[str, Any]:
    path = folder / Scope.parse(entry["scope"]).slug / f"{entry['report']}.json"
    try:
        return _read(str(path), version(path))
    except OSError:
        return {}


@lru_cache(maxsize=8192)
def _read(path: str, seen: tuple[int, int, int]) -> dict[str, Any]:
    """A summary, parsed once per version of it (the portal is rewritten per report)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def _previous_label(label: str) -> str:
    try:
        fiscal = settings().fiscal_year_start_month
        return Period.parse(label, fiscal_year_start_month=fiscal).shift(-1).label
    except (ConfigError, ValueError):  # a folder that is not a period has no previous one
        return ""


def _default_name(scope: Scope) -> str:
    return scope.title


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE.read_text())
