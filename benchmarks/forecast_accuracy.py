"""Forecast accuracy benchmark: salesops against the established open-source forecasters.

For each public series in ``benchmarks/data`` (wineind, shampoo; see its README) and for
each region of the demo database, hold out the tail (12 months; 6 for shampoo), fit on
the rest, forecast the held-out months and print, side by side in one run:

- MASE, scaled by the in-sample seasonal naive error (m = 12; m = 1 for shampoo);
- WAPE;

for salesops, the seasonal naive forecast (the naive one for shampoo), statsmodels'
Holt-Winters, and statsforecast's AutoETS, AutoARIMA and AutoTheta. salesops never sees
the held-out months: its model choice comes from a backtest on the training part.

statsforecast pins pandas < 3, so the peers run in their own virtualenv
(``benchmarks/.scratch/peers``, created on first use from PyPI).

Also timed: salesops' fit and forecast per series (goal: under 2 s each), and the
coherent company-plus-regions forecast that the forecast notebook shows (goal: under
10 s).

Usage: ``python benchmarks/forecast_accuracy.py [--db data/salesops.duckdb]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import salesops as so
from salesops import forecast as fc

HERE = Path(__file__).parent
PEERS_VENV = HERE / ".scratch" / "peers"
PEERS = ("AutoETS", "AutoARIMA", "AutoTheta")


def series(db: str | None) -> dict[str, tuple[pd.Series, int, int]]:
    """name: (monthly series, months held out, season length for MASE)."""
    out = {}
    for name, h, m in (("wineind", 12, 12), ("shampoo", 6, 1)):
        out[name] = (pd.read_csv(HERE / "data" / f"{name}.csv", index_col="month")["sales"], h, m)
    tables = so.load(db)
    regions = fc.monthly_bookings(
        tables.opportunities, so.Period.parse("latest", as_of=tables.as_of), by="region"
    )
    for region in regions:
        out[f"demo {region}"] = (regions[region], 12, 12)
    return out


def peers(data: dict[str, tuple[pd.Series, int, int]]) -> dict:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print("creating the statsforecast virtualenv (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "statsforecast==2.1.1"], check=True
        )
    payload = {
        name: {"y": y.iloc[:-h].tolist(), "h": h, "m": m} for name, (y, h, m) in data.items()
    }
    done = subprocess.run(
        [str(python), str(HERE / "forecast_peers.py")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
    )
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="a DuckDB file; default: the demo database")
    args = parser.parse_args()
    data = series(args.db)
    fc.forecast(data["wineind"][0].iloc[:-12], 12)  # warm the imports before timing
    peer = peers(data)
    rows, seconds = [], {}
    for name, (y, h, m) in data.items():
        train, test = y.iloc[:-h].to_numpy(float), y.iloc[-h:].to_numpy(float)
        start = time.perf_counter()
        ours = fc.forecast(y.iloc[:-h], h)
        seconds[name] = time.perf_counter() - start
        baseline = np.resize(train[-m:], h)
        forecasts = {
            "salesops": ours.mean.to_numpy(),
            "seasonal naive" if m > 1 else "naive": baseline,
            "Holt-Winters": holt_winters(train, h, m),
            **{p: np.asarray(peer[name][p]) for p in PEERS},
        }
        for method, f in forecasts.items():
            rows.append(
                {
                    "series": name,
                    "method": "seasonal naive" if method == "naive" else method,
                    "MASE": fc.mase(test, f, train, m),
                    "WAPE": fc.wape(test, f),
                }
            )
        print(f"  {name:14s} salesops model: {ours.model}", flush=True)
    table = pd.DataFrame(rows)
    order = ["salesops", "seasonal naive", "Holt-Winters", *PEERS]
    for measure in ("MASE", "WAPE"):
        wide = table.pivot(index="series", columns="method", values=measure)[order]
        wide = wide.reindex(list(data))
        wide.loc["mean"] = wide.mean()
        print(
            f"\n{measure} on the held-out months (lower is better; seasonal naive for shampoo is the naive forecast)"
        )
        print(wide.round(3).to_string())
    mean = table.groupby("method")["MASE"].mean()
    beaten = [p for p in order[1:] if mean["salesops"] < mean[p]]
    print(
        f"\nsalesops mean MASE {mean['salesops']:.3f}; beats {len(beaten)} of {len(order) - 1} "
        f"peers on average ({', '.join(f'{p} {mean[p]:.3f}' for p in order[1:])})"
    )
    peer_seconds = {p: max(peer[n]["seconds"][p] for n in data) for p in PEERS}
    print(
        f"fit + forecast per series: salesops max {max(seconds.values()):.2f} s "
        f"(mean {np.mean(list(seconds.values())):.2f} s; goal < 2 s); "
        + ", ".join(f"{p} max {s:.2f} s" for p, s in peer_seconds.items())
    )
    start = time.perf_counter()
    tables = so.load(args.db)
    period = so.Period.parse("latest", as_of=tables.as_of)
    fc.company_and_regions(tables.opportunities, period, 12, cache=False)
    print(
        f"company + regions, coherent, 12 months ahead (load included): "
        f"{time.perf_counter() - start:.2f} s (goal < 10 s)"
    )


if __name__ == "__main__":
    main()
