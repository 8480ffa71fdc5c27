"""A Dask cluster of separate processes on this machine, started from Dask's own CLIs.

``salesops run --cluster tcp://host:8786`` runs a plan on any Dask cluster. This module
starts one the way an operator would, ``dask scheduler`` and ``dask worker`` as separate
OS processes, for the tests and the benchmarks (``benchmarks/scale.py --cluster``):

.. code-block:: python

    with cluster.processes(workers=2) as (address, workers):
        runner.run(plan, out_dir, runner.RunOptions(cluster=address))

Each worker runs one report at a time (one thread) without a nanny, so a worker that is
killed stays dead: its reports go to the other workers.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT_S = 60.0


@contextlib.contextmanager
def processes(workers: int = 2) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A scheduler and ``workers`` workers, each its own process; yields the scheduler's
    address and the workers' processes, and stops them all when the block ends."""
    from dask.distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    quiet = subprocess.DEVNULL
    with tempfile.TemporaryDirectory() as folder:
        file = str(Path(folder) / "scheduler.json")
        scheduler = [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
        started = [
            subprocess.Popen([*scheduler, "--scheduler-file", file], stdout=quiet, stderr=quiet)
        ]
        try:
            _wait_for(Path(file))
            for i in range(workers):
                command = [dask, "worker", "--scheduler-file", file, "--nthreads", "1"]
                command += ["--no-nanny", "--no-dashboard", "--name", f"worker-{i}"]
                started.append(subprocess.Popen(command, stdout=quiet, stderr=quiet))
            with Client(scheduler_file=file, timeout=f"{START_TIMEOUT_S}s") as client:
                client.wait_for_workers(workers, timeout=START_TIMEOUT_S)
            address = json.loads(Path(file).read_text())["address"]
            yield address, started[1:]
        finally:
            for proc in reversed(started):
                proc.terminate()
            for proc in started:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _wait_for(file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (file.exists() and file.stat().st_size):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Dask scheduler wrote no {file.name} in {START_TIMEOUT_S} s")
        time.sleep(0.1)
