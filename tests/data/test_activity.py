"""Who sold, and when (salesops.data.activity): sellers, active reps and active deals, on
hand-made frames."""

from __future__ import annotations

import pandas as pd

from salesops.data.activity import active_deals, active_in, active_reps, sellers

AUGUST = (pd.Timestamp("2026-08-01"), pd.Timestamp("2026-09-01"))


def people() -> pd.DataFrame:
    """M manages; A sells (no role given); B left 15 Aug; C starts 1 Sep; D left 31 Jul;
    E has no hire date."""
    return pd.DataFrame(
        {
            "rep_id": ["M", "A", "B", "C", "D", "E"],
            "role": ["manager", None, "rep", "rep", "rep", "rep"],
            "hire_date": pd.to_datetime(
                ["2020-01-01", "2021-01-01", "2021-01-01", "2026-09-01", "2021-01-01", None]
            ),
            "end_date": pd.to_datetime([None, None, "2026-08-15", None, "2026-07-31", None]),
        }
    )


def test_sellers_are_the_reps_and_the_people_without_a_role():
    assert sellers(people())["rep_id"].tolist() == ["A", "B", "C", "D", "E"]


def test_without_a_window_the_active_reps_are_those_still_employed():
    assert active_reps(people())["rep_id"].tolist() == ["A", "C", "E"]


def test_in_a_window_the_active_reps_were_employed_at_some_point_of_it():
    """August: A; B (left mid-August); E (hired on an unknown day). C starts on the
    window's end (excluded: [start, end)), D left the day before it starts."""
    assert active_reps(people(), AUGUST)["rep_id"].tolist() == ["A", "B", "E"]


def deals() -> pd.DataFrame:
    """O1 won 31 Jul (before August); O2 won 1 Aug (its first day); O3 open, created 1
    Sep (after); O4 open since May; O5 lost 20 Aug, created on an unknown day."""
    return pd.DataFrame(
        {
            "owner_id": ["A", "B", "C", "D", None],
            "region": ["East", "East", "West", "West", "North"],
            "stage": ["Won", "Won", "Open", "Open", "Lost"],
            "created_date": pd.to_datetime(
                ["2026-06-01", "2026-07-01", "2026-09-01", "2026-05-01", None]
            ),
            "close_date": pd.to_datetime(
                ["2026-07-31", "2026-08-01", "2026-10-01", "2026-10-01", "2026-08-20"]
            ),
        }
    )


def test_active_deals_were_created_before_the_end_and_open_or_closed_since_the_start():
    assert active_deals(deals(), AUGUST, ["Open"]).tolist() == [False, True, False, True, True]


def test_active_in_names_the_owners_or_regions_of_the_active_deals():
    """O2 (B, East), O4 (D, West), O5 (no owner: not named; North)."""
    assert active_in(deals(), AUGUST, ["Open"]) == {"B", "D"}
    assert active_in(deals(), AUGUST, ["Open"], "region") == {"East", "West", "North"}


def test_with_no_open_stage_an_open_deal_is_active_only_by_its_dates():
    assert active_deals(deals(), AUGUST, []).tolist() == [False, True, False, True, True]
    september = (pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01"))
    # O3 (created 1 Sep) and O4 close on 1 Oct, after September's start; O5 closed 20 Aug
    assert active_deals(deals(), september, []).tolist() == [False, False, True, True, False]
