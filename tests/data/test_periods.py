"""Periods: parsing, windows, and the comparable prior periods."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.data.periods import Period, in_calendar, latest_month
from salesops.errors import ConfigError


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026-10", "2026-10-01", "2026-11-01"),
        ("2026-1", "2026-01-01", "2026-02-01"),
        ("2026-Q3", "2026-07-01", "2026-10-01"),
        ("2026Q4", "2026-10-01", "2027-01-01"),
        ("2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_calendar_labels(label, start, end):
    p = Period.parse(label, fiscal_year_start_month=1)
    assert (p.start, p.end) == (ts(start), ts(end))


def test_fiscal_year_named_after_the_year_it_ends():
    fy = Period.parse("FY2027", fiscal_year_start_month=2)
    assert (fy.start, fy.last_day) == (ts("2026-02-01"), ts("2027-01-31"))
    assert fy.label == "FY2027"
    q1 = Period.parse("FY2027-Q1", fiscal_year_start_month=2)
    assert (q1.start, q1.end, q1.label) == (ts("2026-02-01"), ts("2026-05-01"), "FY2027-Q1")
    assert Period.parse("FY2027-Q4", fiscal_year_start_month=2).start == ts("2026-11-01")


def test_previous_and_same_period_last_year():
    p = Period.parse("2026-01", fiscal_year_start_month=1)
    assert p.previous().label == "2025-12"
    assert p.same_period_last_year().label == "2025-01"
    q = Period.parse("2026-Q1", fiscal_year_start_month=1)
    assert (q.previous().label, q.same_period_last_year().label) == ("2025-Q4", "2025-Q1")


def test_month_qtd_and_ytd_windows():
    p = Period.parse("2026-08", fiscal_year_start_month=1)
    assert p.quarter_to_date() == (ts("2026-07-01"), ts("2026-09-01"))
    assert p.year_to_date() == (ts("2026-01-01"), ts("2026-09-01"))
    fiscal = Period.parse("2026-08", fiscal_year_start_month=4)
    assert fiscal.quarter_to_date() == (ts("2026-07-01"), ts("2026-09-01"))
    assert fiscal.year_to_date() == (ts("2026-04-01"), ts("2026-09-01"))
    assert fiscal.year().label == "FY2027"


def test_ytd_across_the_calendar_year_with_a_fiscal_start():
    p = Period.parse("2026-01", fiscal_year_start_month=2)
    assert p.year_to_date() == (ts("2025-02-01"), ts("2026-02-01"))
    assert p.quarter().label == "FY2026-Q4"


def test_months_and_trailing_months():
    q = Period.parse("2026-Q3", fiscal_year_start_month=1)
    assert q.months == ["2026-07", "2026-08", "2026-09"]
    trail = Period.parse("2026-10", fiscal_year_start_month=1).trailing_months(13)
    assert [trail[0].label, trail[-1].label, len(trail)] == ["2025-10", "2026-10", 13]


def test_contains_is_half_open():
    p = Period.parse("2026-10", fiscal_year_start_month=1)
    days = pd.Series(pd.to_datetime(["2026-09-30", "2026-10-01", "2026-10-31", "2026-11-01"]))
    assert p.contains(days).tolist() == [False, True, True, False]


def test_latest_is_the_last_complete_month():
    assert latest_month(ts("2026-10-31")).label == "2026-10"
    assert latest_month(ts("2026-10-30")).label == "2026-09"
    assert Period.parse("latest", as_of="2026-03-01", fiscal_year_start_month=1).label == "2026-02"


@pytest.mark.parametrize("label", ["2026-13", "Q3", "26-10", "FY26", "last month", ""])
def test_bad_labels_are_plain_errors(label):
    with pytest.raises(ConfigError, match="is not a period"):
        Period.parse(label, fiscal_year_start_month=1)


def test_latest_needs_an_as_of_date():
    with pytest.raises(ConfigError, match="as-of"):
        Period.parse("latest", fiscal_year_start_month=1)


def test_labels_round_trip():
    for label in ["2026-10", "2026-Q3", "2026"]:
        assert Period.parse(Period.parse(label, fiscal_year_start_month=1).label).label == label


def test_a_label_is_read_in_the_calendar_it_is_given():
    """Period.parse reads no settings: the calendar year unless told; a Period keeps its own."""
    assert Period.parse("FY2027").start == ts("2027-01-01")
    fiscal = Period.parse("FY2027", fiscal_year_start_month=4)
    assert (fiscal.start, fiscal.end) == (ts("2026-04-01"), ts("2027-04-01"))
    assert Period.parse(fiscal) is fiscal
    assert in_calendar("FY2027-Q1", 4) == Period.parse("FY2027-Q1", fiscal_year_start_month=4)
    assert in_calendar("latest", 4) == "latest"  # a month in any calendar, found by the source
    assert Period.holding(ts("2026-08-15"), 4).quarter().label == "FY2027-Q2"
    assert Period.holding(ts("2026-08-15")).quarter().label == "2026-Q3"
