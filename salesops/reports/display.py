"""What every report shares for showing its sections: KPI tiles, figures as PNG, plain JSON
values, the summary file, and the once-per-report memo of a section."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from IPython.display import Image
from matplotlib.figure import Figure

from salesops import formatting as fmt
from salesops.periods import Period
from salesops.project import write_atomic
from salesops.scopes import Scope

T = TypeVar("T")

TILE_CSS = """
.kpis {display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 8px 0 16px;}
.kpi {border: 1px solid #d5d8dc; border-radius: 6px; padding: 8px 12px; background: #fbfcfc;}
.kpi-name {font-size: 0.85em; color: #566573;}
.kpi-value {font-size: 1.5em; font-weight: bold; color: #1f4e79; margin: 2px 0;}
.kpi-change {font-size: 0.8em; color: #566573;}
.kpi-change .up {color: #27ae60; font-weight: bold;}
.kpi-change .down {color: #c0392b; font-weight: bold;}
"""


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a name, a formatted value, a line under it (HTML: the caller
    escapes what it takes from data) and ``data-*`` attributes for machines."""

    name: str
    value: str
    note: str = ""
    data: Mapping[str, str] = field(default_factory=dict)


def tiles_html(tiles: Iterable[Tile], data: Mapping[str, str] | None = None) -> str:
    """The tiles in a grid, with their style; ``data`` are attributes of the grid."""
    cells = []
    for tile in tiles:
        attrs = "".join(f" data-{k}='{escape(v)}'" for k, v in tile.data.items())
        cells.append(
            f"<div class='kpi'{attrs}><div class='kpi-name'>{escape(tile.name)}</div>"
            f"<div class='kpi-value'>{tile.value}</div>"
            f"<div class='kpi-change'>{tile.note}</div></div>"
        )
    attrs = "".join(f" data-{k}='{escape(v)}'" for k, v in (data or {}).items())
    return f"<style>{TILE_CSS}</style><div class='kpis'{attrs}>{''.join(cells)}</div>"


def tone(change: float, lower_is_better: bool = False) -> str:
    """``up`` (good news), ``down`` or ``flat``: the CSS class of a change."""
    if pd.isna(change) or change == 0:
        return "flat"
    return "up" if (change > 0) != lower_is_better else "down"


def formatted(value: float, kind: str) -> str:
    """``value`` formatted as ``kind`` (a :data:`salesops.formatting.FORMATTERS` key)."""
    return fmt.FORMATTERS[kind](value)


def plain(value: Any) -> Any:
    """A number as JSON holds it: rounded to 6 places, NaN as None."""
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), 6)
    return value


def memoized(method: Callable[[Any], T]) -> Callable[[Any], T]:
    """A method without arguments computed once per object (the report sections that
    several others read: KPIs, outlooks, leaderboards, quotas)."""
    key = f"_memo_{method.__name__}"

    @functools.wraps(method)
    def once(self: Any) -> T:
        if key not in self.__dict__:
            self.__dict__[key] = method(self)
        return self.__dict__[key]

    return once


def png(figure: Figure) -> bytes:
    """A figure drawn once as PNG bytes (the figure fits itself already)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def picture(figure: Figure, alt: str) -> Image:
    """A figure as a PNG image with alt text."""
    return Image(data=png(figure), format="png", alt=alt)


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write a report's JSON summary atomically (a temporary file, then a rename)."""
    return write_atomic(Path(path), json.dumps(summary, indent=2))


def summary_path(
    report: str, scope: Scope | str, period: Period | str, as_of: pd.Timestamp | None
) -> Path:
    """Where a report's summary goes: ``reports/<period>/<scope>/<report>.json``."""
    from salesops.project import root

    label = Period.parse(period, as_of=as_of).label
    return root() / "reports" / label / Scope.parse(scope).slug / f"{report}.json"
