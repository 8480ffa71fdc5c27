"""The quarter outlook, by hand: the pipeline forecast, the run-rate (analytics.runrate) and the
forecast-category roll-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
def _deals() -> pd.DataFrame:
    rows = [
        # id, created, close, stage, amount, category
        ("W1", "2026-07-05", "2026-10-10", "Closed Won", 100.0, "closed"),  # closed in Q4
        ("W2", "2026-05-01", "2026-09-20", "Closed Won", 50.0, "closed"),  # Q3
        ("P1", "2026-08-01", "2026-12-15", "Proposal", 200.0, "best_case"),  # due in Q4
        ("N1", "2026-06-01", "2026-09-30", "Negotiation", 400.0, "commit"),  # overdue -> Q4
        ("D1", "2026-10-01", "2027-02-01", "Discovery", 1000.0, "pipeline"),  # Q1
        ("R1", "2026-07-20", "2026-08-30", "Closed Won", 30.0, "closed"),  # Q3, created late in Q3
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "opportunity_id",
            "created_date",
            "close_date",
            "stage",
            "amount",
            "forecast_category",
        ],
    )
    for column in ("created_date", "close_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


class FlatModel(pr.WinModel):
    def __init__(self, p: dict[str, float]):
        self.p = p

    def predict(self, deals, at):
        return deals["stage"].map(self.p)


def _since_2025() -> pd.DataFrame:
    """:func:`_deals` with a deal lost in June 2025: bookings start there, so the last four
    quarters before 2026-Q4 are all quarters the data speaks for; and a deal won in Jan
    2026 (created before that quarter's cut, so no run-rate), the third month of priced
    bookings a run-rate needs."""
    old = pd.DataFrame(
        {
            "opportunity_id": ["L0", "W0"],
            "created_date": pd.to_datetime(["2025-04-01", "2025-12-01"]),
            "close_date": pd.to_datetime(["2025-06-10", "2026-01-20"]),
            "stage": ["Closed Lost", "Closed Won"],
            "amount": [70.0, 20.0],
            "forecast_category": ["omitted", "closed"],
        }
    )
    return pd.concat([_deals(), old], ignore_index=True)


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


def test_most_won_deals_without_an_amount_are_said():
    """3 won deals in the run-rate's quarters (W0, W2, R1): with 2 unpriced, the note says
    so; with 1 (not most) it says nothing."""
    q4, as_of = so.Period.parse("2026-Q4"), pd.Timestamp("2026-10-15")
    deals = _since_2025()
    assert runrate.unpriced_wins(deals, q4, as_of, stages=STAGES) == ""
    one = deals.assign(amount=deals["amount"].where(deals["opportunity_id"] != "W2"))
    assert runrate.unpriced_wins(one, q4, as_of, stages=STAGES) == ""
    two = one.assign(amount=one["amount"].where(one["opportunity_id"] != "W0"))
    assert runrate.unpriced_wins(two, q4, as_of, stages=STAGES) == (
        "2 of 3 won deals in 2025-Q4 to 2026-Q3 have no amount: the run-rate counts only "
        "the other 1, and is too low by as much as they were worth"
    )
    # none priced: not "counts only the other 0" (Olist); the run-rate says why it is unknown
    none = two.assign(amount=np.nan)
    assert runrate.unpriced_wins(none, q4, as_of, stages=STAGES) == ""
    assert "0 of 3 won deals priced" in gaps.why(runrate.run_rate(none, q4, as_of, stages=STAGES))


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


def test_the_run_rate_is_seasonal_with_two_years_of_history():
    # one deal a quarter, created after the matching cut and won inside it: a Q4 peak
    won = {
        "2024-Q4": 200.0, "2025-Q1": 50.0, "2025-Q2": 50.0, "2025-Q3": 50.0,
        "2025-Q4": 300.0, "2026-Q1": 100.0, "2026-Q2": 100.0, "2026-Q3": 100.0,
    }  # fmt: skip
    starts = [so.Period.parse(q).start for q in won]
    deals = pd.DataFrame(
        {
            "opportunity_id": [f"D{i}" for i in range(len(won))],
            "stage": "Closed Won",
            "amount": list(won.values()),
            "created_date": [s + pd.Timedelta(days=4) for s in starts],
            "close_date": [s + pd.Timedelta(days=30) for s in starts],
        }
    )
    as_of, q4 = pd.Timestamp("2026-09-30"), so.Period.parse("2026-Q4")
    assert not runrate.seasonal(
        deals, as_of, stages=STAGES
    )  # first deal 2024-10-05, after 2024-07-01
    assert runrate.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx((100 * 3 + 300) / 4)
    older = pd.DataFrame(
        {
            "opportunity_id": ["OLD"],
            "stage": "Closed Lost",
            "amount": [1.0],
            "created_date": [pd.Timestamp("2024-01-02")],
            "close_date": [pd.Timestamp("2024-02-01")],
        }
    )
    deals = pd.concat([deals, older], ignore_index=True)
    assert runrate.seasonal(deals, as_of, stages=STAGES)
    growth = (100 * 3 + 300) / (50 * 3 + 200)
    expected = (300 + 200) / 2 * growth  # the last two Q4s, grown as the last year grew
    assert runrate.run_rate(deals, q4, as_of, stages=STAGES) == pytest.approx(expected)
    # next quarter: the last two Q1s, whatever the position of the quarters in the basis
    q1 = so.Period.parse("2027-Q1")
    assert runrate.run_rate(deals, q1, as_of, stages=STAGES) == pytest.approx(
        (100 + 50) / 2 * growth
    )


def test_categories_submitted_and_quota_by_hand():
    deals = _deals()
    cats = rollup.categories(deals, "2026-Q4", pd.Timestamp("2026-10-15"), stages=STAGES)
    assert cats.to_dict() == {
        "closed": 100.0,
        "categorised": 2,  # the commit and best-case deals due, both priced
        "unpriced": 0,
        "commit": 500.0,
        "best_case": 700.0,
        "pipeline": 700.0,
    }
    subs = pd.DataFrame(
        {
            "owner_id": ["R1", "R1", "R1", "R2"],
            "period": ["2026-10", "2026-10", "2026-11", "2026-10"],
            "submitted_at": pd.to_datetime(
                ["2026-10-01", "2026-10-09", "2026-11-02", "2026-10-03"]
            ),
            "category": ["commit"] * 4,
            "amount": [10.0, 12.0, 20.0, 5.0],
        }
    )
    sent = rollup.submitted(subs, "2026-Q4")
    assert sent["commit"] == 12 + 20 + 5 and np.isnan(sent["best_case"])
    quotas = pd.DataFrame(
        {
            "rep_id": ["R1", "R1"],
            "month": pd.to_datetime(["2026-10-01", "2027-01-01"]),
            "amount": [7.0, 9.0],
        }
    )
    assert rollup.quota(quotas, "2026-Q4") == 7.0 and np.isnan(rollup.quota(quotas, "2027-Q2"))


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


def test_the_real_salesforce_run_rate_is_unknown_not_one_deal():
    """Salesforce's real seed (tests/fixtures/exports/real/salesforce) at 2018-12: 2018-Q4
    holds 4 won deals, one priced (24,120,000): the 2019-Q1 run-rate was $6.03M, that one
    deal over four quarters. Now unknown, and the note says most wins lack an amount."""
    from pathlib import Path

    real = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "salesforce"
    tables = so.load(real / "source.yml", period="2018-12", on_invalid="quarantine")
    q1, day = so.Period.parse("2019-Q1"), pd.Timestamp("2018-12-31")
    o, stages = tables.opportunities, tables.stages
    rate = runrate.run_rate(o, q1, day, stages=stages)
    assert gaps.why(rate) == (
        "only 1 month of won deals with an amount in 2018-Q4 (1 of 4 won deals priced): a "
        "run-rate needs at least 3, so it is unknown"
    )
    assert runrate.unpriced_wins(o, q1, day, stages=stages).startswith(
        "3 of 4 won deals in 2018-Q4 have no amount"
    )


def test_roll_ups_leave_unpriced_deals_out_and_are_unknown_without_any_amount():
    as_of = pd.Timestamp("2026-10-15")
    # P1 (best case, 200) loses its amount: commit = 100 closed + 400 = 500 as before; the
    # best-case category has no priced deal, so best case and pipeline are unknown
    deals = _deals()
    deals.loc[deals["opportunity_id"] == "P1", "amount"] = np.nan
    cats = rollup.categories(deals, "2026-Q4", as_of, stages=STAGES)
    assert cats["commit"] == 500.0
    assert gaps.why(cats["best_case"]) == "the one best case deal due in 2026-Q4 has no amount"
    assert gaps.why(cats["pipeline"]) == gaps.why(cats["best_case"])
    assert (cats["categorised"], cats["unpriced"]) == (2, 1)  # N1 and P1; P1 left out
    # a second commit deal without an amount: commit = 100 + 400, one of 2 commit deals out
    extra = deals.iloc[[3]].assign(opportunity_id="N2", amount=np.nan)
    cats = rollup.categories(pd.concat([deals, extra]), "2026-Q4", as_of, stages=STAGES)
    assert cats["commit"] == 500.0 and (cats["categorised"], cats["unpriced"]) == (3, 2)
    # no deal of the data has an amount: every roll-up is unknown, never $0
    bare = _deals().assign(amount=np.nan)
    cats = rollup.categories(bare, "2027-Q2", as_of, stages=STAGES)  # nothing due then
    why = "none of the 6 deals has an amount: the roll-ups are sums of amounts"
    assert all(gaps.why(cats[k]) == why for k in ("commit", "best_case", "pipeline"))


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
