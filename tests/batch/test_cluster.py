"""The local Dask cluster (:mod:`salesops.batch.cluster`): waiting for the scheduler's file.
Starting the cluster is processes and seconds: test_runner's killed-worker test does."""

from __future__ import annotations

import pytest

from salesops.batch import cluster


def test_the_wait_ends_when_the_scheduler_file_has_content(tmp_path):
    file = tmp_path / "scheduler.json"
    file.write_text('{"address": "tcp://127.0.0.1:1"}')
    cluster._wait_for(file)  # returns at once


def test_an_empty_file_is_waited_for_until_the_timeout(tmp_path, monkeypatch):
    file = tmp_path / "scheduler.json"
    file.touch()  # created, not yet written
    monkeypatch.setattr(cluster, "START_TIMEOUT_S", 0.0)
    with pytest.raises(TimeoutError, match="the Dask scheduler wrote no scheduler.json in 0.0 s"):
        cluster._wait_for(file)
