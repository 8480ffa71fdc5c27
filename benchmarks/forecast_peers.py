"""Forecasts from statsforecast's AutoETS, AutoARIMA and AutoTheta, for forecast_accuracy.py.

Runs in its own virtualenv (statsforecast pins pandas < 3, which salesops does not use):
reads ``{name: {"y": [...], "h": h, "m": m}}`` as JSON on stdin and writes
``{name: {model: [forecast...], "seconds": {model: s}}}`` as JSON on stdout.
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
for name, spec in series.items():
    y, h, m = np.asarray(spec["y"], float), spec["h"], spec["m"]
    frame = pd.DataFrame(
        {"unique_id": name, "ds": pd.date_range("2000-01-01", periods=len(y), freq="MS"), "y": y}
    )
    result: dict = {"seconds": {}}
    for label, model in MODELS.items():
        start = time.perf_counter()
        fitted = StatsForecast(models=[model(season_length=m)], freq="MS").forecast(df=frame, h=h)
        result["seconds"][label] = time.perf_counter() - start
        result[label] = fitted[label].tolist() if label in fitted else fitted.iloc[:, -1].tolist()
    out[name] = result
json.dump(out, sys.stdout)
