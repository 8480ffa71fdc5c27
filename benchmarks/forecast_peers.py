"""Forecasts from statsforecast's AutoETS, AutoARIMA and AutoTheta, for forecast_accuracy.py.

Runs in its own virtualenv (statsforecast pins its own pandas and numba): reads
``{key: {"y": [...], "h": h, "m": m}}`` as JSON on stdin and writes
``{key: {model: [forecast...], f"{model}-lo-80": [...], f"{model}-hi-80": [...],
"seconds": {model: s}}}`` as JSON on stdout.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

MODELS = {"AutoETS": AutoETS, "AutoARIMA": AutoARIMA, "AutoTheta": AutoTheta}

series = json.load(sys.stdin)
out = {}
for key, spec in series.items():
    y, h, m = np.asarray(spec["y"], float), spec["h"], spec["m"]
    frame = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2000-01-01", periods=len(y), freq="MS"), "y": y}
    )
    result: dict = {"seconds": {}}
    for label, model in MODELS.items():
        start = time.perf_counter()
        fitted = StatsForecast(models=[model(season_length=m)], freq="MS").forecast(
            df=frame, h=h, level=[80]
        )
        result["seconds"][label] = time.perf_counter() - start
        for column in (label, f"{label}-lo-80", f"{label}-hi-80"):
            result[column] = fitted[column].tolist()
    out[key] = result
json.dump(out, sys.stdout)
