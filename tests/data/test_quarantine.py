"""Tolerant loading: the rows that break a rule set aside with their reasons, the banner
that counts them and the files that list them (salesops.data.quarantine)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import broken_cases, broken_copy

from salesops.data.model import Tables
from salesops.data.quarantine import banner, check_mode, set_aside, write
from salesops.data.sources import load
from salesops.data.stages import Stages
from salesops.errors import ConfigError, DataError

CASES = broken_cases()


def raw(amounts: list[str], owners: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """A raw CRM of two people (M1 leads R1) and one deal per amount (O1, O2, ...), each
    R1's unless ``owners`` says whose, all won on 1 Aug 2026."""
    n = len(amounts)
    reps = pd.DataFrame(
        {
            "rep_id": ["M1", "R1"],
            "name": ["Maria", "Alice"],
            "region": ["East", "East"],
            "manager_id": [None, "M1"],
            "role": ["manager", "rep"],
            "hire_date": ["2020-01-01", "2021-01-01"],
        }
    )
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(1, n + 1)],
            "owner_id": owners or ["R1"] * n,
            "region": ["East"] * n,
            "created_date": ["2026-07-01"] * n,
            "close_date": ["2026-08-01"] * n,
            "stage": ["Closed Won"] * n,
            "amount": amounts,
        }
    )
    return {"reps": reps, "opportunities": deals}


def aside(frames: dict[str, pd.DataFrame]) -> Tables:
    """Tables of one kept deal, with ``frames`` set aside."""
    deals = pd.DataFrame({"opportunity_id": ["O1"]})
    return Tables(opportunities=deals, reps=pd.DataFrame(), set_aside=frames)


def test_check_mode_accepts_the_two_modes_and_names_a_wrong_one():
    assert check_mode("refuse") == "refuse"
    assert check_mode("quarantine") == "quarantine"
    with pytest.raises(ConfigError, match="on_invalid must be refuse or quarantine, got 'drop'"):
        check_mode("drop")


def test_set_aside_keeps_the_valid_rows_and_gives_each_bad_one_its_reason():
    """O2's amount -5 breaks "amount >= 0" (a rule with no value named): O1 and O3 stay."""
    frames = raw(["10", "-5", "7"])
    tables = set_aside(frames, Stages.read())
    assert list(tables.opportunities["opportunity_id"]) == ["O1", "O3"]
    assert list(frames["opportunities"]["opportunity_id"]) == ["O1", "O2", "O3"]  # unchanged
    taken = tables.set_aside["opportunities"]
    assert list(taken["opportunity_id"]) == ["O2"]
    assert list(taken["reason"]) == ["amount: must be >= 0"]
    assert list(tables.set_aside) == ["opportunities"]  # the reps were all valid


def test_set_aside_names_the_value_and_repeats_until_every_rule_passes():
    """Round 1: R1's role "boss" and O2's stage "Verbal" break rules (each named with its
    value). Round 2: O1, R1's deal, now refers to no rep. O3 (M1's) is kept."""
    frames = raw(["10", "7", "5"], owners=["R1", "M1", "M1"])
    frames["reps"].loc[1, "role"] = "boss"
    frames["opportunities"].loc[1, "stage"] = "Verbal"
    tables = set_aside(frames, Stages.read())
    assert list(tables.opportunities["opportunity_id"]) == ["O3"]
    assert tables.set_aside["reps"]["reason"].tolist() == [
        'role "boss" is not one of (rep, manager): map it in values.role'
    ]
    deals = tables.set_aside["opportunities"].set_index("opportunity_id")["reason"]
    assert deals.index.tolist() == ["O2", "O1"]  # in the rounds' order
    assert deals["O2"].startswith('stage "Verbal" is not a configured stage (Prospecting,')
    assert deals["O1"] == "owner_id: must refer to a rep in reps"


def test_set_aside_with_nothing_broken_sets_nothing_aside():
    tables = set_aside(raw(["10"]), Stages.read())
    assert tables.set_aside == {} and len(tables.opportunities) == 1


def test_banner_is_empty_when_nothing_was_set_aside():
    assert banner(aside({})) == ""


def test_banner_counts_the_rows_of_each_table_in_one_sentence():
    """1 deal and 3 history rows: 4 rows, "are"; one row alone: "row breaks", "is"."""
    two = aside(
        {
            "opportunities": pd.DataFrame(index=[0]),
            "opportunity_history": pd.DataFrame(index=[0, 1, 2]),
        }
    )
    assert banner(two) == (
        "4 rows break a data rule and are left out of every number here "
        "(opportunities 1, opportunity_history 3); "
        "see quarantine/ in this period's folder for each row and its reason."
    )
    one = banner(aside({"reps": pd.DataFrame(index=[0])}))
    assert one.startswith("1 row breaks a data rule and is left out of every number here (reps 1)")


def test_write_puts_each_table_in_a_formula_safe_csv_and_removes_stale_ones(tmp_path):
    folder = tmp_path / "quarantine"
    folder.mkdir()
    (folder / "reps.csv").write_text("old\n")  # from a run when reps had bad rows
    frame = pd.DataFrame({"opportunity_id": ["O9"], "segment": ["=1+2"], "reason": ["x"]})
    written = write(aside({"opportunities": frame}), folder)
    assert written == [folder / "opportunities.csv"]
    assert sorted(p.name for p in folder.iterdir()) == ["opportunities.csv"]
    assert (
        folder / "opportunities.csv"
    ).read_text() == "opportunity_id,segment,reason\nO9,'=1+2,x\n"


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


def test_a_quarantine_that_would_set_every_deal_aside_is_refused(tiny_dir, tmp_path):
    """On a real export whose deal owners matched no user, every deal was set aside, and
    the run went on to publish empty reports with exit 0."""
    folder = shutil.copytree(tiny_dir, tmp_path / "crm")
    deals = pd.read_csv(folder / "opportunities.csv")
    deals["owner_id"] = "nobody"
    deals.to_csv(folder / "opportunities.csv", index=False)
    with pytest.raises(DataError) as refused:
        load(folder, on_invalid="quarantine")
    message = str(refused.value)
    assert "every deal breaks a rule and would be set aside, leaving nothing to report" in message
    assert "owner_id: must refer to a rep in reps" in message and "O1" in message
