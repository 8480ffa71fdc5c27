"""Numbers that cannot be known (:class:`gaps.Unknown`), where a series starts, and the notes
beside sums that left deals out: each on a few hand-made values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import gaps
from salesops.data.scopes import WHERE

STAGES = so.Stages.read()


def _deals(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Deals of (stage, created_date, close_date)."""
    frame = pd.DataFrame(rows, columns=["stage", "created_date", "close_date"])
    return frame.assign(
        created_date=pd.to_datetime(frame["created_date"]),
        close_date=pd.to_datetime(frame["close_date"]),
    )


def test_an_unknown_is_a_nan_that_keeps_its_reason_through_copies_but_not_arithmetic():
    x = gaps.Unknown("no open deal has an amount")
    assert isinstance(x, float) and np.isnan(x) and x != x
    assert gaps.why(x) == "no open deal has an amount"
    assert repr(x) == "Unknown('no open deal has an amount')"
    assert gaps.why(pd.Series([x], dtype=object).iloc[0]) == x.reason  # an object cell keeps it
    assert gaps.why(x + 1) is None and np.isnan(x + 1)  # arithmetic gives a bare NaN
    assert gaps.why(np.nan) is None and gaps.why(3.0) is None and gaps.why("text") is None


def test_reasons_are_distinct_and_in_the_order_met():
    a, b = gaps.Unknown("a"), gaps.Unknown("b")
    frame = pd.DataFrame({"x": [b, 1.0, a], "y": [np.nan, b, 2.0]}, dtype=object)
    # raveled row by row: b, nan, 1.0, b, a, 2.0 -> b first, then a
    assert gaps.reasons(frame) == ["b", "a"]
    assert gaps.reasons(pd.Series([1.0, np.nan])) == []


def test_series_start_where_the_data_speaks(tiny):
    # tiny: first deal created 2026-03-01 (O10), first close 2026-07-31 (O4, won)
    booked = gaps.bookings_start(tiny.opportunities, STAGES)
    piped = gaps.pipeline_start(tiny.opportunities)
    assert (str(booked.month), str(piped.month)) == ("2026-07", "2026-03")
    assert booked.before("2026-06") and booked.before("2026")  # the year began before it
    assert not booked.before("2026-07") and not booked.before("2026-Q3")
    assert "starts in Jul 2026, the month of the first closed deal" in gaps.sentence(
        booked, "bookings"
    )
    nothing = gaps.bookings_start(
        tiny.opportunities[tiny.opportunities["stage"] == "Proposal"], STAGES
    )
    assert nothing.month is None and nothing.before("2030-01")


def test_bookings_start_at_the_first_close_lost_or_won_not_the_first_creation():
    deals = _deals(
        [
            ("Proposal", "2025-01-05", "2025-12-01"),  # open: its close date is a guess
            ("Closed Lost", "2025-03-10", "2025-05-20"),  # the first close: May 2025
            ("Closed Won", "2025-02-01", "2025-08-15"),
        ]
    )
    start = gaps.bookings_start(deals, STAGES)
    assert start == gaps.Start(pd.Period("2025-05", "M"), "the month of the first closed deal")
    assert start.day == pd.Timestamp("2025-05-01")
    assert gaps.pipeline_start(deals).month == pd.Period("2025-01", "M")


def test_without_a_close_the_reason_names_the_scope_or_the_source():
    open_only = _deals([("Proposal", "2025-01-05", "2025-12-01")])
    assert gaps.bookings_start(open_only, STAGES).reason == "the source holds no closed deal"
    open_only.attrs[WHERE] = "in West"
    assert gaps.no_close(open_only) == "no deal in West has closed yet"
    assert gaps.bookings_start(open_only, STAGES) == gaps.Start(
        None, "no deal in West has closed yet"
    )
    undated = _deals([("Proposal", None, None)])
    assert gaps.pipeline_start(undated) == gaps.Start(None, "no deal has a created date")


def test_before_and_ends_before_the_start():
    start = gaps.Start(pd.Period("2025-05", "M"), "the month of the first closed deal")
    assert start.before("2025-04") and start.before("2025-Q2")  # Q2 begins 1 Apr
    assert not start.before("2025-05") and not start.before("2025-Q3")
    # a window ending (exclusive) on 1 May 2025 lies wholly before; one ending 2 May does not
    assert start.ends_before(pd.Timestamp("2025-05-01"))
    assert not start.ends_before(pd.Timestamp("2025-05-02"))
    never = gaps.Start(None, "the source holds no closed deal")
    assert never.day is None and never.before("2099-01") and never.ends_before(pd.Timestamp(0))


def test_unknown_for_a_period_before_the_start_says_why():
    start = gaps.Start(pd.Period("2025-05", "M"), "the month of the first closed deal")
    value = start.unknown_for("2024-05", "bookings")
    assert np.isnan(value) and gaps.why(value) == (
        "2024-05 is before May 2025, the month of the first closed deal: no bookings to "
        "compare with"
    )
    never = gaps.Start(None, "the source holds no closed deal")
    assert gaps.why(never.unknown_for("2024-Q2", "bookings")) == (
        "no bookings: the source holds no closed deal"
    )


def test_sentence_with_and_without_a_start():
    start = gaps.Start(pd.Period("2025-05", "M"), "the month of the first closed deal")
    assert gaps.sentence(start, "bookings") == (
        "The bookings series starts in May 2025, the month of the first closed deal: the "
        "data says nothing about the months before it, which are left out (not counted as "
        "zero)."
    )
    never = gaps.Start(None, "no deal has a created date")
    assert gaps.sentence(never, "pipeline") == (
        "There is no pipeline series: no deal has a created date."
    )


def test_known_since_is_the_month_after_the_last_unknown_one():
    assert gaps.known_since(np.array([1.0, np.nan, 2.0, np.nan, 3.0, 4.0])) == 4
    assert gaps.known_since(np.array([1.0, 2.0])) == 0
    assert gaps.known_since(np.array([1.0, np.nan])) == 2  # the last is unknown: nothing to fit
    assert gaps.known_since(np.array([])) == 0


def test_total_is_a_known_sum_a_known_zero_or_unknown_with_its_reason():
    assert gaps.total(pd.Series([100.0, np.nan, 50.0])) == 150.0  # the known amounts
    assert gaps.total(pd.Series([], dtype=float)) == 0.0  # no deal: a known zero
    one = gaps.total(pd.Series([np.nan]), "open deals", " due in 2026-Q4")
    assert gaps.why(one) == "the one open deal due in 2026-Q4 has no amount"
    four = gaps.total(pd.Series([np.nan] * 4), "open deals", " due in 2026-Q4")
    assert gaps.why(four) == "none of the 4 open deals due in 2026-Q4 has an amount"


@pytest.mark.parametrize(
    ("unpriced", "deals", "what", "note"),
    [
        (0, 12, "open deals", ""),
        (1, 12, "open deals", "1 of 12 open deals has no amount and is left out of the sums."),
        (3, 12, "open deals", "3 of 12 open deals have no amount and are left out of the sums."),
        (4, 4, "open deals", "None of the 4 open deals has an amount: their sums are unknown (–)."),
        (1, 1, "open deals", "The one open deal has no amount: the sums are unknown (–)."),
        (
            1,
            1,
            "deals won in 2026-09",
            "The one deal won in 2026-09 has no amount: the sums are unknown (–).",
        ),
    ],
)
def test_left_out_words_the_note_beside_a_sum(unpriced, deals, what, note):
    assert gaps.left_out(unpriced, deals, what) == note


def test_too_few_priced_months_are_unknown_from_three_on_known():
    assert gaps.too_few_priced(3, "productivity") is None
    assert gaps.why(gaps.too_few_priced(1, "productivity", " in the last 12 months")) == (
        "only 1 month of won deals with an amount in the last 12 months: productivity needs "
        "at least 3, so it is unknown"
    )
    assert gaps.why(gaps.too_few_priced(2, "a forecast")).startswith("only 2 months of won")
    assert gaps.why(gaps.too_few_priced(0, "a forecast")).startswith("no month of won deals")


def test_filled_and_known_give_a_reason_to_bare_nans_only():
    own, fill = gaps.Unknown("its own"), gaps.Unknown("the column's")
    values = pd.Series([1.0, np.nan, own], index=["a", "b", "c"], name="x", dtype=object)
    out = gaps.filled(values, fill)
    assert out.dtype == object and out.name == "x" and list(out.index) == ["a", "b", "c"]
    assert out["a"] == 1.0 and [gaps.why(out[k]) for k in "bc"] == ["the column's", "its own"]
    assert gaps.why(gaps.known(np.nan, "why")) == "why"
    assert gaps.known(own, "why") is own and gaps.known(2.5, "why") == 2.5


def test_a_large_count_of_deals_without_amounts_has_thousands_separators():
    amounts = pd.Series([np.nan] * 2089)
    assert gaps.why(gaps.total(amounts)) == "none of the 2,089 open deals has an amount"
    assert gaps.left_out(2089, 2089) == (
        "None of the 2,089 open deals has an amount: their sums are unknown (–)."
    )
    assert gaps.left_out(1500, 2089) == (
        "1,500 of 2,089 open deals have no amount and are left out of the sums."
    )
