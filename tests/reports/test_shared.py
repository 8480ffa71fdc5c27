"""What the reports share: forecasts and win models computed once per input, cached under
the home."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salesops.analytics import probability as pr
from salesops.analytics import reconciliation
from salesops.data.stages import Stages
from salesops.reports import shared

STAGES = Stages.read()
ROOT = Path(__file__).parents[2]


def test_the_forecasts_are_computed_once_per_input(demo_tables, monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    (tmp_path / "parameters").mkdir()
    for name in ("stages.yml", "settings.yml"):
        (tmp_path / "parameters" / name).write_text((ROOT / "parameters" / name).read_text())
    opps = demo_tables.opportunities
    first = shared.forecasts(opps, "2026-06", 6, STAGES)
    cached = list((tmp_path / ".cache" / "forecasts").glob("*.pickle"))
    assert len(cached) == 1
    again = shared.forecasts(opps, "2026-06", 6, STAGES)
    pd.testing.assert_series_equal(first[0].mean, again[0].mean)
    cached[0].write_bytes(b"not a pickle")  # a broken cache file is recomputed, not trusted
    third = shared.forecasts(opps, "2026-06", 6, STAGES)
    pd.testing.assert_series_equal(first[0].mean, third[0].mean)
    pure = reconciliation.company_and_regions(
        opps, "2026-06", 6, stages=STAGES
    )  # the domain writes nothing
    pd.testing.assert_series_equal(first[0].mean, pure[0].mean)
    assert len(list((tmp_path / ".cache" / "forecasts").glob("*.pickle"))) == 1


def test_a_win_model_is_fitted_once_per_input(demo_tables, monkeypatch, tmp_path):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_CACHE")  # the cache under the home, to count its files
    args = (demo_tables.opportunity_history, demo_tables.opportunities, demo_tables.as_of)
    fresh = pr.WinModel.fit(*args, stages=STAGES)  # pure: nothing on disk
    assert not (tmp_path / ".cache").exists()
    first = shared.win_model(*args, stages=STAGES)
    again = shared.win_model(*args, stages=STAGES)
    assert len(list((tmp_path / ".cache" / "win_models").glob("*.pickle"))) == 1
    pd.testing.assert_frame_equal(first.cells, fresh.cells)
    pd.testing.assert_frame_equal(again.cells, fresh.cells)
    shorter = shared.win_model(*args, months=12, stages=STAGES)  # another input, another model
    assert len(list((tmp_path / ".cache" / "win_models").glob("*.pickle"))) == 2
    assert not shorter.cells.equals(fresh.cells)
