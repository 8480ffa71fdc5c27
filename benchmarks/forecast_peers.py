"""Forecasts from statsforecast's AutoETS, AutoARIMA and AutoTheta, for forecast_accuracy.py.

Runs in its own virtualenv (statsforecast 2.1 pins pandas < 3, which salesops has moved
past): ``python forecast_peers.py CASES CACHE`` reads ``[{"key", "y", "h", "m"}, ...]``
as JSON from the file CASES and appends one JSON line per case to CACHE as soon as it is
done, so that an interrupted run resumes where it stopped:
``{"key", model: {"mean", "lo-80", "hi-80", "lo-95", "hi-95", "seconds"}}``.

Each model is called on its own (``model.forecast(y, h, level)``), one series at a time
in this one process: the same as ``StatsForecast(..., n_jobs=1)`` without the frame
handling, so that seconds per fit are the model's own.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

MODELS = {"AutoETS": AutoETS, "AutoARIMA": AutoARIMA, "AutoTheta": AutoTheta}
LEVELS = [80, 95]


def one(y: np.ndarray, h: int, m: int) -> dict:
    result = {}
    for label, model in MODELS.items():
        start = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = model(season_length=m).forecast(y=y, h=h, level=LEVELS)
        seconds = time.process_time() - start
        result[label] = {k: np.asarray(v, float).tolist() for k, v in got.items()}
        result[label]["seconds"] = seconds
    return result


def main() -> None:
    cases_path, cache_path = sys.argv[1], sys.argv[2]
    with open(cases_path) as f:
        cases = json.load(f)
    with open(cache_path, "a") as out:
        for case in cases:
            y = np.asarray(case["y"], float)
            try:
                result = one(y, case["h"], case["m"])
            except Exception as error:  # recorded, so the benchmark can say which failed
                result = {"error": repr(error)}
            out.write(json.dumps({"key": case["key"], **result}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
