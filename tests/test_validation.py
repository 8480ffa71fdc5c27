"""The data contracts, through the bad-input corpus in tests/data/broken/cases.yml."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import broken_cases, broken_copy

from salesops import cli
from salesops.errors import DataError
from salesops.sources import load
from salesops.validation import coerce

CASES = broken_cases()


def test_the_corpus_is_large_and_distinct():
    assert len(CASES) >= 15
    assert len({case["expect"] for case in CASES.values()}) == len(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_named_exactly(name, tmp_path, capsys):
    folder = broken_copy(CASES[name], tmp_path / name)
    code = cli.main(["validate", "--source", str(folder)])
    err = capsys.readouterr().err
    assert code == 1
    assert CASES[name]["expect"] in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(CASES))
def test_loading_runs_the_same_checks(name, tmp_path):
    folder = broken_copy(CASES[name], tmp_path / name)
    with pytest.raises(DataError) as info:
        load(folder)
    assert CASES[name]["expect"] in str(info.value)


def test_every_failure_is_reported_at_once(tmp_path):
    folder = broken_copy(CASES["negative_amount"], tmp_path / "a")
    frame = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    frame.loc[frame["opportunity_id"] == "O6", "stage"] = "Verbal Yes"
    frame.loc[frame["opportunity_id"] == "O1", "owner_id"] = "R99"
    frame.to_csv(folder / "opportunities.csv", index=False)
    with pytest.raises(DataError) as info:
        load(folder)
    rules = {(f.column, f.rule.split(" (")[0]) for f in info.value.failures}
    assert rules == {
        ("amount", "must be >= 0"),
        ("stage", "is not a configured stage"),
        ("owner_id", "must refer to a rep in reps"),
    }


def test_examples_are_capped_at_five(tmp_path):
    folder = broken_copy(CASES["negative_amount"], tmp_path / "a")
    frame = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    frame["amount"] = "-1"
    frame.to_csv(folder / "opportunities.csv", index=False)
    with pytest.raises(DataError) as info:
        load(folder)
    (failure,) = info.value.failures
    assert failure.count == 10 and len(failure.examples) == 5
    assert "10 rows (e.g. O1, O2, O3, O4, O5)" in str(failure)


def test_coerce_parses_types_and_keeps_missing_values_missing():
    raw = pd.DataFrame(
        {"rep_id": [1.0, 2.0], "month": ["2026-01-01", "2026-02-01"], "amount": ["10", None]}
    )
    frame, failures = coerce("quotas", raw)
    assert failures == []
    assert frame["rep_id"].tolist() == ["1", "2"]
    assert frame["month"].dt.month.tolist() == [1, 2]
    assert frame["amount"].iloc[0] == 10 and pd.isna(frame["amount"].iloc[1])


def test_optional_columns_are_added_empty(tmp_path):
    folder = broken_copy({"table": "opportunities", "drop_column": "segment"}, tmp_path / "a")
    tables = load(folder)
    assert tables.opportunities["segment"].isna().all()


def test_optional_tables_may_be_absent(tmp_path):
    folder = broken_copy({"drop_table": "leads"}, tmp_path / "a")
    (folder / "activities.csv").unlink()
    tables = load(folder)
    assert tables.leads is None and tables.activities is None
    assert len(tables.opportunities) == 10
