"""The bookings trend shared by the metrics report, the performance review and the
dashboard (salesops.reports.trend), checked by hand on the tiny CRM."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.data.periods import Period
from salesops.reports import metrics, performance_review, trend
from salesops.reports.dashboard import Dashboard


@pytest.fixture(scope="module")
def tables(tiny_dir):
    return once(so.load, str(tiny_dir), period="2026-09")


def test_the_trend_starts_at_the_first_close_and_is_right_by_hand(tables):
    # first closed deal: O4, won 2026-07-31, so the months before July are left out
    start = gaps.bookings_start(tables.opportunities, tables.stages)
    trail = trend.months(Period.parse("2026-09"), 13, start)
    assert [p.label for p in trail] == ["2026-07", "2026-08", "2026-09"]
    out = trend.table(tables.opportunities, tables.quotas, trail, stages=tables.stages)
    # won: O4 8,000 in July, O1 10,000 in August, O5 50,000 in September
    assert out["bookings"].tolist() == [8_000, 10_000, 50_000]
    # quotas: July and August 10,000 + 8,000 + 20,000; September 12,000 + 20,000 + 5,000
    assert out["quota"].tolist() == [38_000, 38_000, 37_000]
    assert out["attainment"].tolist() == pytest.approx([8 / 38, 10 / 38, 50 / 37])


def test_without_quotas_the_trend_has_bookings_and_no_attainment(tables):
    trail = [Period.parse("2026-08"), Period.parse("2026-09")]
    out = trend.table(tables.opportunities, None, trail, stages=tables.stages)
    assert out["bookings"].tolist() == [10_000, 50_000]
    assert out["quota"].isna().all() and out["attainment"].isna().all()


def test_the_three_trends_agree(tiny_dir, tables):
    """The metrics report and the dashboard show the same months and numbers; before,
    the dashboard drew 13 months, the 10 before the first close as $0."""
    company = once(so.ReportContext.load, str(tiny_dir), "company", "2026-09")
    shown = metrics.trend(company)
    assert list(shown.index) == ["2026-07", "2026-08", "2026-09"]
    assert "starts in Jul 2026" in shown.attrs["view"].caption
    dash = Dashboard(tables)
    start = gaps.bookings_start(tables.opportunities, tables.stages)
    trail = trend.months(Period.parse(dash.selection.period), 13, start)
    pd.testing.assert_frame_equal(
        trend.table(tables.opportunities, tables.quotas, trail, stages=tables.stages), shown
    )


def test_a_reps_trend_starts_when_they_joined_or_first_closed(tiny_dir, tmp_path):
    """Alice joined in 2021: her 12 months are all shown, a month without a win is $0.
    Without her hire date, her trend starts at her own first closed deal (August)."""
    alice = once(so.ReportContext.load, str(tiny_dir), "rep:R1", "2026-09")
    own = performance_review.trend(alice)
    assert len(own) == 12 and own.index[0] == "2025-10"
    assert own["bookings"].tail(3).tolist() == [0, 10_000, 0]  # O1 in August, O2 lost
    assert own["quota"].tail(3).tolist() == [10_000, 10_000, 12_000]
    crm = shutil.copytree(tiny_dir, tmp_path / "crm")
    reps = pd.read_csv(crm / "reps.csv", dtype=str)
    reps["hire_date"] = None
    reps.to_csv(crm / "reps.csv", index=False)
    alice = so.ReportContext.load(str(crm), "rep:R1", "2026-09")
    own = performance_review.trend(alice)
    assert list(own.index) == ["2026-08", "2026-09"]
    assert "starts in Aug 2026, the month of the first closed deal" in own.attrs["view"].caption


def test_a_month_whose_won_deals_lack_amounts_is_unknown_not_zero(tables):
    """September's one win, O5, without an amount: the month read $0 and 0% of quota; it
    is unknown, with the reason, in the table, the caption and the summary (the metrics
    report's bookings by month); July and August are as they were."""
    import json

    from salesops.storage import json_text

    o = tables.opportunities.copy()
    o.loc[o["opportunity_id"] == "O5", "amount"] = None
    trail = [Period.parse(label) for label in ("2026-07", "2026-08", "2026-09")]
    out = trend.table(o, tables.quotas, trail, stages=tables.stages)
    why = "none of the deals won in 2026-09 has an amount"
    assert out["bookings"].iloc[:2].tolist() == [8_000, 10_000]
    assert (
        gaps.why(out.at["2026-09", "bookings"]) == gaps.why(out.at["2026-09", "attainment"]) == why
    )
    start = gaps.bookings_start(o, tables.stages)
    shown = trend.trend(
        o,
        tables.quotas,
        Period.parse("2026-09"),
        3,
        start=start,
        has_quotas=True,
        stages=tables.stages,
    )
    assert why in shown.attrs["view"].caption
    assert (
        json.loads(json_text({"by_month": shown["bookings"].to_dict()}))["by_month"]["2026-09"]
        is None
    )


def test_a_trend_of_one_month_says_month(tiny_dir):
    """July 2026 is the first month with a close (O4): "1 month to 2026-07", not "1 months"."""
    july = once(so.ReportContext.load, str(tiny_dir), "company", "2026-07")
    caption = metrics.trend(july).attrs["view"].caption
    assert "(no quotas in this source)" not in caption and ", 1 month to 2026-07" in caption
