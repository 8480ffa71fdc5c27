"""The stage history in deal order (salesops.data.history)."""

from __future__ import annotations

import pandas as pd

from salesops.data import history


def rows(ids: list[str], days: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ids,
            "changed_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D"),
            "stage": [f"s{i}" for i in range(len(ids))],
        }
    )


def test_rows_come_back_by_deal_then_time():
    h = rows(["B", "A", "B", "A"], [5, 3, 1, 2])
    ordered = history.by_deal(h)
    assert ordered["opportunity_id"].tolist() == ["A", "A", "B", "B"]
    assert ordered["stage"].tolist() == ["s3", "s1", "s2", "s0"]
    assert history.by_deal(ordered) is ordered  # already in order: the same frame


def test_a_frame_changed_in_place_after_ordering_is_ordered_again():
    """Nothing is remembered about a frame: one reordered in place is checked again
    (before, a frame once returned was trusted by identity, and its snapshots were wrong)."""
    ordered = history.by_deal(rows(["A", "A", "B"], [1, 2, 3]))
    ordered.loc[ordered.index[0], "changed_at"] = pd.Timestamp("2026-12-31")
    again = history.by_deal(ordered)
    assert again["stage"].tolist() == ["s1", "s0", "s2"]
    last = history.last_per_deal(again)
    assert again.loc[last, "stage"].tolist() == ["s0", "s2"]


def test_changes_before_a_moment_keep_each_deals_order():
    h = rows(["A", "B", "A", "B"], [1, 2, 10, 20])
    before = history.changes_before(h, pd.Timestamp("2026-01-05"))
    assert before["stage"].tolist() == ["s0", "s1"]
