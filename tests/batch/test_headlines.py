"""The headlines a message quotes: formatted, and saying what is missing."""

from __future__ import annotations

from salesops.batch.headlines import headlines


def test_headlines_are_formatted_and_say_what_is_missing():
    summary = {
        "report": "forecast",
        "outlook": {"2026-Q4": {"expected": 21521775.8, "expected_attainment": None}},
    }
    assert headlines(summary) == [
        ("Expected bookings, 2026-Q4", "$21,521,776"),
        ("Expected quota attainment, 2026-Q4", "not in the data"),
    ]
    assert headlines({"report": "planning"}) == []
    # a number the summary holds as unknown says why, in the email too
    summary["unknown"] = {"outlook.2026-Q4.expected_attainment": "this source has no quotas"}
    assert headlines(summary)[1] == (
        "Expected quota attainment, 2026-Q4",
        "– (this source has no quotas)",
    )
