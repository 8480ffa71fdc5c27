"""``salesops map`` and the export's own true/false columns (:mod:`salesops.data.flags`):
rows flagged deleted are counted and kept, never dropped silently."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salesops.data.proposal import propose


def _deals(folder: Path, columns: dict[str, list]) -> Path:
    """``deals.csv``: 40 deals with an id, a stage, two dates, and ``columns`` (each
    list's values in turn)."""
    folder.mkdir(parents=True)
    frame = pd.DataFrame(
        {
            "deal_id": [f"D{i:03d}" for i in range(40)],
            "stage": [["Won", "Lost", "Demo"][i % 3] for i in range(40)],
            "created": [f"2026-0{1 + i % 6}-0{1 + i % 9}" for i in range(40)],
            "closed": [f"2026-0{2 + i % 6}-1{i % 9}" for i in range(40)],
        }
    )
    for header, values in columns.items():
        frame[header] = [values[i % len(values)] for i in range(40)]
    frame.to_csv(folder / "deals.csv", index=False)
    return folder


def test_map_counts_the_rows_flagged_deleted_and_keeps_them(tmp_path):
    """``IsDeleted`` true on 4 of 40 deals (every tenth): the proposal's comments and the
    printed summary say so, with both counts, and that the rows are kept."""
    folder = _deals(tmp_path / "x", {"IsDeleted": ["true"] + ["false"] * 9})
    proposal = propose(folder, ".")
    note = (
        "IsDeleted: 4 of its 40 rows are flagged deleted (true), 36 are not (false): all are "
        "kept, as a source file has no row filter; leave the deleted ones out of the export "
        "if they should not count"
    )
    assert proposal.table("opportunities").notes == [note]
    assert f"    # {note}\n" in proposal.text
    assert f"  note: {note}" in proposal.summary()


def test_map_says_plainly_when_every_row_is_flagged_deleted(tmp_path):
    """Every deal flagged deleted (a sandbox or a connector's seed): said so, not dropped."""
    proposal = propose(_deals(tmp_path / "x", {"is_deleted": ["True"]}), ".")
    (note,) = proposal.table("opportunities").notes
    assert note.startswith(
        "is_deleted: every one of its 40 rows is flagged deleted (true): most likely a "
        "sandbox or seed export"
    )
    assert "they are kept" in note


def test_map_notes_no_deleted_row_and_reads_no_other_flag(tmp_path):
    folder = _deals(tmp_path / "x", {"_fivetran_deleted": [False], "is_active": [True, False]})
    notes = propose(folder, ".").table("opportunities").notes
    assert notes == ["_fivetran_deleted: no row is flagged deleted (40 false)"]
