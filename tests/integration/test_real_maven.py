"""The Maven Analytics CRM export (tests/fixtures/exports/real/maven, provenance in its
PROVENANCE.md; every third deal of the original): what ``salesops map`` proposes on it,
what ``salesops validate`` and ``salesops summary`` say of the edited source file, and the
forecast's sections that read $0 or "past their close date" where the data cannot say.
Its open deals have neither an amount nor a close date, and its Prospecting deals no
created date: a shape none of the four exports of docs/exports.md has."""

from __future__ import annotations

from pathlib import Path

import yaml

import salesops as so
from salesops import cli
from salesops.analytics import gaps
from salesops.data.proposal import propose
from salesops.reports import deals, forecast

MAVEN = Path(__file__).parents[1] / "fixtures" / "exports" / "real" / "maven"
SOURCE = str(MAVEN / "source.yml")


def test_map_finds_every_table_and_column_by_its_name():
    proposed = yaml.safe_load(propose(MAVEN, ".").text)
    opportunities, reps = proposed["tables"]["opportunities"], proposed["tables"]["reps"]
    assert opportunities["from"] == "sales_pipeline" and reps["from"] == "sales_teams"
    assert opportunities["columns"] == {
        "opportunity_id": "opportunity_id",
        "account_id": "account",
        "owner_id": "sales_agent",
        "product": "product",
        "created_date": "engage_date",
        "close_date": "close_date",
        "stage": "deal_stage",
        "amount": "close_value",
    }
    assert opportunities["derive"]["region"]["from"] == "reps.region"  # the owner's region
    # the managers are not agents of sales_teams: left out, and said why
    assert reps["columns"] == {
        "rep_id": "sales_agent",
        "name": "sales_agent",
        "region": "regional_office",
    }
    stages = [(s["name"], s.get("closed", False), s.get("won", False)) for s in proposed["stages"]]
    assert stages == [
        ("Prospecting", False, False),
        ("Engaging", False, False),
        ("Won", True, True),
        ("Lost", True, False),
    ]


def test_the_edited_source_validates_and_says_what_it_fills_and_lacks(capsys):
    assert cli.main(["validate", "--source", SOURCE]) == 0
    out = capsys.readouterr().out
    assert "Maven CRM sales opportunities: 2 tables, 2,969 rows, all rules pass" in out
    assert "filled 167 missing opportunities.created_date: '2017-12-31' (when open)" in out
    assert "filled 701 missing opportunities.close_date: created_date + 90 days (when open)" in out
    assert "warning: none of the 701 open deals has an amount: the open pipeline" in out
    # close_value is revenue: 0 for every lost deal, whose worth is unknown, not $0
    assert "warning: every lost deal has an amount of 0 (811 here) and won deals have" in out
    assert cli.main(["summary", "--source", SOURCE]) == 0
    out = capsys.readouterr().out
    assert "(data as of 2017-12-31)" in out
    assert "Reps: 30 active, 0 left, 0 managers; 5 of the 35 people own no deal" in out


def test_the_forecast_says_what_the_open_deals_cannot_show():
    """December 2017: every open deal is due in 2018-Q1 by an invented close date, and
    none has an amount. The next quarter's roll-ups are unknown as its pipeline view is
    (they read $0), and the top deals are none, with the reason: none has an amount."""
    ctx = so.ReportContext.load(SOURCE, "company", "2017-12")
    outlook = forecast.quarter_outlook(ctx)
    q2 = "no open deal is due in 2018-Q2, and none of the 701 open deals has an amount"
    for row in ("Commit roll-up (CRM categories)", "Best-case roll-up", "Pipeline roll-up"):
        assert gaps.why(outlook.at[row, "2018-Q2"]).startswith(q2), row
    top = deals.top_deals(ctx)  # no amount to rank by: no list of 15 rows of "–"
    assert top.empty and top.attrs["view"].empty == (
        "No open deal due by the end of 2018-Q2 can be ranked by expected value: none of "
        "the 701 has an amount."
    )
