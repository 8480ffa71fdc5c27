"""Writing what a run leaves behind: summaries are strict JSON."""

from __future__ import annotations

import json

import pytest

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
