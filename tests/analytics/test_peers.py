"""A region's peers as distributions: each rep's comparison from their own rows and the
region's :class:`~salesops.analytics.peers.Peers` is the one the whole region's rows give."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import capacity
from salesops.analytics import performance as perf
from salesops.analytics.peers import Peers
from salesops.data.periods import Period
from salesops.data.stages import Stages

STAGES = Stages.read()
SELLING = so.settings().selling_activity_kinds  # the demo's selling kinds


def test_without_takes_one_value_nearest_the_reps_own():
    peers = Peers("East", 3, pd.DataFrame(), pd.DataFrame(), win_model=None)
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
    peers = Peers.of(tables, region, period, tables.as_of, stages=STAGES, selling_kinds=SELLING)
    reps = tables.reps
    members = list(
        capacity.owners(tables.opportunities, reps[reps["region"] == region], now, STAGES)["rep_id"]
    )
    assert peers.members == len(members) and len(peers.kpis) == len(members)
    # the old way: every rep's KPIs by id, the rep's own row dropped
    current = perf.rep_kpis(tables, now, members, STAGES, selling_kinds=SELLING)
    previous = perf.rep_kpis(tables, before, members, STAGES, selling_kinds=SELLING)
    cohort = (period.end - pd.DateOffset(months=12), period.end)
    conversion = perf.conversion_by_rep(tables, cohort, members, STAGES)
    for rep in members:
        own = tables.for_scope(f"rep:{rep}")
        # the rep's own rows, measured from the region's first close (as the review does)
        mine_now, mine_before = (
            perf.rep_kpis(own, w, [rep], STAGES, selling_kinds=SELLING, start=peers.start).loc[rep]
            for w in (now, before)
        )
        got = peers.comparison(mine_now, mine_before, member=True)
        others = current.drop(index=rep)  # with the count of their unknown values
        want = perf.peer_comparison(
            current.loc[rep], previous.loc[rep], others, others.isna().sum()
        )
        pd.testing.assert_frame_equal(got, want)
        mine = perf.conversion_by_rep(own, cohort, [rep], STAGES)[rep]
        medians = peers.conversion_medians(mine, member=True)
        expected = conversion.drop(columns=[rep]).median(axis=1)
        pd.testing.assert_series_equal(medians, expected, check_names=False)


def test_a_person_without_deals_is_not_a_zero_peer(tiny_dir):
    tables = so.load(tiny_dir)
    nobody = pd.DataFrame(
        {"rep_id": ["R9"], "name": ["Nina Nodeal"], "region": ["East"], "role": ["rep"]}
    )
    tables = dataclasses.replace(tables, reps=pd.concat([tables.reps, nobody], ignore_index=True))
    period = Period.parse("2026-09")
    peers = Peers.of(tables, "East", period, tables.as_of, stages=STAGES, selling_kinds=SELLING)
    # East's sellers in July to September: R1 (won 10,000 on 15 Aug) and R2 (won 8,000 on
    # 31 Jul, left on 15 Aug); R9 owned no deal and is not a peer with $0
    assert peers.members == 2
    assert sorted(peers.kpis["bookings"]) == [8000.0, 10000.0]
    mine = perf.rep_kpis(
        tables.for_scope("rep:R1"), period.window(3), ["R1"], STAGES, selling_kinds=SELLING
    ).loc["R1"]
    table = peers.comparison(mine, mine, member=True)
    assert table.loc["Bookings", "peer_median"] == 8000.0  # R2 alone, not the median of 0 and 8,000
    assert table.loc["Bookings", "peers"] == 1
