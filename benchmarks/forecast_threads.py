"""Forecast fits on one BLAS thread against OpenBLAS's default, side by side.

Prints, in one run, the time of the demo's company-and-regions forecast
(``reconciliation.company_and_regions``, a 12-month horizon) with every model fit limited to one
BLAS thread (what :func:`salesops.analytics.timeseries._quiet` does) and with the limit
lifted (OpenBLAS's default: a thread per core), alternating, on a quiet machine and
with a busy process on each core (as when the run's workers or a notebook server share
the cores). The median of ``--repeat`` runs each, and the ratio.

Usage: ``python benchmarks/forecast_threads.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import time
from collections.abc import Iterator

import salesops as so
from salesops.analytics import reconciliation, timeseries
from salesops.config import root


class _Unlimited:
    """A stand-in for the BLAS pools whose ``limit`` changes nothing."""

    def limit(self, limits: int) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def _spin() -> None:
    while True:
        pass


@contextlib.contextmanager
def busy(cores: int) -> Iterator[None]:
    """A process spinning on each of ``cores`` cores for the duration of the block."""
    procs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(cores)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tables = so.load(str(root() / "data" / "salesops.duckdb"))
    period = so.Period.parse("latest", as_of=tables.as_of).label
    limited = timeseries._blas

    def once(one_thread: bool) -> float:
        timeseries._blas = limited if one_thread else _Unlimited  # type: ignore[assignment]
        start = time.perf_counter()
        reconciliation.company_and_regions(tables.opportunities, period, 12, stages=tables.stages)
        return time.perf_counter() - start

    once(True)  # warm-up: imports
    cores = os.cpu_count() or 1
    print(f"| machine ({cores} cores) | one BLAS thread, s | default threads, s | ratio |")
    print("|---|---|---|---|")
    for label, load in (
        ("quiet", contextlib.nullcontext()),
        ("a busy process per core", busy(cores)),
    ):
        with load:
            one, default = [], []
            for _ in range(args.repeat):
                one.append(once(True))
                default.append(once(False))
        a, b = statistics.median(one), statistics.median(default)
        print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.1f}× |", flush=True)
    timeseries._blas = limited


if __name__ == "__main__":
    main()
