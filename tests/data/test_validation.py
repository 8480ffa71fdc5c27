"""The data contracts, through the bad-input corpus in tests/fixtures/broken/cases.yml."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY, broken_cases, broken_copy, validate_cli

from salesops import cli
from salesops.data.model import LOST_DEALS
from salesops.data.sources import load
from salesops.data.validation import coerce
from salesops.errors import DataError

CASES = broken_cases()


def test_the_corpus_is_large_and_distinct():
    assert len(CASES) >= 15
    assert len({case["expect"] for case in CASES.values()}) == len(CASES)


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Callable[[str], Path]:
    """The tiny CRM broken as corpus case ``name``, copied once for the module's tests that
    only read it (validate and load it)."""
    made: dict[str, Path] = {}

    def copy(name: str) -> Path:
        if name not in made:
            made[name] = broken_copy(CASES[name], tmp_path_factory.mktemp("broken") / name)
        return made[name]

    return copy


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_named_exactly(name, broken, capsys):
    folder = broken(name)
    code = cli.main(["validate", "--source", str(folder)])
    err = capsys.readouterr().err
    assert code == 1
    assert CASES[name]["expect"] in err
    assert "Traceback" not in err
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", err)  # nothing a terminal acts on


@pytest.mark.parametrize("name", sorted(CASES))
def test_loading_runs_the_same_checks(name, broken):
    folder = broken(name)
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
    # --out puts it elsewhere, as a run's --out does, and the project's reports/ gets nothing
    elsewhere = tmp_path / "mine"
    argv = ["validate", "--source", str(folder), "--on-invalid", "quarantine", "--out"]
    assert cli.main([*argv, str(elsewhere)]) == 0
    assert (elsewhere / "2026-09" / "quarantine" / "opportunities.csv").exists()
    assert str(elsewhere) in capsys.readouterr().out


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


# -- hostile or odd values (issue 29) --------------------------------------------------------


def edit(folder, table: str, changes: dict[str, dict[str, str]]):
    """Set cells of ``folder``'s ``table``: {row id: {column: value}}."""
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for row, values in changes.items():
        for column, value in values.items():
            frame.loc[frame.iloc[:, 0] == row, column] = value
    frame.to_csv(path, index=False)


def test_regions_and_rep_ids_with_surrounding_spaces_lose_no_deal(tmp_path, capsys):
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    edit(folder, "opportunities", {"O3": {"region": "East "}, "O9": {"region": " East"}})
    edit(folder, "opportunities", {"O2": {"owner_id": "R1 "}})
    edit(folder, "reps", {"R3": {"rep_id": " R3", "region": "West "}})
    edit(folder, "quotas", {"R1": {"rep_id": " R1 "}})
    east = load(folder, scope="region:East", period="2026-09").opportunities
    # East by hand: O1 10,000 + O2 5,000 + O3 20,000 + O4 8,000 + O9 12,000
    assert sorted(east["opportunity_id"]) == ["O1", "O2", "O3", "O4", "O9"]
    assert east["amount"].sum() == 55_000
    # O1 and O4; O9, won on 10 Oct, was open at September's end
    assert east.loc[east["stage"] == "Closed Won", "amount"].sum() == 18_000
    alice = load(folder, scope="rep:R1")
    assert sorted(alice.opportunities["opportunity_id"]) == ["O1", "O2", "O3", "O9"]
    assert len(alice.quotas) == 4  # her quotas, written " R1 ", too
    cara = load(folder, scope="rep:R3")
    assert list(cara.reps["rep_id"]) == ["R3"] and list(cara.reps["region"]) == ["West"]
    assert cli.main(["validate", "--source", str(folder)]) == 0
    out = capsys.readouterr().out
    said = 'opportunities.region: 2 rows had surrounding spaces, trimmed at load: "East " as'
    assert said in out
    assert "opportunities.owner_id: 1 row had surrounding spaces" in out


def test_values_that_differ_only_in_case_are_a_named_warning_with_row_counts(tmp_path, capsys):
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    edit(folder, "opportunities", {"O4": {"region": "east"}, "O9": {"region": "EAST "}})
    assert cli.main(["validate", "--source", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        'warning: opportunities.region: "EAST" (1 row) and "East" (3 rows) and "east" (1 row) '
        "differ only in case: read as different regions"
    ) in out


def test_values_a_reader_cannot_tell_apart_are_a_named_warning(tmp_path, capsys):
    """A zero-width space after "East" (O1), full-width letters (O4, "Ｅａｓｔ"), and a
    no-break space in O5's "West Coast" against O7's plain one: each read as a region of
    its own, and validate said nothing (they differ in more than case). Each is now
    named, its unseen characters spelt out, beside O2 and O3's "East" and O9's "EAST"."""
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    edits = {
        "O1": {"region": "East\u200b"},
        "O4": {"region": "\uff25\uff41\uff53\uff54"},
        "O5": {"region": "West\u00a0Coast"},
        "O7": {"region": "West Coast"},
        "O9": {"region": "EAST"},
    }
    edit(folder, "opportunities", edits)
    code, out = validate_cli(folder, capsys)
    assert code == 0
    assert (
        'warning: opportunities.region: "EAST" (1 row) and "East" (2 rows) and "East<U+200B>" '
        '(1 row) and "Ｅａｓｔ" (1 row) look the same but differ in unseen or look-alike '
        "characters: read as different regions"
    ) in out
    assert (
        'warning: opportunities.region: "West Coast" (1 row) and "West<U+00A0>Coast" (1 row) '
        "look the same but differ in unseen or look-alike characters"
    ) in out


def test_a_text_date_column_is_read_in_its_one_format(tmp_path):
    """Day first, told by the days above 12: every date of the column read day first
    (10/08/2026 is the 10th of August, not the 8th of October)."""
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    frame = pd.read_csv(folder / "leads.csv", dtype=str, keep_default_na=False)
    created = pd.to_datetime(frame["created_at"])
    frame["created_at"] = created.dt.strftime("%d/%m/%Y %H:%M")
    frame.to_csv(folder / "leads.csv", index=False)
    read = load(folder).leads.set_index("lead_id")["created_at"]
    assert (read == created.set_axis(frame["lead_id"])).all()


def test_a_column_mixing_date_formats_is_an_error_naming_them(tmp_path):
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    edit(folder, "opportunities", {"O3": {"close_date": "11/30/2026"}})
    edit(folder, "opportunities", {"O6": {"close_date": "31.10.2026"}})
    with pytest.raises(DataError) as info:
        load(folder)
    assert (
        "opportunities.close_date: must be written in the column's one date format, "
        'YYYY-MM-DD (as 8 of its 10 values are), not as "11/30/2026", "31.10.2026": '
        "2 rows (e.g. O3, O6)"
    ) in str(info.value)


def test_a_column_that_no_value_tells_day_from_month_is_ambiguous(tmp_path):
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    frame = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    created = pd.to_datetime(frame["created_date"])
    created = created.where(created.dt.day <= 12, created - pd.offsets.MonthBegin(0))
    frame["created_date"] = created.dt.strftime("%m/%d/%Y")  # every day 12 or less
    frame.to_csv(folder / "opportunities.csv", index=False)
    with pytest.raises(DataError) as info:
        load(folder)
    assert (
        "opportunities.created_date: is ambiguous: its dates read as DD/MM/YYYY and as "
        'MM/DD/YYYY alike (e.g. "07/01/2026", "07/10/2026", "08/01/2026"); write them as '
        "YYYY-MM-DD: 10 rows (e.g. O1, O2, O3, O4, O5)"
    ) in str(info.value)


def test_a_value_is_never_read_in_another_order_than_its_columns():
    frame, failures = coerce(
        "quotas",
        pd.DataFrame(
            {"rep_id": ["R1", "R1"], "month": ["13.05.2026", "05.13.2026"], "amount": [1, 2]}
        ),
    )
    assert frame["month"].iloc[0] == pd.Timestamp("2026-05-13")
    assert pd.isna(frame["month"].iloc[1])  # not guessed as the 13th of May
    assert [str(f) for f in failures] == [
        'quotas.month: must be a date (DD.MM.YYYY): 1 row (e.g. R1), such as "05.13.2026"'
    ]


def test_a_broken_rule_names_the_values_that_break_it(tmp_path):
    """An amount written as words read "must be a number: 1 row (e.g. O3)", which named
    the deal but not what was wrong with it. The message now shows some of the values as
    written, unseen characters spelt out and long ones cut, and the rep id a deal refers
    to; an empty value or a duplicated id (the example ids are the values) shows none.
    (Amounts written as money, "$10,000", are read: salesops.data.numbers.)"""
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    priced = deals["amount"] != ""
    deals.loc[priced, "amount"] = "$" + deals.loc[priced, "amount"].astype(int).map("{:,}".format)
    deals.loc[deals["opportunity_id"] == "O3", "amount"] = "about $20k"
    deals.loc[deals["opportunity_id"] == "O6", "owner_id"] = "R77"
    deals.to_csv(folder / "opportunities.csv", index=False)
    edit(folder, "reps", {"R3": {"name": "Cara\tCole"}, "R1": {"name": "A" * 300}})
    with pytest.raises(DataError) as info:
        load(folder)
    said = str(info.value)
    assert 'opportunities.amount: must be a number: 1 row (e.g. O3), such as "about $20k"' in said
    assert (
        "reps.name: must not hold a line break, tab or other control character: 1 row (e.g. "
        in said
    )
    assert '(e.g. R3), such as "Cara<U+0009>Cole"' in said
    assert (
        f'reps.name: must be at most 200 characters: 1 row (e.g. R1), such as "{"A" * 39}…"' in said
    )
    assert (
        'opportunities.owner_id: must refer to a rep in reps: 1 row (e.g. O6), such as "R77"'
        in (said)
    )


def test_names_and_text_have_a_documented_length_limit(tmp_path):
    folder = Path(shutil.copytree(TINY, tmp_path / "crm"))
    edit(folder, "reps", {"R3": {"name": "C" * 20_000}})
    edit(folder, "opportunities", {"O5": {"product": "P" * 1_001}})
    with pytest.raises(DataError) as info:
        load(folder)
    said = str(info.value)
    assert "reps.name: must be at most 200 characters: 1 row (e.g. R3)" in said
    assert "opportunities.product: must be at most 1,000 characters: 1 row (e.g. O5)" in said
    assert "200 characters" in Path("docs/data-model.md").read_text()


def test_validate_warns_when_no_deal_is_lost_and_names_the_outcome_to_map(tmp_path, capsys):
    """An export that archives its lost deals in their last stage (Odoo: ``Active`` false)
    read as-is holds no lost deal: the 2 lost deals count as open and the win rate is
    unknown. Validation passes (exit 0) and warns, with the deals counted (4 won, 6 open)
    and what to map; mapped as the outcome, the 2 deals are lost and the warning goes,
    as does the reports' "needs lost deals"."""
    folder = tmp_path / "export"
    shutil.copytree(TINY, folder)
    edit(folder, "opportunities", {"O2": {"stage": "Proposal"}, "O7": {"stage": "Discovery"}})
    deals = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    deals["active"] = deals["opportunity_id"].isin(["O2", "O7"]).map({True: "False", False: "True"})
    deals.to_csv(folder / "opportunities.csv", index=False)
    assert cli.main(["validate", "--source", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        "  warning: no lost deal among the 10 deals (4 won, 6 open): win rates are unknown "
        "(win rate, sales velocity will say so). If the export marks lost deals elsewhere (an "
        "archive or active flag, a lost reason, a status column), map it as the outcome"
    ) in out
    assert "no lost deals:" not in out  # said once
    assert not load(folder).has(LOST_DEALS)  # as the reports read it
    source = folder / "source.yml"
    source.write_text(
        "kind: files\nlocation: .\ntables:\n"
        "  opportunities: {outcome: {column: active, lost: 'False'}}\n"
    )
    assert cli.main(["validate", "--source", str(source)]) == 0
    assert "no lost deal" not in capsys.readouterr().out
    tables = load(source)
    assert tables.has(LOST_DEALS)
    assert (tables.opportunities["stage"] == "Closed Lost").sum() == 2
