"""Writing the demo CRM: the same configuration gives the same database, its default size,
and an interrupted run leaves no file."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from salesops import demo
from salesops.demo.database import Chunk


def _checksums(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(f"SELECT count(*), sum(hash(t)) FROM {table} AS t").fetchone()
            for table in demo.SCHEMA
        }


def test_same_config_gives_the_same_database(tmp_path):
    config = demo.DemoConfig(reps=6, opportunities=800, years=2, chunk_seats=4)
    demo.generate(tmp_path / "a.duckdb", config)
    demo.generate(tmp_path / "b.duckdb", config)
    assert _checksums(tmp_path / "a.duckdb") == _checksums(tmp_path / "b.duckdb")
    demo.generate(tmp_path / "c.duckdb", demo.DemoConfig(**{**config.__dict__, "seed": 7}))
    assert _checksums(tmp_path / "a.duckdb") != _checksums(tmp_path / "c.duckdb")


@pytest.mark.slow  # fast twins: test_same_config_gives_the_same_database, test_demo.py
def test_default_size(tmp_path):
    counts = demo.generate(tmp_path / "default.duckdb")
    assert 17_000 <= counts["opportunities"] <= 23_000
    assert 40 <= counts["reps"] <= 75  # 35 seats, 5 managers, and the reps who replaced leavers
    with duckdb.connect(str(tmp_path / "default.duckdb"), read_only=True) as con:
        first, last = con.execute(
            "SELECT min(created_date), max(created_date) FROM opportunities"
        ).fetchone()
        regions = con.execute("SELECT count(DISTINCT region) FROM reps").fetchone()[0]
    assert (pd.Timestamp(last) - pd.Timestamp(first)).days > 3 * 365
    assert regions == 5


def test_an_interrupted_run_leaves_no_file(tmp_path, monkeypatch):
    def boom(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Chunk, "tables", boom)
    with pytest.raises(KeyboardInterrupt):
        demo.generate(tmp_path / "x.duckdb", demo.DemoConfig(reps=3, opportunities=100))
    assert list(tmp_path.iterdir()) == []
