"""Writing what a run leaves behind: summaries are strict JSON; cached results are keyed by
the code too and computed once when two processes need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from salesops import fingerprint
from salesops.reports.display import write_summary
from salesops.storage import json_text


def strict(text: str) -> dict:
    """Parse ``text`` as JSON, refusing NaN and Infinity (which JSON does not have)."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_summary_never_holds_infinity_but_null_and_the_reason(tmp_path):
    summary = {
        "bookings": float("inf"),
        "kpis": [{"label": "Growth", "value": float("-inf")}, {"label": "Win rate", "value": 0.5}],
        "coverage": float("nan"),
        "deals": 12,
    }
    written = strict(write_summary(summary, tmp_path / "metrics.json").read_text())
    assert written["bookings"] is None and written["coverage"] is None
    assert written["kpis"] == [
        {"label": "Growth", "value": None},
        {"label": "Win rate", "value": 0.5},
    ]
    assert written["deals"] == 12
    assert written["unknown"] == {
        "bookings": "not a finite number (inf)",
        "kpis[0].value": "not a finite number (-inf)",
        "coverage": "not a finite number (nan)",
    }


def test_a_finite_summary_is_written_as_it_is():
    summary = {"bookings": 1.5, "regions": ["East", "West"], "as_of": "2026-09-30"}
    assert json.loads(json_text(summary)) == summary
    assert "unknown" not in json.loads(json_text(summary))


def test_strict_refuses_what_json_has_not():
    with pytest.raises(ValueError, match="Infinity"):
        strict(json.dumps({"x": float("inf")}))


def test_caches_are_keyed_by_the_code_too(monkeypatch, tmp_path):
    from salesops.storage import cached

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    calls = []
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    monkeypatch.setattr(fingerprint, "code_hash", lambda: "a-new-release")
    assert cached("sums", ["v1"], lambda: calls.append(1) or 1) == 1
    assert len(calls) == 2


def test_two_processes_that_need_one_result_compute_it_once(tmp_path):
    """The second waits for the first's result (a region's peers, needed by two workers'
    first reviews at once) instead of computing it too."""
    code = (
        "import pathlib, time\n"
        "from salesops.storage import cached\n"
        "def compute():\n"
        "    with open(pathlib.Path('computed'), 'a') as f: f.write('once\\n')\n"
        "    time.sleep(1)\n"
        "    return 42\n"
        "print(cached('slow', ['x'], compute))\n"
    )
    env = {**os.environ, "SALESOPS_HOME": str(tmp_path)}
    both = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    assert [p.communicate()[0].strip() for p in both] == ["42", "42"]
    assert (tmp_path / "computed").read_text() == "once\n"
