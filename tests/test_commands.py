"""What each command does given its parsed arguments (:mod:`salesops.commands`), called
directly, as :mod:`salesops.cli` calls it after parsing (test_cli runs the parser too):
validate, summary, map and demo on the tiny CRM, and their refusals."""

from __future__ import annotations

import argparse
import shutil

import pytest

from salesops import commands
from salesops.errors import ConfigError


def _validate(source, **given) -> argparse.Namespace:
    args = {"source": str(source), "scope": None, "period": None, "on_invalid": "refuse"}
    return argparse.Namespace(**{**args, "out": None, **given})


def test_validate_says_what_it_read_and_what_the_source_lacks(tiny_dir, capsys):
    """The tiny CRM: 7 tables, 5 + 10 + 24 + 12 + 6 + 7 + 6 = 70 rows, every rule passed."""
    assert commands.validate(_validate(tiny_dir)) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(": 7 tables, 70 rows, all rules pass")


def test_validate_with_quarantine_writes_the_rows_it_set_aside(tiny_dir, tmp_path, capsys):
    """A deal with a negative amount (O1 copied as O99): set aside, written under the
    period's quarantine folder, and counted."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "opportunities.csv").open("a") as f:
        f.write("O99,A1,R1,East,SMB,Core,Inbound,2026-07-01,2026-08-15,Closed Won,-5,closed\n")
    args = _validate(crm, period="2026-09", on_invalid="quarantine", out=tmp_path / "reports")
    assert commands.validate(args) == 0
    out = capsys.readouterr().out
    assert "all rules pass on the rest; 1 set aside" in out
    written = tmp_path / "reports" / "2026-09" / "quarantine" / "opportunities.csv"
    # one row, not "1 rows" (fixed)
    assert f"set aside 1 row of opportunities -> {written}" in out and written.exists()


def test_summary_describes_the_source(tiny_dir, capsys):
    assert commands.summary(argparse.Namespace(source=str(tiny_dir), on_invalid="refuse")) == 0
    assert "Reps: 3 active, 1 left, 1 manager" in capsys.readouterr().out


def test_map_refuses_a_missing_export_and_an_existing_file(tmp_path):
    """Both before any proposal is made (proposals: tests/data/test_proposal.py)."""
    missing = argparse.Namespace(export=tmp_path / "nowhere", out=None, force=False)
    with pytest.raises(ConfigError, match="export not found"):
        commands.map(missing)
    (tmp_path / "deals.csv").write_text("id\n1\n")
    (tmp_path / "source.yml").write_text("mine")
    args = argparse.Namespace(export=tmp_path, out=None, force=False)
    with pytest.raises(ConfigError, match="source.yml exists; pass --force"):
        commands.map(args)
    assert (tmp_path / "source.yml").read_text() == "mine"


@pytest.mark.parametrize("size", [{"reps": 0}, {"opportunities": 0}, {"years": 0}])
def test_demo_refuses_nonsense_sizes_before_writing(tmp_path, size):
    args = {"reps": 3, "opportunities": 10, "years": 1, "as_of": None, "seed": 1}
    path = tmp_path / "d.duckdb"
    given = argparse.Namespace(path=path, if_missing=False, **{**args, **size})
    with pytest.raises(ConfigError, match="must be at least 1"):
        commands.demo(given)
    assert not path.exists()


def test_demo_if_missing_leaves_a_database_alone(tmp_path, capsys):
    path = tmp_path / "d.duckdb"
    path.write_bytes(b"not touched")
    args = argparse.Namespace(path=path, if_missing=True)
    assert commands.demo(args) == 0
    assert path.read_bytes() == b"not touched" and "already at" in capsys.readouterr().out
