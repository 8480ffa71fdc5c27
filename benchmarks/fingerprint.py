"""What an unchanged re-run costs, against the full run it skips.

Runs the monthly plan (``parameters/monthly.yml``) on the demo database into a temporary
output folder twice, side by side in one process:

1. a full run (``force``: every report executes and renders);
2. an unchanged re-run: every report is fingerprinted and skipped.

and prints the time of each phase of the fingerprint on its own: the code hash (the
package's files and numeric libraries' versions), the configuration files' hashes and
the data fingerprints (hashed in DuckDB per table and scope). The goal: the whole
unchanged re-run costs under 5% of the full run.

Usage: ``python benchmarks/fingerprint.py [--plan parameters/monthly.yml] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from salesops import fingerprint
from salesops.batch import runner
from salesops.batch.plan import BatchPlan, notebook_defaults
from salesops.batch.runner import RunOptions
from salesops.data.scopes import Scope
from salesops.data.sources import Source


def timed(function, repeat: int) -> float:
    """The median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def code_hash_once() -> None:
    fingerprint.code_hash.cache_clear()
    fingerprint.code_hash()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="parameters/monthly.yml")
    parser.add_argument("--repeat", type=int, default=5, help="re-runs to take the median of")
    args = parser.parse_args()
    plan = BatchPlan.read(args.plan)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "reports"
        start = time.perf_counter()
        label, results = runner.run(plan, out, RunOptions(force=True))
        full = time.perf_counter() - start
        failed = [f"{r.report} {r.scope}" for r in results if r.status == "failed"]
        assert not failed, failed
        rerun = timed(lambda: runner.run(plan, out), args.repeat)
        statuses = {r.status for r in runner.run(plan, out)[1]}
        assert statuses == {"skipped"}, statuses
        plan_jobs = timed(lambda: runner.plan_jobs(plan, out), args.repeat)
        jobs = runner.plan_jobs(plan, out)[1]
    code = timed(code_hash_once, args.repeat)
    defaults = {spec.name: notebook_defaults(spec.notebook) for spec in plan.reports}
    read = [{**defaults[j.report], **j.parameters} for j in jobs]
    config = timed(lambda: [jobs.config_files(p) for p in read], args.repeat)

    specs = {spec.name: spec for spec in plan.reports}
    with Source(plan.source) as src:
        region_of = src.rep_regions()
    reads = {str(specs[j.report].data_scope(Scope.parse(j.scope), region_of)) for j in jobs}

    def data_prints() -> None:
        with Source(plan.source) as src:
            for scope in reads:
                src.fingerprint(scope, label)

    data = timed(data_prints, args.repeat)
    print(f"plan {args.plan}, period {label}: {len(results)} reports")
    print(f"{'phase':<42}{'seconds':>9}{'of full run':>13}")
    rows = [
        ("full run (every report executed, rendered)", full),
        ("unchanged re-run (every report skipped)", rerun),
        ("  of which planning and fingerprints", plan_jobs),
        ("    code hash (once per run)", code),
        ("    configuration files (every report)", config),
        (f"    data fingerprints ({len(reads)} scopes read)", data),
    ]
    for name, seconds in rows:
        print(f"{name:<42}{seconds:>9.3f}{seconds / full:>12.2%}")
    verdict = "met" if rerun / full < 0.05 else "MISSED"
    print(f"goal: unchanged re-run under 5% of a full run: {rerun / full:.2%}, {verdict}")


if __name__ == "__main__":
    main()
