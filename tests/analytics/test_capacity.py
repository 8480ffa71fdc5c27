"""Who sells and what they can book: sellers from the first close, capacity next to what the
team just booked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import capacity, gaps
from salesops.data.periods import Period
from salesops.data.stages import Stages

STAGES = Stages.read()


def monthly_wins(rep: str, amount: float, months: pd.DatetimeIndex) -> pd.DataFrame:
    """One deal won by ``rep`` for ``amount`` in each of ``months``, created on 1 Jan 2017."""
    return pd.DataFrame(
        {
            "owner_id": rep,
            "stage": "Closed Won",
            "amount": amount,
            "close_date": months + pd.Timedelta(days=14),
            "created_date": pd.Timestamp("2017-01-01"),
        }
    )


def test_capacity_is_not_far_below_what_the_team_just_booked():
    # The real export's pattern: deals from January, the first close in March, no hire
    # dates, and a person on the reps file who never owned a deal. A books 100 and B 300
    # every month from March to December 2017: 1,200 in 2017-Q4.
    months = pd.date_range("2017-03-01", "2017-12-01", freq="MS")
    opps = pd.concat([monthly_wins("A", 100.0, months), monthly_wins("B", 300.0, months)])
    reps = pd.DataFrame(
        {"rep_id": ["A", "B", "C"], "role": None, "hire_date": pd.NaT, "end_date": pd.NaT}
    )
    cap = capacity.quarter_capacity(
        reps,
        opps,
        Period.parse("2018-Q1"),
        pd.Timestamp("2017-12-31"),
        stages=STAGES,
        ramp_months=6,
    )
    # before: the median of 1,000/12, 3,000/12 and C's 0 (83.33) × 3 people × 3 months =
    # 750, well under the 1,200 just booked. Now: C is not a seller, January and February
    # are before the data, and productivity is the mean of 20 rep-months: 4,000 / 20 = 200.
    assert cap["headcount"] == 2.0
    assert cap["productivity"] == pytest.approx(200.0)
    assert cap["capacity"] == pytest.approx(200.0 * 2 * 3)
    assert cap["booked_last_quarter"] == pytest.approx(1200.0)


def test_a_seller_owned_a_deal_and_the_data_starts_at_the_first_close():
    reps = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C", "D"],
            "role": "rep",
            "hire_date": pd.NaT,
            "end_date": pd.to_datetime([None, None, None, "2017-01-31"]),
        }
    )
    opps = pd.DataFrame(
        {
            "owner_id": ["A", "B", "D", "A"],
            "stage": ["Proposal", "Closed Won", "Closed Won", "Closed Lost"],
            "amount": [10.0, 50.0, 70.0, 5.0],
            "created_date": pd.to_datetime(
                ["2016-10-01", "2017-02-01", "2016-12-01", "2016-10-05"]
            ),
            "close_date": pd.to_datetime(["2018-03-31", "2017-06-10", "2017-01-20", "2017-03-02"]),
        }
    )
    window = (pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01"))
    # A: an open deal; B: won in the window; C: no deal; D: left before the window
    assert capacity.owners(opps, reps, window, STAGES)["rep_id"].tolist() == ["A", "B"]
    # the first closed deal is D's, on 20 January 2017: the months before it are unknown
    assert capacity.data_start(opps, STAGES) == pd.Timestamp("2017-01-01")
    since = (pd.Timestamp("2016-10-01"), window[1])
    history = capacity.rep_months(opps, reps.iloc[:2], since, STAGES)
    months = [f"2017-{k:02d}" for k in range(1, 7)]
    assert history["month"].astype(str).tolist() == months * 2
    assert history["bookings"].tolist() == [0.0] * 6 + [0.0] * 5 + [50.0]


def test_productivity_needs_three_priced_months():
    # the floor of the forecast (gaps.MIN_PRICED): a month or two of bookings is not a rate
    months = pd.period_range("2026-01", "2026-04", freq="M")
    history = pd.DataFrame(
        {
            "rep_id": "A",
            "month": months,
            "tenure": 24.0,
            "bookings": [0.0, 300.0, 0.0, 500.0],  # two priced months
        }
    )
    got = capacity.productivity(history, " in the 12 months to 30 Apr 2026")
    assert gaps.why(got) == (
        "only 2 months of won deals with an amount in the 12 months to 30 Apr 2026: "
        "productivity needs at least 3, so it is unknown"
    )
    # a third priced month: the mean over the four rep-months, (300 + 100 + 500) / 4
    history.loc[2, "bookings"] = 100.0
    assert capacity.productivity(history) == pytest.approx(225.0)
    # no rep-month at all: unknown, not $0
    assert "no month in seat" in gaps.why(capacity.productivity(history.iloc[:0]))
    # won deals without amounts: unknown rep-months count no priced month
    unpriced = history.assign(bookings=np.nan)
    assert gaps.why(capacity.productivity(unpriced)).startswith("no month of won deals")


def test_a_team_whose_data_never_closed_has_unknown_capacity_not_zero():
    reps = pd.DataFrame({"rep_id": ["A"], "role": "rep", "hire_date": pd.NaT, "end_date": pd.NaT})
    deals = pd.DataFrame(
        {
            "owner_id": ["A"],
            "stage": "Proposal",
            "amount": [np.nan],
            "close_date": pd.to_datetime(["2027-01-15"]),
            "created_date": pd.to_datetime(["2026-03-01"]),
        }
    )
    cap = capacity.quarter_capacity(
        reps, deals, Period.parse("2027-Q1"), pd.Timestamp("2026-12-31"),
        stages=STAGES, ramp_months=3,
    )  # fmt: skip
    assert cap["headcount"] == 1.0
    why = "the source holds no closed deal: there are no bookings to measure it on"
    assert gaps.why(cap["productivity"]) == why == gaps.why(cap["capacity"])
    assert gaps.why(cap["booked_last_quarter"]) == "no bookings: the source holds no closed deal"


def test_a_scope_with_no_close_says_so_of_itself_not_of_the_source(tiny):
    """Before September 2026 the tiny CRM has closed deals in East (O4 in July, O1 in
    August), none in West (its first, O5, closes in September) nor of Dan (R4). West's
    capacity and bookings said "the source holds no closed deal"; they say "no deal in
    West has closed yet", and Dan's "no deal of this rep has closed yet" (no name). Where
    the whole source holds none, every scope says that of the source, which is the truth."""
    from salesops.data.scopes import Scope, scope_deals

    deals = tiny.opportunities[tiny.opportunities["close_date"] < "2026-09-01"].copy()
    nothing = deals.assign(stage="Proposal")  # a source that holds no closed deal
    cases = [
        (deals, "region:West", "no deal in West has closed yet"),
        (deals, "rep:R4", "no deal of this rep has closed yet"),
        (nothing, "region:West", "the source holds no closed deal"),
        (nothing, "company", "the source holds no closed deal"),
    ]
    for source, scope, where in cases:
        mine = scope_deals(source, Scope.parse(scope), STAGES)
        mine = mine[~mine["stage"].isin(STAGES.closed_names)]  # West's and Dan's: all open
        cap = capacity.quarter_capacity(
            tiny.reps, mine, Period.parse("2026-Q4"), pd.Timestamp("2026-08-31"),
            stages=STAGES, ramp_months=3,
        )  # fmt: skip
        assert gaps.why(cap["productivity"]) == f"{where}: there are no bookings to measure it on"
        assert gaps.bookings_start(mine, STAGES).reason == where
    # West's deals in a source with closes elsewhere, as for_scope gives them
    west = tiny.for_scope("region:West").opportunities
    west = west[west["close_date"] < "2026-09-01"]
    assert gaps.bookings_start(west, STAGES).reason == "no deal in West has closed yet"
