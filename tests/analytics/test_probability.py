"""Win probability of open deals: calibration, Brier score and reliability, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops.analytics import probability as pr
from salesops.data.stages import Stages

STAGES = Stages.read()


# -- win probability ----------------------------------------------------------------------------
def test_calibration_recovers_known_probabilities():
    """Synthetic deals whose true win probability depends on stage and age."""
    rng = np.random.default_rng(7)
    n, cycle = 60_000, 100.0
    stage = rng.choice(STAGES.open_names, n)
    age = rng.uniform(0, 300, n)
    base = pd.Series(dict(zip(STAGES.open_names, [0.1, 0.2, 0.4, 0.6, 0.8], strict=True)))
    truth = base[stage].to_numpy() * np.where(age > 2 * cycle, 0.25, 1.0)
    won = (rng.uniform(size=n) < truth).astype(int)
    data = pd.DataFrame({"stage": stage, "age_days": age, "won": won})
    model = pr.WinModel.from_examples(data, cycle, STAGES)
    estimate = model.cell_probability(data["stage"], pr.band(data["age_days"], cycle))
    assert np.abs(estimate - truth).max() < 0.04
    stage_default = pd.Series(stage).map(STAGES.probabilities)
    assert pr.brier(estimate, won) < pr.brier(stage_default, won)
    assert pr.brier(estimate, won) == pytest.approx(pr.brier(truth, won), abs=0.002)
    table = pr.reliability(estimate, won)
    assert (table["observed"] - table["predicted"]).abs().max() < 0.03


def test_brier_and_reliability_by_hand():
    p, y = np.array([0.9, 0.2, 0.15, 0.6]), np.array([1, 0, 1, 0])
    assert pr.brier(p, y) == pytest.approx((0.01 + 0.04 + 0.7225 + 0.36) / 4)
    table = pr.reliability(p, y, bins=2)
    assert table["deals"].tolist() == [2, 2]
    assert table["observed"].tolist() == [0.5, 0.5]
    assert table["predicted"].tolist() == pytest.approx([0.175, 0.75])


def test_a_thin_cell_is_shrunk_towards_its_stage():
    data = pd.DataFrame({"stage": ["Proposal"] * 2, "age_days": [10, 10], "won": [1, 1]})
    model = pr.WinModel.from_examples(data, 100.0, STAGES)
    stage_rate = (2 + pr.PRIOR * 0.5) / (2 + pr.PRIOR)
    assert model.stage_rates["Proposal"] == pytest.approx(stage_rate)
    cell = model.cells.loc[("Proposal", "0–0.25× cycle"), "probability"]
    assert cell == pytest.approx((2 + pr.PRIOR * stage_rate) / (2 + pr.PRIOR))
    assert model.stage_rates["Prospecting"] == pytest.approx(0.05)  # no data: the default


def test_examples_label_outcomes_within_a_year():
    history = pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "B", "B", "C"],
            "changed_at": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-01-05", "2025-02-01", "2025-01-05"]
            ),
            "stage": ["Proposal", "Closed Won", "Discovery", "Closed Lost", "Negotiation"],
            "amount": [10.0, 10, 20, 20, 30],
            "close_date": pd.to_datetime(["2025-03-01"] * 5),
            "forecast_category": ["best_case"] * 5,
        }
    )
    opps = pd.DataFrame(
        {"opportunity_id": ["A", "B", "C"], "created_date": pd.to_datetime(["2025-01-01"] * 3)}
    )
    got = pr.examples(
        history, opps, [pd.Timestamp("2025-01-10")], pd.Timestamp("2026-06-01"), stages=STAGES
    )
    assert dict(zip(got["opportunity_id"], got["won"], strict=True)) == {"A": 1, "B": 0, "C": 0}
    assert got["age_days"].tolist() == [9, 9, 9]
    # a year not yet passed: the still-open deal C has no label yet
    early = pr.examples(
        history, opps, [pd.Timestamp("2025-01-10")], pd.Timestamp("2025-06-01"), stages=STAGES
    )
    assert sorted(early["opportunity_id"]) == ["A", "B"]


def test_a_snapshot_with_no_labelled_deal_adds_no_blank_rows_and_calibration_is_scored():
    """At a month start with open deals but none labelled yet (no outcome, and the year not
    passed), the snapshot adds nothing: before, it added one blank row per open deal
    (stage NaN, won 0), which made every Brier score of the calibration NaN."""
    history = pd.DataFrame(
        {
            "opportunity_id": ["A", "A", "B"],
            "changed_at": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-01-05"]),
            "stage": ["Proposal", "Closed Won", "Negotiation"],
            "amount": [10.0, 10, 30],
            "close_date": pd.to_datetime(["2025-03-01"] * 3),
            "forecast_category": ["best_case"] * 3,
        }
    )
    opps = pd.DataFrame(
        {
            "opportunity_id": ["A", "B"],
            "created_date": pd.to_datetime(["2025-01-01"] * 2),
            "stage": ["Closed Won", "Negotiation"],
            "close_date": pd.to_datetime(["2025-02-10", "2025-03-01"]),
        }
    )
    dates = [pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01")]
    got = pr.examples(history, opps, dates, pd.Timestamp("2025-03-01"), stages=STAGES)
    # 1 Feb: A (won on 10 Feb) is labelled 1; B has no outcome and its year runs on.
    # 1 Mar: A is closed; B, still open, is not labelled yet.
    assert got[["opportunity_id", "date", "won"]].values.tolist() == [
        ["A", pd.Timestamp("2025-02-01"), 1]
    ]
    assert got["stage"].notna().all()
    # fitted a year earlier, before the history: no example (a typed empty frame), and the
    # one test example (A on 1 Feb) is scored
    scores, _ = pr.calibration(history, opps, pd.Timestamp("2025-03-01"), stages=STAGES)
    assert scores["deals"].tolist() == [1, 1, 1]
    # nothing learnt: the calibrated estimate is A's stage default, as is the default's
    expected = (1 - STAGES.probabilities["Proposal"]) ** 2
    assert scores.loc[["calibrated", "stage default"], "brier"].tolist() == [expected] * 2
    # a history with no row at all (a region's share of a short export): nothing to score
    scores, _ = pr.calibration(history.iloc[:0], opps, pd.Timestamp("2025-03-01"), stages=STAGES)
    assert scores["deals"].tolist() == [0, 0, 0]


def test_without_stage_history_win_probabilities_are_the_stage_defaults():
    model = pr.WinModel.fit(None, pd.DataFrame(), pd.Timestamp("2026-09-30"), stages=STAGES)
    deals = pd.DataFrame(
        {
            "stage": ["Qualification", "Negotiation", "Negotiation"],
            "created_date": pd.to_datetime(["2026-09-01", "2026-01-01", "2026-09-20"]),
        }
    )
    expected = [STAGES.probabilities[s] for s in deals["stage"]]
    assert model.predict(deals, pd.Timestamp("2026-09-30")).tolist() == expected
    assert model.learnt_from == 0  # the reports then say "each stage's default"


def test_a_history_with_no_open_deal_at_a_months_end_teaches_nothing():
    """A connector's history that begins after the deals closed (Fivetran's history mode):
    no snapshot holds an open deal, so the model is the stage defaults and says so."""
    deals = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2"],
            "created_date": pd.to_datetime(["2026-09-02", "2026-09-03"]),
            "close_date": pd.to_datetime(["2026-09-10", "2026-09-12"]),
            "stage": ["Closed Won", "Closed Lost"],
            "amount": [100.0, 50.0],
        }
    )
    history = pd.DataFrame(
        {
            "opportunity_id": ["D1", "D2"],
            "changed_at": pd.to_datetime(["2026-09-20", "2026-09-20"]),
            "stage": ["Closed Won", "Closed Lost"],
            "amount": [100.0, 50.0],
            "close_date": pd.to_datetime(["2026-09-10", "2026-09-12"]),
            "forecast_category": ["closed", "omitted"],
        }
    )
    model = pr.WinModel.fit(history, deals, pd.Timestamp("2026-09-30"), stages=STAGES)
    assert model.learnt_from == 0
    fitted = pr.WinModel.from_examples(
        pd.DataFrame({"stage": ["Proposal"] * 3, "age_days": [5, 9, 40], "won": [1, 0, 1]}),
        30.0,
        STAGES,
    )
    assert fitted.learnt_from == 3
