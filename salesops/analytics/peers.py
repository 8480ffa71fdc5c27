"""A region's reps as one rep's review may see them: distributions, never rows.

A rep's review compares the rep with the other reps of their region. Those numbers are
the same for every review of the region, and computing them reads the whole region: at
300 reps a region it is most of a review's cost. :class:`Peers` is that work done once per
region, period and data (the reports layer keeps it in the run's cache,
:func:`salesops.reports.shared.peers`); each review then reads its own rep's rows and the
region's :class:`Peers`, so a review costs the same in a region of 8 reps or of 300.

:class:`Peers` holds no rep's id and no rep's row. Each KPI column (and each stage row of
the conversion funnel) is sorted on its own, so a row of the frame is nobody: what a
review receives is one distribution per number. The rep's own numbers come from the rep's
own rows (every KPI of :func:`salesops.analytics.performance.rep_kpis` is a group-by of the rep's
own deals, quotas, leads and activities), and :meth:`Peers.without` takes one value equal
to the rep's out of a distribution that counts the rep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

import numpy as np
import pandas as pd

from salesops.analytics import performance as perf
from salesops.analytics.capacity import owners
from salesops.analytics.gaps import Start, bookings_start
from salesops.analytics.probability import WinModel
from salesops.data.model import Tables
from salesops.data.periods import Period
from salesops.data.stages import Stages

KPI_MONTHS = 3  # the review compares the last 3 months
COHORT_MONTHS = 12  # stage conversion of the deals created in the last 12 months


@dataclass(frozen=True)
class Peers:
    """What a rep's review needs of the rep's region.

    Attributes
    ----------
    region
        The region.
    members
        How many of the region's sellers were employed in the last 3 months and owned a
        deal active in them (:func:`salesops.analytics.capacity.owners`; their ids are not
        kept). Someone who owned no deal is not a peer with $0 of bookings.
    kpis
        :func:`salesops.analytics.performance.rep_kpis` of those reps over the last 3 months, each
        column sorted on its own (missing values last): one distribution per KPI.
    conversion
        Stage-to-stage conversion of the deals those reps created in the last 12 months
        (:func:`salesops.analytics.performance.conversion_by_rep`), stage rows, each row sorted on
        its own; empty without stage history.
    win_model
        The win model calibrated on the region's history as of the period's end
        (:meth:`salesops.analytics.probability.WinModel.fit`).
    start
        Where the region's bookings start (its first close,
        :func:`salesops.analytics.gaps.bookings_start`): a review, which holds only the
        rep's own rows, measures the rep's bookings from there, as their peers' are.
    """

    region: str
    members: int
    kpis: pd.DataFrame
    conversion: pd.DataFrame
    _: KW_ONLY
    win_model: WinModel
    start: Start | None = None

    @classmethod
    def of(
        cls,
        tables: Tables,
        region: str,
        period: Period,
        as_of: pd.Timestamp,
        *,
        stages: Stages,
        selling_kinds: Sequence[str],
    ) -> Peers:
        """The region's peers from ``tables`` (the region's or the company's rows);
        ``selling_kinds`` as in :func:`salesops.analytics.metrics.time_selling`."""
        reps, window = tables.reps, period.window(KPI_MONTHS)
        rows = tables.for_scope(f"region:{region}")
        members = list(
            owners(rows.opportunities, reps[reps["region"] == region], window, stages)["rep_id"]
        )
        kpis = perf.rep_kpis(
            rows,
            window,
            members,
            stages,
            selling_kinds=selling_kinds,
            fiscal_year_start_month=period.fiscal_year_start_month,
        )
        conversion = pd.DataFrame()
        if rows.opportunity_history is not None:
            cohort = (period.end - pd.DateOffset(months=COHORT_MONTHS), period.end)
            conversion = perf.conversion_by_rep(rows, cohort, members, stages)
        model = WinModel.fit(rows.opportunity_history, rows.opportunities, as_of, stages=stages)
        start = bookings_start(rows.opportunities, stages)
        return cls(
            region,
            len(members),
            _sorted(kpis),
            _sorted(conversion.T).T,
            win_model=model,
            start=start,
        )

    def without(self, values: pd.Series, mine: float, member: bool) -> pd.Series:
        """``values`` (a column of :attr:`kpis` or a row of :attr:`conversion`) without
        missing values and, when the rep is a ``member``, without the one value nearest
        the rep's own value ``mine``: the rep's peers."""
        values = values.dropna().reset_index(drop=True)
        if member and not pd.isna(mine) and len(values):
            values = values.drop(index=(values - mine).abs().idxmin())
        return values

    def comparison(self, now: pd.Series, before: pd.Series, member: bool) -> pd.DataFrame:
        """:func:`.performance.peer_comparison` of the rep's KPIs ``now`` (over the last 3
        months) and ``before`` (the 3 months before) against this region."""
        peers = pd.DataFrame(
            {key: self.without(self.kpis[key], now[key], member) for key in now.index}
        )
        return perf.peer_comparison(now, before, peers, self.unknown(now, member))

    def unknown(self, mine: pd.Series, member: bool) -> pd.Series:
        """Per KPI, how many of the rep's peers have an unknown value (bookings of won
        deals without an amount, no closed deal for a win rate): left out of the median
        and the percentile, and counted so the review can say so. ``mine``: the rep's
        KPIs (a member whose own value is unknown is not a peer of theirs)."""
        counts = {}
        for key in mine.index:
            n = int(self.kpis[key].isna().sum()) if key in self.kpis else 0
            counts[key] = max(n - int(member and pd.isna(mine[key])), 0)
        return pd.Series(counts, dtype=int)

    def conversion_medians(self, mine: pd.Series, member: bool) -> pd.Series:
        """Per stage, the peers' median conversion (``mine``: the rep's, by stage)."""
        rows = self.conversion.reindex(mine.index)
        return pd.Series(
            {
                stage: self.without(rows.loc[stage], mine[stage], member).median()
                for stage in rows.index
            },
            dtype=float,
        )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column sorted on its own, missing values last, on a plain row number."""
    return pd.DataFrame(
        {column: np.sort(frame[column].to_numpy(dtype=float)) for column in frame.columns},
        index=pd.RangeIndex(len(frame)),
    )
