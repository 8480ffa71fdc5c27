"""The plain-text overview of a source (salesops.data.describe), on hand-made tables."""

from __future__ import annotations

import pandas as pd

from salesops.data.describe import describe
from salesops.data.model import Tables


def tables() -> Tables:
    """M1 manages; R1 and R2 (left 15 Feb) sell in East, R3 in West; R4 (West) has no deal.
    Deals: O1 R1's, O2 R2's (East), O3 R3's (West), created 5 Jan to 10 Mar 2026."""
    reps = pd.DataFrame(
        {
            "rep_id": ["M1", "R1", "R2", "R3", "R4"],
            "region": ["East", "East", "East", "West", "West"],
            "role": ["manager", "rep", "rep", "rep", "rep"],
            "end_date": pd.to_datetime([None, None, "2026-02-15", None, None]),
        }
    )
    deals = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2", "O3"],
            "owner_id": ["R1", "R2", "R3"],
            "region": ["East", "East", "West"],
            "created_date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-10"]),
        }
    )
    return Tables(opportunities=deals, reps=reps)


def test_describe_lists_tables_regions_and_reps():
    """Sellers are the reps who own a deal (R1, R2, R3): 2 active, R2 left. East: 2 deals,
    1 active of its 2 sellers; West: 1 deal, R3. R4 owns nothing: not counted, and said so."""
    text = describe("tiny", tables(), pd.Timestamp("2026-03-31"))
    assert text.splitlines() == [
        "Source: tiny (data as of 2026-03-31)",
        "",
        "Tables:",
        "  opportunities                   3 rows  2026-01-05 .. 2026-03-10",
        "  reps                            5 rows",
        "  opportunity_history    (not in this source)",
        "  quotas                 (not in this source)",
        "  leads                  (not in this source)",
        "  activities             (not in this source)",
        "  forecast_submissions   (not in this source)",
        "",
        "Regions:",
        "  East                2 deals    1 active rep  (2 over the history)",
        "  West                1 deal     1 active rep  (1 over the history)",
        "",
        "Reps: 2 active, 1 left, 1 manager; 1 of the 5 people owns no deal and is not counted",
    ]


def test_describe_counts_the_rows_set_aside():
    given = tables()
    given.set_aside = {"opportunities": given.opportunities.iloc[:2]}
    text = describe("tiny", given, pd.Timestamp("2026-03-31"))
    assert text.splitlines()[-3:] == [
        "",
        "Set aside (rows that break a rule; salesops validate lists why):",
        "  opportunities                   2 rows",
    ]


def test_a_table_with_no_dates_shows_no_span():
    given = tables()
    given.opportunities["created_date"] = pd.NaT
    line = describe("x", given, pd.Timestamp("2026-03-31")).splitlines()[3]
    assert line == "  opportunities                   3 rows"
