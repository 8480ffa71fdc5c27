"""Export files: read in their encoding, copied once per content, and named, never a
traceback, when they are not what they claim."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from conftest import same_tables

import salesops as so
from salesops import cli
from salesops.data import engines, exports
from salesops.data.mapping import SourceSpec
from salesops.data.sources import Source
from salesops.errors import ConfigError, DataError


def test_a_utf16_export_with_its_mark_loads_as_it_is(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "utf16"
    shutil.copytree(tiny_dir, folder)
    reps = folder / "reps.csv"
    reps.write_text(reps.read_text(encoding="utf-8"), encoding="utf-16")  # Excel's "Unicode text"
    same_tables(tiny, so.load(folder))


def test_encoding_is_set_in_the_source_file(tiny_dir, tmp_path):
    folder = tmp_path / "latin"
    shutil.copytree(tiny_dir, folder)
    reps = pd.read_csv(folder / "reps.csv", dtype=str, keep_default_na=False)
    reps.loc[reps["rep_id"] == "R2", "name"] = "Zoë Müller"
    reps.to_csv(folder / "reps.csv", index=False, encoding="latin-1")
    with pytest.raises(DataError, match="reps.csv is not UTF-8 at line 4"):
        so.load(folder)
    (folder / "source.yml").write_text("kind: files\nlocation: .\nencoding: latin-1\n")
    tables = so.load(folder / "source.yml")
    assert tables.reps.set_index("rep_id").at["R2", "name"] == "Zoë Müller"
    with pytest.raises(ConfigError, match="encoding must be one of utf-8, utf-16, latin-1"):
        SourceSpec.from_dict({"kind": "files", "location": ".", "encoding": "ebcdic"})


def test_a_bad_line_far_into_a_file_is_named_not_a_traceback(tiny_dir, tmp_path, capsys):
    """DuckDB samples the start of a file; a latin-1 byte after it fails at query time."""
    folder = tmp_path / "late"
    shutil.copytree(tiny_dir, folder)
    frame = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    many = pd.concat([frame] * 6000, ignore_index=True)
    many["activity_id"] = [f"X{i}" for i in range(len(many))]
    text = many.to_csv(index=False).encode() + "X-late,R1,2026-09-01 10:00:00,café,5,\n".encode(
        "latin-1"
    )
    (folder / "activities.csv").write_bytes(text)
    code = cli.main(["validate", "--source", str(folder)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"activities.csv is not UTF-8 at line {len(many) + 2}" in err


def test_a_broken_file_no_table_reads_is_left_alone(tiny, tiny_dir, tmp_path):
    folder = tmp_path / "extra"
    shutil.copytree(tiny_dir, folder)
    (folder / "notes.csv").write_bytes(b"")
    same_tables(tiny, so.load(folder))


def test_an_export_file_is_copied_once_by_its_content_and_read_anew_when_it_changes(
    tiny_dir, tmp_path, monkeypatch
):
    """A file is copied into memory once per content: a second source over the same
    bytes (here a copy of the folder) reads the copy; a file whose bytes change is read
    anew, never the stale copy; copies no source reads go beyond the limit."""
    copies = engines.database().store.copies
    copied = tmp_path / "copied"
    shutil.copytree(tiny_dir, copied)
    with Source(tiny_dir), Source(copied) as b:
        kept = dict(copies)
        assert all(copy.users >= 2 for copy in kept.values() if copy.users)
        assert b.read("reps")["rep_id"].tolist()[:2] == ["M1", "R1"]
    reps = copied / "reps.csv"
    reps.write_text(reps.read_text().replace("Alice Able", "Alice Bell"))
    with Source(copied) as b:
        assert "Alice Bell" in b.read("reps")["name"].tolist()
        assert len(copies) == len(kept) + 1  # the edited file's new copy, beside the old
    monkeypatch.setattr(exports, "KEPT_BYTES", 0)
    Source(tiny_dir).close()
    assert all(copy.users for copy in copies.values())  # none kept that nobody reads
    with pytest.raises(duckdb.CatalogException):
        engines.database().con.cursor().execute(f"SELECT * FROM {kept.popitem()[1].table}")


def test_a_file_that_is_not_a_workbook_is_named_never_a_traceback(tiny, tiny_dir, tmp_path, capsys):
    """A damaged .xlsx beside the tables is left alone; one that a table reads is named
    with the file and the reason, and `salesops validate` exits 1 without a traceback."""
    folder = tmp_path / "crm"
    shutil.copytree(tiny_dir, folder)
    (folder / "notes.xlsx").write_text("not a workbook")
    same_tables(tiny, so.load(folder))
    (folder / "opportunities.csv").unlink()
    (folder / "opportunities.xlsx").write_text("not a workbook")
    with pytest.raises(DataError, match=r"opportunities\.xlsx cannot be read as a workbook"):
        so.load(folder)
    assert cli.main(["validate", "--source", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "it is not an Excel file" in err
    assert "--on-invalid quarantine" not in err  # a broken file has no rows to set aside


def test_a_broken_parquet_file_a_blank_csv_and_a_folder_named_csv(tiny_dir, tmp_path):
    """What each is, in words (a Parquet file was "cannot be read as CSV: LINE 1: CREATE
    TEMP VIEW ...", a folder named quotas.csv a traceback)."""
    folder = tmp_path / "crm"
    shutil.copytree(tiny_dir, folder)
    (folder / "reps.csv").unlink()
    (folder / "reps.parquet").write_text("junk")
    (folder / "leads.csv").write_bytes(b"\xef\xbb\xbf\n")
    (folder / "quotas.csv").unlink()
    (folder / "quotas.csv").mkdir()
    with pytest.raises(DataError) as caught:
        so.load(folder)
    problems = {f.table: f.rule for f in caught.value.failures}
    assert problems["reps"].startswith("reps.parquet cannot be read as Parquet: File ")
    assert (
        problems["leads"]
        == "leads.csv is empty (no headers, 4 bytes of blank or a byte-order mark)"
    )
    assert "quotas" not in problems  # a folder is not an export file: no quotas table
