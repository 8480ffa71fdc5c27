"""Scale benchmark: the monthly plan on a 1,500-rep demo against the default demo, one run.

Builds (once, cached under ``data/``) a demo with ``--reps`` selling seats and as many
deals per seat as the default demo (about 570), then, for the default demo and for it,
one after the other on this machine:

- the **planning phase**: the plan expanded into jobs, with every job's fingerprint
  (:func:`salesops.batch.jobs.plan_jobs`), which is what a run does before its first report;
- the **whole monthly plan** through ``salesops run --force`` with a cold cache (the
  project's ``.cache/`` emptied first, as after a code change), its wall time, and the
  planning phase's share of it;
- the **per-report cost** of each notebook and scope level: the median of the manifest's
  durations, and of its PDF phase;
- the **peak memory per worker**: every second, the proportional set size (PSS, so that
  memory shared between processes counts once) of each pool process with its kernel,
  its browser and their children; the largest seen, overall and per report kind; then
  for 40 reviews run again on the large demo with their region's peers in the cache,
  which is what all but the first review of each region needs.

Prints the two side by side with their ratios, then the issue's goals with the figures.
``--sample N`` runs only N reviews per size (and the other reports), for a quick look, and
projects the whole plan: the reports run, plus the reviews not run at the sampled median.

Usage: ``python benchmarks/scale.py [--reps 1500] [--workers 2] [--sample N]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import psutil

from salesops import config
from salesops.batch import cluster, jobs
from salesops.batch.plan import BatchPlan
from salesops.data.sources import Source

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLAN = ROOT / "parameters" / "monthly.yml"
DEALS_PER_SEAT = 20_000 / 35  # the default demo's density
PERIOD = "2026-10"


def scaled_demo(reps: int) -> Path:
    """The demo with ``reps`` seats, generated once."""
    path = ROOT / "data" / f"scale-{reps}.duckdb"
    if not path.exists():
        opportunities = str(round(reps * DEALS_PER_SEAT, -3))
        command = ["demo", "--path", path, "--reps", str(reps), "--opportunities", opportunities]
        subprocess.run([BIN / "salesops", *command], check=True)
    return path


def planning(db: Path, out: Path) -> tuple[float, int]:
    """Seconds to expand the monthly plan into fingerprinted jobs, and how many."""
    start = time.perf_counter()
    _, planned = jobs.plan_jobs(BatchPlan.read(PLAN), out, PERIOD, source=str(db))
    return time.perf_counter() - start, len(planned)


class PeakMemory(threading.Thread):
    """Every ``every_s``, the PSS of each worker process with its descendants (kernel,
    browser), kept as the peak per worker and per report kind that worker was running (a
    running report leaves ``.<report>.<pid>.running.ipynb`` in its scope's folder)."""

    def __init__(self, workers: Callable[[], list[psutil.Process]], out: Path) -> None:
        super().__init__(daemon=True)
        self.workers, self.out = workers, out
        self.peak: dict[int, int] = defaultdict(int)
        self.by_kind: dict[str, int] = defaultdict(int)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            running = {}
            for path in self.out.glob("*/*/.*.running.ipynb"):
                report, pid = path.name.split(".")[1:3]
                running[int(pid)] = f"{report} ({path.parent.name.split('-')[0]})"
            try:
                workers = self.workers()
            except psutil.Error:
                return
            for worker in workers:
                total = 0
                try:
                    for proc in [worker, *worker.children(recursive=True)]:
                        total += proc.memory_full_info().pss
                except psutil.Error:
                    continue
                self.peak[worker.pid] = max(self.peak[worker.pid], total)
                kind = running.get(worker.pid)
                if kind:
                    self.by_kind[kind] = max(self.by_kind[kind], total)


def monthly_run(
    db: Path, out: Path, workers: int, only: str | None, on_cluster: bool, cold: bool = True
) -> dict:
    """The monthly plan on ``db`` with a cold cache (unless not ``cold``), on a process pool
    or (``on_cluster``) on a Dask scheduler and workers started from their CLIs: wall time,
    peak memory, manifest."""
    if cold:
        shutil.rmtree(config.root() / ".cache", ignore_errors=True)
    command = [BIN / "salesops", "run", PLAN, "--source", db, "--period", PERIOD, "--out", out]
    command += ["--force", "--quiet", "--workers", str(workers)]
    if only:
        command += ["--only", only]
    with contextlib.ExitStack() as stack:
        if on_cluster:
            address, started = stack.enter_context(cluster.processes(workers))
            command += ["--cluster", address]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if on_cluster:
            pool = [psutil.Process(p.pid) for p in started]
            memory = PeakMemory(lambda: pool, out)
        else:
            memory = PeakMemory(psutil.Process(proc.pid).children, out)
        memory.start()
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - start
        memory.done.set()
    if proc.returncode != 0:
        sys.exit(f"salesops run failed ({proc.returncode}):\n{stdout.decode()}{stderr.decode()}")
    reports = json.loads((out / PERIOD / "manifest.json").read_text())["reports"]
    peak = max(memory.peak.values(), default=0)
    return {"wall": wall, "peak": peak, "by_kind": dict(memory.by_kind), "reports": reports}


def per_report(reports: list[dict]) -> dict[str, dict[str, float]]:
    """Median seconds per notebook and scope level: the whole report and its PDF phase."""
    kinds: dict[str, list[dict]] = defaultdict(list)
    for r in reports:
        kinds[f"{r['report']} ({r['scope'].split(':')[0]})"].append(r)
    return {
        kind: {
            "n": len(rs),
            "total": statistics.median(r["duration_s"] for r in rs),
            "pdf": statistics.median(r["timings"].get("render_pdf", 0.0) for r in rs),
        }
        for kind, rs in sorted(kinds.items())
    }


def reviews(db: Path, n: int) -> list[str]:
    """``--only`` patterns of the first ``n`` reps' reviews."""
    with Source(str(db)) as src:
        return [f"*:rep:{r}" for r in src.scopes("rep")[:n]]


def only_pattern(db: Path, sample: int | None) -> str | None:
    """With ``sample``, the non-review reports and the first ``sample`` reps' reviews."""
    if not sample:
        return None
    return ",".join(["metrics", "forecast", "team_review", *reviews(db, sample)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=psutil.cpu_count() or 2)
    parser.add_argument("--sample", type=int, default=None, help="reviews per size")
    parser.add_argument(
        "--cluster", action="store_true", help="on a Dask scheduler and workers, not a pool"
    )
    args = parser.parse_args()
    sizes = {"35 seats": config.default_database(), f"{args.reps} seats": scaled_demo(args.reps)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in sizes.items():
            out = Path(tmp) / name.replace(" ", "-")
            plan_s, planned = planning(db, out)
            only = only_pattern(db, args.sample)
            run = monthly_run(db, out, args.workers, only, args.cluster)
            results[name] = {"plan_s": plan_s, "planned": planned, **run}
            print(f"{name}: {len(run['reports'])} reports in {run['wall']:.0f} s", flush=True)
        # The bulk of a run: reviews whose region's peers are in the cache (the first review
        # of each region computes them), again on the large demo, for their memory.
        large_db = sizes[f"{args.reps} seats"]
        only = ",".join(reviews(large_db, 40))
        again = monthly_run(large_db, Path(tmp) / "again", args.workers, only, args.cluster, False)
    small, large = results.values()
    a, b = list(results)
    print(f"\n{'':<34}{a:>12}{b:>12}{'ratio':>8}")

    def row(label: str, x: float, y: float, unit: str = "") -> None:
        print(f"{label:<34}{x:>11.2f}{unit}{y:>11.2f}{unit}{y / x if x else float('nan'):>7.1f}×")

    costs = {name: per_report(r["reports"]) for name, r in results.items()}
    print("median seconds per report (PDF phase):")
    for kind in costs[a]:
        x, y = costs[a][kind], costs[b].get(kind, {"total": float("nan"), "pdf": float("nan")})
        row(f"  {kind}", x["total"], y["total"])
        row("    PDF", x["pdf"], y["pdf"])
    row("planning phase, s", small["plan_s"], large["plan_s"])
    row("whole plan, s", small["wall"], large["wall"])
    print(f"{'reports':<34}{len(small['reports']):>12}{len(large['reports']):>12}")
    row("peak memory per worker, GB", small["peak"] / 1e9, large["peak"] / 1e9)
    print("peak memory per worker while running, GB:")
    for kind in sorted(small["by_kind"]):
        row(f"  {kind}", small["by_kind"][kind] / 1e9, large["by_kind"].get(kind, 0) / 1e9)
    print(f"  40 reviews, region's peers cached {'':>11}{again['peak'] / 1e9:>11.2f}")

    review = "performance_review (rep)"
    pdfs = [r["timings"].get("render_pdf", 0.0) for r in large["reports"]]
    failed = sum(r["status"] != "done" for res in results.values() for r in res["reports"])
    minutes = large["wall"] / 60
    if args.sample:  # a projection: the reports run, and the reviews not run at their median
        ran = [r["duration_s"] for r in large["reports"] if r["report"] == "performance_review"]
        rest = large["planned"] - len(large["reports"])  # the first of a region's got its peers
        seconds = sum(r["duration_s"] for r in large["reports"]) + statistics.median(ran) * rest
        minutes = seconds / args.workers / 60
    print(f"\ngoals, at {args.reps} seats (failed reports: {failed}):")
    ratio = costs[b][review]["total"] / costs[a][review]["total"]
    print(f"  rep review cost vs 35 seats  {ratio:.2f}×  (goal ≤ 1.3×)")
    print(f"  median PDF phase             {statistics.median(pdfs):.2f} s  (goal ≤ 0.5 s)")
    what = f"projected, {large['planned']}" if args.sample else len(large["reports"])
    what = f"{what} reports"
    print(f"  whole plan ({what})  {minutes:.1f} min  (goal < 30 min)")
    print(f"  planning phase share         {large['plan_s'] / large['wall']:.1%}  (goal < 5%)")
    print(f"  peak memory per worker       {large['peak'] / 1e9:.2f} GB  (goal < 1.5 GB)")


if __name__ == "__main__":
    main()
