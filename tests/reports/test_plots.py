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
