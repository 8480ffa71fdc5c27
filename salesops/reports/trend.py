"""The bookings trend: bookings, quota and attainment month by month, from where the
data starts. One table serves the metrics report, the performance review and the
dashboard, so that their charts agree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import gaps
from salesops.analytics import metrics as m
from salesops.data.periods import Period
from salesops.data.stages import Stages
from salesops.reports import plots
from salesops.reports.display import View, viewed, with_reasons
from salesops.words import plural


def months(period: Period, count: int, start: gaps.Start) -> list[Period]:
    """The last ``count`` months to ``period`` that the data can speak for: those before
    ``start`` (the first closed deal's month) are left out, not counted as $0."""
    return [p for p in period.trailing_months(count) if not start.before(p)]


def table(
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame | None,
    trail: list[Period],
    *,
    stages: Stages,
) -> pd.DataFrame:
    """Bookings, quota and attainment for each month of ``trail``.

    bookings = Σ amount of the deals won in the month (0 in a month with none; unknown,
    with the reason, in a month whose won deals all lack an amount, and so is its
    attainment: an object column, each unknown a :class:`~salesops.analytics.gaps.Unknown`);
    quota = Σ monthly quota amounts of the month (NaN without ``quotas``, or for a month
    with no quota row); attainment = bookings / quota, NaN where the quota is 0 or missing.
    """
    labels = [p.label for p in trail]
    out = pd.DataFrame(
        {"bookings": 0.0, "quota": np.nan}, index=pd.Index(labels, name="month", dtype=object)
    )
    if trail:
        window = (trail[0].start, trail[-1].end)
        booked = m.bookings(opportunities, window, by="month", stages=stages)
        unpriced = booked.index[booked.isna()]  # won deals, none with an amount: unknown
        out["bookings"] = booked.reindex(labels).fillna(0.0).astype(float)
        if quotas is not None:
            inside = (quotas["month"] >= window[0]) & (quotas["month"] < window[1])
            q = quotas[inside]
            out["quota"] = (
                q.groupby(q["month"].dt.strftime("%Y-%m"))["amount"].sum().reindex(labels)
            )
    out["attainment"] = out["bookings"] / out["quota"].where(out["quota"] > 0)
    if trail and len(unpriced):
        out = out.astype({"bookings": object, "attainment": object})
        for label in unpriced.intersection(labels):
            why = gaps.Unknown(f"none of the deals won in {label} has an amount")
            out.at[label, "bookings"] = out.at[label, "attainment"] = why
    return out


def trend(
    opportunities: pd.DataFrame,
    quotas: pd.DataFrame | None,
    period: Period,
    count: int,
    *,
    start: gaps.Start,
    has_quotas: bool,
    stages: Stages,
) -> pd.DataFrame:
    """:func:`table` over the last ``count`` months to ``period`` from ``start``, shown as
    a chart against quota, with a caption that says where the series starts when it
    starts later than ``count`` months ago."""
    trail = months(period, count, start)
    out = table(opportunities, quotas, trail, stages=stages)
    if not trail:
        return viewed(out, View(empty=gaps.sentence(start, "bookings")))
    against = " against quota" if has_quotas else " (no quotas in this source)"
    caption = f"Bookings{against}, {plural(len(trail), 'month')} to {period.label}"
    if len(trail) < count:  # the series starts later: say where and why
        caption += ". " + gaps.sentence(start, "bookings")
    caption = with_reasons(caption, out[["bookings"]]) or caption  # a month without a bar
    return viewed(out, View(caption=caption, draw=lambda f: plots.bookings_trend(f, caption)))
