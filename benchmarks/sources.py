"""Opening a source, side by side: salesops's ``Source`` against a DuckDB database of its own.

Every source of a process is a connection to one in-memory DuckDB, a database file is
attached to it, and an export file is copied into it once per content
(:mod:`salesops.data.engines`, :mod:`salesops.data.exports`). Before, each source opened
a database of its own (~20 ms, and ~5 to close) and read every export file again. A
report's load opens its source several times, the dashboard once per selection, and the
test suite hundreds of times. Prints, for the demo database and the tiny export folder of
the tests, the median time to open and close a ``Source`` against what its engine did
before (``duckdb.connect``, then the same reads of every file), and their ratio.

Usage: ``python benchmarks/sources.py [--repeat 30]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from salesops.data.sources import Source
from salesops.data.sql import literal, quote

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "data" / "salesops.duckdb"
TINY = ROOT / "tests" / "fixtures" / "tiny"
CSV = (
    ", header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', "
    "'VARCHAR'], dateformat = '%Y-%m-%d'"
)


def own_database_file() -> None:
    """What the engine did before for a database file: a read-only database of its own."""
    con = duckdb.connect(str(DEMO), read_only=True)
    con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    con.close()


def own_database_exports() -> None:
    """What it did before for an export folder: a database of its own, every file read."""
    con = duckdb.connect(":memory:")
    for path in sorted(TINY.glob("*.csv")):
        read = f"SELECT * FROM read_csv({literal(str(path))}{CSV})"
        con.execute(f"CREATE TABLE {quote(path.stem)} AS {read}").fetchall()
        con.execute(f"DESCRIBE {quote(path.stem)}").fetchall()
    con.close()


def median_ms(task: Callable[[], object], repeat: int) -> float:
    task()  # warm-up: imports, the system's file cache, the first copy
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    repeat = parser.parse_args().repeat
    print("| source | Source open and close, ms | a database of its own, ms | ratio |")
    print("|---|---|---|---|")
    for name, path, before in (
        ("demo database", DEMO, own_database_file),
        ("tiny export folder (7 CSV files)", TINY, own_database_exports),
        # alternate the two, so that a noisy moment costs both alike
    ):
        now, then = [], []
        for _ in range(3):
            now.append(median_ms(lambda p=path: Source(p).close(), repeat))
            then.append(median_ms(before, repeat))
        a, b = statistics.median(now), statistics.median(then)
        print(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.1f}x faster |")


if __name__ == "__main__":
    main()
