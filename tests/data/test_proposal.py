"""``salesops map`` on exports it has never seen: tables and columns found by content.

The fixture has the shape of a public sales-pipeline export (``sales_pipeline.csv``,
``sales_teams.csv``, ``accounts.csv``, ``products.csv``; headers ``sales_agent``,
``engage_date``, ``close_value``, ``regional_office``; open deals without amounts, the
earliest ones without any date) with stage names of its own. It is written by
:func:`pipeline_export` from a fixed seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import salesops as so
from salesops import cli
from salesops.analytics import metrics
from salesops.data.model import QUALIFIED_DEALS
from salesops.data.proposal import propose

STAGES = ["Qualify", "Demo", "Won", "Lost"]  # open ones in pipeline order, then closed
OFFICES = {"North": ["Ann Lee", "Bo Chan", "Cy Diaz"], "South": ["Di Eng", "Ed Fox"]}
MANAGERS = {"North": "Mia Stone", "South": "Raj Patel"}
AS_OF = pd.Timestamp("2026-06-30")


def pipeline_export(folder: Path, names: dict[str, str] | None = None) -> Path:
    """Write the export into ``folder``; ``names`` renames files and headers."""
    names = names or {}
    rng = np.random.default_rng(7)
    agents = [a for people in OFFICES.values() for a in people]
    rows = []
    for i in range(240):
        agent = agents[i % len(agents)]
        engaged = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
        days = int(rng.integers(5, 120))
        closed = engaged + pd.Timedelta(days=days)
        stage = ("Won" if rng.random() < 0.45 else "Lost") if closed <= AS_OF else "Demo"
        row = {
            "opportunity_id": f"OP{i:04d}",
            "sales_agent": agent,
            "product": ["Alpha", "Beta", "Gamma"][i % 3],
            "account": f"Account {i % 40:02d}",
            "deal_stage": stage,
            "engage_date": engaged.date(),
            "close_date": closed.date() if stage in ("Won", "Lost") else None,
            "close_value": int(rng.integers(500, 9000)) if stage == "Won" else 0,
        }
        if stage == "Demo":
            row["close_value"] = None
        rows.append(row)
    for i in range(240, 260):  # not yet engaged: no date at all
        rows.append(
            {"opportunity_id": f"OP{i:04d}", "sales_agent": agents[i % len(agents)],
             "product": "Alpha", "account": "Account 01", "deal_stage": "Qualify",
             "engage_date": None, "close_date": None, "close_value": None}
        )  # fmt: skip
    deals = pd.DataFrame(rows)
    teams = pd.DataFrame(
        [
            {"sales_agent": a, "manager": MANAGERS[office], "regional_office": office}
            for office, people in OFFICES.items()
            for a in people
        ]
    )
    accounts = pd.DataFrame(
        {
            "account": [f"Account {i:02d}" for i in range(40)],
            "sector": [["retail", "medical", "software"][i % 3] for i in range(40)],
            "revenue": [round(100 + 37.5 * i, 1) for i in range(40)],
            "office_location": [["United States", "Kenya"][i % 2] for i in range(40)],
        }
    )
    products = pd.DataFrame({"product": ["Alpha", "Beta", "Gamma"], "sales_price": [55, 550, 5500]})
    folder.mkdir(parents=True, exist_ok=True)
    for stem, frame in [
        ("sales_pipeline", deals),
        ("sales_teams", teams),
        ("accounts", accounts),
        ("products", products),
    ]:
        frame = frame.rename(columns=names)
        frame.to_csv(folder / f"{names.get(stem, stem)}.csv", index=False)
    return folder


# Every name that says anything changed: only the content is left to go by.
OPAQUE = {
    "sales_pipeline": "export_1",
    "sales_teams": "export_2",
    "accounts": "export_3",
    "products": "export_4",
    "deal_stage": "phase",
    "sales_agent": "handled_by",
    "close_value": "usd",
    "regional_office": "location",
    "engage_date": "first_meeting",
    "close_date": "finished",
    "opportunity_id": "ref",
}


RENAMED = {"sales_pipeline": "deals", "sales_teams": "users"}


@pytest.mark.parametrize(
    "names", [{}, RENAMED, OPAQUE], ids=["pipeline-shape", "deals-and-users", "opaque-names"]
)
def test_map_places_the_columns_of_an_unseen_export(tmp_path, names):
    folder = pipeline_export(tmp_path / "export", names)
    n = lambda header: names.get(header, header)  # noqa: E731
    proposal = propose(folder, ".")
    opps, reps = proposal.table("opportunities"), proposal.table("reps")
    assert (opps.source, reps.source) == (n("sales_pipeline"), n("sales_teams"))
    assert opps.columns["opportunity_id"] == n("opportunity_id")
    assert opps.columns["owner_id"] == n("sales_agent")  # the people of sales_teams
    assert opps.columns["created_date"] == n("engage_date")  # the earlier date column
    assert opps.columns["close_date"] == n("close_date")
    assert opps.columns["amount"] == n("close_value")  # the money column
    assert opps.columns["stage"] == n("deal_stage")  # a few repeated stage-like values
    assert reps.columns["rep_id"] == reps.columns["name"] == n("sales_agent")
    assert reps.columns["region"] == n("regional_office")  # people -> office
    assert "manager_id" not in reps.columns  # the managers are not rows of the team file
    assert reps.reasons["manager_id"].startswith("'manager' holds managers who are not people")
    # the open stages in order, from their names (no history here; the ages agree)
    assert proposal.stage_order[:2] == ["Qualify", "Demo"]
    assert "in funnel order by their names" in proposal.order_note
    source = yaml.safe_load(proposal.text)
    assert [s["name"] for s in source["stages"]] == STAGES
    assert "    derive:\n      region: {from: reps.region, on: owner_id}" in proposal.text


def test_map_lists_files_headers_and_why_a_column_is_missing(tmp_path, capsys):
    folder = pipeline_export(tmp_path / "export")
    out = tmp_path / "source.yml"
    assert cli.main(["map", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "files seen in" in printed
    assert (
        "sales_pipeline (260 rows): opportunity_id, sales_agent, product, account, deal_stage, "
        "engage_date, close_date, close_value" in printed
    )
    assert "accounts (40 rows): account, sector, revenue, office_location" in printed
    assert "segment               missing (optional): no header like segment" in printed
    assert "opportunity_history: not found: no file named like" in printed
    assert "stage order: open stages in funnel order by their names" in printed
    text = out.read_text()
    assert "# Files seen:" in text and "#   sales_teams (5 rows): sales_agent" in text
    assert "# lead_source: missing (optional): no header like" in text


def test_map_finds_no_deals_and_says_why(tmp_path, capsys):
    folder = tmp_path / "export"
    folder.mkdir()
    pd.DataFrame({"city": ["Oslo", "Lima"], "people": [3, 4]}).to_csv(folder / "a.csv")
    assert cli.main(["map", str(folder), "--out", str(tmp_path / "s.yml")]) == 0
    printed = capsys.readouterr().out
    assert (
        "opportunities: required, not found: no file named like opportunity, opportunities, "
        "deals, deal, and none of dated rows with stage-like values" in printed
    )
    assert "a (2 rows): column0, city, people" in printed  # pandas' unnamed index column


def test_map_orders_stages_from_the_history(tmp_path):
    """With a stage history the order is the order deals pass through the stages, even
    when the open deals' ages say otherwise."""
    folder = pipeline_export(tmp_path / "export")
    history = []
    for i in range(30):
        start = pd.Timestamp("2025-03-01") + pd.Timedelta(days=i)
        for step, stage in enumerate(["Qualify", "Demo", "Won" if i % 2 else "Lost"]):
            history.append(
                {"OpportunityId": f"OP{i:04d}", "CreatedDate": start + pd.Timedelta(days=9 * step),
                 "StageName": stage}
            )  # fmt: skip
    pd.DataFrame(history).to_csv(folder / "OpportunityHistory.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.stage_order[:2] == ["Qualify", "Demo"]
    assert "in the order deals pass through them in OpportunityHistory" in proposal.order_note


def test_map_orders_stages_by_the_exports_own_sequence_column(tmp_path):
    """Without a history, a number column named for the stage and a sequence (the CRM
    and Sales Pipelines export's `Stage sequence`) is the export's own order, even
    against the deals' ages and names (here it puts Demo first); one that gives a stage
    two numbers is no order, and the names decide."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv")
    order = {"Demo": 1, "Qualify": 2, "Won": 3, "Lost": 4}
    deals["deal_stage sequence"] = deals["deal_stage"].map(order)
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.stage_order == ["Demo", "Qualify", "Won", "Lost"]
    assert proposal.order_note == "open stages in the export's own order ('deal_stage sequence')"
    deals.loc[deals.index[::2], "deal_stage sequence"] = 9  # two numbers per stage
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.stage_order[:2] == ["Qualify", "Demo"]
    assert proposal.order_note.startswith("open stages in funnel order by their names")


def test_map_takes_the_actual_close_date_and_names_the_expected_one_for_open_deals(tmp_path):
    """Deals with an `Expected close date` on every row and an `Actual close date` on the
    closed ones (the CRM and Sales Pipelines export): the actual one is the close date
    (before, map took the expected one, and every won deal closed on its plan), and the
    expected one is written as the open deals' default to consider."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv").rename(
        columns={"close_date": "Actual close date"}
    )
    deals.insert(3, "Expected close date", "2026-09-30")
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    opportunities = propose(folder, ".").table("opportunities")
    assert opportunities.columns["close_date"] == "Actual close date"
    assert opportunities.notes == [
        "close_date: 'Actual close date' is when deals closed; 'Expected close date' is when "
        "open deals are expected to: for them, `defaults: close_date: {column: Expected "
        "close date, when: open}`"
    ]


def test_map_names_a_placed_column_of_unique_values_as_the_missing_deal_id(tmp_path):
    """No header names the deal's id, and the one column with a value per row is taken as
    the account by its name (the CRM and Sales Pipelines export's `Organization`): the
    missing id's line names it, as a deal's id if each row is one."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv").drop(columns="opportunity_id")
    deals["account"] = [f"Company {i}" for i in range(len(deals))]
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    opportunities = propose(folder, ".").table("opportunities")
    assert "opportunity_id" not in opportunities.columns
    assert opportunities.columns["account_id"] == "account"
    assert opportunities.reasons["opportunity_id"].endswith(
        "; 'account' (account_id) has a different value on every row: if each row is a "
        "deal, it is its id too (`opportunity_id: account`)"
    )


def test_map_reads_won_and_lost_from_the_exports_own_flags(tmp_path):
    """Stage names hashed, as in Fivetran's Salesforce seed: the names say nothing, the
    export's IsWon and IsClosed say which stage is won, lost or open. A stage whose deals
    disagree is left to its name."""
    folder = tmp_path / "export"
    folder.mkdir()
    stages = ["h1==", "h2==", "h3==", "h1==", "h2==", "Mixed"] * 5
    won = {"h1==": True, "h2==": False, "h3==": False}
    pd.DataFrame(
        {
            "Id": [f"006{i:05d}" for i in range(30)],
            "OwnerId": "005A",
            "StageName": stages,
            "Amount": 1000.0,
            "CloseDate": "2026-05-01",
            "CreatedDate": "2026-01-01",
            "IsWon": [won.get(s, (i // 6) % 2 == 0) for i, s in enumerate(stages)],
            "IsClosed": [s != "h3==" for s in stages],
        }
    ).to_csv(folder / "Opportunity.csv", index=False)
    pd.DataFrame({"Id": ["005A"], "Name": ["Ann Lee"], "Division": ["East"]}).to_csv(
        folder / "User.csv", index=False
    )
    proposal = propose(folder, ".")
    assert proposal.stage_flags == {"h1==": "won", "h2==": "lost", "h3==": "open"}
    listed = {s["name"]: s for s in yaml.safe_load(proposal.text)["stages"]}
    assert listed["h1=="]["won"] is True and listed["h2=="]["closed"] is True
    assert "closed" not in listed["h3=="] and "closed" not in listed["Mixed"]
    assert "# Won, lost and open stages: from the export's IsWon and IsClosed." in proposal.text


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (["Lead", "Opportunity"], "its values name a record's kind (Lead, Opportunity)"),
        (["Deals", "Contacts", "Accounts"], "its values name a record's kind"),
        (["Opportunity"], "its values name a record's kind (Opportunity)"),
        (["Enterprise"], "one value (Enterprise) for every deal with one"),
        (["SMB"] * 39 + ["Enterprise"], "one value (SMB) for 98% of the deals with one"),
    ],
)
def test_map_proposes_no_segment_that_does_not_split_the_deals(tmp_path, values, why):
    """A column named like a segment (``Type``) whose values name a record's kind, or whose
    one value holds nearly every deal, is not a segment: map leaves it out and says why,
    whatever the CRM (a real split is kept: the test below)."""
    folder = _typed_export(tmp_path / "export", values)
    opps = propose(folder, ".").table("opportunities")
    assert "segment" not in opps.columns
    assert opps.reasons["segment"].startswith("'Type' is not a segment: ")
    assert why in opps.reasons["segment"]


def _typed_export(folder: Path, values: list[str]) -> Path:
    """The export with a ``Type`` column whose values cycle through ``values``."""
    pipeline_export(folder)
    deals = pd.read_csv(folder / "sales_pipeline.csv")
    deals["Type"] = [values[i % len(values)] for i in range(len(deals))]
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    return folder


def test_map_proposes_a_segment_that_splits_the_deals(tmp_path):
    """A ``Type`` column of three tiers that each hold a third of the deals is a segment."""
    folder = _typed_export(tmp_path / "export", ["SMB", "Mid-market", "Enterprise"])
    proposal = propose(folder, ".")
    assert proposal.table("opportunities").columns["segment"] == "Type"
    assert "      segment: Type\n" in proposal.text


def _sellers_export(folder: Path, people: bool = True) -> Path:
    """A marketplace's won deals, as Olist exports them: ``seller_id`` is the customer won
    (a different one on every deal), the rep is ``rep_code`` (a name that says nothing),
    ``declared_revenue`` the customer's own figure, nearly always 0; a connector's sync
    time ``_airbyte_extracted_at`` is the latest date of the file."""
    folder.mkdir(parents=True)
    reps = [f"r{i:02d}" for i in range(6)]
    n = 60
    pd.DataFrame(
        {
            "deal_ref": [f"D{i:03d}" for i in range(n)],
            "seller_id": [f"S{i:03d}" for i in range(n)],
            "rep_code": [reps[i % 6] for i in range(n)],
            "won_date": [f"2026-0{1 + i % 6}-1{i % 9}" for i in range(n)],
            "declared_revenue": [50000 * (i % 20 == 0) for i in range(n)],
            "_airbyte_extracted_at": "2026-11-30 12:00:00",
        }
    ).to_csv(folder / "closed_deals.csv", index=False)
    if people:
        pd.DataFrame({"rep_code": reps}).to_csv(folder / "sales_reps.csv", index=False)
    return folder


def test_map_takes_the_owner_from_the_people_file_not_a_seller_named_column(tmp_path):
    """Content overrules a name that cannot be right: the column whose values are the
    people file's ids is the owner (and that file's column the reps' id), not the column
    named like one (``seller_id``); without a people file, a column different on every
    deal is still no owner, and map says why: the owner is then the column of a few
    id-like values named like a rep (``rep_code``: 6 codes, 10 deals each)."""
    proposal = propose(_sellers_export(tmp_path / "with"), ".")
    opps, reps = proposal.table("opportunities"), proposal.table("reps")
    assert opps.columns["owner_id"] == "rep_code"
    assert (reps.source, reps.columns["rep_id"]) == ("sales_reps", "rep_code")
    alone = propose(_sellers_export(tmp_path / "alone", people=False), ".")
    opps = alone.table("opportunities")
    assert opps.columns["owner_id"] == "rep_code"
    assert opps.warnings["owner_id"].endswith(
        "; 'seller_id' has a different value on each of its 60 rows: the customer or the "
        "deal, not its owner (a person owns many deals)"
    )
    assert any("owner_id" in line and "'seller_id'" in line for line in alone.summary())
    # a customer who buys twice repeats: the people file still decides, and the line says so
    folder = tmp_path / "with"
    deals = pd.read_csv(folder / "closed_deals.csv")
    deals["seller_id"] = [f"S{i % 30:03d}" for i in range(len(deals))]
    deals.to_csv(folder / "closed_deals.csv", index=False)
    opps = propose(folder, ".").table("opportunities")
    assert opps.columns["owner_id"] == "rep_code"
    assert opps.warnings["owner_id"] == (
        "by content: its values are rows of sales_reps.rep_code; 'seller_id', named like an "
        "owner, is not (0% of its values are)"
    )


def test_map_proposes_no_amount_that_is_nearly_always_zero(tmp_path):
    """A money-named column that is 0 on 57 of 60 deals (95%) is not their amount: none
    is proposed, and the reason is printed. A column of real amounts is kept."""
    folder = _sellers_export(tmp_path / "export")
    proposal = propose(folder, ".")
    opps = proposal.table("opportunities")
    assert "amount" not in opps.columns
    assert opps.reasons["amount"].startswith(
        "'declared_revenue' is 0 on 57 of its 60 rows with a value (95%): not the value of a deal"
    )
    assert any(line.strip().startswith("amount") and "is 0 on 57" in line
               for line in proposal.summary())  # fmt: skip
    deals = pd.read_csv(folder / "closed_deals.csv")
    deals["declared_revenue"] = [1000 + 10 * i if i % 3 else 0 for i in range(len(deals))]
    deals.to_csv(folder / "closed_deals.csv", index=False)
    assert propose(folder, ".").table("opportunities").columns["amount"] == "declared_revenue"


def test_map_says_when_a_mapped_column_is_empty_in_every_row(tmp_path):
    """HubSpot's seed maps a stage, an amount and a close date that hold no value at all;
    map placed them without a word. Now each says so, on screen and in the file."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv")
    deals = deals.drop(columns="close_value").assign(amount=np.nan)
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    proposal = propose(folder, ".")
    warning = proposal.table("opportunities").warnings["amount"]
    assert warning.startswith("empty in every one of its 260 rows: give it a default")
    assert any(line.strip().startswith("amount") and "empty in every" in line
               for line in proposal.summary())  # fmt: skip
    assert "amount: amount   # empty in every one of its 260 rows" in proposal.text
    assert "close_date" not in proposal.table("opportunities").warnings


def test_map_never_proposes_a_connectors_sync_time_as_a_date(tmp_path):
    """``_airbyte_extracted_at`` is the latest (and a later) date of the file: it is not
    taken for the created date, though the deals have no other date left."""
    proposal = propose(_sellers_export(tmp_path / "export"), ".")
    opps = proposal.table("opportunities")
    assert opps.columns["close_date"] == "won_date"
    assert "created_date" not in opps.columns
    assert "_airbyte" not in "".join(opps.columns.values())


def test_map_says_when_it_cannot_order_the_stages(tmp_path):
    folder = pipeline_export(tmp_path / "export", {"engage_date": "x", "close_date": "y"})
    for name in ("sales_pipeline",):
        frame = pd.read_csv(folder / f"{name}.csv").drop(columns=["x", "y"])
        frame = frame.replace({"Qualify": "Stage A", "Demo": "Stage B"})  # no funnel words
        frame.to_csv(folder / f"{name}.csv", index=False)
    proposal = propose(folder, ".")
    assert "could not order the stages" in proposal.order_note
    reasons = proposal.table("opportunities").reasons
    assert reasons["created_date"].endswith("and no date column left")


def test_the_edited_proposal_validates_and_counts_right(tmp_path):
    """What a user edits in the proposal: the dates of deals that have none (chained
    defaults), then the numbers match pandas on the raw files."""
    folder = pipeline_export(tmp_path / "export")
    source = yaml.safe_load(propose(folder, ".").text)
    opps = source["tables"]["opportunities"]
    opps["defaults"] = {
        "created_date": {"value": "2026-06-01", "when": "open"},
        "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
    }
    (folder / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    tables = so.load(folder / "source.yml")
    raw = pd.read_csv(folder / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    closed = raw[raw["deal_stage"].isin(["Won", "Lost"]) & (raw["close_date"].dt.year == 2025)]
    won = closed[closed["deal_stage"] == "Won"]
    o = tables.opportunities
    stages = tables.stages
    assert metrics.win_rate(o, "2025", stages=stages) == pytest.approx(len(won) / len(closed))
    assert metrics.average_deal_size(o, "2025", stages=stages) == pytest.approx(
        won["close_value"].mean()
    )
    assert tables.filled["opportunities.created_date"][0] == 20


def _stage_changes(folder: Path, deals: int = 30) -> pd.DataFrame:
    """Stage changes of the export's first deals, as HubSpot's ``deal_stage`` holds them
    through Fivetran: the deal, when it entered the stage (``date_entered``), the stage in
    a column named ``value``, and the connector's own columns."""
    rows = []
    for i in range(deals):
        start = pd.Timestamp("2025-03-01") + pd.Timedelta(days=i)
        for step, stage in enumerate(["Qualify", "Demo", "Won" if i % 2 else "Lost"]):
            entered = start + pd.Timedelta(days=9 * step)
            rows.append(
                {"_fivetran_start": entered, "deal_id": f"OP{i:04d}", "date_entered": entered,
                 "_fivetran_end": "9999-12-31 23:59:59", "value": stage}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_map_finds_a_stage_history_by_its_content(tmp_path):
    """A file named like stage changes (``deal_stage_data``, no history name map knew)
    with a deal id, a date and a column of a few values is the stage history: the deal,
    ``date_entered`` (a time the CRM wrote, though the rows are a connector's versions) and
    ``value`` (text, named like an amount) as the stage; the stages are ordered by it."""
    folder = pipeline_export(tmp_path / "export")
    _stage_changes(folder).to_csv(folder / "deal_stage_data.csv", index=False)
    proposal = propose(folder, ".")
    history = proposal.table("opportunity_history")
    assert (history.source, history.how) == (
        "deal_stage_data",
        "by its content: a deal, a stage and a date",
    )
    assert history.columns == {
        "opportunity_id": "deal_id",
        "changed_at": "date_entered",
        "stage": "value",
    }
    assert "opportunity_id" not in history.warnings  # every deal is one of the deals
    assert "in the order deals pass through them in deal_stage_data" in proposal.order_note
    assert "  opportunity_history:   # found by its content" in proposal.text


def test_map_warns_when_the_historys_deals_are_not_the_deals(tmp_path):
    """HubSpot's seed: the 14 deals of its stage history are none of its 44 deals. The
    history is proposed (it is one), with the check printed beside its deal column."""
    folder = pipeline_export(tmp_path / "export")
    changes = _stage_changes(folder)
    changes["deal_id"] = changes["deal_id"].str.replace("OP", "X")
    changes.to_csv(folder / "deal_stage_data.csv", index=False)
    proposal = propose(folder, ".")
    history = proposal.table("opportunity_history")
    assert history.warnings["opportunity_id"] == (
        "check: 0% of its deals are rows of sales_pipeline.opportunity_id; validation refuses "
        "a history row whose deal is not among the deals"
    )
    assert "opportunity_id: deal_id   # check: 0% of its deals" in proposal.text


def test_map_takes_no_file_of_deal_events_for_a_stage_history(tmp_path):
    """Calls logged against deals (a deal, a date, a few kinds) are not stage changes: the
    file's name says nothing of stages and no column is named like one."""
    folder = pipeline_export(tmp_path / "export")
    changes = _stage_changes(folder).rename(columns={"value": "kind"})
    changes.drop(columns=["_fivetran_start", "_fivetran_end"]).to_csv(
        folder / "engagements.csv", index=False
    )
    assert propose(folder, ".").table("opportunity_history").source is None


def test_map_marks_qualified_pipeline_from_the_stage_named_for_qualification(tmp_path):
    """The open stages are Lead In (the undated deals: first) and Qualified: the proposal
    marks Qualified ``qualified: true`` and not Lead In, so a loaded source counts its
    qualified open deals (it counted none: no stage was marked, and velocity read "–").
    In the export's own names (Qualify, Demo) a deal at Qualify is still being qualified:
    qualified pipeline starts at the next stage, Demo."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv")
    deals["deal_stage"] = deals["deal_stage"].replace({"Qualify": "Lead In", "Demo": "Qualified"})
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    proposal = propose(folder, ".")
    listed = {s["name"]: s for s in yaml.safe_load(proposal.text)["stages"]}
    assert [n for n, s in listed.items() if s.get("qualified")] == ["Qualified"]
    assert "# Qualified pipeline: open deals from Qualified on" in proposal.text
    source = yaml.safe_load(proposal.text)
    source["tables"]["opportunities"]["defaults"] = {
        "created_date": {"value": "2026-06-01", "when": "open"},
        "close_date": {"column": "created_date", "plus": "90 days", "when": "open"},
    }
    (folder / "source.yml").write_text(yaml.safe_dump(source, sort_keys=False))
    tables = so.load(folder / "source.yml")
    assert tables.stages.qualified_names == ["Qualified"]
    assert tables.has(QUALIFIED_DEALS)
    own = propose(pipeline_export(tmp_path / "own"), ".")
    marked = [s["name"] for s in yaml.safe_load(own.text)["stages"] if s.get("qualified")]
    assert marked == ["Demo"]


def _archiving_export(folder: Path, archived_won: bool = False) -> Path:
    """Deals as Odoo exports them: no lost stage, and ``Active`` False on the 4 lost deals,
    which keep their last stage (New or Qualified); one won deal archived too, if asked."""
    folder.mkdir(parents=True)
    stages = ["New", "Qualified", "Won"] * 8
    active = ["False" if i in (0, 1, 3, 4) else "True" for i in range(len(stages))]
    if archived_won:
        active[2] = "False"
    pd.DataFrame(
        {
            "External ID": [f"crm.lead_{i}" for i in range(len(stages))],
            "Salesperson": ["Mitchell Admin", "Marc Demo"] * 12,
            "Stage": stages,
            "Expected Revenue": [1000 + 250 * i for i in range(len(stages))],
            "Created on": "2025-03-01",
            "Active": active,
        }
    ).to_csv(folder / "crm_lead_pipeline.csv", index=False)
    pd.DataFrame({"Name": ["Mitchell Admin", "Marc Demo"], "Sales Teams": ["Sales", "Pre"]}).to_csv(
        folder / "res_users.csv", index=False
    )
    return folder


def test_map_writes_the_archive_flag_as_the_outcome_when_archived_can_only_be_lost(tmp_path):
    """No lost stage among the values, no status column, and no archived deal in the won
    stage: an archived deal can only be lost (Odoo), so ``outcome`` is written, not left
    commented (left commented, the 4 lost deals counted as open and nothing said so). With
    an archived deal in the won stage it stays commented, saying why."""
    proposal = propose(_archiving_export(tmp_path / "odoo"), ".")
    assert proposal.archive == ("Active", "False")
    assert proposal.archived == {"New": 2, "Qualified": 2}
    assert "\n    outcome: {column: Active, lost: 'False'}\n" in proposal.text
    assert "(Active: 'False'; 4 deals, none in a won\n    # stage)" in proposal.text
    assert yaml.safe_load(proposal.text)["tables"]["opportunities"]["outcome"] == {
        "column": "Active",
        "lost": "False",
    }
    doubtful = propose(_archiving_export(tmp_path / "won", archived_won=True), ".")
    assert "\n    # outcome: {column: Active, lost: 'False'}\n" in doubtful.text
    assert "5 deals;\n    # 1 of them in a won stage)" in doubtful.text
    assert "outcome" not in yaml.safe_load(doubtful.text)["tables"]["opportunities"]


def test_open_stages_take_the_exports_own_probability(tmp_path):
    """A Probability column in percent: each open stage is proposed at the median of its
    deals' (Demo: 30, 40, 50 → 0.4), not spread from 0.1 by order (Salesforce's open stage
    read 0.1 beside its own 65); a stage with a value outside 0 to 100 keeps the spread."""
    folder = pipeline_export(tmp_path / "export")
    deals = pd.read_csv(folder / "sales_pipeline.csv")
    demo = deals.index[deals["deal_stage"] == "Demo"]
    deals["Probability"] = 100.0
    deals.loc[demo, "Probability"] = [30.0, 40.0, 50.0] * (len(demo) // 3) + [40.0] * (
        len(demo) % 3
    )
    deals.loc[deals["deal_stage"] == "Qualify", "Probability"] = 1000.0  # not a percent
    deals.to_csv(folder / "sales_pipeline.csv", index=False)
    proposal = propose(folder, ".")
    listed = {s["name"]: s for s in yaml.safe_load(proposal.text)["stages"]}
    assert listed["Demo"]["probability"] == 0.4
    assert listed["Qualify"]["probability"] == 0.1  # first in order: the spread's start
    assert "the median of the export's own, per stage" in proposal.text


def test_map_orders_stages_by_their_funnel_names_before_the_deals_ages(tmp_path):
    """Without a history or a sequence column, stage names that each name one step of a
    funnel (New, Qualified, PoC, Negotiation) give the order, even where the deals' ages
    say otherwise (here the Negotiation deals are the youngest, so by age it came first,
    with probability 0.1, and the qualified pipeline started at its last open stage);
    names that do not all say a step leave the order to the ages."""
    folder = tmp_path / "export"
    folder.mkdir()
    created = {"Negotiation": "2024-06-01", "New": "2024-03-01", "PoC": "2024-02-01",
               "Qualified": "2024-01-01", "Won": "2023-06-01", "Lost": "2023-05-01"}  # fmt: skip
    rows = [
        {"deal_id": f"D{i:03d}", "stage": stage, "amount": 100 + i, "created_date": day}
        for i, (stage, day) in enumerate(list(created.items()) * 4)
    ]
    pd.DataFrame(rows).to_csv(folder / "deals.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.stage_order[:4] == ["New", "Qualified", "PoC", "Negotiation"]
    assert proposal.order_note.startswith("open stages in funnel order by their names")
    stages = yaml.safe_load(proposal.text)["stages"]
    assert [s["name"] for s in stages if s.get("qualified")] == ["Qualified", "PoC", "Negotiation"]
    frame = pd.DataFrame(rows).replace({"PoC": "Nurturing"})  # not a step of a funnel
    frame.to_csv(folder / "deals.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.stage_order[0] == "Negotiation"  # the youngest deals
    assert proposal.order_note.startswith("no stage history: open stages ordered by the age")


def test_map_reads_amounts_written_as_money_as_validation_does(tmp_path):
    """``declared_revenue`` written "$0.00" and "$50,000.00": the engine read none of it as
    a number, so the column nearly always 0 was proposed as the amount (its zeros unseen);
    now it is read as validation reads it, and left out with the same reason. A column of
    real amounts written so, under a name that says nothing (``worth``), is proposed by
    its content, as one of plain numbers is."""
    folder = _sellers_export(tmp_path / "export")
    deals = pd.read_csv(folder / "closed_deals.csv")
    deals["declared_revenue"] = deals["declared_revenue"].map("${:,.2f}".format)
    deals.to_csv(folder / "closed_deals.csv", index=False)
    opps = propose(folder, ".").table("opportunities")
    assert "amount" not in opps.columns
    assert opps.reasons["amount"].startswith(
        "'declared_revenue' is 0 on 57 of its 60 rows with a value (95%): not the value of a deal"
    )
    deals = deals.drop(columns="declared_revenue")
    deals["worth"] = [f"${1000 + 10 * i:,.2f}" for i in range(len(deals))]
    deals.to_csv(folder / "closed_deals.csv", index=False)
    assert propose(folder, ".").table("opportunities").columns["amount"] == "worth"


def test_map_takes_the_amount_converted_to_one_currency(tmp_path):
    """A Salesforce report of a multi-currency org: "Amount" in each deal's currency (with
    "Amount Currency"), and "Amount (converted)" in the company's. map proposed "Amount",
    which validate then refuses (three currencies); it now proposes the converted one,
    and orders Salesforce's standard stages by their names, each a step of its own."""
    folder = tmp_path / "export"
    folder.mkdir()
    stages = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
              "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]  # fmt: skip
    rows = [
        {
            "Opportunity Name": f"Deal {i}",
            "Stage": stages[i % len(stages)],
            "Amount Currency": ["USD", "EUR", "JPY"][i % 3],
            "Amount": 1000 + i,
            "Amount (converted)": 900 + i,
            "Created Date": f"2026-{1 + i % 9:02d}-01",  # later stages are younger: by age,
        }  # Negotiation/Review would come first
        for i in range(48)
    ]
    pd.DataFrame(rows).to_csv(folder / "opportunities.csv", index=False)
    proposal = propose(folder, ".")
    assert proposal.table("opportunities").columns["amount"] == "Amount (converted)"
    assert proposal.stage_order[:6] == stages[:6]
    assert proposal.order_note.startswith("open stages in funnel order by their names")


def test_map_places_hubspots_deals_export_and_orders_its_default_stages(tmp_path):
    """HubSpot's "Export" of the deals view: its headers as its UI names them, and its
    default pipeline's stages, which map ordered by the deals' ages (none of their names
    was a step of the funnel it knew), and its "Associated Company" left out."""
    folder = tmp_path / "export"
    folder.mkdir()
    stages = ["Appointment scheduled", "Qualified to buy", "Presentation scheduled",
              "Decision maker bought-in", "Contract sent", "Closed won", "Closed lost"]  # fmt: skip
    rows = [
        {
            "Record ID": 10_000 + i,
            "Deal Name": f"Deal {i}",
            "Deal Stage": stages[i % len(stages)],
            "Close Date": f"2026-{1 + i % 11:02d}-15 17:00",
            "Deal owner": ["Jane Doe", "John Smith"][i % 2],
            "Amount": 1000 + i,
            "Create Date": f"2026-{1 + (len(stages) - i % len(stages)) % 9:02d}-01 09:00",
            "Associated Company": f"Co {i % 9}",
        }
        for i in range(42)
    ]
    pd.DataFrame(rows).to_csv(folder / "hubspot-crm-exports-all-deals.csv", index=False)
    proposal = propose(folder, ".")
    opps = proposal.table("opportunities")
    assert opps.columns["account_id"] == "Associated Company"
    assert (opps.columns["owner_id"], opps.columns["stage"]) == ("Deal owner", "Deal Stage")
    assert proposal.stage_order[:5] == stages[:5]
    assert proposal.order_note.startswith("open stages in funnel order by their names")


def test_map_writes_pipedrives_status_as_the_outcome_and_names_its_close_times(tmp_path):
    """Pipedrive's deals export: the stage keeps a closed deal's last pipeline stage, and
    won or lost is in ``Deal - Status``. The outcome line was a comment, so the source
    validated with every deal open (no bookings at all), each dated by its expected close
    date; the outcome is written now, and a closed deal's close date is its won or lost
    time. The proposal validates and counts right. A status column of other values stays
    a comment."""
    folder = tmp_path / "export"
    folder.mkdir()
    stages = ["Lead In", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"]
    status = ["open", "won", "lost"]
    rows = [
        {
            "Deal - ID": i + 1,
            "Deal - Value": 1000 + i,
            "Deal - Owner": ["Jane Doe", "John Smith"][i % 2],
            "Deal - Stage": stages[i % len(stages)],
            "Deal - Status": status[i % 3],
            "Deal - Deal created": f"2026-{1 + i % 9:02d}-01",
            "Deal - Won time": f"2026-{2 + i % 9:02d}-10" if i % 3 == 1 else None,
            "Deal - Lost time": f"2026-{2 + i % 9:02d}-12" if i % 3 == 2 else None,
            "Deal - Expected close date": f"2026-{3 + i % 9:02d}-28",
        }
        for i in range(45)
    ]
    pd.DataFrame(rows).to_csv(folder / "deals.csv", index=False)
    (folder / "users.csv").write_text("Name,Team\nJane Doe,West\nJohn Smith,East\n")
    proposal = propose(folder, ".")
    assert (
        "    outcome: {column: Deal - Status, won: won, lost: lost}" in proposal.text.splitlines()
    )
    lines = proposal.text.splitlines()
    assert "      close_date: Deal - Won time" in lines
    assert (
        "      close_date: [{column: Deal - Lost time}, {column: Deal - Expected close date, "
        "when: open}]"
    ) in lines
    (folder / "source.yml").write_text(proposal.text)
    tables = so.load(str(folder / "source.yml"))
    deals = tables.opportunities.set_index("opportunity_id")
    assert (deals["stage"] == "Won").sum() == 15 and (deals["stage"] == "Lost").sum() == 15
    assert deals.loc["2", "close_date"] == pd.Timestamp("2026-03-10")  # won: its won time
    assert deals.loc["3", "close_date"] == pd.Timestamp("2026-04-12")  # lost: its lost time
    assert deals.loc["1", "close_date"] == pd.Timestamp("2026-03-28")  # open: its plan
    frame = pd.DataFrame(rows).replace({"Deal - Status": {"open": "active"}})
    frame.to_csv(folder / "deals.csv", index=False)
    text = propose(folder, ".").text
    assert "    # outcome: {column: Deal - Status, won: won, lost: lost}" in text.splitlines()
