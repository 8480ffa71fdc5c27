"""Forecast accuracy benchmark: salesops against the established open-source forecasters.

Real public monthly sales and demand series (``benchmarks/data``; sources in its README)
are scored under two protocols, printed one after the other:

- *full*: each series with its last 12 months held out (shampoo: the last 6);
- *short*: each series cut, from its end, into up to four non-overlapping 48-month
  windows, each fitted on its first 36 months and scored on the next 12: the length of a
  typical CRM history.

Side by side in one run: salesops, the seasonal naive forecast (naive for shampoo),
statsmodels' Holt-Winters, statsforecast's AutoETS, AutoARIMA and AutoTheta, and the mean
of those three. Printed per series or window and on average: MASE (scaled by the
in-sample seasonal naive MAE, m = 12; m = 1 for shampoo), WAPE, the 80% intervals'
coverage of the held-out months, and seconds per fit. salesops never sees the held-out
months. The demo database's regions are scored apart: they are synthetic and must not
drive a choice.

statsforecast brings its own pins, so the peers run in their own virtualenv
(``benchmarks/.scratch/peers``, created on first use from PyPI); their forecasts are kept
under ``benchmarks/.scratch`` by a hash of their inputs.

Also timed: the coherent company-plus-regions forecast that the forecast notebook shows
(goal: under 10 s); and scored: the quarter outlook against the reps' submitted commit and
the time-series forecast on the demo's last 8 quarter-ends.

Usage: ``python benchmarks/forecast_accuracy.py [--db data/salesops.duckdb] [--only NAME]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import salesops as so
from salesops import forecast as fc

HERE = Path(__file__).parent
SCRATCH = HERE / ".scratch"
PEERS_VENV = SCRATCH / "peers"
PEERS = ("AutoETS", "AutoARIMA", "AutoTheta")
METHODS = ("salesops", "seasonal naive", "Holt-Winters", *PEERS, "mean of three")
REAL = {  # csv name: (months held out in the full protocol, season for MASE)
    "wineind": (12, 12),
    "shampoo": (6, 1),
    "a10": (12, 12),
    "h02": (12, 12),
    "auscafe": (12, 12),
    "debitcards": (12, 12),
    "elecequip": (12, 12),
    "souvenirs": (12, 12),
    "airpassengers": (12, 12),
}
WINDOW, TRAIN, WINDOWS = 48, 36, 4


@dataclass(frozen=True)
class Case:
    """One fit: a training series, the months held out after it, the MASE season."""

    name: str
    train: pd.Series
    test: np.ndarray
    m: int


def real_series() -> dict[str, pd.Series]:
    return {
        name: pd.read_csv(HERE / "data" / f"{name}.csv", index_col="month")["sales"]
        for name in REAL
    }


def full_cases(data: dict[str, pd.Series]) -> list[Case]:
    return [
        Case(
            name, y.iloc[: -REAL[name][0]], y.iloc[-REAL[name][0] :].to_numpy(float), REAL[name][1]
        )
        for name, y in data.items()
    ]


def short_cases(data: dict[str, pd.Series]) -> list[Case]:
    """Up to four non-overlapping 48-month windows per series, counted from its end."""
    out = []
    for name, y in data.items():
        m = REAL[name][1]
        for k in range(WINDOWS):
            end = len(y) - k * WINDOW
            if end - WINDOW < 0:
                break
            window = y.iloc[end - WINDOW : end]
            label = f"{name} to {window.index[-1]}"
            out.append(Case(label, window.iloc[:TRAIN], window.iloc[TRAIN:].to_numpy(float), m))
    return out


def demo_cases(db: str | None) -> list[Case]:
    tables = so.load(db)
    regions = fc.monthly_bookings(
        tables.opportunities, so.Period.parse("latest", as_of=tables.as_of), by="region"
    )
    return [
        Case(f"demo {r}", regions[r].iloc[:-12], regions[r].iloc[-12:].to_numpy(float), 12)
        for r in regions
    ]


def peers(cases: list[Case]) -> dict:
    """statsforecast's forecasts for every case, from its own virtualenv (cached)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print("creating the statsforecast virtualenv (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "statsforecast==2.1.1"], check=True
        )
    payload = {c.name: {"y": c.train.tolist(), "h": len(c.test), "m": c.m} for c in cases}
    text = json.dumps(payload, sort_keys=True)
    script = (HERE / "forecast_peers.py").read_bytes()
    key = hashlib.sha256(text.encode() + script).hexdigest()[:16]
    kept = SCRATCH / f"peers-{key}.json"
    if kept.exists():
        return json.loads(kept.read_text())
    done = subprocess.run(
        [str(python), str(HERE / "forecast_peers.py")],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    kept.write_text(done.stdout)
    return json.loads(done.stdout)


def holt_winters(train: np.ndarray, h: int, m: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            train,
            trend="add",
            seasonal="add" if m > 1 else None,
            seasonal_periods=m if m > 1 else None,
            initialization_method="estimated",
        )
        return model.fit().forecast(h)


def score(cases: list[Case], peer: dict) -> pd.DataFrame:
    """One row per case and method: MASE, WAPE, 80% coverage, seconds, and salesops' model."""
    rows = []
    for case in cases:
        train, test, h, m = case.train.to_numpy(float), case.test, len(case.test), case.m
        start = time.perf_counter()
        ours = fc.forecast(case.train, h)
        seconds = time.perf_counter() - start
        bounds = ours.interval(80)
        results = {
            "salesops": (ours.mean.to_numpy(), bounds["lower"], bounds["upper"], seconds),
            "seasonal naive": (np.resize(train[-m:], h), None, None, 0.0),
            "Holt-Winters": (holt_winters(train, h, m), None, None, np.nan),
        }
        for p in PEERS:
            got = peer[case.name]
            results[p] = (
                np.asarray(got[p]),
                np.asarray(got[f"{p}-lo-80"]),
                np.asarray(got[f"{p}-hi-80"]),
                got["seconds"][p],
            )
        results["mean of three"] = (
            np.mean([results[p][0] for p in PEERS], axis=0),
            None,
            None,
            np.nan,
        )
        for method, (f, lo, hi, s) in results.items():
            inside = (
                np.mean((test >= np.asarray(lo)) & (test <= np.asarray(hi)))
                if lo is not None
                else np.nan
            )
            rows.append(
                {
                    "case": case.name,
                    "method": method,
                    "MASE": fc.mase(test, f, train, m),
                    "WAPE": fc.wape(test, f),
                    "cover80": inside,
                    "seconds": s,
                    "model": ours.model if method == "salesops" else "",
                }
            )
    return pd.DataFrame(rows)


def report(title: str, table: pd.DataFrame, cases: list[Case]) -> dict[str, float]:
    """Print a protocol's tables; return its headline figures."""
    order = [c.name for c in cases]
    print(f"\n=== {title}: {len(cases)} fits ===")
    for measure in ("MASE", "WAPE"):
        wide = table.pivot(index="case", columns="method", values=measure)[list(METHODS)]
        wide = wide.reindex(order)
        wide.loc["mean"] = wide.mean()
        print(f"\n{measure} on the held-out months (lower is better)")
        print(wide.round(3).to_string())
    ours = table[table["method"] == "salesops"].set_index("case").reindex(order)
    naive = table[table["method"] == "seasonal naive"].set_index("case").reindex(order)
    cover = table.pivot(index="case", columns="method", values="cover80")
    wins = float(np.mean(ours["MASE"].to_numpy() < naive["MASE"].to_numpy()))
    print("\nsalesops' model per fit:")
    for case, row in ours.iterrows():
        print(f"  {case:28s} {row['model']}")
    mean = table.groupby("method")["MASE"].mean()
    figures = {
        "mase": mean["salesops"],
        "mean_of_three": mean["mean of three"],
        "beats_naive": wins,
        "cover80": ours["cover80"].mean(),
        "max_seconds": ours["seconds"].max(),
    }
    print(
        f"\n{title}: salesops mean MASE {mean['salesops']:.3f} | "
        + " | ".join(f"{p} {mean[p]:.3f}" for p in METHODS[1:])
    )
    print(
        f"{title}: salesops below seasonal naive on {wins:.0%} of fits; "
        f"80% coverage salesops {figures['cover80']:.1%}, "
        + ", ".join(f"{p} {cover[p].mean():.1%}" for p in PEERS)
        + f"; seconds per fit salesops mean {ours['seconds'].mean():.2f}, "
        f"max {ours['seconds'].max():.2f}"
    )
    return figures


def outlook_backtest(db: str | None) -> None:
    """The quarter outlook against the submitted commit and the time series, 8 quarter-ends."""
    from salesops import outlook

    print("\n=== quarter outlook on the demo, last 8 quarter-ends (synthetic data) ===")
    frame = outlook.backtest(so.load(db), quarters=8)
    print(frame.round(0).to_string())
    for column in ("outlook", "submitted_commit", "time_series"):
        error = (frame[column] - frame["actual"]) / frame["actual"]
        print(f"  {column:17s} MAPE {np.mean(np.abs(error)):6.1%}  bias {np.mean(error):+6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="a DuckDB file; default: the demo database")
    parser.add_argument("--only", default=None, help="only series whose name holds this text")
    args = parser.parse_args()
    data = real_series()
    if args.only:
        data = {k: v for k, v in data.items() if args.only in k}
    protocols = {"full": full_cases(data), "short": short_cases(data)}
    demo = [] if args.only else demo_cases(args.db)
    peer = peers([c for cases in protocols.values() for c in cases] + demo)
    fc.forecast(protocols["full"][0].train, 12)  # warm the imports before timing
    figures = {name: report(name, score(cases, peer), cases) for name, cases in protocols.items()}
    if demo:
        report("demo regions (synthetic, not a target)", score(demo, peer), demo)
    print("\n=== goals ===")
    short, full = figures["short"], figures["full"]
    print(
        f"short: mean MASE {short['mase']:.3f} < mean of three {short['mean_of_three']:.3f}: "
        f"{short['mase'] < short['mean_of_three']}; below seasonal naive on "
        f"{short['beats_naive']:.0%} of windows (goal >= 70%)"
    )
    print(f"full: mean MASE {full['mase']:.3f}; see the full table for every peer")
    print(
        f"80% coverage: short {short['cover80']:.1%}, full {full['cover80']:.1%} (goal 75-85%); "
        f"max seconds per fit: short {short['max_seconds']:.2f}, full {full['max_seconds']:.2f} "
        "(goal < 2 s)"
    )
    if args.only:
        return
    start = time.perf_counter()
    tables = so.load(args.db)
    period = so.Period.parse("latest", as_of=tables.as_of)
    fc.company_and_regions(tables.opportunities, period, 12)
    print(
        f"company + regions, coherent, 12 months ahead (load included): "
        f"{time.perf_counter() - start:.2f} s (goal < 10 s)"
    )
    outlook_backtest(args.db)


if __name__ == "__main__":
    main()
