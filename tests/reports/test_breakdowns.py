"""The metrics report's breakdowns (:mod:`salesops.reports.breakdowns`) on the tiny CRM,
September 2026 (conftest's ``company``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from conftest import once

import salesops as so
from salesops.analytics import gaps
from salesops.reports import breakdowns


def test_a_breakdown_by_any_column(company):
    by_region = breakdowns.breakdown(company, "region")
    assert list(by_region.index) == ["West", "East"]  # by bookings
    assert by_region.loc["West", "bookings"] == 50_000
    assert by_region.loc["West", "win_rate"] == 0.5  # O5 won, O7 lost
    assert by_region.loc["East", "win_rate"] == 0  # O2 lost
    by_product = breakdowns.breakdown(company, "product")
    assert by_product.loc["Core", "bookings"] == 50_000
    html = so.show(by_region).to_html()
    assert "$50,000" in html and "50%" in html


def test_a_breakdown_counts_a_group_that_won_nothing_as_zero(company):
    """September by lead source: Outbound lost O2 (and holds open O6), Referral holds
    only open O8. Neither won a deal: 0 won and $0 booked (counts and known sums, not
    "–"); Outbound's win rate is 0% (lost only), Referral's unknown: nothing closed."""
    by_source = breakdowns.breakdown(company, "lead_source")
    assert by_source.loc["Outbound", "won"] == 0 and by_source.loc["Referral", "won"] == 0
    assert by_source.loc["Outbound", "bookings"] == 0 == by_source.loc["Referral", "bookings"]
    assert by_source.loc["Event", "won"] == 1 and by_source.loc["Event", "bookings"] == 50_000
    assert by_source.loc["Outbound", "win_rate"] == 0
    assert gaps.why(by_source.loc["Referral", "win_rate"]) == "no deal closed in 2026-09"
    assert gaps.why(by_source.loc["Referral", "average_deal_size"]) == "no deal was won in 2026-09"
    html = so.show(by_source).to_html()
    assert "no deal closed in 2026-09" in html


def test_a_breakdown_of_won_deals_only_has_no_win_rate(won_only_dir):
    """September in a won-only export: Enterprise won O5 and its lost deals are not in
    the export, so its win rate read 100%; now every row's is unknown, with the reason."""
    ctx = once(so.ReportContext.load, str(won_only_dir), "company", "2026-09")
    by_segment = breakdowns.breakdown(ctx, "segment")
    assert by_segment.loc["Enterprise", "bookings"] == 50_000
    why = "win rate needs lost deals, of which this source holds none"
    assert {gaps.why(rate) for rate in by_segment["win_rate"]} == {why}
    assert why in so.show(by_segment).to_html()


def test_a_breakdown_by_segment_by_hand(company):
    """September by segment: Enterprise won O5 ($50,000, created 1 May, closed 30 Sep:
    152 days) and holds open O6 ($30,000); SMB lost O2 and O7 (0 won, $0, 0%) and holds
    open O8 (no amount: left out) and O9 ($12,000, won only on 10 Oct); Mid-Market closed
    nothing (win rate unknown) and holds open O3 $20,000 + O10 $15,000 = $35,000."""
    frame = breakdowns.breakdown(company, "segment")
    assert frame.index.name == "segment" and frame.index[0] == "Enterprise"
    row = frame.loc["Enterprise"]
    assert (row["bookings"], row["won"], row["win_rate"]) == (50_000, 1, 1.0)
    assert (row["average_deal_size"], row["cycle_days"]) == (50_000, 152)
    smb = frame.loc["SMB"]
    assert (smb["bookings"], smb["won"], smb["win_rate"]) == (0, 0, 0)
    assert gaps.why(smb["cycle_days"]) == "no deal was won in 2026-09"
    assert gaps.why(frame.loc["Mid-Market", "win_rate"]) == "no deal closed in 2026-09"
    assert frame["open_pipeline"].to_dict() == {
        "Enterprise": 30_000, "SMB": 12_000, "Mid-Market": 35_000
    }  # fmt: skip


def test_a_breakdown_of_deals_none_of_which_closed_has_no_bookings(tmp_path):
    """The tiny CRM with its open deals only (as when the quarantine set every closed
    deal aside: Lightdash's demo deals have no close date). Bookings and deals won read
    $0 and 0 per segment while the headline tile said unknown; now they are unknown,
    with the headline's reason, and the open pipeline is still known."""
    from conftest import TINY

    crm = Path(shutil.copytree(TINY, tmp_path / "crm"))
    (crm / "opportunity_history.csv").unlink()
    deals = pd.read_csv(crm / "opportunities.csv")
    deals[~deals["stage"].str.startswith("Closed")].to_csv(crm / "opportunities.csv", index=False)
    ctx = so.ReportContext.load(str(crm), "company", "2026-09")
    frame = breakdowns.breakdown(ctx, "segment")
    why = "no closed deals: the source holds no closed deal"
    assert {gaps.why(v) for v in frame["bookings"]} == {why}
    assert {gaps.why(v) for v in frame["won"]} == {why}
    assert frame.loc["Enterprise", "open_pipeline"] == 30_000  # O6
    assert why in so.show(frame).to_html()


def test_deals_whose_closed_ones_the_quarantine_set_aside_say_so(tmp_path):
    """The tiny CRM with no close date on its closed deals (as Lightdash's demo deals):
    the quarantine sets every closed deal aside. The reasons said "the source holds no
    closed deal", of a source that holds 6; now they say the quarantine set them aside,
    for the company and for a region."""
    from conftest import undated_closes

    crm = undated_closes(tmp_path / "crm")
    company = so.ReportContext.load(str(crm), "company", "2026-09", on_invalid="quarantine")
    frame = breakdowns.breakdown(company, "segment")
    why = "no closed deals: the quarantine set aside every closed deal for a broken rule"
    assert {gaps.why(v) for v in frame["bookings"]} == {why}
    east = so.ReportContext.load(str(crm), "region:East", "2026-09", on_invalid="quarantine")
    assert {gaps.why(v) for v in breakdowns.breakdown(east, "segment")["won"]} == {
        "no closed deals: the quarantine set aside every closed deal in East for a broken rule"
    }
