"""The team review's sections on the tiny CRM, without papermill: each a DataFrame with
numbers computed by hand."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.reports import team_review
from salesops.reports.display import Missing, readable


@pytest.fixture
def east(tiny_dir) -> so.ReportContext:
    return so.ReportContext.load(
        str(tiny_dir), "region:East", "2026-09", comp_plan="parameters/comp_plan.yml"
    )


def test_the_team_is_the_regions_reps_employed_in_the_month(east):
    # Bob Baker left on 2026-08-15, before September; Maria leads, she does not sell
    assert list(team_review.team(east)["rep_id"]) == ["R1"]


def _east_with(tmp_path, tiny_dir, people: list[str], quota: str | None = None):
    """The tiny CRM with more East sellers (``rep_id,name,hire_date`` rows) who own no
    deal, and ``quota`` (a ``rep_id,month,amount`` row)."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    with (crm / "reps.csv").open("a") as f:
        for row in people:
            rep_id, name, hired = row.split(",")
            f.write(f"{rep_id},{name},East,M1,rep,,{hired},\n")
    if quota is not None:
        with (crm / "quotas.csv").open("a") as f:
            f.write(quota + "\n")
    return so.ReportContext.load(
        str(crm), "region:East", "2026-09", comp_plan="parameters/comp_plan.yml"
    )


def test_sellers_without_deals_are_left_out_and_counted(tiny_dir, tmp_path):
    """Two East sellers on the reps file own no deal (an export's 100 owners, most of
    whom sell nothing): not listed at $0; one line says how many and why. A seller hired
    in the last 3 months, or given a quota in them, is listed even without a deal."""
    ctx = _east_with(
        tmp_path,
        tiny_dir,
        ["R8,Old Owner,2019-01-01", "R9,Idle Owner,2020-01-01", "R7,New Hire,2026-08-01"],
        quota="R9,2026-09-01,5000",
    )
    assert sorted(team_review.team(ctx)["rep_id"]) == ["R1", "R7", "R9"]
    board = team_review.leaderboard(ctx)
    assert sorted(board.index) == ["Alice Able", "Idle Owner", "New Hire"]
    caption = board.attrs["view"].caption
    assert "3 sellers, who owned deals in the last 3 months, joined in them" in caption
    assert (
        "1 of the region's 4 sellers employed in 2026-09 owned no deal active since "
        "01 Jul 2026 and is left out: a seller without deals is not a $0 seller" in caption
    )
    summary = team_review.summary(ctx)
    assert summary["reps"] == 3 and summary["reps_without_deals"] == 1
    assert "Old Owner" not in so.show(team_review.territory(ctx)).to_html()


def test_deals_of_sellers_from_another_home_region_are_said_not_silently_left_out(
    tiny_dir, tmp_path
):
    """Cara (R3) and Dan (R4) moved to a home region of no deal, Europe, while their
    deals stay in West: West's review has no seller, and its leaderboard said only "0
    sellers" over West's 5 deals active since July (O5, O6, O7, O8, O10). The caption now
    says they are owned by sellers of another home region. East's review has nothing to
    say, and does not say it."""
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    reps = pd.read_csv(crm / "reps.csv")
    reps.loc[reps["region"] == "West", "region"] = "Europe"
    reps.to_csv(crm / "reps.csv", index=False)
    plan = "parameters/comp_plan.yml"
    west = so.ReportContext.load(str(crm), "region:West", "2026-09", comp_plan=plan)
    board = team_review.leaderboard(west)
    assert board.empty
    assert board.attrs["view"].caption.endswith(
        "0 sellers, who owned deals in the last 3 months, joined in them or have a quota in "
        "them. 5 deals of West active since 01 Jul 2026 are owned by sellers whose home "
        "region is another, and are in no row here (salesops validate says more)"
    )
    east = so.ReportContext.load(str(crm), "region:East", "2026-09", comp_plan=plan)
    assert team_review.elsewhere(east) == ""
    assert "home region" not in team_review.leaderboard(east).attrs["view"].caption


def test_the_leaderboard_is_a_frame_by_rep_with_hand_computed_numbers(east):
    board = team_review.leaderboard(east)
    assert list(board.index) == ["Alice Able"]
    alice = board.loc["Alice Able"]
    assert alice["bookings_qtd"] == 10_000  # O1, won 2026-08-15; O9 closes in October
    assert alice["win_rate"] == 0.5  # July to September: O1 won, O2 lost
    assert alice["commission"] == -200  # September's true-up (tests/batch/test_jobs.py)
    assert readable(board, board.attrs["view"].formats)[1]["Win rate"] == "pct"  # LABELS'
    html = so.show(board).to_html()
    assert "Alice Able" in html and "$10,000" in html and "50%" in html


def test_a_section_without_its_data_says_what_it_needs(tiny_dir, tmp_path):
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    reps = pd.read_csv(crm / "reps.csv").drop(columns="hire_date")
    reps.to_csv(crm / "reps.csv", index=False)
    ctx = so.ReportContext.load(str(crm), "region:East", "2026-09", comp_plan="default")
    ramping = team_review.ramping(ctx)
    assert isinstance(ramping, Missing)
    line = "Ramping reps needs `reps.hire_date`, which this source does not have."
    assert so.show(ramping).data == f"*{line}*"
    shown = team_review.capacity_table(ctx).index
    assert "ramping" not in shown and "Capacity, 2026-Q4" in shown  # nor the ramp row


def test_nobody_ramping_is_said_in_words(east):
    ramping = team_review.ramping(east)
    assert ramping.empty
    assert so.show(ramping).data == "*Nobody is ramping.*"


def test_the_summary_is_plain_json(east):
    summary = team_review.summary(east)
    assert summary["reps"] == 1 and summary["commission_total"] == -200
    assert summary["reps_without_deals"] == 0
    assert summary["scope"] == "region:East" and summary["period"] == "2026-09"
    assert set(summary["capacity"]) == set(team_review.CAPACITY_ROWS)


def test_a_team_review_is_for_a_region(tiny_dir):
    ctx = once(so.ReportContext.load, str(tiny_dir), "company", "2026-09")
    with pytest.raises(ValueError, match="for a region"):
        team_review.title(ctx)


def test_the_team_reviews_capacity_sits_next_to_last_quarters_bookings(tiny_dir):
    tables = once(so.load, tiny_dir)  # the whole company: the review keeps to East's deals
    ctx = so.ReportContext.of(
        tables, "2026-09", "region:East", comp_plan="parameters/comp_plan.yml"
    )
    cap = team_review.capacity(ctx)
    # R1 is East's only seller still employed (R2 left in August); the data starts in July
    # (R2's win on 31 July): R1 booked 10,000 in July to September, all in one month, which
    # is not a rate (gaps.MIN_PRICED: 3 priced months): productivity and capacity are
    # unknown, with the reason, as the forecast of the same data is
    assert cap.name == "2026-Q4" and cap["headcount"] == 1
    why = "only 1 month of won deals with an amount in the 12 months to 30 Sep 2026"
    assert gaps.why(cap["productivity"]).startswith(why)
    assert gaps.why(cap["capacity"]) == gaps.why(cap["productivity"])
    assert cap["booked_last_quarter"] == 10_000 + 8_000  # O1 and O4, not West's O5
    table = team_review.capacity_table(ctx)
    caption = table.attrs["view"].caption
    assert caption.startswith(
        "Capacity for 2026-Q4 (the next quarter: 2026-09 ends 2026-Q3): 1 seller who owned deals"
    )
    assert "booked in 2026-Q3, the quarter before" in caption
    assert table.loc["Booked, 2026-Q3", "2026-Q4"] == 18_000
    shown = so.show(table).to_html()  # "–" with the reason, not $0
    assert why in shown


def test_the_capacity_names_its_quarter(tiny_dir):
    """At a quarter's last month the capacity is for the next quarter, otherwise for the
    one under way: "Capacity" beside "Booked last quarter" read as next quarter's in
    August too. Each row of a quarter now names it, and the caption says which it is."""
    plan = "parameters/comp_plan.yml"
    august = once(so.ReportContext.load, str(tiny_dir), "region:East", "2026-08", comp_plan=plan)
    table = team_review.capacity_table(august)
    assert list(table.index[3:]) == [
        "Ramped rep-months, 2026-Q3",
        "Capacity, 2026-Q3",
        "Booked, 2026-Q2",
        "Target, 2026-Q3",
        "Gap, 2026-Q3",
    ]
    assert table.loc["Target, 2026-Q3", "2026-Q3"] == 48_000  # R1's and R2's quotas
    caption = table.attrs["view"].caption
    assert caption.startswith("Capacity for 2026-Q3 (the quarter under way): ")
    assert "Capacity, 2026-Q3" in so.show(table).to_html()
    assert team_review.summary(august)["capacity_quarter"] == "2026-Q3"


WHY_NO_WIN_RATE = "win rate needs lost deals, of which this source holds none"


def test_win_rates_of_an_export_of_won_deals_only_read_a_dash_with_the_reason(won_only_dir):
    """Alice won O1 in July to September and lost O2, which a won-only export does not
    hold: her win rate read 100%; now "–", with the headline KPI's reason."""
    ctx = so.ReportContext.load(
        str(won_only_dir), "region:East", "2026-09", comp_plan="parameters/comp_plan.yml"
    )
    board = team_review.leaderboard(ctx)
    assert gaps.why(board.loc["Alice Able", "win_rate"]) == WHY_NO_WIN_RATE
    assert board.loc["Alice Able", "bookings_qtd"] == 10_000  # the rest is as it was
    html = so.show(board).to_html()
    assert WHY_NO_WIN_RATE in html and "100%" not in html


def test_unknown_bookings_rank_by_deals_won_not_below_zero(tiny_dir, tmp_path):
    """Alice's one won deal this quarter (O1) has no amount and New Hire won nothing: by
    bookings, Alice's "–" ranked below New Hire's $0 (Olist's leaderboard put 8 reps who
    won nothing above 14 who won); now the board is ordered by deals won, and says so."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "tiny")
    for table in ("opportunities", "opportunity_history"):
        deals = pd.read_csv(crm / f"{table}.csv")
        deals.loc[deals["opportunity_id"] == "O1", "amount"] = None
        deals.to_csv(crm / f"{table}.csv", index=False)
    ctx = _east_with(tmp_path, crm, ["R7,New Hire,2026-08-01"])
    board = team_review.leaderboard(ctx)
    assert list(board.index) == ["Alice Able", "New Hire"]
    assert list(board["deals_won_qtd"]) == [1, 0]
    assert gaps.why(board.loc["Alice Able", "bookings_qtd"]) is not None
    assert board.loc["New Hire", "bookings_qtd"] == 0
    caption = board.attrs["view"].caption
    assert "Ordered by deals won: the bookings of 1 seller is unknown" in caption
    html = so.show(board).to_html()
    assert "Deals won, quarter to date" in html


def test_known_bookings_keep_their_order(east):
    board = team_review.leaderboard(east)
    assert "Ordered by deals won" not in board.attrs["view"].caption
    assert board.loc["Alice Able", "deals_won_qtd"] == 1  # O1, won 2026-08-15


def test_a_leaderboard_without_quotas_says_which_columns_it_leaves_out(tiny_dir, tmp_path):
    """Without quotas the leaderboard drops attainment, coverage and commission: its
    caption said "commission: payable for 2026-09" over no commission column and nothing
    of the others (the Maven CRM export); it names them and what they need instead. With
    quotas it is as before (test_the_leaderboard_is_a_frame_by_rep_with_hand_computed_numbers)."""
    import shutil

    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    (crm / "quotas.csv").unlink()
    ctx = so.ReportContext.load(str(crm), "region:East", "2026-09", comp_plan="default")
    board = team_review.leaderboard(ctx)
    assert list(board.columns) == ["bookings_qtd", "deals_won_qtd", "win_rate"]
    caption = board.attrs["view"].caption
    assert caption.startswith("Leaderboard, 2026-Q3 to date (win rate: last 3 months): ")
    assert caption.endswith(
        "Not shown: quota attainment, pipeline coverage, commission. They need the quotas "
        "table, which this source does not have"
    )
    east = so.ReportContext.load(str(tiny_dir), "region:East", "2026-09", comp_plan="default")
    assert "commission: payable for 2026-09" in team_review.leaderboard(east).attrs["view"].caption


def test_deals_won_are_unknown_when_the_quarantine_set_every_closed_deal_aside(tmp_path):
    """East's closed deals have no close date, and the quarantine sets all four aside:
    the leaderboard read "–" bookings beside 0 deals won and $0 commission. Both are
    unknown too, with the same reason, and the caption orders by neither."""
    from conftest import undated_closes

    crm = undated_closes(tmp_path / "crm", region="East")
    plan = "parameters/comp_plan.yml"
    east = so.ReportContext.load(
        str(crm), "region:East", "2026-09", comp_plan=plan, on_invalid="quarantine"
    )
    board = team_review.scores(east)
    why = "the quarantine set aside every closed deal in East for a broken rule"
    assert {gaps.why(v) for v in board["deals_won_qtd"]} == {f"no bookings: {why}"}
    assert {gaps.why(v) for v in board["commission"]} == {why}
    html = so.show(team_review.leaderboard(east)).to_html()
    assert why in html and "Ordered by" not in html
