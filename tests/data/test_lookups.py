"""Lookups on text keys hashed in Arrow (salesops.data.lookups): each as pandas would
answer, on small hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from salesops.data.lookups import duplicated, isin, lookup, positions


def test_isin_matches_text_and_never_a_missing_value():
    """R2 and R4 are allowed; the missing value is not, even with one missing allowed."""
    values = pd.Series(["R1", "R2", None, "R4"], dtype="str", index=[5, 6, 7, 8])
    allowed = pd.Series(["R2", "R4", None], dtype="str")
    found = isin(values, allowed)
    assert found.tolist() == [False, True, False, True]
    assert found.index.tolist() == [5, 6, 7, 8] and found.dtype == bool


def test_isin_compares_numbers_as_their_text():
    """Ids exported as numbers in one table and text in another: 1 matches "1"."""
    assert isin(pd.Series([1, 2]), pd.Series(["1"], dtype="str")).tolist() == [True, False]


def test_positions_are_first_occurrences_and_minus_one_where_absent():
    """keys: A at 0 and 2, B at 1. values A, C, B, A -> 0, -1, 1, 0."""
    keys = pd.Series(["A", "B", "A"], dtype="str")
    found = positions(pd.Series(["A", "C", "B", "A"], dtype="str"), keys)
    assert found.tolist() == [0, -1, 1, 0]


def test_lookup_maps_each_value_to_a_float_and_nan_where_unmapped():
    values = pd.Series(["Proposal", "Won", "Proposal", None], index=[3, 1, 4, 1])
    got = lookup(values, {"Proposal": 0.5, "Won": 1})
    assert got.index.tolist() == [3, 1, 4, 1]
    np.testing.assert_array_equal(got.to_numpy(), [0.5, 1.0, 0.5, np.nan])


def test_lookup_of_an_empty_series_is_empty():
    assert lookup(pd.Series([], dtype="str"), {"a": 1.0}).empty


def test_duplicated_marks_every_repeated_value_as_pandas_does():
    ids = pd.Series(["O1", "O2", "O1", None, "O3", None], dtype="str")
    assert duplicated(ids).tolist() == [True, False, True, True, False, True]
    assert not duplicated(pd.Series(["O1", None, "O2"], dtype="str")).any()


@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab", max_size=3)), max_size=30))
def test_duplicated_is_pandas_duplicated(values):
    series = pd.Series(values, dtype="str")
    pd.testing.assert_series_equal(duplicated(series), series.duplicated(keep=False))
