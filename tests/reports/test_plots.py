"""Charts in the house style: a long title wraps, and the chart keeps its size."""

from __future__ import annotations

import warnings

import pandas as pd

from salesops.reports import plots
from salesops.reports.display import png

CAPTION = (
    "Bookings against quota, Oct 2018 to Dec 2018. Bookings start in Oct 2018, the month of "
    "the first closed deal: the 3 months before it had deals created but none closed, so "
    "they are left out rather than shown as $0."
)


def test_a_long_title_wraps_and_the_chart_is_not_squeezed_to_nothing():
    """A caption that says where the series starts collapsed the axes, and matplotlib's
    UserWarning was printed inside the report's HTML."""
    trend = pd.DataFrame(
        {"bookings": [1e5, 2e5, 3e5], "quota": [float("nan")] * 3},
        index=["2018-10", "2018-11", "2018-12"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        figure = plots.bookings_trend(trend, CAPTION)
        assert png(figure)
    title = figure.axes[0].get_title(loc="left")
    assert all(len(line) <= plots.TITLE_WIDTH for line in title.splitlines())
    assert title.replace("\n", " ") == CAPTION
    assert figure.get_size_inches()[1] > 3.6  # taller by the lines the title added


def test_a_stage_whose_deals_all_lack_amounts_draws_no_zero_bar_but_says_so():
    """Qualification's open deals have no amount (unknown), Negotiation has none (a known
    $0): Qualification reads "– (no amount)" and the title names it, not a $0 bar."""
    pipe = pd.DataFrame(
        {"deals": [1, 1, 0], "amount": [30_000.0, float("nan"), 0.0]},
        index=pd.Index(["Prospecting", "Qualification", "Negotiation"], name="stage"),
    ).assign(weighted=lambda f: f["amount"] * 0.5)
    figure = plots.pipeline_by_stage(pipe, "Open pipeline at the end of 2026-09")
    ax = figure.axes[0]
    title = ax.get_title(loc="left").replace("\n", " ")
    assert title == (
        "Open pipeline at the end of 2026-09. – is unknown, not $0 (its open deals all lack "
        "an amount): Qualification"
    )
    labels = [(t.get_text(), t.get_position()[1]) for t in ax.texts]
    assert labels == [(" – (no amount)", 1)]  # on Qualification's row only
    assert png(figure)
    alone = pipe.loc[["Qualification", "Negotiation"]]
    nothing = plots.pipeline_by_stage(alone, "Open pipeline")
    assert "so Qualification is unknown, not $0" in nothing.texts[1].get_text()


def test_a_chart_with_nothing_to_draw_wraps_its_long_title_inside_the_figure():
    """The Maven CRM export's pipeline by stage (no open deal has an amount) drew its
    title on one line of a figure 8 inches wide: "... None of the 2,089 open deals has"
    and the rest ran off the edge."""
    title = (
        "Open pipeline by stage as exported on 31 Dec 2017. None of the 2,089 open deals "
        "has an amount: their sums are unknown (–)."
    )
    figure = plots.nothing(title, "no open deal has an amount, so Engaging is unknown, not $0")
    assert png(figure)
    heading, reason = (text.get_text() for text in figure.texts)
    assert all(len(line) <= plots.TITLE_WIDTH for line in heading.splitlines())
    assert heading.replace("\n", " ") == title and len(heading.splitlines()) == 2
    assert reason == "Nothing to chart: no open deal has an amount, so Engaging is unknown, not $0."
    assert figure.get_size_inches()[1] > plots.nothing("Short", "no data").get_size_inches()[1]
