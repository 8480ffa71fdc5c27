"""What every report shares for showing its sections: how a section's DataFrame is shown
(:func:`show`), what a section needs (:func:`section`), a report's heading
(:func:`heading`), KPI tiles, figures as PNG, plain JSON values and the summary file.

Data is never markup: a name in a heading, a caption or a table is escaped for where it
lands (:mod:`salesops.markup`); a heading is HTML built from escaped text, never Markdown.

A section is a function of a :class:`~salesops.reports.context.ReportContext` that
returns a DataFrame. :func:`section` declares what it needs from the source and how it
is shown; when the source lacks what it needs, the section returns :class:`Missing`,
which shows as one line saying so, in place of the section::

    board = team_review.leaderboard(ctx)   # a DataFrame: change it, sort it, plot it
    so.show(board)                          # formatted by kind, with its caption
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from html import escape
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from IPython.display import HTML, Image, Markdown, display
from matplotlib.figure import Figure

from salesops import markup
from salesops.analytics import gaps
from salesops.data import coverage, quarantine
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.scopes import Scope
from salesops.reports import formatting as fmt
from salesops.reports import labels
from salesops.storage import json_text, write_atomic

F = TypeVar("F", bound=Callable[..., Any])

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
    """One KPI tile: a name and a formatted value (text), a line under it (HTML: the
    caller escapes what it takes from data) and ``data-*`` attributes for machines."""

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
            f"<div class='kpi-value'>{escape(tile.value)}</div>"
            f"<div class='kpi-change'>{tile.note}</div></div>"
        )
    attrs = "".join(f" data-{k}='{escape(v)}'" for k, v in (data or {}).items())
    return f"<style>{TILE_CSS}</style><div class='kpis'{attrs}>{''.join(cells)}</div>"


def heading(text: str, tables: Tables | None = None) -> HTML:
    """A report's heading: ``text`` as an ``<h2>``, escaped (a rep's or a region's name
    in it is data, never Markdown or HTML), then the data-quality banner of ``tables``
    when rows were set aside (:func:`salesops.data.quarantine.banner`)."""
    note = quarantine.banner(tables) if tables is not None else ""
    shown = f"<h2>{escape(text)}</h2>"
    if note:
        shown += f"<p class='salesops-banner'><b>Data quality:</b> {escape(note)}</p>"
    return HTML(shown)


def tone(change: float, lower_is_better: bool = False) -> str:
    """``up`` (good news), ``down`` or ``flat``: the CSS class of a change."""
    if pd.isna(change) or change == 0:
        return "flat"
    return "up" if (change > 0) != lower_is_better else "down"


def formatted(value: float, kind: str, currency: str = fmt.DEFAULT_CURRENCY) -> str:
    """``value`` formatted as ``kind`` (a :data:`salesops.reports.formatting.FORMATTERS`
    key), money in ``currency``."""
    return fmt.formatters(currency)[kind](value)


def plain(value: Any, reason: str | None = None) -> Any:
    """A number as JSON holds it: rounded to 6 places; an unknown number
    (:class:`~salesops.analytics.gaps.Unknown`) as it is, so that the summary file names
    it with its reason (:func:`salesops.storage.json_text`). A NaN without a reason of
    its own becomes an :class:`~salesops.analytics.gaps.Unknown` with ``reason`` (None
    without one): every report's summary gives its nulls their one-line reason this way.
    """
    if gaps.why(value):
        return value
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return gaps.Unknown(reason) if reason else None
        return round(float(value), 6)
    return value


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
    return write_atomic(Path(path), json_text(summary))  # strict JSON: no Infinity


def summary_path(
    report: str, scope: Scope | str, period: Period | str, as_of: pd.Timestamp | None
) -> Path:
    """Where the summary of a report run by hand goes, when the run names no
    ``summary_path``: ``summaries/<period>/<scope>/<report>.json`` under
    :func:`salesops.config.cache_dir` (``.cache/`` unless ``$SALESOPS_CACHE`` says).

    Never under ``reports/``: what is published there is what ``salesops run`` made and
    recorded in the manifest (the runner passes ``summary_path`` itself), and a notebook
    run by hand on other data or code must not change the numbers the portal and the
    emails quote beside the runner's HTML.
    """
    from salesops.config import cache_dir

    label = Period.parse(period, as_of=as_of).label
    return cache_dir() / "summaries" / label / Scope.parse(scope).slug / f"{report}.json"


@dataclass(frozen=True)
class View:
    """How a section's frame is shown: each column's kind (a
    :data:`salesops.reports.formatting.FORMATTERS` key; or each row's, for KPIs as rows),
    a caption, what draws the frame instead of a table (a chart, KPI tiles;
    ``show(frame, table=True)`` gives the table anyway), and the line an empty frame shows
    instead."""

    formats: Mapping[str, str] = field(default_factory=dict)
    caption: str | None = None
    draw: Callable[[pd.DataFrame], Figure | HTML] | None = None
    rows: Mapping[str, str] = field(default_factory=dict)  # a kind per row (KPIs as rows)
    _: KW_ONLY
    empty: str | None = None  # what an empty frame says ("Nobody is ramping.")


@dataclass(frozen=True)
class Missing:
    """A section the source cannot support: shown as one line naming what it lacks."""

    section: str
    lacking: tuple[str, ...]

    @property
    def sentence(self) -> str:
        """ "Ramping reps needs `reps.hire_date`, which this source does not have." """
        return coverage.sentence(self.section, list(self.lacking))

    def _repr_markdown_(self) -> str:
        return f"*{self.sentence}*"


def viewed(frame: pd.DataFrame, view: View) -> pd.DataFrame:
    """``frame``, carrying how it is shown (``frame.attrs["view"]``)."""
    frame.attrs["view"] = view
    return frame


def requires(ctx: Any, name: str, *needs: str) -> Missing | None:
    """:class:`Missing` when the source lacks what section ``name`` ``needs``, else None:
    for a section whose needs depend on its arguments (a breakdown by a column)."""
    lacking = coverage.missing(ctx.tables, needs)
    return Missing(name, tuple(lacking)) if lacking else None


def section(name: str) -> Callable[[F], F]:
    """A report section titled ``name``, which needs what :data:`salesops.data.coverage.
    SECTIONS` lists it under (tables, or ``table.column``; written there once, where
    ``salesops validate`` reads it too): without it, the section returns
    :class:`Missing` instead of numbers the data cannot support. The frames a section
    returns carry the context's currency (:func:`salesops.reports.formatting.in_currency`)."""
    needed = coverage.needs_of(name)

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def checked(ctx: Any, *args: Any, **kwargs: Any) -> Any:
            result = requires(ctx, name, *needed) or function(ctx, *args, **kwargs)
            return fmt.in_currency(result, ctx.settings.currency)

        checked.needs = needed  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return wrap


def readable(
    frame: pd.DataFrame, formats: Mapping[str, str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` as a reader sees it, with the kinds of its columns: human labels for
    column, index and row names (:mod:`salesops.reports.labels`; rows that are the CRM's
    values, :func:`~salesops.reports.labels.of_data`, as they are), the index's name in the
    header's corner instead of a row of its own, the outer levels of a MultiIndex as
    columns (row spans print badly), and Yes/No for true/false."""
    if isinstance(frame.index, pd.MultiIndex):  # outer levels as columns: no row spans
        frame = frame.reset_index(level=list(range(frame.index.nlevels - 1)))
    kinds = {c: formats.get(c) or labels.kind(c) for c in frame.columns}
    shown = frame.copy()
    for i, dtype in enumerate(frame.dtypes):
        if dtype in (bool, object):
            shown.isetitem(i, frame.iloc[:, i].map(labels.yes_no))
    name = labels.data_value if labels.of_data(frame.columns.name) else labels.label
    names, index = [name(c) for c in frame.columns], frame.index
    # the index's name goes in the header's corner, not a row of its own
    corner = labels.label(index.name) if index.name else frame.columns.name
    textual = index.dtype == object or pd.api.types.is_string_dtype(index)
    if textual:  # the CRM's values as they are; the package's row names get labels
        index = index.map(labels.data_value if labels.of_data(index.name) else labels.label)
    shown.index = index.rename(None)
    shown.columns = pd.Index(names, name=corner)
    return shown, {n: k for c, n in zip(frame.columns, names, strict=True) if (k := kinds[c])}


def styled(frame: pd.DataFrame, formats: Mapping[str, str], caption: str | None = None) -> Any:
    """A frame as a styled table a reader sees: :func:`readable` labels and kinds, in
    the house look (:func:`salesops.reports.formatting.table`)."""
    return fmt.table(*readable(frame, formats), caption, fmt.currency_of(frame))


def _blank(frame: pd.DataFrame | pd.Series) -> bool:
    """True when a frame has numbers and every one is zero or missing."""
    numbers = frame.to_frame() if isinstance(frame, pd.Series) else frame
    numbers = numbers.select_dtypes("number")
    values = numbers.to_numpy(dtype=float, na_value=np.nan)
    return values.size > 0 and not np.nan_to_num(values).any()


def with_reasons(caption: str | None, frame: pd.DataFrame) -> str | None:
    """``caption``, then one line per reason a cell of ``frame`` reads "–" for (its
    :class:`~salesops.analytics.gaps.Unknown` values). A reason joined of clauses ("this
    source has no quotas; and no bookings: ...") leaves out a clause already said, so that
    no clause is read twice."""
    known = (caption or "").lower()
    said: list[str] = []
    heard: set[str] = set()
    for reason in gaps.reasons(frame):
        for clause in reason.rstrip(".").split("; "):
            bare = clause.removeprefix("and ").lower()
            if bare not in known and bare not in heard:
                heard.add(bare)
                said.append(clause)
    if not said:
        return caption
    line = f"– stands for what cannot be known: {'; '.join(said)}."
    return f"{caption.rstrip('.')}. {line}" if caption else line


def show(*results: Any, table: bool = False) -> Any:
    """Show sections as a reader sees them: a frame formatted by its :class:`View` (or
    drawn as its chart; ``table=True`` shows the numbers instead), a :class:`Missing`
    section as one line, anything else as it is. Several results are displayed in turn."""
    if len(results) != 1:
        for result in results:
            shown = show(result, table=table)
            if shown is not None:
                display(shown)
        return None
    result = results[0]
    if isinstance(result, Missing):
        return Markdown(result._repr_markdown_())
    if isinstance(result, pd.DataFrame | pd.Series):
        view = result.attrs.get("view") or View()
        if result.empty and view.empty:
            return Markdown(f"*{view.empty}*")
        if view.draw is not None and not table and (len(result) == 0 or _blank(result)):
            chart = markup.markdown((view.caption or "The chart").replace("`", "").rstrip("."))
            why = "there are no values" if len(result) == 0 else "every value is zero or missing"
            return Markdown(f"*{chart}: nothing to chart, {why}.*")
        if view.draw is not None and not table:
            drawn = view.draw(result)
            return picture(drawn, view.caption or "") if isinstance(drawn, Figure) else drawn
        frame = result.to_frame() if isinstance(result, pd.Series) else result
        caption = with_reasons(view.caption, frame)
        if view.rows:  # a kind per row (but for the columns of `formats`), as text
            shown = frame.astype(object)
            kinds = fmt.formatters(fmt.currency_of(result))
            for row, kind in view.rows.items():
                shown.loc[row] = [
                    kinds[view.formats.get(column, kind)](value)
                    for column, value in frame.loc[row].items()
                ]
            return styled(shown, {}, caption)
        return styled(frame, view.formats, caption)
    if isinstance(result, list | tuple):
        return show(*result, table=table)
    return result
