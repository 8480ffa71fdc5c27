"""Charts in one house style. Every function returns a matplotlib Figure and never shows it."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler
from matplotlib.ticker import FuncFormatter, MaxNLocator

from salesops.reports.formatting import currency_of, money

PALETTE = ["#1f4e79", "#2e86c1", "#85c1e9", "#f39c12", "#c0392b", "#7f8c8d"]
GOOD, BAD, NEUTRAL = "#27ae60", "#c0392b", "#1f4e79"
STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 12,
    "axes.titlelocation": "left",
    "font.size": 10,
    # a name is data: "$" in it is a dollar, never mathtext (a stray one would fail the draw)
    "text.parse_math": False,
}


def house_style(plot: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw ``plot`` in the house style without touching the global matplotlib settings."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs) -> Figure:
        rc = {**sns.axes_style("whitegrid"), **STYLE, "axes.prop_cycle": cycler(color=PALETTE)}
        with mpl.rc_context(rc):
            return _wrapped_titles(plot(*args, **kwargs))

    return wrapper


TITLE_WIDTH = 72  # characters per line of a chart's title


def _wrapped_titles(fig: Figure) -> Figure:
    """``fig`` with each long axes title on lines of at most :data:`TITLE_WIDTH`
    characters, and the figure taller by the lines added: a caption that says where a
    series starts or what it leaves out must not squeeze the chart to nothing."""
    added = 0
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            title = ax.get_title(loc=loc)
            if len(title) > TITLE_WIDTH:
                lines = textwrap.wrap(title, TITLE_WIDTH)
                ax.set_title("\n".join(lines), loc=loc)
                added = max(added, len(lines) - 1)
    if added:
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height + 0.25 * added)
    return fig


@house_style
def nothing(title: str, why: str) -> Figure:
    """A chart that cannot be drawn, as its title and a line saying why, each wrapped at
    :data:`TITLE_WIDTH` characters (a long title ran off the figure's edge), the figure
    as tall as its lines."""
    heading = textwrap.wrap(title, TITLE_WIDTH) or [""]
    reason = textwrap.wrap(f"Nothing to chart: {why}.", round(TITLE_WIDTH * 1.3))  # smaller type
    line = 0.25  # inches per line
    height = line * (len(heading) + len(reason)) + 0.2
    fig = plt.figure(figsize=(8, height))
    fig.text(0.01, 1 - 0.1 / height, "\n".join(heading), fontweight="bold", fontsize=12, va="top")
    fig.text(0.01, 0.1 / height, "\n".join(reason), color="#566573", va="bottom")
    return fig


def _figure(width: float = 8, height: float = 3.6) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    # Closed at once: Jupyter then shows the returned figure exactly once, and none piles up.
    plt.close(fig)
    return fig, ax


def _money_axis(ax: Axes, data: pd.DataFrame | pd.Series, axis: str = "y") -> None:
    """Money on ``axis``, in the currency ``data`` carries."""
    currency = currency_of(data)
    fmt = FuncFormatter(lambda v, _: money(v, compact=True, currency=currency))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


@house_style
def bookings_trend(trend: pd.DataFrame, title: str = "Bookings against quota") -> Figure:
    """Monthly bookings as bars and quota as a line; ``trend`` has month, bookings, quota."""
    fig, ax = _figure()
    months = trend.index.astype(str)
    colors = [
        GOOD if b >= q > 0 else NEUTRAL
        for b, q in zip(trend["bookings"], trend["quota"].fillna(0), strict=True)
    ]
    booked = trend["bookings"].astype(float)  # an unknown month: no bar (the caption says why)
    ax.bar(months, booked, color=colors, label="Bookings")
    if trend["quota"].notna().any():
        ax.plot(months, trend["quota"], color=PALETTE[3], marker="o", lw=2, label="Quota")
    _money_axis(ax, trend)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=45)
    ax.legend(frameon=False, loc="upper left")
    return fig


@house_style
def pipeline_by_stage(pipe: pd.DataFrame, title: str = "Open pipeline by stage") -> Figure:
    """Raw and weighted pipeline per stage; ``pipe`` is indexed by stage
    (:func:`salesops.analytics.pipeline.by_stage`: 0 for a stage with no open deal, NaN
    for one whose open deals all lack an amount). An unknown stage draws no bar: it reads
    "– (no amount)", and the title names it, never a $0 bar. Without any amount, one line
    says so instead of an empty axis."""
    amount = pipe["amount"].astype(float)
    unknown = list(pipe.index[amount.isna()].astype(str))
    said = (
        f"– is unknown, not $0 (its open deals all lack an amount): {', '.join(unknown)}"
        if unknown
        else ""
    )
    if not amount.fillna(0).any():
        why = f"no open deal has an amount, so {', '.join(unknown)} is unknown, not $0"
        return nothing(title, why if unknown else "the open pipeline is $0 in every stage")
    fig, ax = _figure(height=3.2)
    stages = pipe.index.astype(str)
    ax.barh(stages, amount.fillna(0.0), color=PALETTE[2], label="Amount")
    weighted = pipe["weighted"].astype(float).fillna(0.0)
    ax.barh(stages, weighted, color=PALETTE[0], height=0.45, label="Weighted")
    for y, stage in enumerate(stages):
        if stage in unknown:
            ax.text(0, y, " – (no amount)", va="center", fontsize=8, color=NEUTRAL)
    ax.invert_yaxis()
    _money_axis(ax, pipe, "x")
    ax.set_title(f"{title.rstrip('.')}. {said}" if said else title)
    ax.legend(frameon=False, loc="lower right")
    return fig


@house_style
def waterfall(steps: pd.Series, title: str = "Pipeline waterfall") -> Figure:
    """A waterfall from ``start`` through each movement to ``end``. A step that is unknown
    (NaN: its deals all lack an amount) draws no bar and reads "–"; the running total
    passes it by, as the sums leave those deals out (the title says why)."""
    fig, ax = _figure()
    labels = [s.replace("_", "\n") for s in steps.index]
    bottoms, heights, colors = [], [], []
    running = 0.0
    for name, value in steps.astype(float).items():
        if value != value:  # unknown: no bar, at the running total
            bottoms.append(running)
            heights.append(0.0)
            colors.append(NEUTRAL)
        elif name in ("start", "end"):
            bottoms.append(0.0)
            heights.append(value)
            colors.append(NEUTRAL)
            running = value
        else:
            bottoms.append(running if value >= 0 else running + value)
            heights.append(abs(value))
            colors.append(GOOD if value >= 0 else BAD)
            running += value
    ax.bar(labels, heights, bottom=bottoms, color=colors)
    for x, (b, h, v) in enumerate(zip(bottoms, heights, steps.to_numpy(), strict=True)):
        label = money(v, compact=True, currency=currency_of(steps))
        ax.text(x, b + h, label, ha="center", va="bottom", fontsize=8)
    _money_axis(ax, steps)
    ax.set_ylim(0, max(b + h for b, h in zip(bottoms, heights, strict=True)) * 1.12 or 1)
    ax.set_title(title)
    return fig


@house_style
def funnel(stages: pd.DataFrame, title: str = "Stage conversion") -> Figure:
    """Deals reaching each stage, with the conversion from the stage before."""
    fig, ax = _figure(height=3.2)
    names = stages.index.astype(str)
    ax.barh(names, stages["deals"], color=PALETTE[1])
    ax.invert_yaxis()
    for y, (n, c) in enumerate(zip(stages["deals"], stages["conversion"], strict=True)):
        label = f"{n:,}" + ("" if pd.isna(c) else f"  ({c:.0%} of previous)")
        ax.text(n, y, " " + label, va="center", fontsize=8)
    ax.set_xlabel("deals")
    ax.set_title(title)
    ax.set_xlim(0, max(stages["deals"].max(), 1) * 1.35)
    return fig


@house_style
def bars(values: pd.Series, title: str, percent: bool = False) -> Figure:
    """A simple horizontal bar chart of one value per category."""
    fig, ax = _figure(height=max(2.2, 0.35 * len(values) + 1))
    ax.barh(values.index.astype(str), values.to_numpy(), color=PALETTE[0])
    ax.invert_yaxis()
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    else:
        _money_axis(ax, values, "x")
    ax.set_title(title)
    return fig


@house_style
def forecast(history: pd.Series, table: pd.DataFrame, title: str = "Bookings forecast") -> Figure:
    """History as a line, the forecast dashed, with shaded 80% and 95% intervals.

    ``table`` is :meth:`salesops.analytics.forecast.Forecast.frame`: forecast, lower_80, upper_80,
    lower_95, upper_95, indexed by month label.
    """
    fig, ax = _figure(height=3.8)
    past = pd.PeriodIndex(history.index, freq="M").to_timestamp()
    future = pd.PeriodIndex(table.index, freq="M").to_timestamp()
    ax.plot(past, history.to_numpy(), color=PALETTE[0], lw=2, label="Bookings")
    for level, color in ((95, PALETTE[2]), (80, PALETTE[1])):
        low, high = table[f"lower_{level}"], table[f"upper_{level}"]
        ax.fill_between(
            future, low, high, color=color, alpha=0.35, lw=0, label=f"{level}% interval"
        )
    joined = pd.concat([history.iloc[-1:], table["forecast"]])
    ax.plot(
        pd.PeriodIndex(joined.index, freq="M").to_timestamp(),
        joined.to_numpy(),
        color=PALETTE[3],
        lw=2,
        ls="--",
        label="Forecast",
    )
    _money_axis(ax, table)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(frameon=False, loc="upper left", ncols=4)
    return fig


@house_style
def distribution(
    values: np.ndarray, mine: float | None = None, title: str = "Distribution", percent: bool = True
) -> Figure:
    """A histogram of ``values`` (unlabelled: no names), with ``mine`` marked if given."""
    fig, ax = _figure(height=3.0)
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if len(values):
        ax.hist(values, bins=min(10, max(3, len(values))), color=PALETTE[2], edgecolor="white")
    if mine is not None and np.isfinite(mine):
        ax.axvline(mine, color=PALETTE[3], lw=3, label="You")
        ax.legend(frameon=False, loc="upper right")
    if percent:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel("reps")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    return fig
