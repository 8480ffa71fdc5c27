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


# -- the deals as they stood at a past period's end ------------------------------------------


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
    known, ids, unknown, unrecorded = history.deals_as_of(
        _deals(), pd.Timestamp("2018-06-01"), _stages()
    )
    assert ids == unknown == {"b", "c"}
    assert unrecorded == {"a", "b", "c", "d"}  # no history: every deal from its dates
    assert known["stage"].tolist() == ["Won", "Lead", "Lead", "Deal"]
    assert known["forecast_category"].isna().tolist() == [False, True, True, False]
    # the close it had is its expected close; its amount is as exported
    assert known["close_date"].equals(_deals()["close_date"])
    assert known["amount"].iloc[1] == 250.0
    same, none, _, _ = history.deals_as_of(_deals(), pd.Timestamp("2018-12-01"), _stages())
    assert none == frozenset() and same["stage"].tolist() == ["Won", "Won", "Lost", "Deal"]


def test_without_an_open_stage_a_reopened_deal_is_open_with_its_stage_unknown():
    from salesops.analytics import gaps
    from salesops.analytics.pipeline import pipeline
    from salesops.data.stages import UNKNOWN_OPEN

    won_only = _stages(open_=False)
    deals = _deals().iloc[:3]  # no open deal in the export
    known, ids, _, _ = history.deals_as_of(deals, pd.Timestamp("2018-06-01"), won_only)
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


def _history() -> pd.DataFrame:
    """The stage history of :func:`_deals`, by hand: ``a`` won 20 May as exported; ``b`` in
    Deal for 220 due 31 Oct at June's start (won 250 on 2 Nov); ``c``'s history starts
    after June's start (a connector that began recording later); ``d`` in Lead for 30
    due 15 Jul at June's start (Deal, 40, due 1 Aug from 20 Jun)."""
    rows = [
        ("a", "2018-03-01 09:00", "Lead", 80.0, "2018-05-31", "pipeline"),
        ("a", "2018-05-20 10:00", "Won", 100.0, "2018-05-20", "closed"),
        ("b", "2018-04-01 09:00", "Lead", 200.0, "2018-09-30", "pipeline"),
        ("b", "2018-05-15 09:00", "Deal", 220.0, "2018-10-31", "commit"),
        ("b", "2018-11-02 16:00", "Won", 250.0, "2018-11-02", "closed"),
        ("c", "2018-06-10 09:00", "Lead", None, "2018-07-01", "pipeline"),
        ("c", "2018-07-01 12:00", "Lost", None, "2018-07-01", "omitted"),
        ("d", "2018-05-03 09:00", "Lead", 30.0, "2018-07-15", "pipeline"),
        ("d", "2018-06-20 09:00", "Deal", 40.0, "2018-08-01", "commit"),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "changed_at",
            "stage",
            "amount",
            "close_date",
            "forecast_category",
        ],
    )
    return frame.assign(
        changed_at=pd.to_datetime(frame["changed_at"]),
        close_date=pd.to_datetime(frame["close_date"]),
    )


def test_with_history_a_deal_stands_at_the_end_as_its_last_row_before_it():
    """At June's start, by hand (see :func:`_history`): ``b``, won in November, was in
    Deal for 220 due 31 Oct (commit); ``d`` in Lead for 30 due 15 Jul; ``c``, lost in
    July with no history row before June, is reopened by the close-date rule; ``a`` as
    exported. Before, ``b`` showed as won for 250 at a period ending in May."""
    from salesops.analytics import metrics

    known, ids, unknown, unrecorded = history.deals_as_of(
        _deals(), pd.Timestamp("2018-06-01"), _stages(), history=_history()
    )
    assert known["stage"].tolist() == ["Won", "Deal", "Lead", "Lead"]
    assert known["amount"].tolist()[:2] == [100.0, 220.0] and known["amount"].iloc[3] == 30.0
    assert pd.isna(known["amount"].iloc[2])  # c: as exported (no amount)
    assert known["close_date"].dt.strftime("%m-%d").tolist() == ["05-20", "10-31", "07-01", "07-15"]
    assert known["forecast_category"].tolist()[:2] == ["closed", "commit"]
    assert (
        pd.isna(known["forecast_category"].iloc[2])
        and known["forecast_category"].iloc[3] == "pipeline"
    )
    assert ids == {"b", "c"} and unknown == {"c"}  # b's stage then is known, c's is not
    assert unrecorded == {"c"}  # the only deal without a history row before June
    # the bookings of May (a, 100) are the same either way
    assert metrics.bookings(known, "2018-05", stages=_stages()) == 100.0
    assert metrics.bookings(_deals(), "2018-05", stages=_stages()) == 100.0
    # the exported deals are left alone
    assert _deals()["stage"].tolist() == ["Won", "Won", "Lost", "Deal"]


def test_what_the_history_does_not_hold_stays_as_exported():
    """A history without amounts or forecast categories (its columns mapped to nothing):
    the amounts stay as exported; a deal whose stage then differs loses its exported
    category (its stage's default fills it at the load); an empty close date in a row
    keeps the exported one."""
    h = _history().drop(columns=["amount", "forecast_category"])
    h.loc[h["opportunity_id"] == "d", "close_date"] = pd.NaT
    known, ids, unknown, _ = history.deals_as_of(
        _deals(), pd.Timestamp("2018-06-01"), _stages(),
        history=h, held=("stage", "close_date"),
    )  # fmt: skip
    assert known["amount"].iloc[[0, 1, 3]].tolist() == [100.0, 250.0, 40.0]
    assert known["forecast_category"].iloc[0] == "closed"  # a: the same stage then
    assert known["forecast_category"].iloc[[1, 3]].isna().all()  # b, d: another stage then
    assert known["close_date"].iloc[3] == pd.Timestamp("2018-08-01")  # d: as exported
    assert ids == {"b", "c"} and unknown == {"c"}


def test_at_the_data_s_end_every_deal_is_as_exported():
    known, ids, unknown, unrecorded = history.deals_as_of(
        _deals(), pd.Timestamp("2018-12-01"), _stages(), history=_history()
    )
    pd.testing.assert_frame_equal(known, _deals())
    assert ids == unknown == unrecorded == frozenset()
