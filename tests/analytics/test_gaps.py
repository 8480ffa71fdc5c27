"""The sentences of salesops.analytics.gaps: counts read as the rest of a report writes
them (2,089, not 2089)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.analytics import gaps


def test_a_large_count_of_deals_without_amounts_has_thousands_separators():
    amounts = pd.Series([np.nan] * 2089)
    assert gaps.why(gaps.total(amounts)) == "none of the 2,089 open deals has an amount"
    assert gaps.left_out(2089, 2089) == (
        "None of the 2,089 open deals has an amount: their sums are unknown (–)."
    )
    assert gaps.left_out(1500, 2089) == (
        "1,500 of 2,089 open deals have no amount and are left out of the sums."
    )
