"""Counted nouns and short lists in the reports' sentences (:mod:`salesops.words`)."""

from __future__ import annotations

import pytest

from salesops.words import listed, plural


@pytest.mark.parametrize(
    ("n", "noun", "many", "said"),
    [
        (1, "month", None, "1 month"),
        (0, "month", None, "0 months"),
        (3, "month", None, "3 months"),
        (1234, "deal", None, "1,234 deals"),
        (2, "deal won", "deals won", "2 deals won"),
        (1, "deal won", "deals won", "1 deal won"),
        (-1, "day", None, "-1 days"),
    ],
)
def test_plural(n, noun, many, said):
    assert plural(n, noun, many) == said


def test_listed_shows_the_first_few_and_counts_the_rest():
    assert listed([]) == ""
    assert listed(["2026-03", "2026-08"]) == "2026-03, 2026-08"
    months = [f"2026-0{m}" for m in range(1, 7)]
    assert listed(months) == "2026-01, 2026-02, 2026-03, 2026-04 and 2 more"
    assert listed(months[:4]) == "2026-01, 2026-02, 2026-03, 2026-04"  # four: no "and 0 more"
    assert listed(months, most=1) == "2026-01 and 5 more"
