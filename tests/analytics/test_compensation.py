"""The commission engine, checked against cases computed by hand.

Plan (parameters/comp_plan.yml): 4% below 50% attainment, 8% to 100%, 12% to 150%,
16% to the 200% cap; monthly statements, quarterly true-up. Quota 100 unless said.
"""

from __future__ import annotations

import pandas as pd
import pytest

from salesops.analytics import compensation as comp
from salesops.data.periods import Period
from salesops.errors import ConfigError, DataError

PLAN = comp.CompPlan.read()


@pytest.mark.parametrize(
    ("bookings", "expected"),
    [
        (0, 0.0),
        (40, 40 * 0.04),  # below the threshold: the decelerator only
        (50, 50 * 0.04),  # exactly at the threshold
        (100, 50 * 0.04 + 50 * 0.08),  # exactly 100%: 2 + 4
        (120, 6 + 20 * 0.12),  # in the first accelerator
        (170, 6 + 50 * 0.12 + 20 * 0.16),  # in the second: 6 + 6 + 3.2
        (200, 6 + 6 + 50 * 0.16),  # at the cap
        (300, 20.0),  # past the cap: nothing more
    ],
)
def test_payout_by_hand(bookings, expected):
    assert PLAN.payout(bookings, 100) == pytest.approx(expected)


def test_breakdown_shows_each_tier():
    tiers = PLAN.breakdown(120, 100)
    assert tiers["bookings"].tolist() == pytest.approx([50, 50, 20, 0])
    assert tiers["rate"].tolist() == [0.04, 0.08, 0.12, 0.16]
    assert tiers.index.tolist() == ["decelerator", "base", "accelerator 1", "accelerator 2"]
    with pytest.raises(ValueError, match="positive quota"):
        PLAN.breakdown(10, 0)


def _opps(rows):
    frame = pd.DataFrame(rows, columns=["owner_id", "close_date", "stage", "amount"])
    frame["close_date"] = pd.to_datetime(frame["close_date"])
    return frame


def _quotas(rep, amounts):
    return pd.DataFrame(
        {"rep_id": rep, "month": pd.to_datetime(list(amounts)), "amount": list(amounts.values())}
    )


REP = pd.Series({"rep_id": "R1", "hire_date": pd.Timestamp("2020-01-01"), "end_date": pd.NaT})
WON = "Closed Won"


def test_quota_changed_mid_quarter_and_the_true_up():
    opps = _opps(
        [
            ("R1", "2026-07-10", WON, 100),
            ("R1", "2026-08-10", WON, 100),
            ("R1", "2026-09-10", WON, 300),
            ("R2", "2026-09-10", WON, 999),  # someone else's
        ]
    )
    quotas = _quotas("R1", {"2026-07-01": 100, "2026-08-01": 200, "2026-09-01": 200})
    july = comp.statement(PLAN, REP, opps, quotas, month="2026-07")
    assert (july.commission, july.true_up) == (pytest.approx(6.0), 0.0)
    august = comp.statement(PLAN, REP, opps, quotas, month="2026-08")
    assert august.commission == pytest.approx(100 * 0.04)  # 50% of the new quota of 200
    september = comp.statement(PLAN, REP, opps, quotas, month="2026-09")
    assert september.commission == pytest.approx(100 * 0.04 + 100 * 0.08 + 100 * 0.12)  # 24
    # The quarter on cumulative numbers: 500 booked on 500 quota -> 250 × 4% + 250 × 8% = 30;
    # the months paid 6 + 4 + 24 = 34, so 4 is recovered.
    assert september.true_up == pytest.approx(30 - 34)
    assert september.payable == pytest.approx(20.0)
    assert september.months["commission"].tolist() == pytest.approx([6, 4, 24])


def test_a_deal_won_without_an_amount_earns_no_known_commission():
    """July: 100 won on 100 (6.0). August: a deal of 100 and one without an amount: the
    commission read 4% × 100 = 4.0 on 200 quota (the other deal as $0); it is unknown, with
    the reason, and so is the payable. September: the quarter's true-up would pay on
    August's deals as priced: unknown too, while September's own commission is known."""
    from salesops.analytics import gaps

    opps = _opps(
        [
            ("R1", "2026-07-10", WON, 100),
            ("R1", "2026-08-10", WON, 100),
            ("R1", "2026-08-20", WON, None),
            ("R1", "2026-09-10", WON, 300),
        ]
    )
    quotas = _quotas("R1", {"2026-07-01": 100, "2026-08-01": 200, "2026-09-01": 200})
    august = comp.statement(PLAN, REP, opps, quotas, month="2026-08")
    why = (
        "1 of 2 deals won in 2026-08 has no amount: a deal without an amount earns no known "
        "commission"
    )
    assert gaps.why(august.commission) == why and gaps.why(august.payable) == why
    assert {gaps.why(v) for v in august.tiers["commission"]} == {why}
    assert august.months.loc["2026-08", "bookings"] == 100  # the deals with an amount
    assert august.months.loc["2026-07", "commission"] == pytest.approx(6.0)
    september = comp.statement(PLAN, REP, opps, quotas, month="2026-09")
    assert september.commission == pytest.approx(24.0)
    assert gaps.why(september.true_up) == f"the true-up of 2026-Q3 is unknown: {why}"
    assert gaps.why(september.payable) == gaps.why(september.true_up)
    # a month whose only win has no amount: its bookings are unknown, not $0
    opps = _opps([("R1", "2026-07-10", WON, None)])
    july = comp.statement(PLAN, REP, opps, quotas, month="2026-07")
    assert gaps.why(july.months.loc["2026-07", "bookings"]) == (
        "none of the deals won in 2026-07 has an amount"
    )
    assert gaps.why(july.commission).startswith("the one deal won in 2026-07 has no amount")


def test_no_commission_is_known_when_the_quarantine_set_aside_every_closed_deal():
    """A rep's deals of which the quarantine set aside every closed one (the load says so
    in their ``attrs``): the statement read $0 bookings and $0 commission; every month,
    the commission, the payable and the true-up are unknown, with the reason."""
    from salesops.analytics import gaps
    from salesops.data.scopes import CLOSED_ASIDE, WHERE

    opps = _opps([("R1", "2026-08-10", "Negotiation", 100)])
    opps.attrs |= {CLOSED_ASIDE: True, WHERE: "of this rep"}
    quotas = _quotas("R1", {"2026-07-01": 100, "2026-08-01": 100, "2026-09-01": 100})
    september = comp.statement(PLAN, REP, opps, quotas, month="2026-09")
    why = "the quarantine set aside every closed deal of this rep for a broken rule"
    assert {gaps.why(v) for v in september.months["bookings"]} == {why}
    assert {gaps.why(v) for v in september.months["commission"]} == {why}
    assert gaps.why(september.true_up) == f"the true-up of 2026-Q3 is unknown: {why}"
    assert gaps.why(september.payable) == why


def test_a_rep_who_left_mid_month():
    rep = pd.Series(
        {
            "rep_id": "R1",
            "hire_date": pd.Timestamp("2020-01-01"),
            "end_date": pd.Timestamp("2026-08-15"),
        }
    )
    opps = _opps(
        [
            ("R1", "2026-08-10", WON, 40),
            ("R1", "2026-08-20", WON, 20),  # after leaving: not paid on
        ]
    )
    quotas = _quotas("R1", {"2026-07-01": 100, "2026-08-01": 100, "2026-09-01": 100})
    august = comp.statement(PLAN, rep, opps, quotas, month="2026-08")
    quota = 100 * 15 / 31  # prorated to the 15 days employed
    assert august.months.loc["2026-08", "quota"] == pytest.approx(quota)
    assert august.commission == pytest.approx(quota / 2 * 0.04 + (40 - quota / 2) * 0.08)
    with pytest.raises(DataError, match="was not employed in 2026-09"):
        comp.statement(PLAN, rep, opps, quotas, month="2026-09")


def test_a_missing_quota_is_a_clear_error():
    opps = _opps([("R1", "2026-08-10", WON, 40)])
    quotas = _quotas("R1", {"2026-07-01": 100})
    with pytest.raises(DataError) as caught:
        comp.statement(PLAN, REP, opps, quotas, month="2026-08")
    text = str(caught.value)
    assert "quotas" in text and "amount" in text and "R1" in text and "2026-08" in text


def test_the_hire_month_without_a_quota_is_not_paid_on():
    rep = pd.Series({"rep_id": "R1", "hire_date": pd.Timestamp("2026-07-20"), "end_date": pd.NaT})
    opps = _opps([("R1", "2026-08-10", WON, 100)])
    quotas = _quotas("R1", {"2026-08-01": 100, "2026-09-01": 100})
    september = comp.statement(PLAN, rep, opps, quotas, month="2026-09")
    assert september.months.index.tolist() == ["2026-08", "2026-09"]
    assert september.true_up == pytest.approx(PLAN.payout(100, 200) - 6.0)


def test_annual_true_up():
    plan = comp.CompPlan.from_dict({**_plan_dict(), "true_up": "year"})
    assert plan.true_up_period(Period.parse("2026-09")) is None
    assert plan.true_up_period(Period.parse("2026-12")).label == "2026"


def _plan_dict():
    return {
        "base_rate": 0.08,
        "decelerator": {"below": 0.5, "rate": 0.04},
        "accelerators": [{"from": 1.0, "rate": 0.12}, {"from": 1.5, "rate": 0.16}],
        "cap": 2.0,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"accelerators": [{"from": 1.0, "rate": 0.12}, {"from": 1.0, "rate": 0.16}]},
            "overlap or are out of order",
        ),
        (
            {
                "accelerators": [
                    {"from": 1.0, "rate": 0.12},
                    {"from": 1.5, "rate": 0.2},
                    {"from": 1.2, "rate": 0.3},
                ]
            },
            "overlap or are out of order",
        ),
        ({"accelerators": [{"from": 1.2, "rate": 0.12}]}, "must start at 1.0"),
        ({"base_rate": -0.01}, "base_rate: must not be negative, got -0.01"),
        (
            {"accelerators": [{"from": 1.0, "rate": -0.1}]},
            "accelerators #1.rate: must not be negative",
        ),
        (
            {"decelerator": {"below": 1.2, "rate": 0.04}},
            r"decelerator.below: must be an attainment in \[0, 1\)",
        ),
        ({"cap": 1.2}, "cap 1.2 must be above the last tier's start 1.5"),
        ({"base_rate": "eight"}, "base_rate: must be a number"),
        ({"true_up": "weekly"}, "true_up: must be 'quarter', 'year' or 'none', got 'weekly'"),
        ({"bonus": 5}, "bonus: unknown key"),
    ],
)
def test_plan_errors_name_the_problem(change, message):
    with pytest.raises(ConfigError, match=message):
        comp.CompPlan.from_dict({**_plan_dict(), **change}, origin="comp_plan.yml")


def test_a_broken_plan_file_names_its_line(tmp_path):
    path = tmp_path / "comp_plan.yml"
    path.write_text("base_rate: 0.08\naccelerators: [from: 1.0\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        comp.CompPlan.read(path)
