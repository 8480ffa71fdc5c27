"""The data contracts, through the bad-input corpus in tests/data/broken/cases.yml."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import broken_cases, broken_copy
from hypothesis import given
from hypothesis import strategies as st

from salesops import cli
from salesops.errors import DataError
from salesops.model import duplicated
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


# -- tolerant loading: --on-invalid quarantine ----------------------------------------------


def test_quarantine_sets_bad_rows_aside_with_their_reasons(tmp_path):
    folder = broken_copy(CASES["negative_amount"], tmp_path / "a")
    with pytest.raises(DataError):
        load(folder)  # the default stays strict
    tables = load(folder, on_invalid="quarantine")
    aside = tables.set_aside["opportunities"]
    assert list(aside["opportunity_id"]) == ["O2"]
    assert list(aside["reason"]) == ["amount: must be >= 0"]
    assert "O2" not in set(tables.opportunities["opportunity_id"])
    assert len(tables.opportunities) == 9
    # the deal's history refers to a deal no longer loaded: set aside too, said so
    history = tables.set_aside["opportunity_history"]
    assert set(history["opportunity_id"]) == {"O2"}
    assert set(history["reason"]) == {"opportunity_id: must refer to a deal in opportunities"}


def test_quarantine_still_refuses_a_broken_shape(tmp_path):
    folder = broken_copy(CASES["missing_required_column"], tmp_path / "a")
    with pytest.raises(DataError, match="required column is missing"):
        load(folder, on_invalid="quarantine")


def test_validate_writes_the_quarantine_files(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    shutil.copytree("parameters", home / "parameters")
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    folder = broken_copy(CASES["unknown_stage"], tmp_path / "a")
    code = cli.main(["validate", "--source", str(folder), "--on-invalid", "quarantine"])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 set aside" in out.splitlines()[0] or "set aside" in out
    written = home / "reports" / "2026-09" / "quarantine" / "opportunities.csv"
    frame = pd.read_csv(written)
    assert list(frame["opportunity_id"]) == ["O6"]
    assert frame["reason"].iloc[0].startswith('stage "Verbal Yes" is not a configured stage')


def test_every_table_is_checked_in_one_pass(tmp_path):
    """A required column missing from one table and bad rows in another: one run says both."""
    folder = broken_copy(CASES["missing_required_column"], tmp_path / "a")
    leads = pd.read_csv(folder / "leads.csv", dtype=str, keep_default_na=False)
    leads.loc[0, "created_at"] = "not a date"
    leads.to_csv(folder / "leads.csv", index=False)
    with pytest.raises(DataError) as info:
        load(folder)
    said = str(info.value)
    assert "opportunities.owner_id: required column is missing" in said
    assert "leads.created_at: must be a date-time: 1 row" in said


def test_a_missing_table_lists_the_files_found(tmp_path, capsys):
    folder = broken_copy({"drop_table": "opportunities"}, tmp_path / "a")
    assert cli.main(["validate", "--source", str(folder)]) == 1
    err = capsys.readouterr().err
    assert (
        'opportunities.-: required table is missing: no file, sheet or table "opportunities"'
        in (err)
    )
    assert (
        "(found: activities.csv, forecast_submissions.csv, leads.csv, opportunity_history.csv"
        in (err)
    )
    assert "has no dates" not in err


def test_a_scope_in_the_wrong_case_is_found_and_an_unknown_one_listed(tiny_dir):
    assert set(load(tiny_dir, scope="region:east").opportunities["region"]) == {"East"}
    with pytest.raises(Exception, match="no region 'North'.*the regions are: East, West"):
        load(tiny_dir, scope="region:North")


def test_validate_warns_which_sections_an_absent_amount_empties(tmp_path, capsys):
    folder = broken_copy({"table": "opportunities", "drop_column": "amount"}, tmp_path / "a")
    assert cli.main(["validate", "--source", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "no values in `opportunities.amount`: bookings, pipeline value, deal size" in out


def test_a_deal_without_a_region_column_takes_its_owners(tmp_path):
    folder = broken_copy({"table": "opportunities", "drop_column": "region"}, tmp_path / "a")
    tables = load(folder)
    home = tables.reps.set_index("rep_id")["region"]
    assert (tables.opportunities["region"] == tables.opportunities["owner_id"].map(home)).all()
    east = load(folder, scope="region:East").opportunities
    assert set(east["owner_id"]) == set(home[home == "East"].index) & set(east["owner_id"])
    assert len(east) == 5


def test_duplicated_marks_every_repeated_value_as_pandas_does():
    ids = pd.Series(["O1", "O2", "O1", None, "O3", None], dtype="str")
    assert duplicated(ids).tolist() == [True, False, True, True, False, True]
    assert not duplicated(pd.Series(["O1", None, "O2"], dtype="str")).any()


@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab", max_size=3)), max_size=30))
def test_duplicated_is_pandas_duplicated(values):
    series = pd.Series(values, dtype="str")
    pd.testing.assert_series_equal(duplicated(series), series.duplicated(keep=False))
