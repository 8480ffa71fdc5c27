"""The quarter outlook, by hand: the pipeline forecast, and the run-rate and roll-up as the
outlook uses them (their own tests: test_runrate.py, test_rollup.py). The deals are
conftest's :func:`outlook_deals`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import outlook_deals as _deals
from conftest import outlook_deals_since_2025 as _since_2025

import salesops as so
from salesops.analytics import gaps, outlook, rollup, runrate
from salesops.analytics import pipeline as pl
from salesops.analytics import probability as pr
from salesops.data.stages import Stages

STAGES = Stages.read()


def test_pipeline_forecast_and_roll_up_without_amounts_are_unknown_not_zero():
    deals = _deals()
    open_ = deals["stage"].isin(STAGES.open_names)
    blank = deals.assign(amount=deals["amount"].where(~open_))
    as_of = pd.Timestamp("2026-10-15")
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(blank, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["closed"] == 100.0 and (q4["open_deals"], q4["unpriced_deals"]) == (2, 2)
    assert np.isnan(q4["weighted_pipeline"]) and np.isnan(q4["expected"])
    assert gaps.why(q4["expected"]) == "none of the 2 open deals due in 2026-Q4 has an amount"
    cats = rollup.categories(blank, "2026-Q4", as_of, stages=STAGES)
    assert cats["closed"] == 100.0 and cats[["commit", "best_case", "pipeline"]].isna().all()
    # one of two deals without an amount: the other is summed, the count says so
    partly = deals.assign(amount=deals["amount"].where(deals["opportunity_id"] != "P1"))
    q4 = outlook.pipeline_forecast(partly, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["weighted_pipeline"] == pytest.approx(400 * 0.75) and q4["unpriced_deals"] == 1


def test_without_history_slippage_and_categories_are_unknown_not_100_percent_or_zero():
    deals = _since_2025()
    as_of = pd.Timestamp("2026-10-15")
    share = outlook.in_quarter_share(None, deals, so.Period.parse("2026-Q4"), as_of, stages=STAGES)
    assert np.isnan(share) and "no stage history" in gaps.why(share)
    assert outlook.share_or_all(share) == 1.0 and outlook.share_or_all(0.8) == 0.8
    # the weighted pipeline still counts due deals at full weight: 200 × 0.5 + 400 × 0.75
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(deals, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["weighted_pipeline"] == pytest.approx(400.0) and gaps.why(q4["in_quarter_share"])
    row = q4.copy()
    row["time_series"] = 500.0
    assert np.isnan(outlook.apart(row)["slippage"])  # unknown, not "nothing slips"
    # an export without forecast categories: the roll-ups cannot tell commit from pipeline
    bare = deals.assign(forecast_category=None)
    cats = rollup.categories(bare, "2026-Q4", as_of, stages=STAGES)
    assert cats["closed"] == 100.0
    assert (
        gaps.why(cats["commit"])
        == "none of the 2 open deals due in 2026-Q4 has a forecast category"
    )
    assert cats[["best_case", "pipeline"]].isna().all()
    # no deal due in the quarter: the roll-ups are the closed amount, a known figure
    assert rollup.categories(bare, "2027-Q2", as_of, stages=STAGES).to_dict() == {
        "closed": 0.0,
        "categorised": 0,
        "unpriced": 0,
        "commit": 0.0,
        "best_case": 0.0,
        "pipeline": 0.0,
    }


def test_won_deals_without_amounts_make_closed_and_expected_unknown():
    deals = _since_2025()
    won = deals["stage"] == STAGES.won
    blank = deals.assign(amount=deals["amount"].where(~won))
    as_of = pd.Timestamp("2026-10-15")
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(blank, "2026-Q4", as_of, model, stages=STAGES)
    assert np.isnan(q4["closed"]) and "has no amount" in gaps.why(q4["closed"])
    assert gaps.why(q4["expected"]) == gaps.why(q4["closed"])


# -- the quarter outlook, by hand -----------------------------------------------------------------
class FlatModel(pr.WinModel):
    def __init__(self, p: dict[str, float]):
        self.p = p

    def predict(self, deals, at):
        return deals["stage"].map(self.p)


def test_the_run_rate_needs_quarters_after_the_first_close():
    # _deals: the first close is R1 on 2026-08-30; the four quarters before 2026-Q4 all
    # begin before it, so their zeros are not zeros of the data: the run-rate is unknown
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    as_of = pd.Timestamp("2026-10-15")
    rate = runrate.run_rate(_deals(), so.Period.parse("2026-Q4"), as_of, stages=STAGES)
    assert "since they start (Aug 2026)" in gaps.why(rate)
    q4 = outlook.pipeline_forecast(_deals(), "2026-Q4", as_of, model, stages=STAGES)
    assert q4["weighted_pipeline"] == pytest.approx(400.0) and gaps.why(q4["expected"])


def test_the_run_rate_needs_three_months_of_priced_bookings():
    """Salesforce's $6.03M run-rate was one priced deal (4 of its 5 won deals had no
    amount). Without W0 the four quarters hold two priced months (Aug, Sep 2026): below
    the time series' floor (3), the run-rate is unknown, with the reason; so is the
    outlook's expected total."""
    q4, as_of = so.Period.parse("2026-Q4"), pd.Timestamp("2026-10-15")
    deals = _since_2025()
    assert runrate.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx(30.0 / 4)
    two = deals[deals["opportunity_id"] != "W0"]
    rate = runrate.run_rate(two, q4, as_of, stages=STAGES)
    assert gaps.why(rate) == (
        "only 2 months of won deals with an amount in 2025-Q4 to 2026-Q3 (2 of 2 won deals "
        "priced): a run-rate needs at least 3, so it is unknown"
    )
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    row = outlook.pipeline_forecast(two, q4, as_of, model, stages=STAGES)
    assert gaps.why(row["expected"]) == gaps.why(rate)
    # three won deals in one month are one month: still unknown
    one_month = deals.assign(close_date=deals["close_date"].where(
        ~deals["opportunity_id"].isin(["W0", "W2"]), pd.Timestamp("2026-08-10")))  # fmt: skip
    assert "only 1 month " in gaps.why(runrate.run_rate(one_month, q4, as_of, stages=STAGES))


def test_pipeline_forecast_by_hand():
    deals = _since_2025()
    as_of = pd.Timestamp("2026-10-15")
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    q4 = outlook.pipeline_forecast(deals, "2026-Q4", as_of, model, stages=STAGES)
    assert q4["closed"] == 100.0
    assert q4["weighted_pipeline"] == pytest.approx(200 * 0.5 + 400 * 0.75)  # no history: share 1
    # run-rate: Q3..Q2 2026 and earlier, cut 15 days into each: R1 (created 07-20 > 07-15) in Q3
    assert q4["run_rate"] == pytest.approx(30.0 / 4)
    assert q4["expected"] == pytest.approx(100 + 400 + 7.5)
    q1 = outlook.pipeline_forecast(deals, "2027-Q1", as_of, model, stages=STAGES)
    assert (q1["closed"], q1["weighted_pipeline"]) == (0.0, pytest.approx(300.0))


def test_what_sets_the_pipeline_view_apart_from_the_time_series_by_hand():
    deals = _since_2025()  # bookings start in 2025: the run-rate has its four quarters
    deals.loc[deals["opportunity_id"] == "P1", "amount"] = np.nan  # an open deal, no amount
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    row = outlook.pipeline_forecast(
        deals, "2026-Q4", pd.Timestamp("2026-10-15"), model, stages=STAGES
    )
    # due in Q4: P1 (no amount) and N1 (overdue); closed 100, weighted 400 × 0.75 = 300,
    # run-rate 7.5
    assert (row["open_deals"], row["unpriced_deals"]) == (2.0, 1.0)
    assert row["expected"] == pytest.approx(407.5)
    row["time_series"] = 1630.0
    why = outlook.apart(row)
    assert why["ratio"] == pytest.approx(0.25)
    assert (why["unpriced"], why["open_deals"]) == (1.0, 2.0)
    assert np.isnan(why["slippage"])  # no stage history: not measured, not "nothing slips"
    assert why["run_rate"] == pytest.approx(7.5 / 407.5)


# -- the deals at a moment, and what a quarter not started can know -------------------------------
def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("created_date", "close_date", "changed_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


DEAL = ["opportunity_id", "created_date", "close_date", "stage", "amount", "forecast_category"]
ROW = ["opportunity_id", "changed_at", "stage", "amount", "close_date", "forecast_category"]


def test_the_outlooks_open_pipeline_is_pipeline_as_of_where_history_starts_later():
    """On 15 Oct 2026 (by hand): A from its history row of 1 Jun (Discovery, 150, due 10
    Dec); B, open in the export with no history row before then, as exported
    (Negotiation, 400, due 1 Dec); C, won on 10 Nov with its only row that day, open then
    in the first open stage (Prospecting), 300, due on the day it closed; D lost on 1 Sep:
    closed; E created on 20 Oct: not yet; F from its row (Discovery, 1000, due Feb 2027).
    Before, the outlook rebuilt the deals from the history alone and saw only A and F."""
    deals = _frame(
        [
            ("A", "2026-06-01", "2026-11-20", "Proposal", 200.0, "best_case"),
            ("B", "2026-07-01", "2026-12-01", "Negotiation", 400.0, "commit"),
            ("C", "2026-08-01", "2026-11-10", "Closed Won", 300.0, "closed"),
            ("D", "2026-05-01", "2026-09-01", "Closed Lost", 80.0, "omitted"),
            ("E", "2026-10-20", "2026-12-20", "Proposal", 500.0, "best_case"),
            ("F", "2026-09-01", "2027-02-01", "Discovery", 1000.0, "pipeline"),
        ],
        DEAL,
    )
    history = _frame(
        [
            ("A", "2026-06-01", "Discovery", 150.0, "2026-12-10", "pipeline"),
            ("A", "2026-11-01", "Proposal", 200.0, "2026-11-20", "best_case"),
            ("B", "2026-11-05", "Negotiation", 400.0, "2026-12-01", "commit"),
            ("C", "2026-11-10", "Closed Won", 300.0, "2026-11-10", "closed"),
            ("F", "2026-09-01", "Discovery", 1000.0, "2027-02-01", "pipeline"),
        ],
        ROW,
    )
    as_of, moment = pd.Timestamp("2026-10-15"), pd.Timestamp("2026-10-16")
    model = pr.WinModel.stage_defaults(STAGES)
    for quarter, ids in (("2026-Q4", ["A", "B", "C"]), ("2027-Q1", ["F"])):
        row = outlook.pipeline_forecast(
            deals, quarter, as_of, model, stages=STAGES, history=history
        )
        pipe = pl.pipeline_as_of(history, moment, quarter, opportunities=deals, stages=STAGES)
        assert row["open_deals"] == pipe["deals"] == len(ids), quarter
        assert gaps.why(row["in_quarter_share"])  # nothing due in a past quarter: r = 1
        assert row["weighted_pipeline"] == pytest.approx(pipe["weighted"]), quarter
    q4 = pl.pipeline_as_of(history, moment, "2026-Q4", opportunities=deals, stages=STAGES)
    assert (q4["amount"], q4["weighted"]) == (850.0, pytest.approx(45 + 300 + 15))
    opened = outlook.open_at(deals, as_of, STAGES, history=history).set_index("opportunity_id")
    assert opened["stage"].to_dict() == {
        "A": "Discovery", "B": "Negotiation", "C": "Prospecting", "F": "Discovery"
    }  # fmt: skip
    everything = pl.pipeline_as_of(history, moment, opportunities=deals, stages=STAGES)
    assert opened["amount"].sum() == everything["amount"] == 1850.0


def test_the_in_quarter_share_counts_what_was_due_at_the_end_of_the_matching_day():
    """2026-Q4 seen on 15 Oct: of the past quarters only 2026-Q3 (seen on 15 Jul) holds
    deals. H1 was due in Q3 and won in it (100); H2's close date moved into Q3 during 15
    Jul and it was won in October (100, slipped): r = 100 / 200. N1 (won 10 Sep, 300) has
    no history row before 16 Jul: when it was due then is not known, only when it closed,
    so it is left out (counted, it would be won inside by construction: 400 / 500)."""
    deals = _frame(
        [
            ("H1", "2026-06-01", "2026-08-20", "Closed Won", 100.0, "closed"),
            ("H2", "2026-06-01", "2026-10-05", "Closed Won", 100.0, "closed"),
            ("N1", "2026-06-01", "2026-09-10", "Closed Won", 300.0, "closed"),
        ],
        DEAL,
    )
    history = _frame(
        [
            ("H1", "2026-06-01", "Proposal", 100.0, "2026-08-31", "best_case"),
            ("H1", "2026-08-20", "Closed Won", 100.0, "2026-08-20", "closed"),
            ("H2", "2026-06-01", "Proposal", 100.0, "2026-10-31", "best_case"),
            ("H2", "2026-07-15 10:00", "Proposal", 100.0, "2026-09-15", "best_case"),
            ("H2", "2026-10-05", "Closed Won", 100.0, "2026-10-05", "closed"),
            ("N1", "2026-09-10", "Closed Won", 300.0, "2026-09-10", "closed"),
        ],
        ROW,
    )
    q4, as_of = so.Period.parse("2026-Q4"), pd.Timestamp("2026-10-15")
    share = outlook.in_quarter_share(history, deals, q4, as_of, stages=STAGES)
    assert share == pytest.approx(0.5)


def test_a_quarter_not_started_is_zero_only_where_the_data_could_show_it():
    """2027-Q2 seen on 15 Oct 2026 (nothing due in it; D1 is due in Q1). With closes and
    priced open deals (_deals): closed and weighted are known zeros. Open deals without
    amounts: the weighted pipeline is unknown, not $0 (no deal is due, but none could
    show an amount); closed stays $0, as won deals with amounts show closes. No deal
    closed at all (an export such as HubSpot's): closed is unknown in every quarter, the
    current one too, and so is the expected total."""
    model = FlatModel({"Proposal": 0.5, "Negotiation": 0.75, "Discovery": 0.3})
    as_of = pd.Timestamp("2026-10-15")
    deals = _since_2025()
    q2 = outlook.pipeline_forecast(deals, "2027-Q2", as_of, model, stages=STAGES)
    assert (q2["closed"], q2["weighted_pipeline"], q2["open_deals"]) == (0.0, 0.0, 0.0)
    open_ = deals["stage"].isin(STAGES.open_names)
    blank = deals.assign(amount=deals["amount"].where(~open_))
    q2 = outlook.pipeline_forecast(blank, "2027-Q2", as_of, model, stages=STAGES)
    assert q2["closed"] == 0.0 and gaps.why(q2["weighted_pipeline"]) == (
        "no open deal is due in 2027-Q2, and none of the 3 open deals has an amount: the "
        "data shows no amount to weigh, so $0 is not known"
    )
    assert gaps.why(q2["expected"])
    # the roll-ups of that quarter say the same, not $0 beside the pipeline view's – (the
    # Maven CRM export's next quarter: commit, best case and pipeline read $0)
    cats = rollup.categories(blank, "2027-Q2", as_of, stages=STAGES)
    assert cats["closed"] == 0.0 and cats["categorised"] == 0
    for roll_up in ("commit", "best_case", "pipeline"):
        assert gaps.why(cats[roll_up]) == gaps.why(q2["weighted_pipeline"]), roll_up
    never = blank[open_]  # only open deals, none priced, none closed
    for quarter in ("2026-Q4", "2027-Q2"):
        row = outlook.pipeline_forecast(never, quarter, as_of, model, stages=STAGES)
        assert gaps.why(row["closed"]) == "no bookings: the source holds no closed deal", quarter
        assert gaps.why(row["weighted_pipeline"]) and gaps.why(row["expected"])
    # the current quarter on its eve (nothing of it known yet): the same rule
    eve = pd.Timestamp("2026-09-30")
    assert outlook.closed_to_date(deals, so.Period.parse("2026-Q4"), eve, stages=STAGES) == 0.0
    assert gaps.why(outlook.closed_to_date(never, so.Period.parse("2026-Q4"), eve, stages=STAGES))
    # closes the data shows only after the day seen: none had closed by then
    late = deals[deals["close_date"] >= "2026-08-01"]  # W1 (Oct), R1 (Aug 30), ...
    day = pd.Timestamp("2026-08-15")
    q3 = so.Period.parse("2026-Q3")
    assert gaps.why(outlook.closed_to_date(late, q3, day, stages=STAGES))
    assert outlook.closed_to_date(late, q3, pd.Timestamp("2026-09-01"), stages=STAGES) == 30.0
