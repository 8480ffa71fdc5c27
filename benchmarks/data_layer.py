"""Data-layer benchmark: demo generation, and loading one rep's slice, side by side.

Prints, in one run:

- demo generation time and peak memory at the default size and at 1M opportunities;
- time and peak memory to load one rep's slice (``salesops.load(scope="rep:<id>")``,
  validation included) from the default database and from the 1M one, and their ratio.

The goal: at 1M opportunities a rep's slice costs no more than 1.2x what it costs at the
default size. Each measurement runs in a fresh Python process, so peak memory (max RSS)
is that task's own; load times are the median of repeated loads after one warm-up.

Usage: ``python benchmarks/data_layer.py [--opportunities 1000000] [--reps 2000] [--keep]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GENERATE = """
import json, resource, time
from salesops import demo
start = time.perf_counter()
counts = demo.generate({path!r}, demo.DemoConfig(**{config!r}))
print(json.dumps({{"seconds": time.perf_counter() - start, "counts": counts,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

LOAD = """
import json, resource, statistics, time
import salesops as so
with so.open_source({path!r}) as src:
    reps = src.scopes("rep")
rep = reps[len(reps) // 2]
so.load({path!r}, scope="rep:" + rep)  # warm-up: imports, file cache
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for _ in range({repeat}):
    start = time.perf_counter()
    tables = so.load({path!r}, scope="rep:" + rep, period="latest")
    times.append(time.perf_counter() - start)
rows = sum(len(t) for t in tables.present().values())
print(json.dumps({{"seconds": statistics.median(times), "rep": rep, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "baseline_mb": base}}))
"""


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter and return the JSON it prints last."""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=2_000, help="seats in the big database")
    parser.add_argument("--repeat", type=int, default=15, help="loads per measurement")
    parser.add_argument(
        "--dir", type=Path, help="where to write the databases (default: a temp dir)"
    )
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="salesops-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = {
        "default": {},
        f"{args.opportunities:,} opps": {"reps": args.reps, "opportunities": args.opportunities},
    }
    paths, gen = {}, {}
    for name, config in sizes.items():
        paths[name] = str(workdir / f"{name.split()[0].replace(',', '')}.duckdb")
        gen[name] = child(GENERATE.format(path=paths[name], config=config))
    load = {name: child(LOAD.format(path=path, repeat=args.repeat)) for name, path in paths.items()}

    print(
        f"\n{'demo generation':<24}{'opportunities':>14}{'rows, all tables':>18}{'seconds':>10}{'peak MB':>10}"
    )
    for name, r in gen.items():
        total = sum(r["counts"].values())
        print(
            f"{name:<24}{r['counts']['opportunities']:>14,}{total:>18,}{r['seconds']:>10.2f}{r['peak_mb']:>10.0f}"
        )

    print(f"\n{'one rep slice (load)':<24}{'rep':>10}{'rows':>8}{'median s':>10}{'peak MB':>10}")
    for name, r in load.items():
        print(f"{name:<24}{r['rep']:>10}{r['rows']:>8,}{r['seconds']:>10.4f}{r['peak_mb']:>10.0f}")
    small, big = load.values()
    t_ratio = big["seconds"] / small["seconds"]
    m_ratio = big["peak_mb"] / small["peak_mb"]
    verdict = "meets" if max(t_ratio, m_ratio) <= 1.2 else "MISSES"
    print(
        f"\nrep slice at 1M vs default: time {t_ratio:.2f}x, peak memory {m_ratio:.2f}x "
        f"({verdict} the 1.2x goal)"
    )
    g_small, g_big = gen.values()
    deals = g_big["counts"]["opportunities"] / g_small["counts"]["opportunities"]
    print(
        f"generation at 1M vs default: {g_big['seconds'] / g_small['seconds']:.1f}x the time "
        f"for {deals:.0f}x the deals"
    )
    print(f"databases in {workdir}")


if __name__ == "__main__":
    main()
