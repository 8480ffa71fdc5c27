"""Forecast precision: the reps' submitted forecasts against what they then booked, by hand
on the tiny CRM (its forecast_submissions: R1 and R3 in 2026-09 and 2026-10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import salesops as so
from salesops.analytics import precision

STAGES = so.Stages.read()


def test_forecast_precision(tiny):
    fp = precision.forecast_precision(
        tiny.forecast_submissions, tiny.opportunities, stages=STAGES
    ).set_index(["owner_id", "period"])
    assert fp.loc[("R3", "2026-09")].to_dict() == pytest.approx(
        {
            "forecast": 60_000,
            "actual": 50_000,
            "error": 10_000,
            "abs_pct_error": 0.2,
            "accuracy": 0.8,
        }
    )
    assert np.isnan(fp.loc[("R1", "2026-09"), "accuracy"])  # nothing booked: undefined
    summary = precision.precision_summary(fp.reset_index())
    # WAPE = (10,000 + 0 + 10,000 + 30,000) / (0 + 12,000 + 50,000 + 0)
    assert summary["wape"] == pytest.approx(50_000 / 62_000)
    assert summary["bias"] == pytest.approx(50_000 / 62_000)  # every miss is over
    assert summary["mape"] == pytest.approx(0.1)


def test_forecast_precision_of_won_deals_without_amounts_is_unknown(tiny):
    """R3's September win, O5, without an amount: A read 0, so the 60,000 commit read as a
    60,000 over-forecast in the error and the bias. The row is unknown, with the reason,
    and left out of the summary: bias (0 + 10,000 + 30,000) / (0 + 12,000 + 0)."""
    from salesops.analytics import gaps

    o = tiny.opportunities.copy()
    o.loc[o["opportunity_id"] == "O5", "amount"] = np.nan
    fp = precision.forecast_precision(tiny.forecast_submissions, o, stages=STAGES)
    row = fp.set_index(["owner_id", "period"]).loc[("R3", "2026-09")]
    why = "none of the deals won in 2026-09 has an amount"
    assert {gaps.why(row[c]) for c in ("actual", "error", "abs_pct_error", "accuracy")} == {why}
    summary = precision.precision_summary(fp)
    assert summary["forecasts"] == 3
    assert summary["bias"] == pytest.approx(40_000 / 12_000)


def test_accuracy_is_floored_at_zero():
    subs = pd.DataFrame(
        {
            "owner_id": ["A"],
            "period": ["2026-09"],
            "submitted_at": [pd.Timestamp("2026-09-01")],
            "category": ["commit"],
            "amount": [300.0],
        }
    )
    opps = pd.DataFrame(
        {
            "owner_id": ["A"],
            "stage": ["Closed Won"],
            "close_date": [pd.Timestamp("2026-09-10")],
            "amount": [100.0],
            "created_date": [pd.Timestamp("2026-08-01")],
        }
    )
    fp = precision.forecast_precision(subs, opps, stages=STAGES)
    assert fp["accuracy"].iloc[0] == 0  # 1 - 200/100 < 0


def test_the_last_submission_counts(tiny):
    subs = pd.concat(
        [
            tiny.forecast_submissions,
            pd.DataFrame(
                {
                    "owner_id": ["R3"],
                    "period": ["2026-09"],
                    "submitted_at": [pd.Timestamp("2026-09-20")],
                    "category": ["commit"],
                    "amount": [50_000.0],
                }
            ),
        ],
        ignore_index=True,
    )
    fp = precision.forecast_precision(subs, tiny.opportunities, stages=STAGES).set_index(
        ["owner_id", "period"]
    )
    assert fp.loc[("R3", "2026-09"), "accuracy"] == 1


def _subs(rows: list[tuple]) -> pd.DataFrame:
    """Submissions of (owner, period, submitted_at, category, amount)."""
    frame = pd.DataFrame(rows, columns=["owner_id", "period", "submitted_at", "category", "amount"])
    return frame.assign(submitted_at=pd.to_datetime(frame["submitted_at"]))


def _won(rows: list[tuple]) -> pd.DataFrame:
    """Won deals of (owner, close_date, amount)."""
    frame = pd.DataFrame(rows, columns=["owner_id", "close_date", "amount"])
    return frame.assign(
        stage="Closed Won",
        close_date=pd.to_datetime(frame["close_date"]),
        created_date=pd.Timestamp("2026-01-01"),
    )


def test_another_category_is_compared_and_a_rep_who_won_nothing_has_no_accuracy():
    """Best case: A said 150 and booked 100 + 20 = 120 in March: error 30, |A − F| / A
    = 0.25, accuracy 0.75. B said 40 and won nothing: A = 0, error 40, the percentages
    undefined (NaN). A's commit row is not a best-case row."""
    subs = _subs(
        [
            ("A", "2026-03", "2026-03-01", "commit", 100.0),
            ("A", "2026-03", "2026-03-02", "best_case", 150.0),
            ("B", "2026-03", "2026-03-02", "best_case", 40.0),
        ]
    )
    opps = _won([("A", "2026-03-05", 100.0), ("A", "2026-03-25", 20.0), ("B", "2026-04-02", 9.0)])
    fp = precision.forecast_precision(subs, opps, "best_case", stages=STAGES).set_index("owner_id")
    assert fp.loc["A", ["forecast", "actual", "error"]].tolist() == [150.0, 120.0, 30.0]
    assert fp.loc["A", ["abs_pct_error", "accuracy"]].tolist() == pytest.approx([0.25, 0.75])
    assert fp.loc["B", ["actual", "error"]].tolist() == [0.0, 40.0]
    assert fp.loc["B", ["abs_pct_error", "accuracy"]].isna().all()


def test_the_summary_by_group_and_with_nothing_booked():
    """Two periods: 2026-03, A said 150, booked 120 (error 30); 2026-04, A said 10, booked
    nothing (error 10). Per period: March WAPE = bias = 30 / 120 = 0.25, MAPE 0.25;
    April Σ A = 0: WAPE and bias NaN, MAPE NaN (no row with A > 0)."""
    subs = _subs(
        [
            ("A", "2026-03", "2026-03-02", "commit", 150.0),
            ("A", "2026-04", "2026-04-02", "commit", 10.0),
        ]
    )
    fp = precision.forecast_precision(subs, _won([("A", "2026-03-05", 120.0)]), stages=STAGES)
    by = precision.precision_summary(fp, by="period")
    assert by.loc["2026-03", ["forecasts", "wape", "bias", "mape"]].tolist() == pytest.approx(
        [1, 0.25, 0.25, 0.25]
    )
    assert by.loc["2026-04", "forecasts"] == 1
    assert by.loc["2026-04", ["wape", "bias", "mape", "accuracy"]].isna().all()
