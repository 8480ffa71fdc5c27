"""A region's peers as distributions: each rep's comparison from their own rows and the
region's :class:`~salesops.analytics.peers.Peers` is the one the whole region's rows give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import performance as perf
from salesops.analytics.peers import Peers
from salesops.data.model import active_reps
from salesops.data.periods import Period
from salesops.data.stages import Stages

STAGES = Stages.read()


def test_without_takes_one_value_nearest_the_reps_own():
    peers = Peers("East", 3, pd.DataFrame(), pd.DataFrame(), None)
    values = pd.Series([1.0, 2.0, 2.0, np.nan, 5.0])
    assert peers.without(values, 2.0, member=True).tolist() == [1.0, 2.0, 5.0]
    assert peers.without(values, 2.0 + 1e-12, member=True).tolist() == [1.0, 2.0, 5.0]
    assert peers.without(values, 2.0, member=False).tolist() == [1.0, 2.0, 2.0, 5.0]
    assert peers.without(values, np.nan, member=True).tolist() == [1.0, 2.0, 2.0, 5.0]


@pytest.mark.parametrize("region", ["EMEA", "NA-West"])
def test_every_reps_comparison_is_the_whole_regions(demo_db, region):
    tables = so.load(demo_db, f"region:{region}")
    period = Period.parse("2026-10")
    now, before = (
        period.window(3),
        (
            period.window(3)[0] - pd.DateOffset(months=3),
            period.window(3)[1] - pd.DateOffset(months=3),
        ),
    )
    peers = Peers.of(tables, region, period, tables.as_of, STAGES)
    reps = tables.reps
    members = list(active_reps(reps[reps["region"] == region], now)["rep_id"])
    assert peers.members == len(members) and len(peers.kpis) == len(members)
    # the old way: every rep's KPIs by id, the rep's own row dropped
    current = perf.rep_kpis(tables, now, members, STAGES)
    previous = perf.rep_kpis(tables, before, members, STAGES)
    cohort = (period.end - pd.DateOffset(months=12), period.end)
    conversion = perf.conversion_by_rep(tables, cohort, members, STAGES)
    for rep in members:
        own = tables.for_scope(f"rep:{rep}")
        mine_now = perf.rep_kpis(own, now, [rep], STAGES).loc[rep]
        mine_before = perf.rep_kpis(own, before, [rep], STAGES).loc[rep]
        got = peers.comparison(mine_now, mine_before, member=True)
        want = perf.peer_comparison(current.loc[rep], previous.loc[rep], current.drop(index=rep))
        pd.testing.assert_frame_equal(got, want)
        mine = perf.conversion_by_rep(own, cohort, [rep], STAGES)[rep]
        medians = peers.conversion_medians(mine, member=True)
        expected = conversion.drop(columns=[rep]).median(axis=1)
        pd.testing.assert_series_equal(medians, expected, check_names=False)
