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


# -- without stage history: the deals as known at a past period's end ----------------------


def _stages(open_: bool = True):
    from salesops.data.stages import Stage, Stages

    won = {"name": "Won", "probability": 1.0, "closed": True, "won": True}
    lost = {"name": "Lost", "probability": 0.0, "closed": True}
    if open_:
        return Stages.from_dict(
            {
                "stages": [
                    {"name": "Lead", "probability": 0.1},
                    {"name": "Deal", "probability": 0.6},
                    won,
                    lost,
                ]
            }
        )
    # a won-only stage list (valid once a stage list may have no open stage)
    return Stages.model_construct(stages=(Stage(**won), Stage(**lost)))


def _deals() -> pd.DataFrame:
    """Four deals by hand: won in May, won in Nov, lost in July, open (Deal) due in Aug."""
    return pd.DataFrame(
        {
            "opportunity_id": ["a", "b", "c", "d"],
            "stage": ["Won", "Won", "Lost", "Deal"],
            "forecast_category": ["closed", "closed", "omitted", "commit"],
            "created_date": pd.to_datetime(
                ["2018-03-01", "2018-04-01", "2018-05-02", "2018-05-03"]
            ),
            "close_date": pd.to_datetime(["2018-05-20", "2018-11-02", "2018-07-01", "2018-08-01"]),
            "amount": [100.0, 250.0, None, 40.0],
        }
    )


def test_a_deal_closed_after_the_end_was_open_at_it_in_the_first_open_stage():
    known, ids = history.reopen(_deals(), pd.Timestamp("2018-06-01"), _stages())
    assert ids == {"b", "c"}
    assert known["stage"].tolist() == ["Won", "Lead", "Lead", "Deal"]
    assert known["forecast_category"].isna().tolist() == [False, True, True, False]
    # the close it had is its expected close; its amount is as exported
    assert known["close_date"].equals(_deals()["close_date"])
    assert known["amount"].iloc[1] == 250.0
    same, none = history.reopen(_deals(), pd.Timestamp("2018-12-01"), _stages())
    assert none == frozenset() and same["stage"].tolist() == ["Won", "Won", "Lost", "Deal"]


def test_without_an_open_stage_a_reopened_deal_is_open_with_its_stage_unknown():
    from salesops.analytics import gaps
    from salesops.analytics.pipeline import pipeline
    from salesops.data.stages import UNKNOWN_OPEN

    won_only = _stages(open_=False)
    deals = _deals().iloc[:3]  # no open deal in the export
    known, ids = history.reopen(deals, pd.Timestamp("2018-06-01"), won_only)
    assert ids == {"b", "c"} and known["stage"].tolist() == ["Won", UNKNOWN_OPEN, UNKNOWN_OPEN]
    stages = won_only.with_unknown_open()
    assert stages.open_names == [UNKNOWN_OPEN] and stages.with_unknown_open() is stages
    pipe = pipeline(known, stages=stages)
    # 2 open deals at the end: 250 known, one unpriced; the weight of a stage nobody knows
    # is unknown, never 0
    assert pipe["deals"] == 2 and pipe["amount"] == 250.0 and pipe["unpriced"] == 1
    assert "stage of the open deals is unknown" in gaps.why(pipe["weighted"])
    unpriced = known.assign(amount=None)
    assert gaps.why(pipeline(unpriced, stages=stages)["amount"])  # unknown, not $0
