"""Batch benchmark: the monthly plan through ``salesops run`` against the naive way.

In one run, on the same notebooks and the demo database:

- (a) ``salesops run parameters/monthly.yml --force``: a process pool, exporters reused;
- (b) naive, per report: a ``papermill`` CLI call, then ``jupyter nbconvert --to html
  --no-input``, then ``weasyprint`` on that HTML for the PDF;
- the floor: ``benchmarks/floor.ipynb`` (the same parameters and imports, no work) through
  ``salesops run``, i.e. the cost of the machinery alone; once as (a) runs it (each worker
  keeps its kernel, reset between reports) and once with ``--fresh-kernels`` (a kernel per
  report: the start and the imports paid every time).

Prints reports per minute for (a) and (b) and their ratio, the per-report wall time of (a)
against the floor, and where (a)'s time goes (kernel start, imports, data load, compute,
HTML, PDF). Goals: (a) at least 4x (b); per report at most 1.3x the floor.

Usage: ``python benchmarks/batch.py [--period 2026-10] [--workers N]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def salesops_run(
    plan: Path, out: Path, period: str, workers: int, *extra: str
) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    subprocess.run(
        [
            BIN / "salesops",
            "run",
            plan,
            "--period",
            period,
            "--out",
            out,
            "--force",
            "--quiet",
            "--workers",
            str(workers),
            *extra,
        ],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    return wall, json.loads((out / period / "manifest.json").read_text())["reports"]


def naive(jobs: list[dict], out: Path) -> float:
    start = time.perf_counter()
    for i, job in enumerate(jobs):
        nb = out / f"{i}.ipynb"
        params = [a for k in ("source", "period", "scope") for a in ("-p", k, job["parameters"][k])]
        params += ["-p", "summary_path", str(out / f"{i}.json")]
        subprocess.run(
            [
                BIN / "papermill",
                ROOT / "notebooks" / f"{job['report']}.ipynb",
                nb,
                *params,
                "-k",
                "python3",
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", nb],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [BIN / "weasyprint", out / f"{i}.html", out / f"{i}.pdf"],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="salesops-batch-"))
    floor_plan = work / "floor.yml"
    plan = json.loads(
        json.dumps(__import__("yaml").safe_load((ROOT / "parameters/monthly.yml").read_text()))
    )
    scopes = sorted({s for r in plan["reports"] for s in r["scopes"]})
    floor_plan.write_text(
        json.dumps(
            {
                "formats": plan["formats"],
                "reports": [{"notebook": str(ROOT / "benchmarks" / "floor"), "scopes": scopes}],
            }
        )
    )

    wall_a, reports = salesops_run(
        ROOT / "parameters/monthly.yml", work / "a", args.period, args.workers
    )
    _, floor = salesops_run(floor_plan, work / "floor", args.period, args.workers)
    _, cold = salesops_run(floor_plan, work / "cold", args.period, args.workers, "--fresh-kernels")
    (work / "b").mkdir()
    wall_b = naive(reports, work / "b")

    n = len(reports)
    rate_a, rate_b = n / wall_a * 60, n / wall_b * 60
    per_a = sum(r["duration_s"] for r in reports) / n
    per_floor = sum(r["duration_s"] for r in floor) / len(floor)
    per_cold = sum(r["duration_s"] for r in cold) / len(cold)
    print(f"\nmonthly plan, {n} reports, {args.workers} workers, period {args.period}")
    print(f"(a) salesops run   {wall_a:7.1f} s  {rate_a:6.2f} reports/min")
    print(f"(b) naive CLI      {wall_b:7.1f} s  {rate_b:6.2f} reports/min")
    print(f"throughput (a)/(b): {rate_a / rate_b:.2f}x (goal >= 4x)")
    print(
        f"per report: (a) {per_a:.2f} s, floor {per_floor:.2f} s: {per_a / per_floor:.2f}x the floor "
        "(goal <= 1.3x)"
    )
    print(
        f"            the floor with a kernel per report (--fresh-kernels) {per_cold:.2f} s: "
        f"{per_a / per_cold:.2f}x"
    )
    phases = ["kernel_and_overhead", "imports", "data_load", "compute", "render_html", "render_pdf"]
    print("\nwhere (a)'s time goes, seconds per report (mean):")
    by_report = {}
    for r in reports:
        by_report.setdefault(r["report"], []).append(r)
    for name, runs in (*by_report.items(), ("floor", floor), ("floor, fresh kernels", cold)):
        means = {p: sum(r.get("timings", {}).get(p, 0.0) for r in runs) / len(runs) for p in phases}
        print(f"  {name:<22}" + "  ".join(f"{p} {v:.2f}" for p, v in means.items()))


if __name__ == "__main__":
    main()
