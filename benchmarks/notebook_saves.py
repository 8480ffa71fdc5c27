"""Writing the executed notebook while a report runs, side by side: papermill's saves
against salesops's.

Papermill writes the whole notebook (its outputs, their pictures, and nbformat's schema
check) when it starts, before and after every cell, and when it ends. The runner's engine
(:func:`salesops.batch.kernels.warm_engine`) writes it when it starts and when it ends:
nothing reads the hidden running file in between. This replays both on executed reports
of the demo (one of each notebook, run here first): papermill's sequence writes the
notebook as it stood at each step (the cells run so far with their outputs), salesops's
the first and the last state. Prints per report the median time of each, alternating,
and the ratio.

Usage: ``python benchmarks/notebook_saves.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from papermill.iorw import write_ipynb

from salesops.batch import runner
from salesops.batch.plan import BatchPlan
from salesops.batch.runner import RunOptions
from salesops.config import root

SCOPES = {  # a report of each notebook, each for a scope it takes
    "metrics": "company",
    "forecast": "company",
    "team_review": "region:EMEA",
    "performance_review": "rep:R00012",
    "planning": "company",
}


def states(executed: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The notebook as papermill saves it: at the start (no outputs), then before and
    after each code cell (the cells before it with their outputs), then at the end."""
    code = [i for i, c in enumerate(executed.cells) if c.cell_type == "code"]
    blank = copy.deepcopy(executed)
    for cell in blank.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    out, now = [blank], copy.deepcopy(blank)
    for i in code:
        out.append(copy.deepcopy(now))  # cell start
        now.cells[i] = executed.cells[i]
        out.append(copy.deepcopy(now))  # cell complete
    return [*out, executed]


def seconds(notebooks: list[nbformat.NotebookNode], path: Path) -> float:
    start = time.perf_counter()
    for nb in notebooks:
        write_ipynb(nb, str(path))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = BatchPlan.from_dict(
            {
                "formats": ["ipynb"],
                "reports": [{"notebook": n, "scopes": [s]} for n, s in SCOPES.items()],
            },
            "benchmark",
        )
        label, results = runner.run(plan, Path(tmp), RunOptions(period="latest", workers=2))
        assert {r.status for r in results} == {"done"}, [r.error for r in results]
        print(f"The demo's {label} reports: writing the executed notebook")
        print(f"{'report':20} {'writes':>6} {'papermill':>10} {'salesops':>9} {'ratio':>6}")
        target = Path(tmp) / "out.ipynb"
        for r in results:
            executed = nbformat.read(r.outputs["ipynb"], as_version=4)
            every = states(executed)
            ends = [every[0], every[-1]]
            before, after = [], []
            for _ in range(args.repeat):  # alternating, so that noise hits both alike
                before.append(seconds(every, target))
                after.append(seconds(ends, target))
            b, a = statistics.median(before), statistics.median(after)
            print(
                f"{r.report:20} {len(every):6d} {b * 1000:8.0f} ms {a * 1000:6.0f} ms {b / a:5.1f}×"
            )
    print(f"(run from {root()})")


if __name__ == "__main__":
    main()
